"""Two tenants on one engine and pool never see each other's rows, and no connection carries a schema."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError

from api import audit
from api.audit import AuditEntry
from api.db import Database, create_engine
from api.settings import Settings
from api.tenant_settings import Setting
from tests.tenancy.helpers import provisioned_organisation, psql

pytestmark = pytest.mark.usefixtures("territories")

TASKS_PER_TENANT = 60
SERVER_DEFAULT_PATH = '"$user", public'


async def _tenant_round(db: Any, schema: str, i: int) -> None:
    """Write a setting and an audit entry, commit, then read everything back in the same session."""
    async with db.tenant_session(schema) as session:
        session.add(Setting(key=f"{schema}:{i}", value={"tenant": schema, "i": i}))
        await asyncio.sleep(random.random() / 200)  # let the other tenant's tasks in between
        await audit.record(
            session,
            actor_id=None,
            action="setting.create",
            entity="setting",
            entity_id=i,
            before=None,
            after={"tenant": schema, "i": i},
        )
        await session.commit()
        await asyncio.sleep(0)
        # After commit the session starts a new transaction, possibly on another pooled connection.
        values = (await session.scalars(select(Setting.value))).all()
        entries = (await session.scalars(select(AuditEntry.after))).all()
        assert values and all(v["tenant"] == schema for v in values), (schema, values)
        assert entries and all(e["tenant"] == schema for e in entries), (schema, entries)
        assert any(v["i"] == i for v in values)
        # The routing is in the compiled SQL, not in the connection's search path.
        assert await session.scalar(text("SELECT current_setting('search_path')")) == SERVER_DEFAULT_PATH


async def test_interleaved_tenants_see_only_their_own_rows(db: Any, database_url: str) -> None:
    a, b = await provisioned_organisation(db), await provisioned_organisation(db)
    rounds = [(a.schema_name, i) for i in range(TASKS_PER_TENANT)] + [
        (b.schema_name, i) for i in range(TASKS_PER_TENANT)
    ]
    random.Random(583).shuffle(rounds)

    await asyncio.gather(*(_tenant_round(db, schema, i) for schema, i in rounds))

    for org in (a, b):
        # Read straight from the schema by its name, around the application's routing.
        rows = psql(database_url, f"SELECT value->>'tenant', count(*) FROM {org.schema_name}.settings GROUP BY 1")
        assert rows == [(org.schema_name, TASKS_PER_TENANT)]
        rows = psql(database_url, f"SELECT after->>'tenant', count(*) FROM {org.schema_name}.audit_log GROUP BY 1")
        assert rows == [(org.schema_name, TASKS_PER_TENANT)]
        async with db.tenant_session(org.schema_name) as session:
            assert await session.scalar(select(func.count()).select_from(Setting)) == TASKS_PER_TENANT
            # One unbroken hash chain per tenant: a row of the other tenant's would break it.
            chain = await audit.verify(session)
            assert (chain.ok, chain.entries) == (True, TASKS_PER_TENANT), chain.describe()


async def test_a_pooled_connection_carries_no_schema_from_one_tenant_to_the_next(
    settings: Settings, database_url: str, db: Any
) -> None:
    a, b = await provisioned_organisation(db), await provisioned_organisation(db)
    # Used one at a time, a one-connection pool hands tenant B the very connection tenant A used.
    single = Database(create_engine(dataclasses.replace(settings, pool_size=1), database_url))
    try:
        async with single.tenant_context(a.schema_name) as session:
            session.add(Setting(key="only-in-a", value={"tenant": a.schema_name}))
            pid_a = await session.scalar(text("SELECT pg_backend_pid()"))

        async with single.tenant_session(b.schema_name) as session:
            pid_b = await session.scalar(text("SELECT pg_backend_pid()"))
            assert pid_b == pid_a
            assert await session.scalar(text("SELECT current_setting('search_path')")) == SERVER_DEFAULT_PATH
            assert (await session.scalars(select(Setting.key))).all() == []
            session.add(Setting(key="only-in-b", value={"tenant": b.schema_name}))
            await session.commit()
            # Still B after the commit, on the same connection.
            assert (await session.scalars(select(Setting.key))).all() == ["only-in-b"]
            assert await session.scalar(text("SELECT pg_backend_pid()")) == pid_a

        async with single.engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == pid_a
            assert await conn.scalar(text("SELECT current_setting('search_path')")) == SERVER_DEFAULT_PATH
            # An unrouted, unqualified name finds no tenant's table at all.
            with pytest.raises(ProgrammingError, match='relation "settings" does not exist'):
                await conn.execute(text("SELECT key FROM settings"))

        async with single.tenant_session(a.schema_name) as session:
            assert (await session.scalars(select(Setting.key))).all() == ["only-in-a"]
    finally:
        await single.dispose()


async def test_provisioning_and_migrating_leave_no_search_path_on_the_connection(
    settings: Settings, database_url: str, db: Any
) -> None:
    from tenants.provisioning import ensure_schema

    org = await provisioned_organisation(db)
    single = Database(create_engine(dataclasses.replace(settings, pool_size=1), database_url))
    try:
        # The migrate path sets the search path for its transaction only (set_config(..., true)).
        assert await ensure_schema(single, org.schema_name) == "migrated"
        async with single.engine.connect() as conn:
            assert await conn.scalar(text("SELECT current_setting('search_path')")) == SERVER_DEFAULT_PATH
    finally:
        await single.dispose()


async def test_tenant_routing_refuses_a_name_that_is_not_a_tenant_schema(db: Any) -> None:
    from tenants.naming import InvalidSchemaName

    for bad in ("public", "pg_catalog", "t_x; DROP SCHEMA public", "T_ABC", "t_" + "a" * 62, ""):
        with pytest.raises(InvalidSchemaName):
            db.tenant_session(bad)
