"""Certificates: issue (signed), revoke, re-issue, verify by code."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import (
    Certificate,
    CertificateCounter,
    Course,
    Enrolment,
    TrainingSession,
)
from services.training.domain import certificates as rules
from services.training.domain.enums import (
    CertificateRevokeReason,
    CertificateStatus,
    PublicCertificateStatus,
)
from services.training.domain.errors import (
    CertificateNotFound,
    IssuerScopeOnly,
    WrongCertificateStatus,
)
from services.training.service.common import stage
from shared.events.training import CertificateIssued, CertificateRevoked
from shared.i18n import t
from shared.identity import Principal


async def _next_serial(session: AsyncSession, prefix: str) -> int:
    """Serial per prefix under a row lock (two sessions completing at once never collide)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(CertificateCounter)
        .values(prefix=prefix, last_serial=0)
        .on_conflict_do_nothing(index_elements=["prefix"])
    )
    counter = (
        await session.execute(
            sa_select(CertificateCounter)
            .where(col(CertificateCounter.prefix) == prefix)
            .with_for_update()
        )
    ).scalar_one()
    counter.last_serial += 1
    return counter.last_serial


async def issue(
    session: AsyncSession,
    row: TrainingSession,
    course: Course,
    enrolment: Enrolment,
    *,
    signer: rules.Signer,
    now: datetime,
    supersedes: uuid.UUID | None = None,
) -> Certificate:
    """Sign and store a certificate and stage `certificate-issued`."""
    issued_at = now
    prefix = rules.number_prefix(row.level, row.organiser_region_code, row.end_date.year)
    cert_id = uuid.uuid4()
    valid_until = (
        rules.add_months(row.end_date, course.validity_months) if course.validity_months else None
    )
    content: dict[str, Any] = {
        "certificate_id": str(cert_id),
        "number": rules.certificate_number(prefix, await _next_serial(session, prefix)),
        "verification_code": rules.new_verification_code(),
        # Why a digest, not the id: the signed content is shown publicly; the holder (or
        # registry) can still prove the link by recomputing it from the volunteer id.
        "holder_ref": rules.mask_reference(str(enrolment.volunteer_id)),
        "holder_digest": rules.holder_digest(cert_id, enrolment.volunteer_id),
        "course_code": course.code,
        "course_title": course.title,
        "level": course.level,
        "hours": course.hours,
        "session_id": str(row.id),
        "session_title": row.title,
        "session_dates": [row.start_date.isoformat(), row.end_date.isoformat()],
        "issuer": row.organiser_agency,
        "issuer_region_code": row.organiser_region_code,
        "issued_at": issued_at.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "supersedes": str(supersedes) if supersedes else None,
        "key_id": signer.key_id,
    }
    canonical = rules.canonical_json(content)
    cert = Certificate(
        id=cert_id,
        number=content["number"],
        verification_code=content["verification_code"],
        volunteer_id=enrolment.volunteer_id,
        enrolment_id=enrolment.id,
        session_id=row.id,
        course_code=course.code,
        level=course.level,
        regency_code=enrolment.regency_code,
        province_code=enrolment.province_code,
        issuer=row.organiser_agency,
        issued_at=issued_at,
        valid_until=valid_until,
        status=CertificateStatus.VALID,
        supersedes=supersedes,
        canonical=canonical,
        signature=signer.sign(canonical),
        key_id=signer.key_id,
    )
    session.add(cert)
    await stage(session, [_issued_event(cert, course)], now=now)
    return cert


def _issued_event(cert: Certificate, course: Course) -> CertificateIssued:
    return CertificateIssued(
        certificate_id=cert.id,
        volunteer_id=cert.volunteer_id,
        session_id=cert.session_id,
        course_code=course.code,
        level=course.level,
        certificate_number=cert.number,
        verification_code=cert.verification_code,
        issued_at=cert.issued_at,
        valid_until=cert.valid_until,
        supersedes=cert.supersedes,
    )


async def get_certificate(
    session: AsyncSession,
    *,
    principal: Principal,
    certificate_id: uuid.UUID,
    lock: bool = False,
) -> tuple[Certificate, TrainingSession]:
    """A certificate the principal may see: issued in its scope or held by someone in it."""
    query = select(Certificate).where(col(Certificate.id) == certificate_id)
    if lock:
        query = query.with_for_update()
    cert = (await session.execute(query)).scalar_one_or_none()
    row = await session.get(TrainingSession, cert.session_id) if cert else None
    if (
        cert is None
        or row is None
        or not (principal.sees(row.organiser_region_code) or principal.sees(cert.regency_code))
    ):
        raise CertificateNotFound(
            t(
                "Sertifikat {id} tidak ditemukan dalam cakupan Anda",
                "no certificate {id} in your scope",
                id=certificate_id,
            )
        )
    return cert, row


