"""The envelope travels in Kafka headers; event models are frozen, tolerant, keyed by aggregate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.events import EVENT_TYPES, TOPICS, Envelope, EnvelopeError, all_topics, dlq_topic
from shared.events.registry import VolunteerRegistered

PERSONAL_FIELDS = {"nik", "full_name", "name", "phone", "email", "address", "birth_date"}


def test_envelope_round_trips_through_headers():
    env = Envelope(
        event_type="volunteer-registered",
        source="registry",
        schema_version=2,
        correlation_id="req-1",
    )
    headers = [(k, v.encode()) for k, v in env.to_headers().items()]
    assert Envelope.from_headers(headers) == env


def test_envelope_missing_headers_are_named():
    with pytest.raises(EnvelopeError, match="ce_id, ce_type"):
        Envelope.from_headers({"ce_source": "x"})


def test_malformed_event_id_is_an_envelope_error():
    with pytest.raises(EnvelopeError):
        Envelope.from_headers({"ce_id": "nope", "ce_type": "t", "ce_source": "s"})


def test_events_are_frozen_and_ignore_unknown_fields():
    e = VolunteerRegistered.model_validate(
        {
            "volunteer_id": str(uuid.uuid4()),
            "village_code": "32.76.01.1006",
            "district_code": "32.76.01",
            "regency_code": "32.76",
            "province_code": "32",
            "region_dataset": "v",
            "registered_at": datetime.now(UTC).isoformat(),
            "added_in_a_future_version": True,
        }
    )
    with pytest.raises(ValidationError):
        e.status = "active"  # type: ignore[misc]
    assert e.key() == str(e.volunteer_id)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_no_event_carries_personal_identifiers(event_type):
    fields = set(EVENT_TYPES[event_type].model_fields)
    assert not fields & PERSONAL_FIELDS, f"{event_type} carries {fields & PERSONAL_FIELDS}"


def test_every_topic_has_a_dead_letter_topic():
    assert set(all_topics()) == set(TOPICS) | {dlq_topic(t) for t in TOPICS}
    assert dlq_topic("registry.volunteers") == "registry.volunteers.dlq"


def test_the_level_training_events_carry_is_the_shared_level_vocabulary():
    from typing import get_args

    from shared.events import training
    from shared.events.vocabulary import TrainingLevel

    assert list(get_args(training.Level)) == [level.value for level in TrainingLevel]


@pytest.mark.parametrize(
    ("model_name", "fields"),
    [
        ("SessionCancelled", {"cancelled_at": "2026-12-01T08:00:00+07:00"}),
        (
            "CertificateRevoked",
            {
                "volunteer_id": str(uuid.uuid4()),
                "level": "dasar",
                "revoked_at": "2026-12-01T08:00:00+07:00",
            },
        ),
    ],
)
def test_a_version_1_payload_with_free_text_reason_is_read_as_other_and_its_text_dropped(
    model_name, fields
):
    from shared.events import training

    model = getattr(training, model_name)
    ids = {"session_id": str(uuid.uuid4()), "certificate_id": str(uuid.uuid4())}
    event = model.model_validate({**ids, **fields, "reason": "hubungi Bu Siti 081234567890"})
    assert event.reason_code == "other"
    assert "0812" not in event.model_dump_json()
    assert model.schema_version == 2


def test_a_status_reason_code_from_before_the_list_closed_is_read_as_other():
    from shared.events.registry import VolunteerStatusChanged

    changed = VolunteerStatusChanged.model_validate(
        {
            "volunteer_id": str(uuid.uuid4()),
            "old_status": "active",
            "new_status": "inactive",
            "province_code": "32",
            "regency_code": "32.76",
            "reason_code": "pindah_ke_luar_kota",
            "changed_at": "2026-12-01T08:00:00+07:00",
        }
    )
    assert changed.reason_code == "other"


def test_a_new_event_refuses_a_reason_code_outside_the_list():
    from shared.events.training import SessionCancelled

    with pytest.raises(ValidationError):
        SessionCancelled.model_validate(
            {
                "session_id": str(uuid.uuid4()),
                "reason_code": "gedung dipakai",
                "cancelled_at": "2026-12-01T08:00:00+07:00",
            }
        )


V1_SCHEDULED = {
    "course_code": "BIMTEK-DASAR",
    "level": "dasar",
    "title": "Bimtek Dasar, hubungi Pak Budi 081234567890",
    "organiser_agency": "Dinas Sosial Kota Depok",
    "organiser_region_code": "32.76",
    "venue_name": "Aula Baleka lt. 10",
    "venue_village_code": "32.76.01.1006",
    "start_date": "2026-12-20",
    "end_date": "2026-12-21",
    "capacity": 100,
    "timezone": "Asia/Jakarta",
}
V1_RESCHEDULED = {
    "start_date": "2026-12-27",
    "end_date": "2026-12-28",
    "previous_start_date": "2026-12-20",
    "previous_end_date": "2026-12-21",
    "venue_name": "Rumah Bu Siti, Jl. Melati 3",
    "venue_village_code": "32.76.01.1006",
    "timezone": "Asia/Jakarta",
}


@pytest.mark.parametrize(
    ("model_name", "payload"),
    [("SessionScheduled", V1_SCHEDULED), ("SessionRescheduled", V1_RESCHEDULED)],
)
def test_a_version_1_session_record_is_read_with_its_typed_names_dropped(model_name, payload):
    from shared.events import training

    model = getattr(training, model_name)
    event = model.model_validate({"session_id": str(uuid.uuid4()), **payload})
    dumped = event.model_dump_json()
    assert model.schema_version == 2
    assert not {"title", "organiser_agency", "venue_name"} & set(event.model_dump())
    assert "0812" not in dumped and "Melati" not in dumped and "Aula" not in dumped
    assert event.venue_village_code == "32.76.01.1006" and str(event.start_date) in dumped
