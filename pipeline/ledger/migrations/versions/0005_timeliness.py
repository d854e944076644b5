"""Reopenings of locked periods.

Adds ``period_reopenings``: district staff opening a period again for one unit after its lock date (who,
when, why), so the unit's versions received after the lock are used (``python -m pipeline reopen``,
:mod:`pipeline.ledger.timeliness`). Append-only; nothing existing changes.

Revision ID: 0005_timeliness
Revises: 0004_mail
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_timeliness"
down_revision = "0004_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "period_reopenings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("unit_code", sa.String(5), nullable=False),
        sa.Column("reopened_by", sa.String(120), nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("period_reopenings")
