"""volunteer certificates: which Bimtek certificates registry knows, for revocations

Revision ID: f2c8a4e6b1d9
Revises: e6b2f1d4a8c3
Create Date: 2026-12-03 16:40:00.000000

Registry records every `certificate-issued` so that a `certificate-revoked` can recompute the
volunteer's level from the certificates still valid. Volunteers who reached a level before
this revision get one `legacy` row per level they hold (dasar when passed, and their
highest level), with a deterministic id and no issue date; a revocation of a certificate registry never saw
issued is matched to the legacy row of its level.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f2c8a4e6b1d9"
down_revision: str | None = "e6b2f1d4a8c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as of this revision (TrainingLevel), spelled out on purpose.
LEVELS = ("dasar", "lanjutan", "khusus")
#: the namespace of legacy rows' ids: uuid5(LEGACY, "<volunteer id>:<level>")
LEGACY = uuid.UUID("6f1d3c0e-4b7a-5e21-9c2d-8a0b1e2f3c4d")


def upgrade() -> None:
    table = op.create_table(
        "volunteer_certificates",
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoke_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("superseded_by", sa.Uuid(), nullable=True),
        sa.Column("legacy", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            f"level IN ({', '.join(repr(v) for v in LEVELS)})",
            name=op.f("ck_volunteer_certificates_level"),
        ),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_volunteer_certificates")),
    )
    op.create_index(
        op.f("ix_volunteer_certificates_volunteer_id"),
        "volunteer_certificates",
        ["volunteer_id"],
        unique=False,
    )
    rows = op.get_bind().execute(
        sa.text("SELECT id, training_level FROM volunteers WHERE training_level IS NOT NULL")
    )
    legacy = []
    for volunteer_id, level in rows:
        vid = uuid.UUID(str(volunteer_id))
        for held in {"dasar", level} if level in LEVELS else set():
            legacy.append(
                {
                    "certificate_id": uuid.uuid5(LEGACY, f"{vid}:{held}"),
                    "volunteer_id": vid,
                    "level": held,
                    "legacy": True,
                }
            )
    if legacy:
        op.bulk_insert(table, legacy)


def downgrade() -> None:
    op.drop_index(
        op.f("ix_volunteer_certificates_volunteer_id"), table_name="volunteer_certificates"
    )
    op.drop_table("volunteer_certificates")
