"""Arrival stamped by the system, and one version number per unit.

Adds ``received_at`` (when the pipeline first listed the file complete, or the receipt time district staff
registered), ``received_via`` (``intake`` or ``staff``), ``received_by`` and ``receipt_note``. Existing rows
were all found by intake passes: ``received_at`` is their ``found_at``. Units whose version numbers repeat
(two passes at once before numbering was serialised) are renumbered 1..n in order of arrival, then file
modification time, then row id; then (period, unit_code, version) becomes unique.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission_versions") as batch:
        batch.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("received_via", sa.String(10), nullable=False, server_default="intake"))
        batch.add_column(sa.Column("received_by", sa.String(120), nullable=True))
        batch.add_column(sa.Column("receipt_note", sa.Text, nullable=True))
    op.execute("UPDATE submission_versions SET received_at = found_at WHERE received_at IS NULL")
    _renumber_duplicates()
    with op.batch_alter_table("submission_versions") as batch:
        batch.alter_column("received_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_unique_constraint("uq_period_unit_version", ["period", "unit_code", "version"])


def _renumber_duplicates() -> None:
    conn = op.get_bind()
    t = sa.table("submission_versions", sa.column("id"), sa.column("period"), sa.column("unit_code"),
                 sa.column("version"), sa.column("found_at"), sa.column("file_mtime"))
    dups = conn.execute(
        sa.select(t.c.period, t.c.unit_code).where(t.c.unit_code.is_not(None))
        .group_by(t.c.period, t.c.unit_code, t.c.version).having(sa.func.count() > 1)
    ).all()
    for period, unit in sorted(set(dups)):
        ids = conn.execute(
            sa.select(t.c.id).where(t.c.period == period, t.c.unit_code == unit)
            .order_by(t.c.found_at, t.c.file_mtime, t.c.id)
        ).scalars().all()
        for number, row_id in enumerate(ids, start=1):
            conn.execute(t.update().where(t.c.id == row_id).values(version=number))


def downgrade() -> None:
    with op.batch_alter_table("submission_versions") as batch:
        batch.drop_constraint("uq_period_unit_version", type_="unique")
        batch.drop_column("receipt_note")
        batch.drop_column("received_by")
        batch.drop_column("received_via")
        batch.drop_column("received_at")
