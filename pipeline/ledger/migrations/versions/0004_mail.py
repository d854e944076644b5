"""E-mail reminders, report approvals and deliveries.

``reminders_sent``: one row per reminder e-mail (period, unit or "district", kind, when, how many addresses;
never the message), unique per (period, unit, kind) so a rerun does not send it twice. ``report_approvals``:
who approved which version of a period's report, when, and the SHA-256 of the file approved (append-only).
``report_deliveries``: when an approved version was archived and e-mailed, to whom, its hash and archive path.

Revision ID: 0004_mail
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_mail"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.UniqueConstraint("period", "unit", "kind", name="uq_reminder"),
    )
    op.create_table(
        "report_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("approved_by", sa.String(120), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("archive_path", sa.String(500), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_deliveries")
    op.drop_table("report_approvals")
    op.drop_table("reminders_sent")
