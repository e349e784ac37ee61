"""Certificates: public verification, public key, print, revoke, re-issue."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from services.training.api.deps import State
from services.training.db.tables import NOTE_MAX, Certificate
from services.training.domain.certificates import display_code, mask_reference
from services.training.domain.enums import (
    CertificateRevokeReason,
    CertificateStatus,
    Level,
    PublicCertificateStatus,
)
from services.training.domain.errors import (
    CertificateNotFound,
    InvalidField,
    IssuerScopeOnly,
    WrongCertificateStatus,
)
from services.training.service import certificates
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.i18n import t
from shared.problems import raises
from shared.throttle import throttle

router = APIRouter(prefix="/certificates", tags=["certificates"])
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
VerificationCode = PathParam(
    min_length=1, max_length=40, examples=["ABCDE-FGHJK"], description="as printed"
)


class CertificatePublic(BaseModel):
    """A certificate as stored (no name: training holds none)."""

    id: uuid.UUID
    number: str
    verification_code: str
    volunteer_id: uuid.UUID
    session_id: uuid.UUID
    course_code: str
    level: Level
    regency_code: str
    issuer: str
    issued_at: datetime
    valid_until: date | None
    status: CertificateStatus
    supersedes: uuid.UUID | None
    superseded_by: uuid.UUID | None
    revoked_reason_code: CertificateRevokeReason | None
    revoked_note: str | None = Field(description="the operator's own words; never published")
    signature: str
    key_id: str


class PublicKey(BaseModel):
    """The key that verifies certificates offline, and what it signs."""

    algorithm: str
    key_id: str
    public_key_base64: str
    signed_content: str


class Holder(BaseModel):
    """The holder as a verifier sees it: a masked reference, never a name."""

    name: None
    name_note: str
    reference: str


class CourseRef(BaseModel):
    """The certificate's course."""

    code: str
    title: str
    level: Level


class SessionRef(BaseModel):
    """The session the certificate was earned in."""

    title: str
    start_date: date
    end_date: date


class Verification(BaseModel):
    """What a verifier needs, and nothing more (no contact details, no NIK, no name)."""

    status: PublicCertificateStatus
    certificate_number: str
    verification_code: str
    holder: Holder
    course: CourseRef
    hours: int
    session: SessionRef
    issuer: str
    issued_at: datetime
    valid_until: date | None
    revoked_reason_code: CertificateRevokeReason | None = Field(
        description="why it was revoked, as a code (the operator's note is never shown here)"
    )
    superseded_by_number: str | None
    signed_content: str
    signature: str
    key_id: str
    algorithm: str


def _public(cert: Certificate) -> CertificatePublic:
    return CertificatePublic.model_validate(cert, from_attributes=True)


@router.get(
    "/public-key",
    response_model=PublicKey,
    summary="The Ed25519 public key to verify certificates offline",
    dependencies=[Depends(throttle("certificate-public-key"))],
)
async def public_key(state: State) -> PublicKey:
    """No authentication: anyone may verify `signed_content` against `signature` with it."""
    return PublicKey(
        algorithm="Ed25519",
        key_id=state.signer.key_id,
        public_key_base64=state.signer.public_key_b64,
        signed_content="canonical JSON: UTF-8, keys sorted, no whitespace",
    )


@router.get(
    "/verify/{code}",
    response_model=Verification,
    summary="Verify a certificate by its code (public, no login)",
    dependencies=[Depends(throttle("certificate-verification"))],
)
@raises(CertificateNotFound)
async def verify(session: ReadSession, state: State, code: str = VerificationCode) -> Verification:
    """Shows only what a verifier needs: never contact details, NIK or name."""
    found = await certificates.verify(session, code=code, today=state.clock.today())
    return Verification.model_validate(found)


