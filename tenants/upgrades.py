"""Upgrading tenant schemas to the head of a track: one at a time through Alembic, or many by replay.

Alembic run against a schema costs a few milliseconds of Python and five round trips before the
migration's own statements (docs/performance.md). Most revisions are plain DDL that is the same
for every tenant, so the runner renders a revision path to SQL once (Alembic's offline mode,
names unqualified) and replays that text in each schema, with the search path set for it, many
schemas per round trip. A revision that reads the tenant's data in Python (`per_schema = True`
in its module), or whose rendering fails, goes through Alembic schema by schema as before.

Alembic keeps its `op` and `context` proxies in module globals, so two Alembic runs, online or
offline, must never interleave in one process: `_alembic_lock`.
"""

from __future__ import annotations

import io
import re
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from migrations.runner import TENANT_DIR, alembic_config
from tenants.naming import validate_schema_name

_alembic_lock = threading.Lock()


@dataclass(frozen=True)
class MigrationResult:
    schema: str
    ok: bool
    from_version: str | None
    to_version: str | None
    seconds: float
    error: str | None = None
    # "replayed": the rendered SQL; "alembic": Alembic run against the schema.
    method: str = "alembic"
    # Why a schema that could have been replayed went through Alembic (the replayed chunk's error).
    fallback: str | None = None


@lru_cache(maxsize=4)
def _config(script_dir: str) -> Config:
    return alembic_config(Path(script_dir))


@lru_cache(maxsize=4)
def _script(script_dir: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(script_dir))


def head_of(script_dir: Path) -> str:
    head = _script(str(script_dir)).get_current_head()
    assert head is not None
    return head


# --- Alembic, one schema at a time --------------------------------------------------------------


def run_tenant_migrations(
    context: EnvironmentContext, connection: Connection, schema: str, lock_timeout_ms: int, *, with_models: bool = True
) -> None:
    """What `migrations/tenant/env.py` does, shared with the runner so both behave alike.

    The models only serve autogenerate; the runner's worker processes start faster without them.
    """
    schema = validate_schema_name(schema)
    target_metadata = None
    if with_models:
        from api.models import tenant_metadata as target_metadata
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_name=lambda name, type_, _parents: not (type_ == "table" and name == "alembic_version"),
        compare_type=True,
    )
    with context.begin_transaction():
        connection.execute(
            text("SELECT set_config('search_path', :s, true), set_config('lock_timeout', :t, true)"),
            {"s": schema, "t": f"{lock_timeout_ms}ms"},
        )
        context.run_migrations()


def _to_head(script: ScriptDirectory):  # type: ignore[no-untyped-def]
    """Alembic's `fn` for an upgrade from whatever revision the context starts at to head."""

    def steps(revision, _context):  # type: ignore[no-untyped-def]
        return script._upgrade_revs("head", revision)

    return steps


def migrate_schema(
    connection: Connection,
    schema: str,
    *,
    script_dir: Path = TENANT_DIR,
    lock_timeout_ms: int = 5000,
) -> None:
    """Upgrade one schema to head inside the caller's transaction."""
    script = _script(str(script_dir))
    config = _config(str(script_dir))
    with _alembic_lock, EnvironmentContext(config, script, fn=_to_head(script), destination_rev="head") as context:
        run_tenant_migrations(context, connection, schema, lock_timeout_ms, with_models=False)


# --- the SQL of a revision path, rendered once --------------------------------------------------

_REVISION_ID = re.compile(r"^[0-9A-Za-z_]{1,32}$")


