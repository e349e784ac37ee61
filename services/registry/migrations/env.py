"""Alembic environment of registry: its own tables only."""

from services.registry.db.tables import metadata
from shared.migrations import run_env

run_env(metadata)
