"""Kafka subscribers of notifications (one module per upstream topic)."""
