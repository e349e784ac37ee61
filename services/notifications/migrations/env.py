"""Alembic environment of notifications: its own tables only."""

from services.notifications.db.tables import metadata
from shared.migrations import run_env

run_env(metadata)