async def list_certificates(
    session: AsyncSession,
    *,
    principal: Principal,
    volunteer_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> list[Certificate]:
    """The certificates of a volunteer and/or of a session the principal may see (their
    holder's regency in its scope), oldest first (the number breaks a tie)."""
    if volunteer_id is None and session_id is None:
        raise ValueError("a volunteer or a session is required")
    query = select(Certificate)
    if volunteer_id is not None:
        query = query.where(col(Certificate.volunteer_id) == volunteer_id)
    if session_id is not None:
        query = query.where(col(Certificate.session_id) == session_id)
    rows = await session.execute(
        query.order_by(col(Certificate.issued_at), col(Certificate.number))
    )
    return [c for c in rows.scalars() if principal.sees(c.regency_code)]


async def revoke(
    session: AsyncSession,
    *,
    principal: Principal,
    certificate_id: uuid.UUID,
    reason_code: CertificateRevokeReason,
    note: str | None = None,
    now: datetime,
) -> Certificate:
    """Revoke a valid certificate with a reason code (published, shown to verifiers) and an
    optional note (kept in training only); verifiers see it as revoked from now on."""
    cert, row = await get_certificate(
        session, principal=principal, certificate_id=certificate_id, lock=True
    )
    if not principal.sees(row.organiser_region_code):
        raise IssuerScopeOnly(
            t(
                "Hanya penyelenggara penerbit (sesuai cakupannya) yang boleh mencabut sertifikat",
                "only the issuing organiser's scope may revoke",
            )
        )
    if cert.status != CertificateStatus.VALID:
        raise WrongCertificateStatus(
            t(
                "Sertifikat berstatus {status}",
                "certificate is {status}",
                status=cert.status,
            )
        )
    await mark_revoked(session, cert, reason_code=reason_code, note=note, now=now)
    return cert


async def mark_revoked(
    session: AsyncSession,
    cert: Certificate,
    *,
    reason_code: CertificateRevokeReason,
    note: str | None = None,
    now: datetime,
) -> None:
    """Revoke a valid certificate and stage `certificate-revoked` (the caller checked scope)."""
    cert.status, cert.revoked_at = CertificateStatus.REVOKED, now
    cert.revoked_reason_code, cert.revoked_note = reason_code, note
    await stage(
        session,
        [
            CertificateRevoked(
                certificate_id=cert.id,
                volunteer_id=cert.volunteer_id,
                level=cert.level,
                reason_code=reason_code,
                revoked_at=cert.revoked_at,
            )
        ],
        now=now,
    )


async def valid_of_session(session: AsyncSession, session_id: uuid.UUID) -> list[Certificate]:
    """The valid certificates a session issued."""
    rows = await session.execute(
        select(Certificate)
        .where(col(Certificate.session_id) == session_id)
        .where(col(Certificate.status) == CertificateStatus.VALID)
    )
    return list(rows.scalars())


async def reissue(
    session: AsyncSession,
    *,
    principal: Principal,
    certificate_id: uuid.UUID,
    signer: rules.Signer,
    now: datetime,
) -> Certificate:
    """Issue a new certificate (new number and code) that supersedes a valid one."""
    old, row = await get_certificate(
        session, principal=principal, certificate_id=certificate_id, lock=True
    )
    if not principal.sees(row.organiser_region_code):
        raise IssuerScopeOnly(
            t(
                "Hanya penyelenggara penerbit (sesuai cakupannya) yang boleh menerbitkan ulang",
                "only the issuing organiser's scope may re-issue",
            )
        )
    if old.status != CertificateStatus.VALID:
        raise WrongCertificateStatus(
            t(
                "Hanya sertifikat yang berlaku yang dapat diterbitkan ulang; "
                "sertifikat ini berstatus {status}",
                "only a valid certificate can be re-issued; this one is {status}",
                status=old.status,
            )
        )
    course = await session.get(Course, old.course_code)
    enrolment = await session.get(Enrolment, old.enrolment_id)
    assert course is not None and enrolment is not None  # noqa: S101 - never deleted
    new = await issue(session, row, course, enrolment, signer=signer, now=now, supersedes=old.id)
    old.status, old.superseded_by = CertificateStatus.SUPERSEDED, new.id
    return new


def public_status(cert: Certificate, *, today: date) -> PublicCertificateStatus:
    """The certificate's status as a verifier sees it on `today`."""
    return rules.public_status(cert.status, cert.valid_until, today=today)


async def verify(session: AsyncSession, *, code: str, today: date) -> dict[str, Any]:
    """What a verifier needs, and nothing more (no contact details, no NIK, no name)."""
    normalised = rules.normalise_code(code)
    cert = (
        await session.execute(
            select(Certificate).where(col(Certificate.verification_code) == normalised)
        )
    ).scalar_one_or_none()
    if cert is None:
        raise CertificateNotFound(
            t(
                "Tidak ada sertifikat dengan kode verifikasi ini",
                "no certificate has this verification code",
            )
        )
    course = await session.get(Course, cert.course_code)
    row = await session.get(TrainingSession, cert.session_id)
    assert course is not None and row is not None  # noqa: S101 - never deleted
    return {
        "status": public_status(cert, today=today),
        "certificate_number": cert.number,
        "verification_code": rules.display_code(cert.verification_code),
        "holder": {
            "name": None,
            "name_note": "name not held by training; compare with the printed certificate",
            "reference": rules.mask_reference(str(cert.volunteer_id)),
        },
        "course": {"code": course.code, "title": course.title, "level": cert.level},
        "hours": course.hours,
        "session": {
            "title": row.title,
            "start_date": row.start_date.isoformat(),
            "end_date": row.end_date.isoformat(),
        },
        "issuer": cert.issuer,
        "issued_at": cert.issued_at.isoformat(),
        "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
        "revoked_reason_code": cert.revoked_reason_code,
        "superseded_by_number": await _number_of(session, cert.superseded_by),
        "signed_content": cert.canonical,
        "signature": cert.signature,
        "key_id": cert.key_id,
        "algorithm": "Ed25519",
    }


async def _number_of(session: AsyncSession, certificate_id: uuid.UUID | None) -> str | None:
    if certificate_id is None:
        return None
    other = await session.get(Certificate, certificate_id)
    return other.number if other else None