class _Statements(io.StringIO):
    """Alembic's offline output, kept statement by statement: it writes each one in one call."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[str] = []

    def write(self, text: str) -> int:
        statement = text.strip()
        # "-- Running upgrade a -> b" lines carry no statement.
        if statement and not all(line.lstrip().startswith("--") for line in statement.splitlines()):
            self.statements.append(statement)
        return super().write(text)


@lru_cache(maxsize=64)
def _rendered(script_dir: str, from_version: str) -> _Statements | None:
    if not _REVISION_ID.fullmatch(from_version):
        return None
    script = _script(script_dir)
    out = _Statements()
    try:
        path = script._upgrade_revs("head", from_version)
        if any(getattr(step.revision.module, "per_schema", False) for step in path):
            return None
        with (
            _alembic_lock,
            EnvironmentContext(
                _config(script_dir),
                script,
                fn=_to_head(script),
                as_sql=True,
                starting_rev=from_version,
                destination_rev="head",
            ) as context,
        ):
            # No version_table_schema: the version table is found through the search path, like
            # every other name in the rendered text.
            context.configure(dialect_name="postgresql", output_buffer=out, transactional_ddl=False, literal_binds=True)
            with context.begin_transaction():
                context.run_migrations()
    except Exception:  # noqa: BLE001 - not replayable: the Alembic path handles it
        return None
    return out


def upgrade_sql(script_dir: str, from_version: str) -> str | None:
    """The statements that take a schema from `from_version` to head, or None if they cannot be
    replayed: the version is not in the track, a revision on the way says `per_schema = True`,
    or it does not render offline (it asked its connection for rows, or passed parameters).
    None sends the schema down the Alembic path, which reports what is wrong with it."""
    rendered = _rendered(script_dir, from_version)
    return None if rendered is None else rendered.getvalue()


def upgrade_statements(script_dir: str, from_version: str) -> tuple[str, ...] | None:
    """The same, one statement at a time (each without its terminator)."""
    rendered = _rendered(script_dir, from_version)
    return None if rendered is None else tuple(s.rstrip(";").rstrip() for s in rendered.statements)


# --- chunks of schemas ---------------------------------------------------------------------------

RECORD_VERSION_SQL = text(
    "UPDATE public.organisation SET schema_version = :v, updated_at = now() "
    "WHERE schema_name = ANY(:s) AND schema_version IS DISTINCT FROM :v"
)

# Created once per connection (`prepare_connection`). Locks the schema's version row and refuses
# if the version is no longer the one read before the run: replayed SQL is only right for the
# version it was rendered from, and a concurrent run may have moved the schema since.
_EXPECT_VERSION_FUNCTION = text(
    """
    CREATE OR REPLACE FUNCTION pg_temp.metodist_expect_version(expected text) RETURNS void
    LANGUAGE plpgsql AS $fn$
    BEGIN
        PERFORM 1 FROM alembic_version WHERE version_num = expected FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'schema % is no longer at %', current_schema(), expected;
        END IF;
    END
    $fn$
    """
)


def prepare_connection(conn: Connection) -> None:
    """What `migrate_chunk` needs on a connection before its first chunk."""
    with conn.begin():
        conn.execute(_EXPECT_VERSION_FUNCTION)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _replay(
    conn: Connection, chunk: list[tuple[str, str]], script_dir: Path, lock_timeout_ms: int, *, one_by_one: bool = False
) -> list[MigrationResult]:
    """The whole chunk in one transaction, its statements in one round trip, or nothing: raises
    on failure.

    `one_by_one` (a Citus coordinator): the same statements in the same transaction, sent one per
    round trip. Citus forwards a DDL statement on a distributed table to the worker with the text of
    the query it came in, and refuses one whose text holds several statements ("cannot insert
    multiple commands into a prepared statement")."""
    head = head_of(script_dir)
    started = time.perf_counter()
    if one_by_one:
        with conn.begin():
            run = conn.execution_options(no_parameters=True).exec_driver_sql
            run(f"SELECT set_config('lock_timeout', '{int(lock_timeout_ms)}ms', true)")
            for schema, version in chunk:
                statements = upgrade_statements(str(script_dir), version)
                assert statements is not None
                run(f"SELECT set_config('search_path', '{validate_schema_name(schema)}', true)")
                run(f"SELECT pg_temp.metodist_expect_version('{version}')")
                for statement in statements:
                    run(statement)
            conn.execute(RECORD_VERSION_SQL, {"v": head, "s": [schema for schema, _ in chunk]})
        each = (time.perf_counter() - started) / len(chunk)
        return [MigrationResult(schema, True, version, head, each, method="replayed") for schema, version in chunk]
    # Every interpolated value is checked first: schema names by validate_schema_name, versions
    # by `upgrade_sql` (revision ids), the timeout is an int.
    parts = [f"SELECT set_config('lock_timeout', '{int(lock_timeout_ms)}ms', true)"]
    for schema, version in chunk:
        sql = upgrade_sql(str(script_dir), version)
        assert sql is not None
        parts.append(
            f"SELECT set_config('search_path', '{validate_schema_name(schema)}', true);\n"
            f"SELECT pg_temp.metodist_expect_version('{version}');\n{sql}"
        )
    with conn.begin():
        # no_parameters: sent as a simple query, so the statements go in one round trip and a
        # `%` in a migration's SQL is not taken for a placeholder.
        conn.execution_options(no_parameters=True).exec_driver_sql(";\n".join(parts))
        conn.execute(RECORD_VERSION_SQL, {"v": head, "s": [schema for schema, _ in chunk]})
    each = (time.perf_counter() - started) / len(chunk)
    return [MigrationResult(schema, True, version, head, each, method="replayed") for schema, version in chunk]


def _migrate_in_one_transaction(
    conn: Connection, chunk: list[tuple[str, str | None]], script_dir: Path, lock_timeout_ms: int
) -> list[MigrationResult]:
    """All of `chunk` through Alembic, or nothing: raises on the first failure, rolled back."""
    head = head_of(script_dir)
    results: list[MigrationResult] = []
    with conn.begin():
        for schema, version in chunk:
            started = time.perf_counter()
            migrate_schema(conn, schema, script_dir=script_dir, lock_timeout_ms=lock_timeout_ms)
            results.append(MigrationResult(schema, True, version, head, time.perf_counter() - started))
        conn.execute(RECORD_VERSION_SQL, {"v": head, "s": [r.schema for r in results]})
    return results


def _migrate_by_alembic(
    conn: Connection, chunk: list[tuple[str, str | None]], script_dir: Path, lock_timeout_ms: int
) -> list[MigrationResult]:
    """Should anything fail (a schema, or the commit), the transaction is rolled back and the
    chunk done again one schema per transaction, so only the schema at fault is reported."""
    started = time.perf_counter()
    try:
        return _migrate_in_one_transaction(conn, chunk, script_dir, lock_timeout_ms)
    except Exception as exc:  # noqa: BLE001 - reported per tenant, the run goes on
        if len(chunk) > 1 and not conn.invalidated:
            return [r for item in chunk for r in _migrate_by_alembic(conn, [item], script_dir, lock_timeout_ms)]
        return [
            MigrationResult(schema, False, version, None, time.perf_counter() - started, _error(exc))
            for schema, version in chunk
        ]


def migrate_chunk(
    conn: Connection,
    chunk: list[tuple[str, str | None]],
    script_dir: Path,
    lock_timeout_ms: int,
    *,
    replay: bool = True,
    one_by_one: bool = False,
) -> list[MigrationResult]:
    """Bring `chunk` (schema, version read before) to head, recording the versions alongside.

    Schemas whose path can be replayed go first, all in one transaction; if that fails, they
    join the others on the Alembic path, which finds and reports the schema at fault. Failures
    are rare: the common case pays no savepoints. `conn` must have had `prepare_connection`.
    `replay=False` sends every schema through Alembic. `one_by_one`: replayed statements go one per
    round trip (a Citus coordinator, see `_replay`).
    """

    replayable: list[tuple[str, str | None]] = []
    rest: list[tuple[str, str | None]] = []
    for schema, version in chunk:
        replays = replay and version is not None and upgrade_sql(str(script_dir), version) is not None
        (replayable if replays else rest).append((schema, version))
    results: list[MigrationResult] = []
    fallback: str | None = None
    if replayable:
        try:
            results = _replay(conn, replayable, script_dir, lock_timeout_ms, one_by_one=one_by_one)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the Alembic path below names the schema at fault
            if conn.invalidated:  # the connection is gone: nothing to retry on; a rerun resumes
                return [MigrationResult(s, False, v, None, 0.0, _error(exc), "replayed") for s, v in chunk]
            fallback = f"replay failed, {_error(exc)}"
            rest = replayable + rest
    if rest:
        replay_failed = {schema for schema, _ in replayable} if fallback else set()
        results += [
            replace(r, fallback=fallback) if r.schema in replay_failed else r
            for r in _migrate_by_alembic(conn, rest, script_dir, lock_timeout_ms)
        ]
    return results
