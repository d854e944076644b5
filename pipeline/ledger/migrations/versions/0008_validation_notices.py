"""Word back to the units: one notice per version validated, queued in the ledger and sent once.

``validation_notices``: the version (unique: a version validated again is not announced twice), its period and
unit, the verdict announced (status, errors, warnings: counts only, never a finding's text), when it was queued,
and when it was sent and to how many addresses (``sent_at`` NULL: waiting; ``outcome`` ``sent`` or
``no_address``). Sent by the DAG ``notices``; going down drops the table.

Revision ID: 0008_validation_notices
Revises: 0007_unit_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_validation_notices"
down_revision = "0007_unit_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "validation_notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("unit_code", sa.String(5), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.UniqueConstraint("version_id", name="uq_validation_notices_version"),
    )


def downgrade() -> None:
    op.drop_table("validation_notices")
