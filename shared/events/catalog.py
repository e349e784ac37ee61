"""The catalogue of public topics and event types: the published contract."""

from __future__ import annotations

from shared.events.base import Event
from shared.events.registry import (
    VOLUNTEERS_TOPIC,
    VolunteerErased,
    VolunteerProfileUpdated,
    VolunteerRegistered,
    VolunteerStatusChanged,
    VolunteerTransferred,
)
from shared.events.training import (
    CertificateIssued,
    CertificateRevoked,
    EnrolmentCancelled,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    ParticipantEvaluated,
    SessionCancelled,
    SessionCompleted,
    SessionReopened,
    SessionRescheduled,
    SessionScheduled,
)

EVENT_MODELS: tuple[type[Event], ...] = (
    VolunteerRegistered,
    VolunteerProfileUpdated,
    VolunteerStatusChanged,
    VolunteerTransferred,
    VolunteerErased,
    SessionScheduled,
    SessionRescheduled,
    SessionCancelled,
    SessionCompleted,
    SessionReopened,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    EnrolmentCancelled,
    ParticipantEvaluated,
    CertificateIssued,
    CertificateRevoked,
)

TOPICS: dict[str, tuple[type[Event], ...]] = {}
for _model in EVENT_MODELS:
    TOPICS.setdefault(_model.topic, ())
    TOPICS[_model.topic] += (_model,)

EVENT_TYPES: dict[str, type[Event]] = {m.event_type: m for m in EVENT_MODELS}

if VOLUNTEERS_TOPIC not in TOPICS:  # the catalogue lost registry's events: fail at import
    raise RuntimeError(f"{VOLUNTEERS_TOPIC} is missing from the event catalogue")


def dlq_topic(topic: str) -> str:
    """Dead letters of `topic` go to `<topic>.dlq`."""
    return f"{topic}.dlq"


def all_topics(*, with_dlq: bool = True) -> list[str]:
    """Every public topic, sorted, followed by their dead-letter topics unless `with_dlq=False`."""
    topics = sorted(TOPICS)
    return topics + [dlq_topic(t) for t in topics] if with_dlq else topics
