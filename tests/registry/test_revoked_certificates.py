"""Revoked certificates: registry recomputes the level from the certificates still valid and
applies the lifecycle rule (no valid dasar: back to candidate), with a history entry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from services.registry.db.tables import Volunteer
from services.registry.domain.enums import TrainingLevel, VolunteerStatus
from services.registry.domain.lifecycle import after_revocation
from services.registry.service import lifecycle
from shared.events.training import CertificateIssued, CertificateRevoked
from shared.migrations import downgrade, upgrade
from tests.builders import volunteer_payload
from tests.registry.helpers import DEPOK, registry_http
from tools.services import SERVICES

DASAR, LANJUTAN = TrainingLevel.DASAR, TrainingLevel.LANJUTAN


@pytest.mark.parametrize(
    ("status", "valid", "expected"),
    [
        ("active", set(), ("candidate", None)),
        ("inactive", set(), ("candidate", None)),
        ("active", {DASAR}, ("active", "dasar")),
        ("active", {DASAR, LANJUTAN}, ("active", "lanjutan")),
        ("active", {LANJUTAN}, ("candidate", None)),
        ("resigned", set(), ("resigned", None)),
        ("candidate", set(), ("candidate", None)),
    ],
)
def test_after_a_revocation_the_level_is_the_highest_still_certified_on_a_valid_dasar(
    status, valid, expected
):
    assert after_revocation(VolunteerStatus(status), valid) == expected


def issued(vid: str, level: str) -> CertificateIssued:
    return CertificateIssued(
        certificate_id=uuid.uuid4(),
        volunteer_id=uuid.UUID(vid),
        session_id=uuid.uuid4(),
        course_code=f"BIMTEK-{level.upper()}",
        level=level,  # type: ignore[arg-type]
        certificate_number="001/2026",
        verification_code="ABC123",
        issued_at=datetime.now(UTC),
    )


def revoked(cert: CertificateIssued) -> CertificateRevoked:
    return CertificateRevoked(
        certificate_id=cert.certificate_id,
        volunteer_id=cert.volunteer_id,
        level=cert.level,
        reason_code="issued_in_error",  # type: ignore[arg-type]
        revoked_at=datetime.now(UTC),
    )


async def apply(reg, event) -> None:
    state = reg.app.state.service
    async with state.runtime.sessionmaker() as session, session.begin():
        v = await session.get(Volunteer, event.volunteer_id)
        if isinstance(event, CertificateIssued):
            await lifecycle.record_certificate(
                session, v, event, settings=reg.settings, now=state.clock.now()
            )
        else:
            await lifecycle.record_revocation(session, v, event, now=state.clock.now())


async def register(reg) -> str:
    return (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]


async def test_an_active_psm_whose_only_dasar_is_revoked_goes_back_to_candidate(database_url):
    async with registry_http(database_url) as reg:
        vid = await register(reg)
        dasar = issued(vid, "dasar")
        await apply(reg, dasar)
        await apply(reg, revoked(dasar))
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert (v["status"], v["training_level"]) == ("candidate", None)
        changes = await reg.outbox_events("volunteer-status-changed")
        assert [(c["old_status"], c["new_status"]) for c in changes] == [
            ("candidate", "active"),
            ("active", "candidate"),
        ]
        assert changes[-1]["reason_code"] == "data_correction"
        history = (await reg.get(f"/volunteers/{vid}/history", DEPOK)).json()
        assert history[-1]["new_status"] == "candidate"
        assert history[-1]["reason"].startswith("certificate_revoked:issued_in_error")


async def test_a_revoked_lanjutan_lowers_the_level_to_dasar_with_a_history_entry(database_url):
    async with registry_http(database_url) as reg:
        vid = await register(reg)
        lanjutan = issued(vid, "lanjutan")
        await apply(reg, issued(vid, "dasar"))
        await apply(reg, lanjutan)
        await apply(reg, revoked(lanjutan))
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert (v["status"], v["training_level"]) == ("active", "dasar")
        assert len(await reg.outbox_events("volunteer-status-changed")) == 1  # activation only
        history = (await reg.get(f"/volunteers/{vid}/history", DEPOK)).json()
        assert history[-1]["new_status"] == history[-1]["old_status"] == "active"
        assert "level lanjutan->dasar" in history[-1]["reason"]


async def test_a_revocation_applied_twice_changes_nothing_the_second_time(database_url):
    async with registry_http(database_url) as reg:
        vid = await register(reg)
        dasar = issued(vid, "dasar")
        await apply(reg, dasar)
        await apply(reg, revoked(dasar))
        await apply(reg, revoked(dasar))
        assert len(await reg.outbox_events("volunteer-status-changed")) == 2
        history = (await reg.get(f"/volunteers/{vid}/history", DEPOK)).json()
        assert len(history) == 2


async def test_a_second_valid_dasar_keeps_the_psm_active(database_url):
    async with registry_http(database_url) as reg:
        vid = await register(reg)
        first = issued(vid, "dasar")
        await apply(reg, first)
        await apply(reg, issued(vid, "dasar"))
        await apply(reg, revoked(first))
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert (v["status"], v["training_level"]) == ("active", "dasar")


async def test_a_certificate_revoked_before_its_issue_arrived_never_counts(database_url):
    async with registry_http(database_url) as reg:
        vid = await register(reg)
        dasar = issued(vid, "dasar")
        await apply(reg, revoked(dasar))
        await apply(reg, dasar)
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert (v["status"], v["training_level"]) == ("candidate", None)


async def test_certificates_from_before_registry_kept_them_are_matched_by_level(tmp_path):
    """Migration f2c8a4e6b1d9 gives each volunteer who had a level one legacy row per level
    held; revoking a certificate registry never saw issued revokes the legacy row."""
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url) as reg:
        vid = await register(reg)
        await apply(reg, issued(vid, "dasar"))
        await apply(reg, issued(vid, "lanjutan"))
    migrations = SERVICES["registry"].migrations_dir
    await asyncio.to_thread(downgrade, migrations, url, "e6b2f1d4a8c3")
    await asyncio.to_thread(upgrade, migrations, url)
    async with registry_http(url) as reg:
        rows = await reg.sql("SELECT level, legacy FROM volunteer_certificates ORDER BY level")
        assert [tuple(r) for r in rows] == [("dasar", 1), ("lanjutan", 1)]
        unknown = issued(vid, "lanjutan")  # an id registry never saw
        await apply(reg, revoked(unknown))
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert (v["status"], v["training_level"]) == ("active", "dasar")
