"""Prometheus metrics every service exposes, on a registry of its own (one per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    """Platform metrics; labels stay bounded (never a village, never a person)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "psm_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.http_latency = Histogram(
            "psm_http_request_duration_seconds",
            "HTTP latency",
            ["method", "route"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.outbox_pending = Gauge(
            "psm_outbox_pending_events", "Outbox rows not yet acknowledged by Kafka", registry=r
        )
        self.outbox_oldest_age = Gauge(
            "psm_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished event",
            registry=r,
        )
        self.outbox_published = Counter(
            "psm_outbox_published_total", "Events published by the relay", ["topic"], registry=r
        )
        self.outbox_failures = Counter(
            "psm_outbox_publish_failures_total", "Failed publish attempts", ["topic"], registry=r
        )
        self.events_handled = Counter(
            "psm_events_handled_total",
            "Consumed events by outcome",
            ["consumer", "event_type", "outcome"],
            registry=r,
        )
        self.inbox_duplicates = Counter(
            "psm_inbox_duplicates_skipped_total",
            "Redelivered events skipped by the inbox",
            ["consumer", "event_type"],
            registry=r,
        )
        self.handler_retries = Counter(
            "psm_event_handler_retries_total",
            "Handler attempts that failed and were retried",
            ["consumer", "event_type"],
            registry=r,
        )
        self.dead_letters = Counter(
            "psm_dead_lettered_messages_total",
            "Messages sent to a dead-letter topic",
            ["consumer", "topic", "reason"],
            registry=r,
        )
        self.consumer_offset_beyond_log_end = Counter(
            "psm_consumer_offset_beyond_log_end_total",
            "Partition assignments whose committed offset lay beyond the log end (the broker "
            "lost records the group had read; the partition is read again from its start)",
            ["consumer", "topic", "partition"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "psm_consumer_lag",
            "Records on the consumer's assigned partitions not yet handled and committed: the "
            "log end known from the last fetch minus the consumer's position, summed per topic "
            "(set after every committed batch; the scrape adds the service label)",
            ["consumer", "topic"],
            registry=r,
        )
