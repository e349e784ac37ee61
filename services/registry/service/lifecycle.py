"""Lifecycle use-cases: status changes, operator verification, Bimtek results, transfers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.config import Settings
from services.registry.db.tables import (
    HeldCertificate,
    StatusChange,
    Transfer,
    Volunteer,
    outbox,
)
from services.registry.domain.enums import AuditAction, TrainingLevel, VolunteerStatus
from services.registry.domain.errors import (
    VILLAGE_OUTSIDE_REGION,
    Erased,
    IllegalTransition,
    OutOfScope,
)
from services.registry.domain.lifecycle import (
    Readiness,
    after_revocation,
    becomes_active,
    check_transition,
    highest_level,
)
from services.registry.domain.regions import DATASET_VERSION, village_exists
from services.registry.domain.volunteers import domicile_of
from services.registry.service.access import Actor, audit
from services.registry.service.volunteers import SOURCE
from shared.events.registry import VolunteerStatusChanged, VolunteerTransferred
from shared.events.training import CertificateIssued, CertificateRevoked
from shared.events.vocabulary import StatusChangeReason
from shared.i18n import t
from shared.outbox import stage_event

__all__ = [
    "change_status",
    "move",
    "record_certificate",
    "record_revocation",
    "transfer",
    "verify",
]


def readiness(v: Volunteer, settings: Settings) -> Readiness:
    """What the candidate has done towards activation, under the service's settings."""
    return Readiness(
        dasar_passed=v.dasar_passed_at is not None,
        verification_required=v.regency_code in settings.regencies_requiring_verification,
        verified=v.verified_at is not None,
    )


async def change_status(
    session: AsyncSession,
    v: Volunteer,
    new_status: VolunteerStatus,
    *,
    actor: Actor,
    settings: Settings,
    now: datetime,
    reason: str | None = None,
    reason_code: StatusChangeReason | None = None,
) -> None:
    """Apply a legal transition, record it in the history and stage `volunteer-status-changed`."""
    if v.erased_at is not None:
        raise Erased()
    check_transition(v.status, new_status, readiness=readiness(v, settings))
    await _apply_status(
        session, v, new_status, actor=actor, now=now, reason=reason, reason_code=reason_code
    )


async def _apply_status(
    session: AsyncSession,
    v: Volunteer,
    new_status: VolunteerStatus,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None,
    reason_code: StatusChangeReason | None,
) -> None:
    old = v.status
    v.status, v.updated_at = new_status, now
    session.add(
        StatusChange(
            volunteer_id=v.id,
            old_status=old,
            new_status=new_status,
            reason=reason,
            actor=actor.subject,
            changed_at=now,
        )
    )
    await session.flush()
    event = VolunteerStatusChanged(
        volunteer_id=v.id,
        old_status=old,
        new_status=new_status,
        province_code=v.province_code,
        regency_code=v.regency_code,
        reason_code=reason_code,
        changed_at=now,
    )
    await stage_event(session, outbox, event, source=SOURCE, now=now)
    audit(
        session,
        actor,
        AuditAction.VOLUNTEER_STATUS,
        now=now,
        volunteer_id=v.id,
        detail=f"{old}->{new_status}",
    )


async def _activate_if_ready(
    session: AsyncSession,
    v: Volunteer,
    *,
    actor: Actor,
    settings: Settings,
    now: datetime,
    reason_code: StatusChangeReason,
) -> None:
    if v.status == VolunteerStatus.CANDIDATE and becomes_active(readiness(v, settings)):
        await _apply_status(
            session,
            v,
            VolunteerStatus.ACTIVE,
            actor=actor,
            now=now,
            reason=reason_code,
            reason_code=reason_code,
        )


async def verify(
    session: AsyncSession, v: Volunteer, *, actor: Actor, settings: Settings, now: datetime
) -> None:
    """An operator confirms the recommendations and the SK; activates a ready candidate."""
    if v.erased_at is not None:
        raise Erased()
    missing = [
        name
        for name, value in (
            ("recommendations.village_head", v.village_head_recommender),
            ("recommendations.ipsm", v.ipsm_recommender),
            ("decree", v.decree_number),
        )
        if not value
    ]
    if missing:
        raise IllegalTransition(
            t(
                "belum dapat diverifikasi: belum ada {missing}",
                "cannot verify: missing {missing}",
                missing=", ".join(missing),
            )
        )
    v.verified_at, v.verified_by = now, actor.subject
    audit(session, actor, AuditAction.VOLUNTEER_VERIFY, now=now, volunteer_id=v.id)
    await _activate_if_ready(
        session,
        v,
        actor=actor,
        settings=settings,
        now=now,
        reason_code=StatusChangeReason.OPERATOR_VERIFIED,
    )


async def record_certificate(
    session: AsyncSession,
    v: Volunteer,
    event: CertificateIssued,
    *,
    settings: Settings,
    now: datetime,
) -> None:
    """A passed Bimtek: remember the certificate, raise the training level; a passed `dasar`
    may activate a candidate. A certificate already known as revoked does not count."""
    if v.erased_at is not None:
        return
    held = await session.get(HeldCertificate, event.certificate_id)
    if held is None:
        session.add(
            HeldCertificate(
                certificate_id=event.certificate_id,
                volunteer_id=v.id,
                level=TrainingLevel(event.level),
                issued_at=event.issued_at,
            )
        )
    elif held.revoked_at is not None:
        return
    if event.supersedes is not None:
        old = await session.get(HeldCertificate, event.supersedes)
        if old is not None and old.volunteer_id == v.id:
            old.superseded_by = event.certificate_id
    v.training_level = highest_level(v.training_level, event.level)
    if TrainingLevel(event.level) == TrainingLevel.DASAR and v.dasar_passed_at is None:
        v.dasar_passed_at = event.issued_at
    v.updated_at = now
    await _activate_if_ready(
        session,
        v,
        actor=Actor.system("training"),
        settings=settings,
        now=now,
        reason_code=StatusChangeReason.BIMTEK_DASAR_PASSED,
    )


