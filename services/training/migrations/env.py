"""Alembic environment of training: its own tables only."""

from services.training.db.tables import metadata
from shared.migrations import run_env

run_env(metadata)
