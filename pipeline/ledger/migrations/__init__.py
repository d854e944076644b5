"""Alembic migrations of the submission ledger (run from :func:`pipeline.ledger.store.upgrade_schema`, no alembic.ini).

Revisions: ``0001`` the first schema (submission versions and outlier acceptances, one acceptance per
indicator), ``0002`` acceptances become append-only (the unique constraint is dropped), ``0003`` arrival
stamped by the system (received at / by / how, receipt note) and a unique version number per unit.
To add a revision, copy the newest file of ``versions/``, give it the next number as ``revision`` with
the previous one as ``down_revision``, and update :data:`pipeline.ledger.store.SCHEMA_HEAD`.
"""
