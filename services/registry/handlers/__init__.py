"""Kafka subscribers of registry (one module per upstream topic)."""
