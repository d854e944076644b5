"""Outlier acceptances become append-only: a later acceptance of an indicator supersedes, history stays.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outlier_acceptances") as batch:
        batch.drop_constraint("uq_acceptance", type_="unique")


def downgrade() -> None:
    # Only the latest acceptance of each indicator can stay under the constraint.
    op.execute(
        "DELETE FROM outlier_acceptances WHERE id NOT IN (SELECT max(id) FROM outlier_acceptances "
        "GROUP BY period, unit_code, indicator)"
    )
    with op.batch_alter_table("outlier_acceptances") as batch:
        batch.create_unique_constraint("uq_acceptance", ["period", "unit_code", "indicator"])
