"""Event contracts shared by producers and consumers (and published to other agencies)."""

from shared.events.base import Event
from shared.events.catalog import EVENT_TYPES, TOPICS, all_topics, dlq_topic
from shared.events.envelope import Envelope, EnvelopeError

__all__ = ["EVENT_TYPES", "TOPICS", "Envelope", "EnvelopeError", "Event", "all_topics", "dlq_topic"]
