"""Alembic environment: runs on the connection that :func:`pipeline.ledger.store.upgrade_schema` passes in.

The caller holds the ledger's schema lock and the connection; SQLite uses batch mode (table copies) for the
ALTERs it does not support.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
