"""Tenant schemas on the cluster: provisioned distributed (spares too), the control plane on the
coordinator, the audit log append-only on the workers, `metodist audit verify`, all-tenant migration
through the coordinator (replayed, and falling back per schema with the reason)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url

from api.audit import GENESIS
from api.domain.organisations.rules import OrgKind
from migrations.throwaway import add_revision, throwaway_track
from tenants.ddl import run_script, tenant_ddl
from tenants.migrate import migrate_all
from tenants.spares import count_spares, replenish
from tests.structure.conftest import admin_of, context_of, make_org
from tests.support import school_payload, territory_id, wait_for_status
from tests.tenancy.helpers import metodist, psql, register_organisation


def placement(url: str, schema: str) -> set[int]:
    """The worker ports holding the schema's shards (one, when the schema is distributed)."""
    rows = psql(
        url,
        "SELECT DISTINCT nodeport FROM citus_shards WHERE table_name::text LIKE %s AND citus_table_type = 'schema'",
        (f"{schema}.%",),
    )
    return {r[0] for r in rows}


def distributed_tables(url: str, schema: str) -> int:
    return psql(
        url,
        "SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid "
        "WHERE c.relnamespace = %s::regnamespace",
        (schema,),
    )[0][0]


def local_tables(url: str, schema: str) -> int:
    return psql(
        url,
        "SELECT count(*) FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'",
        (schema,),
    )[0][0]


def on_worker(url: str, port: int, sql: str) -> list[tuple[Any, ...]]:
    """A statement on a worker itself, as an operator with a shell on that machine would run it:
    past Citus's own guard on shards, which hides them from the catalog and refuses changes."""
    dsn = make_url(url).set(drivername="postgresql", port=port).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET citus.override_table_visibility TO off")
        conn.execute("SET citus.enable_manual_changes_to_shards TO on")
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def shard_of(url: str, schema: str, table: str) -> tuple[int, str]:
    port, shard = psql(
        url,
        "SELECT nodeport, shard_name FROM citus_shards WHERE table_name = %s::regclass",
        (f"{schema}.{table}",),
    )[0]
    return port, shard  # citus_shards names the shard with its schema


async def test_an_organisation_gets_a_distributed_schema_and_the_control_plane_stays_local(
    client: Any, database_url: str
) -> None:
    region = await territory_id(client, "karaganda")
    created = await client.post(
        "/api/organisations", json=school_payload(region, kind="college", levels=["technical_vocational"])
    )
    assert created.status_code == 202, created.text
    body = await wait_for_status(client, created.json()["id"], {"active", "failed"})
    assert body["status"] == "active", body
    schema = created.json()["schema_name"]

    # Every table of the tenant is a single-shard table of its distributed schema, all on one worker.
    assert psql(database_url, "SELECT count(*) FROM citus_schemas WHERE schema_name::text = %s", (schema,)) == [(1,)]
    tables = local_tables(database_url, schema)
    assert tables > 30 and distributed_tables(database_url, schema) == tables
    assert len(placement(database_url, schema)) == 1
    # The control plane is not distributed: plain tables on the coordinator.
    assert psql(
        database_url,
        "SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid "
        "WHERE c.relnamespace = 'public'::regnamespace",
    ) == [(0,)]
    # And the tenant answers through the coordinator.
    units = await client.get(f"/api/organisations/{created.json()['id']}/units")
    assert units.status_code == 200, units.text


async def test_spares_are_distributed_as_built_and_keep_their_worker_when_claimed(
    db: Any, database_url: str, app: Any
) -> None:
    from api.domain.organisations.provisioning import provision_organisation

    done = await replenish(db, 2, yield_to_provisioning=False)
    assert done.built >= 2
    spares = [r[0] for r in psql(database_url, "SELECT name FROM public.spare_schema ORDER BY created_at")]
    for spare in spares:
        assert distributed_tables(database_url, spare) == local_tables(database_url, spare) > 30
    where = {spare: placement(database_url, spare) for spare in spares}
    before = (await count_spares(db)).at_head

    org = await register_organisation(db)
    assert await provision_organisation(db, org.id) == "active"

    assert (await count_spares(db)).at_head == before - 1
    claimed = next(s for s in spares if not psql(database_url, "SELECT 1 FROM pg_namespace WHERE nspname = %s", (s,)))
    assert placement(database_url, org.schema_name) == where[claimed]
    assert psql(
        database_url, "SELECT count(*) FROM citus_schemas WHERE schema_name::text = %s", (org.schema_name,)
    ) == [(1,)]


