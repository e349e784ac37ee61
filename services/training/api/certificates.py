"""Certificates: public verification, public key, print, revoke, re-issue."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from services.training.db.tables import Certificate
from services.training.domain.certificates import display_code, mask_reference
from services.training.service import certificates
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.problems import Problem

router = APIRouter(prefix="/certificates", tags=["certificates"])
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


class CertificatePublic(BaseModel):
    id: uuid.UUID
    number: str
    verification_code: str
    volunteer_id: uuid.UUID
    session_id: uuid.UUID
    course_code: str
    level: str
    regency_code: str
    issuer: str
    issued_at: datetime
    valid_until: date | None
    status: str
    supersedes: uuid.UUID | None
    superseded_by: uuid.UUID | None
    revoked_reason: str | None
    signature: str
    key_id: str


def _public(cert: Certificate) -> CertificatePublic:
    return CertificatePublic.model_validate(cert, from_attributes=True)


@router.get("/public-key", summary="The Ed25519 public key to verify certificates offline")
async def public_key(request: Request) -> dict[str, str]:
    """No authentication: anyone may verify `signed_content` against `signature` with it."""
    signer = request.app.state.settings.signer()
    return {
        "algorithm": "Ed25519",
        "key_id": signer.key_id,
        "public_key_base64": signer.public_key_b64,
        "signed_content": "canonical JSON: UTF-8, keys sorted, no whitespace",
    }


@router.get("/verify/{code}", summary="Verify a certificate by its code (public, no login)")
async def verify(code: str, session: ReadSession) -> dict[str, Any]:
    """Shows only what a verifier needs: never contact details, NIK or name."""
    found = await certificates.verify(session, code)
    if found is None:
        raise Problem(404, "Not found", "no certificate has this verification code")
    return found


@router.get("", response_model=list[CertificatePublic], summary="A volunteer's certificates")
async def list_for_volunteer(
    volunteer_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> list[CertificatePublic]:
    return [
        _public(c) for c in await certificates.list_certificates(session, principal, volunteer_id)
    ]


@router.get("/{certificate_id}", response_model=CertificatePublic, summary="One certificate")
async def get_one(
    certificate_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> CertificatePublic:
    cert, _ = await certificates.get_certificate(session, principal, certificate_id)
    return _public(cert)


@router.get(
    "/{certificate_id}/print",
    response_class=HTMLResponse,
    summary="Printable certificate (HTML, A4 landscape)",
)
async def printable(
    certificate_id: uuid.UUID, request: Request, principal: CurrentPrincipal, session: ReadSession
) -> HTMLResponse:
    cert, _ = await certificates.get_certificate(session, principal, certificate_id)
    content = json.loads(cert.canonical)
    html = _templates.get_template("certificate.html").render(
        number=cert.number,
        status=certificates.public_status(cert),
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
        verify_url=f"{request.app.state.settings.verification_base_url}/{cert.verification_code}",
        key_id=cert.key_id,
        signature=cert.signature,
    )
    return HTMLResponse(html)


class RevokeBody(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


@router.post("/{certificate_id}/revoke", response_model=CertificatePublic, summary="Revoke")
async def revoke(
    certificate_id: uuid.UUID, body: RevokeBody, principal: Writer, session: Session
) -> CertificatePublic:
    """Publishes `certificate-revoked`."""
    async with session.begin():
        cert = await certificates.revoke(session, principal, certificate_id, body.reason)
    return _public(cert)


@router.post(
    "/{certificate_id}/reissue",
    status_code=201,
    response_model=CertificatePublic,
    summary="Re-issue: a new certificate supersedes this one",
)
async def reissue(
    certificate_id: uuid.UUID, request: Request, principal: Writer, session: Session
) -> CertificatePublic:
    """Publishes `certificate-issued` with `supersedes`."""
    signer = request.app.state.settings.signer()
    async with session.begin():
        cert = await certificates.reissue(session, principal, certificate_id, signer)
    return _public(cert)
