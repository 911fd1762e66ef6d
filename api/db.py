"""Engines, sessions and the routing of tenant tables to one organisation's schema.

Routing is per execution: a tenant session is bound to `engine.execution_options(
schema_translate_map={None: schema})`, a lightweight copy of the engine that shares its pool.
The map is part of the bind, so it survives `commit()`, and nothing is ever `SET` on a pooled
connection, so a schema cannot leak from one request to the next.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import URL, func, make_url, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.settings import Settings
from tenants.naming import validate_schema_name


def async_url(database_url: str) -> URL:
    return make_url(database_url).set(drivername="postgresql+asyncpg")


def sync_url(database_url: str) -> URL:
    return make_url(database_url).set(drivername="postgresql+psycopg")


def libpq_dsn(database_url: str) -> str:
    """The URL as libpq tools (pg_dump, psycopg) read it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def escape_like(text: str) -> str:
    """User text made literal inside a LIKE/ILIKE pattern (PostgreSQL's default escape is `\\`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sqlstate(exc: DBAPIError) -> str | None:
    """The server's error code behind a database error (asyncpg's own error is the cause)."""
    return getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)


# SQLSTATEs of a server that is going away or not yet accepting: connection exceptions (08…),
# admin/crash shutdown and "cannot connect now" (57P01–57P03).
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached (restarting, down, connection cut),
    rather than that a statement was wrong: such a failure is worth a retry, not a verdict."""
    import asyncpg

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(
            current, (ConnectionError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)
        ):
            return True
        if isinstance(current, asyncpg.exceptions.InternalClientError):
            return True  # a connection caught mid-operation when the server went away
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        if _is_psycopg_connection_failure(current, state):
            return True
        current = current.__cause__ or current.__context__ or getattr(current, "orig", None)
    return False


def _is_psycopg_connection_failure(exc: BaseException, state: object) -> bool:
    """psycopg (the PostgreSQL job queue's driver) reports a lost or refused connection as an
    OperationalError without a SQLSTATE (with one, it is the server refusing a statement)."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - installed with the queue
        return False
    return isinstance(exc, psycopg.OperationalError) and not state


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key named in words: the same name gives the same 64-bit key in
    every process (`audit_log:t_…`, `import:<id>`)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@asynccontextmanager
async def advisory_lock(engine: AsyncEngine, key: int, *, wait: bool = True) -> AsyncIterator[bool]:
    """Holds a session-level advisory lock for the block, on a connection of its own (so the work
    inside may commit as often as it likes). Yields True once taken; with `wait=False`, False at
    once when another process holds it."""
    async with engine.connect() as conn:
        if wait:
            await conn.execute(select(func.pg_advisory_lock(key)))
            taken = True
        else:
            taken = bool(await conn.scalar(select(func.pg_try_advisory_lock(key))))
        await conn.commit()
        try:
            yield taken
        finally:
            if taken:
                await conn.execute(select(func.pg_advisory_unlock(key)))
                await conn.commit()


def create_engine(settings: Settings, database_url: str) -> AsyncEngine:
    return create_async_engine(
        async_url(database_url),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        # A pre-ping costs three round trips per checkout (BEGIN, a ping, ROLLBACK). Without it a
        # connection the server cut is found by the statement that uses it: that request answers
        # 503 and SQLAlchemy invalidates the whole pool, so the next ones connect afresh.
        pool_pre_ping=settings.pool_pre_ping,
        # Each connection caches catalog entries of every schema it touched: recycle it.
        pool_recycle=settings.pool_recycle_s,
        connect_args={
            # SQLAlchemy's dialect prepares every statement itself, through its own per-connection
            # cache (100 by default), so asyncpg's `statement_cache_size` alone never sized it.
            "prepared_statement_cache_size": settings.statement_cache_size,
            "statement_cache_size": settings.statement_cache_size,
            "server_settings": {"application_name": "metodist"},
        },
        # The audit anchors' MAC key comes from here (api.audit_anchor), never from the database.
        execution_options={"metodist_secret_keys": settings.secret_keys},
    )


@dataclass
class Database:
    engine: AsyncEngine
    # Whether tenant schemas are distributed over a Citus cluster: "auto" (when the database has
    # the citus extension), "on" (required: provisioning fails without it), "off" (never).
    citus: str = "auto"

    def __post_init__(self) -> None:
        self._control = async_sessionmaker(self.engine, expire_on_commit=False)
        self.citus_detected: bool | None = None

    def session(self) -> AsyncSession:
        """A session on the control plane (`public`)."""
        return self._control()

    def tenant_engine(self, schema: str) -> AsyncEngine:
        return self.engine.execution_options(schema_translate_map={None: validate_schema_name(schema)})

    def tenant_session(self, schema: str) -> AsyncSession:
        """A session whose tenant tables resolve to `schema`; shared tables still name `public`."""
        return AsyncSession(self.tenant_engine(schema), expire_on_commit=False)

    @asynccontextmanager
    async def tenant_context(self, schema: str) -> AsyncIterator[AsyncSession]:
        """The explicit tenant scope for jobs and the CLI: commit on success, roll back on error."""
        async with self.tenant_session(schema) as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


# Where an API request keeps its `RequestConnection` in the ASGI scope.
REQUEST_CONNECTION_KEY = "metodist.connection"


class RequestConnection:
    """The one pooled connection an API request uses, checked out on first use and returned when
    the request ends (`api.identity.middleware.RequestConnectionMiddleware`).

    Who is calling (the API token, the session's user and grants) and which organisation the path
    names are read on it in autocommit: a read needs no transaction, so it costs no BEGIN and no
    COMMIT. The handler's unit of work then takes the same connection (`unit_of_work`): a read of
    an organisation's data (`writes=False`: a GET of a tenant route) stays in autocommit, each
    statement seeing what is committed; everything else runs in one transaction that the
    session's provider commits before the response is sent. A second unit of work in the same
    request (rare: a handler that needs the control plane and a tenant) gets a connection of its
    own, so no session ever commits another's work.
    """

    def __init__(self, db: Database, *, writes: bool) -> None:
        self.db = db
        self.writes = writes
        self._conn: AsyncConnection | None = None
        self._claimed = False

    async def connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.db.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def reading_session(self) -> AsyncSession:
        """A session on the request's connection for the reads before the handler (a session's
        user and grants), in autocommit."""
        return AsyncSession(bind=await self.connection(), expire_on_commit=False)

    async def unit_of_work(self, schema: str | None = None) -> AsyncSession:
        """The handler's session: on the control plane, or bound to `schema` for tenant tables."""
        if self._claimed:
            return self.db.tenant_session(schema) if schema else self.db.session()
        self._claimed = True
        conn = await self.connection()
        await conn.commit()  # ends the autocommit reads' bookkeeping; nothing is sent
        if self.writes:
            await conn.execution_options(isolation_level=WRITE_ISOLATION)
        if schema is not None:
            await conn.execution_options(schema_translate_map={None: validate_schema_name(schema)})
        return AsyncSession(bind=conn, expire_on_commit=False)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()  # back to the pool: rolled back, isolation level reset


# PostgreSQL's default, named so that a write's unit of work asks for it explicitly.
WRITE_ISOLATION = "READ COMMITTED"


def request_connection(scope: dict[str, object]) -> RequestConnection:
    found = scope.get(REQUEST_CONNECTION_KEY)
    if not isinstance(found, RequestConnection):
        raise RuntimeError("no request connection: RequestConnectionMiddleware is not installed")
    return found
