"""Provisioning from rendered DDL: equal to the migrations, idempotent, finishes what was cut short."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from api.domain.organisations.models import Organisation
from api.domain.organisations.provisioning import provision_organisation
from api.domain.organisations.rules import OrgStatus
from api.models import tenant_metadata
from api.tenant_settings import Setting
from migrations.runner import TENANT_DIR, head_revision
from tenants.provisioning import create_schema, ensure_schema
from tests.tenancy.helpers import (
    catalog,
    metadata_diff,
    organisation,
    provisioned_organisation,
    psql,
    register_organisation,
    schema_exists,
    sync_connection,
    tenant_alembic,
    tenant_revisions,
)

pytestmark = pytest.mark.usefixtures("territories")


def _scratch_name(tag: str) -> str:
    return f"t_{tag}_{uuid.uuid4().hex[:8]}"


def _assert_same_shape(left: Any, right: Any) -> None:
    # Field by field, so a failure names what drifted.
    for field in ("relations", "columns", "constraints", "indexes", "sequences", "triggers", "functions", "version"):
        assert getattr(left, field) == getattr(right, field), field


async def test_rendered_ddl_builds_what_the_migrations_build(db: Any, database_url: str) -> None:
    from_ddl, from_migrations = _scratch_name("ddl"), _scratch_name("mig")
    await create_schema(db, from_ddl)
    with sync_connection(database_url) as conn:
        conn.execute(text(f"CREATE SCHEMA {from_migrations}"))
        conn.commit()
        tenant_alembic(conn, from_migrations, "upgrade", "head")
        try:
            ddl, migrated = catalog(database_url, from_ddl), catalog(database_url, from_migrations)
            assert ddl.tables == set(tenant_metadata.tables) | {"alembic_version"}
            assert ddl.version == [(head_revision(TENANT_DIR),)]
            _assert_same_shape(ddl, migrated)
            # And both equal the models, as Alembic's autogenerate sees them.
            assert metadata_diff(conn, from_ddl) == []
            assert metadata_diff(conn, from_migrations) == []
        finally:
            conn.execute(text(f"DROP SCHEMA {from_ddl} CASCADE; DROP SCHEMA {from_migrations} CASCADE"))
            conn.commit()


async def test_provisioning_twice_changes_nothing(db: Any, database_url: str) -> None:
    org = await provisioned_organisation(db)
    before = catalog(database_url, org.schema_name)
    async with db.tenant_context(org.schema_name) as session:
        session.add(Setting(key="quorum", value={"share": 0.66}))

    assert await provision_organisation(db, org.id) == OrgStatus.ACTIVE
    assert await ensure_schema(db, org.schema_name) == "migrated"  # at head: nothing to apply
    again = await organisation(db, org.id)
    _assert_same_shape(catalog(database_url, org.schema_name), before)
    assert (again.status, again.schema_version, again.status_reason) == ("active", head_revision(TENANT_DIR), None)
    assert again.provisioned_at == org.provisioned_at
    async with db.tenant_session(org.schema_name) as session:
        assert (await session.scalars(select(Setting.key))).all() == ["quorum"]


_TABLES = len(tenant_metadata.sorted_tables)


@pytest.mark.parametrize("created", sorted({0, 1, _TABLES // 2, _TABLES - 1}))
async def test_half_created_schema_without_version_table_is_finished(db: Any, database_url: str, created: int) -> None:
    reference = _scratch_name("ref")
    await create_schema(db, reference)
    org = await register_organisation(db)
    schema = org.schema_name
    # What a creation killed after `created` tables leaves (each with its own after_create DDL): no stamp.
    kept = tenant_metadata.sorted_tables[:created]
    with sync_connection(database_url) as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text("SELECT set_config('search_path', :s, true)"), {"s": schema})
        for table in kept:
            table.create(conn.execution_options(schema_translate_map={None: schema}))
        conn.commit()
    if "settings" in {t.name for t in kept}:
        async with db.tenant_context(schema) as session:
            session.add(Setting(key="kept", value=True))
    assert catalog(database_url, schema).tables == {t.name for t in kept}

    assert await provision_organisation(db, org.id) == OrgStatus.ACTIVE

    finished = await organisation(db, org.id)
    assert (finished.status, finished.schema_version) == ("active", head_revision(TENANT_DIR))
    _assert_same_shape(catalog(database_url, schema), catalog(database_url, reference))
    async with db.tenant_session(schema) as session:
        expected = ["kept"] if "settings" in {t.name for t in kept} else []
        assert (await session.scalars(select(Setting.key))).all() == expected
    psql(database_url, f"DROP SCHEMA {reference} CASCADE")


async def test_schema_at_an_older_revision_is_migrated_to_head(db: Any, database_url: str) -> None:
    reference = _scratch_name("ref")
    await create_schema(db, reference)
    org = await register_organisation(db)
    revisions = tenant_revisions()
    older = revisions[-2] if len(revisions) > 1 else "base"
    with sync_connection(database_url) as conn:
        conn.execute(text(f"CREATE SCHEMA {org.schema_name}"))
        conn.commit()
        # Up to head and back leaves the version table in place at the older revision.
        tenant_alembic(conn, org.schema_name, "upgrade", "head")
        tenant_alembic(conn, org.schema_name, "downgrade", older)
    expected_version = [] if older == "base" else [(older,)]
    assert catalog(database_url, org.schema_name).version == expected_version

    assert await provision_organisation(db, org.id) == OrgStatus.ACTIVE

    assert (await organisation(db, org.id)).schema_version == head_revision(TENANT_DIR)
    _assert_same_shape(catalog(database_url, org.schema_name), catalog(database_url, reference))
    psql(database_url, f"DROP SCHEMA {reference} CASCADE")


async def test_conflicting_index_fails_with_the_reason_and_leaves_nothing_half_done(db: Any, database_url: str) -> None:
    org = await register_organisation(db)
    schema = org.schema_name
    # An index takes the name provisioning needs: the server refuses, the run is rolled back.
    psql(
        database_url,
        f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.stray (a int); "
        f"CREATE INDEX ix_audit_log_action ON {schema}.stray (a)",
    )

    assert await provision_organisation(db, org.id) == OrgStatus.FAILED

    failed = await organisation(db, org.id)
    assert failed.status == "failed" and failed.schema_version is None and failed.provisioned_at is None
    assert failed.status_reason is not None
    assert "ix_audit_log_action" in failed.status_reason and "already exists" in failed.status_reason
    assert catalog(database_url, schema).tables == {"stray"}  # nothing of the tenant's was left behind

    psql(database_url, f"DROP TABLE {schema}.stray")
    async with db.session() as session, session.begin():
        from api.domain.organisations.services import OrganisationService

        await OrganisationService(session).retry_provisioning(org.id)
    assert await provision_organisation(db, org.id) == OrgStatus.ACTIVE
    done = await organisation(db, org.id)
    assert (done.status, done.status_reason, done.schema_version) == ("active", None, head_revision(TENANT_DIR))


async def test_a_view_in_place_of_a_table_is_named_not_stamped(db: Any, database_url: str) -> None:
    org = await register_organisation(db)
    schema = org.schema_name
    psql(database_url, f"CREATE SCHEMA {schema}; CREATE VIEW {schema}.settings AS SELECT 1 AS key")

    assert await provision_organisation(db, org.id) == OrgStatus.FAILED

    reason = (await organisation(db, org.id)).status_reason
    assert reason == (
        f"SchemaMismatch: {schema}.settings is a view, where a table belongs; drop or rename it and provision again"
    )
    assert catalog(database_url, schema).version == []  # not stamped


async def test_a_leftover_table_that_differs_from_head_is_not_stamped(db: Any, database_url: str) -> None:
    org = await register_organisation(db)
    schema = org.schema_name
    psql(database_url, f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.settings (id uuid PRIMARY KEY, key text)")

    assert await provision_organisation(db, org.id) == OrgStatus.FAILED

    reason = (await organisation(db, org.id)).status_reason or ""
    assert reason.startswith(f"SchemaMismatch: {schema} differs from the tenant models:"), reason
    assert "missing column settings.value" in reason
    assert not catalog(database_url, schema).version


async def test_provisioning_leaves_archived_and_unknown_organisations_alone(db: Any, database_url: str) -> None:
    org = await register_organisation(db)
    async with db.session() as session, session.begin():
        row = await session.get(Organisation, org.id)
        assert row is not None
        row.status = OrgStatus.ARCHIVED.value
    assert await provision_organisation(db, org.id) == OrgStatus.ARCHIVED
    assert not schema_exists(database_url, org.schema_name)
    with pytest.raises(LookupError):
        await provision_organisation(db, uuid.uuid4())


def test_concurrent_runs_on_existing_schemas_do_not_block_each_other(settings: Any, database_url: str) -> None:
    """Re-provisioning takes Alembic's path; several at once (a restarted worker re-queues them) must all finish."""
    import asyncio
    import threading

    from api.db import Database, create_engine

    async def work() -> list[str]:
        db = Database(create_engine(settings, database_url))
        try:
            orgs = [await provisioned_organisation(db) for _ in range(4)]
            return list(await asyncio.gather(*(provision_organisation(db, org.id) for org in orgs)))
        finally:
            await db.dispose()

    # In a thread of its own: were the event loop's thread blocked, a timeout inside it could not fire.
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(statuses=asyncio.run(work())), daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "concurrent provisioning of existing schemas is stuck"
    assert outcome["statuses"] == ["active"] * 4
