"""A unit's identity in the ledger: its code and the day it took effect.

Since the 2025 reorganisation one code may name two units (22810: thị trấn Tân Sơn until 30/06/2025, xã Ninh Sơn
from 01/07/2025; Decision 19/2025/QĐ-TTg), so a unit is (code, valid from), as in the configuration. Adds
``unit_since`` (date; NULL for a file not attributed to a unit) to the versions, the accepted outliers and the
reopenings, and fills it for the rows already there from their period: a period whose data end before
01/07/2025 (every period up to 2025's 6-month one, data to 30/04) is of a unit of the national list of 2004
(Decision 124/2004/QĐ-TTg, valid from 01/01/2004 in the bundled setups); a later one of a unit of the 2025 list,
valid from 01/07/2025. New rows get it from the setup's configuration when they are written. Nothing else
changes; going down drops the column.

Revision ID: 0007_unit_identity
Revises: 0006_inbox_sightings
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0007_unit_identity"
down_revision = "0006_inbox_sightings"
branch_labels = None
depends_on = None

TABLES = ("submission_versions", "outlier_acceptances", "period_reopenings")
LIST_2004 = dt.date(2004, 1, 1)
LIST_2025 = dt.date(2025, 7, 1)


def _since(period: str) -> dt.date:
    """The first day of the units a period's rows name: 2025's 9-month and annual periods and every later one
    are after the reorganisation (their data end on or after 31/07/2025)."""
    year, kind = int(period[:4]), period[5:]
    return LIST_2025 if year > 2025 or (year == 2025 and kind != "6T") else LIST_2004


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("unit_since", sa.Date, nullable=True))
    conn = op.get_bind()
    for name in TABLES:
        table = sa.table(name, sa.column("period", sa.String), sa.column("unit_code", sa.String),
                         sa.column("unit_since", sa.Date))
        periods = conn.execute(sa.select(table.c.period).distinct()).scalars().all()
        for period in periods:
            conn.execute(table.update().where(table.c.period == period, table.c.unit_code.is_not(None))
                         .values(unit_since=_since(period)))


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("unit_since")