async def _revoked_certificate(
    session: AsyncSession, v: Volunteer, event: CertificateRevoked
) -> HeldCertificate | None:
    """The row the revocation applies to (None: already revoked, nothing to do). A
    certificate registry never saw issued is matched to a legacy row of its level, or
    recorded as revoked so that its late `certificate-issued` does not count."""
    held = await session.get(HeldCertificate, event.certificate_id)
    if held is None:
        held = (
            await session.scalars(
                select(HeldCertificate)
                .where(col(HeldCertificate.volunteer_id) == v.id)
                .where(col(HeldCertificate.legacy).is_(True))
                .where(col(HeldCertificate.level) == TrainingLevel(event.level))
                .where(col(HeldCertificate.revoked_at).is_(None))
                .limit(1)
            )
        ).first()
    if held is None:
        held = HeldCertificate(
            certificate_id=event.certificate_id,
            volunteer_id=v.id,
            level=TrainingLevel(event.level),
        )
        session.add(held)
    elif held.revoked_at is not None:
        return None
    return held


async def record_revocation(
    session: AsyncSession, v: Volunteer, event: CertificateRevoked, *, now: datetime
) -> None:
    """A revoked certificate: recompute the level from the certificates still valid and apply
    `after_revocation` (back to candidate without a valid dasar); a history entry records
    any change of level or status, `volunteer-status-changed` any change of status."""
    if v.erased_at is not None:
        return
    held = await _revoked_certificate(session, v, event)
    if held is None:
        return
    held.revoked_at, held.revoke_reason = event.revoked_at, event.reason_code
    await session.flush()
    valid = set(
        await session.scalars(
            select(col(HeldCertificate.level))
            .where(col(HeldCertificate.volunteer_id) == v.id)
            .where(col(HeldCertificate.revoked_at).is_(None))
            .where(col(HeldCertificate.superseded_by).is_(None))
        )
    )
    new_status, new_level = after_revocation(VolunteerStatus(v.status), valid)
    old_level = v.training_level
    if new_level is None:
        v.dasar_passed_at = None
    if new_status == v.status and new_level == old_level:
        return
    v.training_level, v.updated_at = new_level, now
    actor = Actor.system("training")
    reason = (
        f"certificate_revoked:{event.reason_code}; level {old_level or '-'}->{new_level or '-'}"
    )
    if new_status != v.status:
        await _apply_status(
            session,
            v,
            new_status,
            actor=actor,
            now=now,
            reason=reason,
            reason_code=StatusChangeReason.DATA_CORRECTION,
        )
        return
    session.add(
        StatusChange(
            volunteer_id=v.id,
            old_status=v.status,
            new_status=v.status,
            reason=reason,
            actor=actor.subject,
            changed_at=now,
        )
    )


async def transfer(
    session: AsyncSession,
    v: Volunteer,
    to_village_code: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> Transfer:
    """Move a volunteer to another village (history kept), staging `volunteer-transferred`."""
    if v.erased_at is not None:
        raise Erased()
    domicile_of(to_village_code, exists=village_exists(to_village_code))
    if not actor.sees(to_village_code):
        raise OutOfScope(VILLAGE_OUTSIDE_REGION)
    return await move(session, v, to_village_code, actor=actor, now=now, reason=reason)


async def move(
    session: AsyncSession,
    v: Volunteer,
    to_village_code: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> Transfer:
    """The move itself, once the caller decided it may happen (a direct transfer in the
    actor's region, or a transfer between regencies both ends agreed to): history row,
    new domicile, `volunteer-transferred`, audit."""
    if v.erased_at is not None:
        raise Erased()
    domicile = domicile_of(to_village_code, exists=village_exists(to_village_code))
    if to_village_code == v.village_code:
        raise IllegalTransition(
            t(
                "relawan sudah berdomisili di desa/kelurahan itu",
                "the volunteer already lives in that village",
            )
        )
    record = Transfer(
        volunteer_id=v.id,
        from_village_code=v.village_code,
        to_village_code=to_village_code,
        region_dataset=DATASET_VERSION,
        reason=reason,
        actor=actor.subject,
        transferred_at=now,
    )
    session.add(record)
    for key, value in domicile.__dict__.items():
        setattr(v, key, value)
    v.region_dataset, v.updated_at = DATASET_VERSION, now
    await session.flush()
    event = VolunteerTransferred(
        volunteer_id=v.id,
        from_village_code=record.from_village_code,
        region_dataset=DATASET_VERSION,
        transferred_at=now,
        **domicile.__dict__,
    )
    await stage_event(session, outbox, event, source=SOURCE, now=now)
    audit(session, actor, AuditAction.VOLUNTEER_TRANSFER, now=now, volunteer_id=v.id)
    return record
