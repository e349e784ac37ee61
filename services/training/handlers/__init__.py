"""Kafka subscribers of training (one module per upstream topic)."""
