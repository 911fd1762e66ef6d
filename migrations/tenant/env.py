"""Alembic environment of the tenant plane: runs against exactly one tenant schema.

The schema comes in `config.attributes["schema"]` (or TENANT_SCHEMA). `run_tenant_migrations`
validates it and makes it the transaction's search path with `set_config(..., true)`: Alembic's
ALTER operations ignore `schema_translate_map`, and a transaction-local setting cannot leak to the
next user of a pooled connection. The version table lives in the tenant's own schema.
`metodist tenants migrate` does not come through here: it runs the same function per schema.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from api.db import sync_url
from tenants.upgrades import run_tenant_migrations

config = context.config
schema = config.attributes.get("schema") or os.environ["TENANT_SCHEMA"]
lock_timeout_ms = int(config.attributes.get("lock_timeout_ms", 5000))

connection = config.attributes.get("connection")
if connection is not None:
    run_tenant_migrations(context, connection, schema, lock_timeout_ms)
else:
    engine = create_engine(sync_url(os.environ["DATABASE_URL"]), poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_tenant_migrations(context, conn, schema, lock_timeout_ms)
        conn.commit()