async def test_a_schema_built_before_the_cluster_is_distributed_when_provisioned(
    db: Any, database_url: str, app: Any
) -> None:
    from api.domain.organisations.provisioning import provision_organisation

    org = await register_organisation(db)
    # As a single server built it: the DDL without distribution (a database that became a cluster).
    await run_script(db, tenant_ddl(org.schema_name))
    assert distributed_tables(database_url, org.schema_name) == 0
    assert await provision_organisation(db, org.id) == "active"
    assert distributed_tables(database_url, org.schema_name) == local_tables(database_url, org.schema_name)


async def _fill(db: Any, place: Any, n: int) -> None:
    from api.domain.structure.rules import UnitKind
    from api.domain.structure.schemas import UnitCreate
    from api.domain.structure.services import UnitService

    async with db.tenant_context(place.schema) as session:
        units = UnitService(context_of(place, session, admin_of(place)))
        for i in range(n):
            await units.create(UnitCreate(f"Бірлестік {i} — ассоциация", UnitKind.ASSOCIATION))


async def test_the_audit_log_is_append_only_on_the_worker_and_verify_reads_the_chain(
    db: Any, app: Any, database_url: str, tmp_path: Path
) -> None:
    district = await _district(db)
    place = await make_org(db, OrgKind.SCHOOL, district, f"Citus Audit School {uuid.uuid4().hex[:4]}")
    await _fill(db, place, 3)
    seqs = [r[0] for r in psql(database_url, f"SELECT seq FROM {place.schema}.audit_log ORDER BY seq")]
    assert len(seqs) == 3
    assert psql(database_url, f"SELECT prev_hash FROM {place.schema}.audit_log ORDER BY seq LIMIT 1") == [(GENESIS,)]

    # Through the coordinator.
    for statement in (
        f"UPDATE {place.schema}.audit_log SET action = 'forged'",
        f"DELETE FROM {place.schema}.audit_log",
        f"TRUNCATE {place.schema}.audit_log",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit_log is append-only"):
            psql(database_url, statement)
    # On the worker that holds the shard, past the coordinator: the shard has the triggers too.
    port, shard = shard_of(database_url, place.schema, "audit_log")
    for statement in (f"UPDATE {shard} SET action = 'forged'", f"DELETE FROM {shard}", f"TRUNCATE {shard}"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit_log is append-only"):
            on_worker(database_url, port, statement)
    assert on_worker(database_url, port, f"SELECT count(*) FROM {shard}") == [(3,)]

    intact = metodist(database_url, "audit", "verify", place.schema, data_dir=tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert (
        intact.stdout.strip().splitlines()[-1] == f"{place.schema}: OK: 3 entries, chain intact, anchored up to seq 3"
    )

    # Someone with the worker's superuser switches the trigger off and edits an entry: verify names it.
    on_worker(
        database_url,
        port,
        f"BEGIN; ALTER TABLE {shard} DISABLE TRIGGER USER; "
        f"UPDATE {shard} SET entity_id = 'forged' WHERE seq = {seqs[1]}; "
        f"ALTER TABLE {shard} ENABLE TRIGGER USER; COMMIT",
    )
    edited = metodist(database_url, "audit", "verify", place.schema, data_dir=tmp_path)
    assert edited.returncode == 1
    assert edited.stdout.strip().splitlines()[-1] == (
        f"{place.schema}: BROKEN at seq {seqs[1]}: hash does not match the entry's content (the entry was edited)"
    )


async def _district(db: Any) -> Any:
    from api.domain.territories.models import TerritoryKind
    from api.domain.territories.services import TerritoryService

    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.by_slug("karaganda")
        return await territories.upsert(
            slug="citus-district",
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk="Citus ауданы",
            name_ru="Район Citus",
            name_en="Citus District",
        )


async def test_all_tenant_migration_runs_through_the_coordinator(
    db: Any, app: Any, database_url: str, tmp_path: Path
) -> None:
    schemas = []
    for _ in range(3):
        org = await register_organisation(db)
        from api.domain.organisations.provisioning import provision_organisation

        assert await provision_organisation(db, org.id) == "active"
        schemas.append(org.schema_name)
    head = psql(database_url, f"SELECT version_num FROM {schemas[0]}.alembic_version")[0][0]
    track = throwaway_track(tmp_path / "tenant", [("ffff0000c001", "citus_note")])
    add_revision(
        track,
        "ffff0000c002",
        "ffff0000c001",
        [
            'op.create_index("ix_settings_citus_note", "settings", ["citus_note"])',
            """op.execute("UPDATE settings SET citus_note = 'n:' || key WHERE key LIKE 'k%'")""",
        ],
        ['op.drop_index("ix_settings_citus_note", table_name="settings")'],
    )
    for schema in schemas:
        psql(
            database_url,
            f"INSERT INTO {schema}.settings (id, key, value, created_at, updated_at) "
            "VALUES (gen_random_uuid(), 'k1', '1', now(), now())",
        )
    # One schema where the column is already there (added by hand): its replay fails, and the chunk
    # goes schema by schema through Alembic, which names the schema and the error.
    psql(database_url, f"ALTER TABLE {schemas[2]}.settings ADD COLUMN citus_note text")
    lines: list[str] = []

    report = migrate_all(database_url, script_dir=track, progress=lines.append, processes=False, only=schemas)

    mine = {r.schema: r for r in report.results if r.schema in schemas}
    assert mine[schemas[2]].ok is False and "citus_note" in (mine[schemas[2]].error or "")
    for schema in schemas[:2]:
        assert mine[schema].ok and mine[schema].method == "alembic" and mine[schema].fallback
        assert "replay failed" in mine[schema].fallback
    assert any(schemas[0] in line and "replay failed" in line for line in lines), lines

    # With the bad schema fixed, a rerun replays it, statement by statement, through the coordinator.
    psql(database_url, f"ALTER TABLE {schemas[2]}.settings DROP COLUMN citus_note")
    again = migrate_all(database_url, script_dir=track, progress=lines.append, processes=False, only=schemas)
    assert [(r.schema, r.ok, r.method, r.fallback) for r in again.results if r.schema in schemas] == [
        (schemas[2], True, "replayed", None)
    ]
    for schema in schemas:
        assert psql(database_url, f"SELECT version_num FROM {schema}.alembic_version") == [("ffff0000c002",)]
        assert psql(database_url, f"SELECT citus_note FROM {schema}.settings WHERE key = 'k1'") == [("n:k1",)]
        # The new column and index reached the worker's shard.
        port, shard = shard_of(database_url, schema, "settings")
        shard_table = shard.split(".", 1)[1]
        assert on_worker(
            database_url,
            port,
            f"SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}' AND indexname LIKE "
            "'ix_settings_citus_note%' "
            f"AND tablename = '{shard_table}'",
        ) == [(1,)]
    assert head != "ffff0000c002"


async def test_archiving_dumps_a_distributed_schema_through_the_coordinator_and_drops_it(
    db: Any, app: Any, database_url: str, settings: Any
) -> None:
    from api.domain.organisations.provisioning import archive_organisation, provision_organisation

    org = await register_organisation(db)
    assert await provision_organisation(db, org.id) == "active"
    psql(
        database_url,
        f"INSERT INTO {org.schema_name}.settings (id, key, value, created_at, updated_at) "
        "VALUES (gen_random_uuid(), 'мұрағат', '\"сақталды\"', now(), now())",
    )
    path = await archive_organisation(db, database_url, org.id, settings.archive_dir)

    assert path is not None
    dump = path.read_text()
    # The rows came from the worker, through the coordinator's COPY.
    assert f"CREATE TABLE {org.schema_name}.settings" in dump and "мұрағат" in dump and "сақталды" in dump
    assert psql(database_url, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (org.schema_name,)) == [(0,)]
    assert psql(
        database_url, "SELECT count(*) FROM citus_schemas WHERE schema_name::text = %s", (org.schema_name,)
    ) == [(0,)]
    assert placement(database_url, org.schema_name) == set()
