"""Every migration up and down, and the runner that brings all tenant schemas to head."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from api.models import control_metadata
from migrations.runner import CONTROL_DIR, TENANT_DIR, alembic_config, head_revision
from migrations.throwaway import add_revision
from migrations.throwaway import throwaway_track as copy_with_throwaways
from tenants.migrate import migrate_all
from tests.support import scratch_database
from tests.tenancy.helpers import (
    catalog,
    metadata_diff,
    provisioned_organisation,
    psql,
    sync_connection,
    tenant_alembic,
    tenant_revisions,
)

THROWAWAY = "ffff0000a001"
THROWAWAY_2 = "ffff0000a002"


def throwaway_track(target: Path, *columns: str) -> Path:
    """A copy of migrations/tenant with additive revisions on top; the real tree is never touched."""
    return copy_with_throwaways(target / "tenant", list(zip((THROWAWAY, THROWAWAY_2), columns, strict=False)))


# --- up and down, one revision at a time --------------------------------------------------------


def test_every_tenant_migration_goes_up_and_down(database_url: str) -> None:
    schema = f"t_walk_{uuid.uuid4().hex[:8]}"
    revisions = tenant_revisions()
    shapes: dict[str, Any] = {}
    with sync_connection(database_url) as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.commit()
        try:
            tenant_alembic(conn, schema, "upgrade", "base")  # creates the version table only
            shapes["base"] = catalog(database_url, schema)
            assert shapes["base"].tables == {"alembic_version"} and shapes["base"].version == []
            for revision in revisions:
                tenant_alembic(conn, schema, "upgrade", revision)
                shapes[revision] = catalog(database_url, schema)
                assert shapes[revision].version == [(revision,)]
            assert metadata_diff(conn, schema) == []  # head is the models
            for revision, below in zip(reversed(revisions), ["base", *revisions][::-1][1:], strict=True):
                tenant_alembic(conn, schema, "downgrade", below)
                assert catalog(database_url, schema) == shapes[below], (
                    f"downgrade of {revision} is not its upgrade undone"
                )
            # And up again: a downgrade leaves nothing that trips the next upgrade.
            tenant_alembic(conn, schema, "upgrade", "head")
            assert catalog(database_url, schema) == shapes[revisions[-1]]
        finally:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            conn.commit()


def _fk_signature(fk: Any) -> tuple[Any, ...]:
    return (
        fk.name,
        fk.parent.name,
        tuple(c.name for c in fk.columns),
        fk.referred_table.name,
        tuple(e.column.name for e in fk.elements),
        fk.ondelete,
        fk.onupdate,
    )


def _real_differences(diff: list[Any]) -> list[Any]:
    """Alembic's diff without its known false positive for models that name `public`.

    Reflection leaves out `public` (it is on the search path) where the models spell it out, so
    every foreign key comes back as removed and added again; such a pair that agrees in name,
    columns, target and actions is no difference.
    """
    removed = {_fk_signature(d[1]) for d in diff if isinstance(d, tuple) and d[0] == "remove_fk"}
    added = {_fk_signature(d[1]) for d in diff if isinstance(d, tuple) and d[0] == "add_fk"}
    same = removed & added
    return [
        d
        for d in diff
        if not (isinstance(d, tuple) and d[0] in ("remove_fk", "add_fk") and _fk_signature(d[1]) in same)
        and not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ]


def test_every_control_migration_goes_up_and_down(database_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(CONTROL_DIR))
    revisions = [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]
    with scratch_database(database_url, control=False) as url, sync_connection(url) as conn:

        def run(action: str, revision: str) -> None:
            getattr(command, action)(alembic_config(CONTROL_DIR, connection=conn), revision)
            conn.commit()

        shapes = {}
        for revision in revisions:
            run("upgrade", revision)
            shapes[revision] = catalog(url, "public")
            assert shapes[revision].version == [(revision,)]
        with conn.begin():
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), control_metadata)
        assert _real_differences(diff) == []
        for revision, below in zip(reversed(revisions), revisions[::-1][1:] + ["base"], strict=True):
            run("downgrade", below)
            if below != "base":
                assert catalog(url, "public") == shapes[below], f"downgrade of {revision} is not its upgrade undone"
        assert catalog(url, "public").tables == {"alembic_version"}
        run("upgrade", "head")
        assert catalog(url, "public") == shapes[revisions[-1]]


# --- the runner ---------------------------------------------------------------------------------


async def _tenants(scratch: Any, count: int) -> list[str]:
    return [(await provisioned_organisation(scratch.db)).schema_name for _ in range(count)]


def _progress() -> tuple[list[str], Any]:
    lines: list[str] = []
    return lines, lines.append


def _assert_progress(lines: list[str], migrated: set[str]) -> None:
    steps = [line for line in lines if line.startswith("[")]
    n = len(migrated)
    assert [re.match(r"\[(\d+)/(\d+)\] ", line).groups() for line in steps] == [
        (str(i), str(n)) for i in range(1, n + 1)
    ]  # type: ignore[union-attr]
    assert {line.split()[1] for line in steps} == migrated


def _versions(url: str, schemas: list[str]) -> dict[str, Any]:
    return {s: (catalog(url, s).version or [(None,)])[0][0] for s in schemas}


async def test_runner_skips_schemas_already_at_head(scratch: Any) -> None:
    schemas = await _tenants(scratch, 3)
    # Only active and suspended organisations have schemas to migrate.
    psql(scratch.url, "UPDATE public.organisation SET status = 'suspended' WHERE schema_name = %s", (schemas[0],))
    failed = (await provisioned_organisation(scratch.db)).schema_name
    psql(
        scratch.url,
        f"UPDATE public.organisation SET status = 'failed' WHERE schema_name = '{failed}'; DROP SCHEMA {failed} "
        "CASCADE",
    )
    lines, progress = _progress()

    report = migrate_all(scratch.url, progress=progress)

    head = head_revision(TENANT_DIR)
    assert (report.total, report.skipped, report.results, report.failures) == (3, 3, [], [])
    assert lines == [f"3 tenant schemas, 3 at head {head}, 0 to migrate"]


async def test_runner_resumes_where_a_stopped_run_left_off(scratch: Any, tmp_path: Path) -> None:
    schemas = await _tenants(scratch, 5)
    track = throwaway_track(tmp_path, "resume_note")
    first, rest = set(schemas[:2]), set(schemas[2:])
    # A run that got through two schemas before it stopped.
    lines, progress = _progress()
    report = migrate_all(scratch.url, script_dir=track, only=first, concurrency=2, progress=progress, replay=False)
    assert {r.schema for r in report.results if r.ok} == first and report.failures == []
    assert {r.method for r in report.results} == {"alembic"}
    _assert_progress(lines, first)
    assert _versions(scratch.url, schemas) == {
        s: THROWAWAY if s in first else head_revision(TENANT_DIR) for s in schemas
    }

    lines, progress = _progress()
    report = migrate_all(scratch.url, script_dir=track, concurrency=2, progress=progress)

    assert (report.total, report.skipped) == (5, 2)
    assert {r.schema for r in report.results} == rest and report.failures == []
    assert all(r.from_version == head_revision(TENANT_DIR) and r.to_version == THROWAWAY for r in report.results)
    assert {r.method for r in report.results} == {"replayed"}
    assert lines[0] == f"5 tenant schemas, 2 at head {THROWAWAY}, 3 to migrate"
    _assert_progress(lines, rest)
    assert set(_versions(scratch.url, schemas).values()) == {THROWAWAY}
    assert psql(scratch.url, "SELECT DISTINCT schema_version FROM public.organisation") == [(THROWAWAY,)]
    for schema in schemas:
        assert ("settings", "resume_note", "text", False) in [c[:4] for c in catalog(scratch.url, schema).columns]

    again = migrate_all(scratch.url, script_dir=track, progress=lambda _: None)
    assert (again.skipped, again.results) == (5, [])


async def test_runner_reports_a_failing_schema_and_migrates_the_others(scratch: Any, tmp_path: Path) -> None:
    schemas = await _tenants(scratch, 4)
    broken = schemas[1]
    track = throwaway_track(tmp_path, "extra_note")
    # This one tenant already has the column the new revision adds, with data in it.
    psql(scratch.url, f"ALTER TABLE {broken}.settings ADD COLUMN extra_note text")
    psql(
        scratch.url,
        f"INSERT INTO {broken}.settings (id, key, value, extra_note, created_at, updated_at) "
        "VALUES (gen_random_uuid(), 'precious', '1', 'keep me', now(), now())",
    )
    before = catalog(scratch.url, broken)
    lines, progress = _progress()

    # In worker processes, two schemas per transaction: the broken one shares its chunk with a good one.
    report = migrate_all(scratch.url, script_dir=track, concurrency=2, chunk=2, processes=True, progress=progress)

    [failure] = report.failures
    assert failure.schema == broken and failure.to_version is None
    assert failure.error is not None and 'column "extra_note" of relation "settings" already exists' in failure.error
    assert {r.schema for r in report.results if r.ok} == set(schemas) - {broken}
    _assert_progress(lines, set(schemas))
    assert any(line.startswith("[") and f"{broken} " in line and "FAILED" in line for line in lines)
    # The failed tenant is left as it was: old version, its data and column untouched.
    assert catalog(scratch.url, broken) == before
    assert _versions(scratch.url, schemas) == {
        s: head_revision(TENANT_DIR) if s == broken else THROWAWAY for s in schemas
    }
    assert psql(scratch.url, f"SELECT key, extra_note FROM {broken}.settings") == [("precious", "keep me")]
    assert psql(scratch.url, "SELECT schema_version FROM public.organisation WHERE schema_name = %s", (broken,)) == [
        (head_revision(TENANT_DIR),)
    ]


async def test_a_schema_at_a_version_the_track_does_not_know_is_reported(scratch: Any, tmp_path: Path) -> None:
    schemas = await _tenants(scratch, 3)
    stranger = schemas[0]
    track = throwaway_track(tmp_path, "stranger_note")
    # Stamped by a newer deploy, say, or by hand.
    psql(scratch.url, f"UPDATE {stranger}.alembic_version SET version_num = '0123456789ab'")

    report = migrate_all(scratch.url, script_dir=track, progress=lambda _: None)

    [failure] = report.failures
    assert failure.schema == stranger and failure.error is not None and "0123456789ab" in failure.error
    assert {r.schema for r in report.results if r.ok} == set(schemas[1:])
    assert _versions(scratch.url, schemas) == {s: "0123456789ab" if s == stranger else THROWAWAY for s in schemas}


async def test_a_schema_that_fails_at_commit_costs_its_chunk_mates_nothing(scratch: Any, tmp_path: Path) -> None:
    schemas = await _tenants(scratch, 3)
    refusing = schemas[1]
    track = throwaway_track(tmp_path, "commit_note")
    # Refuses only when the transaction commits, after every schema of the chunk went through.
    psql(
        scratch.url,
        f"""
        CREATE FUNCTION {refusing}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused at commit in %', TG_TABLE_SCHEMA; END $$;
        CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER UPDATE ON {refusing}.alembic_version
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {refusing}.refuse()""",
    )
    lines, progress = _progress()

    report = migrate_all(scratch.url, script_dir=track, chunk=3, progress=progress)

    [failure] = report.failures
    assert failure.schema == refusing
    assert failure.error is not None and f"refused at commit in {refusing}" in failure.error
    _assert_progress(lines, set(schemas))
    assert _versions(scratch.url, schemas) == {
        s: head_revision(TENANT_DIR) if s == refusing else THROWAWAY for s in schemas
    }
    recorded = dict(psql(scratch.url, "SELECT schema_name, schema_version FROM public.organisation"))
    assert recorded == {s: head_revision(TENANT_DIR) if s == refusing else THROWAWAY for s in schemas}


async def test_versions_are_read_in_batches_and_stale_records_are_corrected(scratch: Any) -> None:
    from sqlalchemy import create_engine, pool

    from api.db import sync_url
    from tenants.migrate import read_versions

    schemas = await _tenants(scratch, 5)
    psql(scratch.url, f"DELETE FROM {schemas[0]}.alembic_version; DROP TABLE {schemas[1]}.alembic_version")
    engine = create_engine(sync_url(scratch.url), poolclass=pool.NullPool)
    try:
        head = head_revision(TENANT_DIR)
        expected = {s: None if s in schemas[:2] else head for s in schemas}
        assert read_versions(engine, batch=2) == expected == read_versions(engine)
    finally:
        engine.dispose()
    # A schema brought to head outside the runner: the runner sets its record right.
    psql(scratch.url, "UPDATE public.organisation SET schema_version = 'stale' WHERE schema_name = %s", (schemas[4],))
    migrate_all(scratch.url, only=schemas[2:], progress=lambda _: None)
    assert psql(
        scratch.url, "SELECT schema_version FROM public.organisation WHERE schema_name = %s", (schemas[4],)
    ) == [(head,)]


# --- SQL rendered once and replayed --------------------------------------------------------------


def test_every_revision_path_renders_to_sql_but_those_through_a_per_schema_revision() -> None:
    from alembic.script import ScriptDirectory

    from tenants.upgrades import upgrade_sql

    script = ScriptDirectory.from_config(alembic_config(TENANT_DIR))
    revisions = tenant_revisions()
    per_schema = [r for r in revisions if getattr(script.get_revision(r).module, "per_schema", False)]
    assert per_schema == ["92a618e15886"]  # chains the audit entries already there, in Python
    for index, start in enumerate(revisions[:-1]):
        sql = upgrade_sql(str(TENANT_DIR), start)
        through_per_schema = any(r in per_schema for r in revisions[index + 1 :])
        assert (sql is None) == through_per_schema, start
        if sql is not None:
            # Unqualified names, found through the search path set for each schema.
            assert " t_" not in sql and "public." not in sql and "BEGIN" not in sql
            assert sql.rstrip().endswith(
                f"UPDATE alembic_version SET version_num='{revisions[-1]}' "
                f"WHERE alembic_version.version_num = '{revisions[-2]}';"
            )
    assert upgrade_sql(str(TENANT_DIR), "not a revision; DROP") is None
    assert upgrade_sql(str(TENANT_DIR), "0123456789ab") is None  # not in the track


async def test_replayed_schemas_end_as_alembic_leaves_them(scratch: Any, tmp_path: Path) -> None:
    schemas = await _tenants(scratch, 4)
    track = throwaway_track(tmp_path, "replay_note")
    # Fills the new column from each tenant's own rows; the LIKE pattern's % must reach the server as is.
    add_revision(
        track,
        "ffff0000a003",
        THROWAWAY,
        [
            'op.add_column("settings", sa.Column("origin", sa.Text(), nullable=True))',
            """op.execute("UPDATE settings SET origin = 'from ' || key WHERE key LIKE 'p%'")""",
        ],
        ['op.drop_column("settings", "origin")'],
    )
    revisions = tenant_revisions(track)
    # Two schemas a revision behind, one two behind, one before the per-schema revision.
    with sync_connection(scratch.url) as conn:
        for schema, at in zip(schemas, [revisions[-4], revisions[-4], revisions[-5], "bc25c35eba6f"], strict=True):
            tenant_alembic(conn, schema, "downgrade", at, track)
    for number, schema in enumerate(schemas):
        psql(
            scratch.url,
            f"INSERT INTO {schema}.settings (id, key, value, created_at, updated_at) "
            f"VALUES (gen_random_uuid(), 'p{number}', '1', now(), now()), (gen_random_uuid(), 'q', '1', now(), now())",
        )
    lines, progress = _progress()

    report = migrate_all(scratch.url, script_dir=track, chunk=10, progress=progress)

    assert report.failures == []
    methods = {r.schema: r.method for r in report.results}
    assert methods == {schemas[0]: "replayed", schemas[1]: "replayed", schemas[2]: "replayed", schemas[3]: "alembic"}
    _assert_progress(lines, set(schemas))
    assert {line.rsplit(" ", 1)[-1] for line in lines if line.startswith("[")} == {"replayed)", "alembic)"}
    # The same shape as a schema that Alembic took up the whole way, and each tenant's own data.
    reference = f"t_reference_{uuid.uuid4().hex[:8]}"
    with sync_connection(scratch.url) as conn:
        conn.execute(text(f"CREATE SCHEMA {reference}"))
        conn.commit()
        tenant_alembic(conn, reference, "upgrade", "head", track)
    expected = catalog(scratch.url, reference)
    assert expected.version == [("ffff0000a003",)]
    for number, schema in enumerate(schemas):
        assert catalog(scratch.url, schema) == expected, schema
        assert psql(scratch.url, f"SELECT key, origin FROM {schema}.settings ORDER BY key") == [
            (f"p{number}", f"from p{number}"),
            ("q", None),
        ]
    assert psql(scratch.url, "SELECT DISTINCT schema_version FROM public.organisation") == [("ffff0000a003",)]


async def test_replay_refuses_a_schema_that_moved_since_its_version_was_read(scratch: Any, tmp_path: Path) -> None:
    from tenants.upgrades import migrate_chunk, prepare_connection

    [schema] = await _tenants(scratch, 1)
    track = copy_with_throwaways(tmp_path / "tenant", [])
    head = head_revision(TENANT_DIR)
    # Not idempotent: applied twice, it would leave two marks.
    add_revision(track, "ffff0000a004", head, ["""op.execute("UPDATE settings SET key = key || '+'")"""], [])
    psql(
        scratch.url,
        f"INSERT INTO {schema}.settings (id, key, value, created_at, updated_at) VALUES (gen_random_uuid(), 'k', "
        "'1', now(), now())",
    )
    migrate_all(scratch.url, script_dir=track, progress=lambda _: None)
    assert psql(scratch.url, f"SELECT key FROM {schema}.settings") == [("k+",)]
    # A second runner that read the version before the first one moved the schema on.
    with sync_connection(scratch.url) as conn:
        prepare_connection(conn)
        [result] = migrate_chunk(conn, [(schema, head)], track, 5000)

    # The replay was refused; Alembic, reading the version itself, found nothing to do.
    assert (result.ok, result.method, result.to_version) == (True, "alembic", "ffff0000a004")
    assert psql(scratch.url, f"SELECT key FROM {schema}.settings") == [("k+",)]
    assert catalog(scratch.url, schema).version == [("ffff0000a004",)]
