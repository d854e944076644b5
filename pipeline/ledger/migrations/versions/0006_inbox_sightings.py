"""When each file in a drop folder was first seen.

Adds ``inbox_sightings``: one row per file name of ``inbox/<period>/`` that an intake pass listed and has not
yet taken as a version — when it was first seen, and its inode then (a file replaced under the same name is
seen anew). A file still being copied at the deadline counts as arrived when it was first seen
(:func:`pipeline.intake.inbox.intake_pass`). Nothing existing changes.

Revision ID: 0006_inbox_sightings
Revises: 0005_timeliness
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_inbox_sightings"
down_revision = "0005_timeliness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_sightings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("inode", sa.BigInteger, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("period", "name", name="uq_inbox_sightings_period_name"),
    )


def downgrade() -> None:
    op.drop_table("inbox_sightings")
