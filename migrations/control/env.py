"""Alembic environment of the control plane (schema `public`).

Run through `metodist db upgrade` (which passes a connection in `config.attributes`), or by
`alembic -c migrations/control/alembic.ini` with DATABASE_URL set.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from api.db import sync_url
from api.models import control_metadata

config = context.config


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    # Tables that are not ours (the job queue's, Alembic's own) are left alone.
    return not (type_ == "table" and reflected and compare_to is None)


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        include_object=_include_object,
        target_metadata=control_metadata,
        version_table_schema="public",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(sync_url(os.environ["DATABASE_URL"]), poolclass=pool.NullPool)
    with engine.connect() as conn:
        run(conn)
        conn.commit()