@router.get(
    "",
    response_model=list[CertificatePublic],
    summary="A volunteer's certificates, or a session's",
)
@raises(InvalidField)
async def list_certificates(
    principal: CurrentPrincipal,
    session: ReadSession,
    volunteer_id: uuid.UUID | None = Query(default=None, description="the holder"),
    session_id: uuid.UUID | None = Query(
        default=None, description="the session that issued them (every status)"
    ),
) -> list[CertificatePublic]:
    """The certificates you may see (their holder's regency in your scope) of a volunteer,
    of a session, or of both (give at least one, else 422), oldest first. Not paged: a
    session's are bounded by its capacity (at most 5000 places, plus any re-issues)."""
    if volunteer_id is None and session_id is None:
        raise InvalidField(
            "query.volunteer_id",
            t("isi volunteer_id atau session_id", "give volunteer_id or session_id"),
        )
    found = await certificates.list_certificates(
        session, principal=principal, volunteer_id=volunteer_id, session_id=session_id
    )
    return [_public(c) for c in found]


@router.get("/{certificate_id}", response_model=CertificatePublic, summary="One certificate")
@raises(CertificateNotFound)
async def get_one(
    certificate_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> CertificatePublic:
    """A certificate issued in your scope or held by someone in it."""
    cert, _ = await certificates.get_certificate(
        session, principal=principal, certificate_id=certificate_id
    )
    return _public(cert)


@router.get(
    "/{certificate_id}/print",
    response_class=HTMLResponse,
    summary="Printable certificate (HTML, A4 landscape)",
)
@raises(CertificateNotFound)
async def printable(
    certificate_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession, state: State
) -> HTMLResponse:
    """The certificate as a printable page, with its verification code."""
    cert, _ = await certificates.get_certificate(
        session, principal=principal, certificate_id=certificate_id
    )
    content: dict[str, Any] = json.loads(cert.canonical)
    html = _templates.get_template("certificate.html").render(
        number=cert.number,
        status=certificates.public_status(cert, today=state.clock.today()),
        holder_reference=mask_reference(str(cert.volunteer_id)),
        course_title=content["course_title"],
        level=cert.level,
        hours=content["hours"],
        session_title=content["session_title"],
        start_date=content["session_dates"][0],
        end_date=content["session_dates"][1],
        issuer=cert.issuer,
        issued_on=cert.issued_at.date().isoformat(),
        valid_until=content["valid_until"],
        code=display_code(cert.verification_code),
        verify_url=f"{state.training_settings.verification_base_url}/{cert.verification_code}",
        key_id=cert.key_id,
        signature=cert.signature,
    )
    return HTMLResponse(html)


class RevokeBody(BaseModel):
    """Why the certificate is revoked: a code verifiers and agencies see, and an optional
    note that stays in training (visible to operators in scope only)."""

    reason_code: CertificateRevokeReason = Field(examples=["issued_in_error"])
    note: str | None = Field(
        default=None,
        min_length=1,
        max_length=NOTE_MAX,
        description="free text for operators; never published, never shown to verifiers",
    )


@router.post(
    "/{certificate_id}/revoke",
    response_model=CertificatePublic,
    summary="Revoke",
)
@raises(CertificateNotFound, IssuerScopeOnly, WrongCertificateStatus)
async def revoke(
    certificate_id: uuid.UUID, body: RevokeBody, principal: Writer, session: Session, state: State
) -> CertificatePublic:
    """Publishes `certificate-revoked`."""
    async with session.begin():
        cert = await certificates.revoke(
            session,
            principal=principal,
            certificate_id=certificate_id,
            reason_code=body.reason_code,
            note=body.note,
            now=state.clock.now(),
        )
    return _public(cert)


@router.post(
    "/{certificate_id}/reissue",
    status_code=201,
    response_model=CertificatePublic,
    summary="Re-issue: a new certificate supersedes this one",
)
@raises(CertificateNotFound, IssuerScopeOnly, WrongCertificateStatus)
async def reissue(
    certificate_id: uuid.UUID, principal: Writer, session: Session, state: State
) -> CertificatePublic:
    """Publishes `certificate-issued` with `supersedes`."""
    async with session.begin():
        cert = await certificates.reissue(
            session,
            principal=principal,
            certificate_id=certificate_id,
            signer=state.signer,
            now=state.clock.now(),
        )
    return _public(cert)
