"""The database to use: DATABASE_URL when set, else an embedded PostgreSQL under `.data/pg`.

The embedded server (pgserver) is shared by every `metodist` process on the same data folder: each
one's process id is listed in `<pgdata>/.handle_pids.json`, and the last one to exit stops the
server (pgserver's exit handler). Two things keep that true when a service manager stops a run:
`stop_on_signals()` turns SIGTERM/SIGHUP into a normal exit (uvicorn re-raises the signal after its
graceful shutdown, and a default-handled SIGTERM ends the process without exit handlers), and ids
of processes that died without exiting (SIGKILL) are dropped from the list before a server is
taken, so they cannot keep the server up forever.
"""

from __future__ import annotations

import json
import logging
import signal
import warnings
from functools import lru_cache
from pathlib import Path

from sqlalchemy import make_url

from api.settings import Settings

EMBEDDED_DATABASE = "metodist"
# The embedded server's application role: no superuser, owns nothing (api.db_roles).
EMBEDDED_APP_ROLE = "metodist_app"


@lru_cache(maxsize=4)
def _embedded_server(pgdata: Path):  # type: ignore[no-untyped-def]
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # pgserver keeps its lock file in the runtime dir; without XDG_RUNTIME_DIR it uses /tmp.
        warnings.simplefilter("ignore")
        import pgserver

        _forget_dead_handles(pgdata)
        # "stop": the server stops when the last process using it exits; the data stays on disk.
        return pgserver.get_server(pgdata, cleanup_mode="stop")


def _forget_dead_handles(pgdata: Path) -> None:
    """Drops from pgserver's list of users of this server the processes that no longer exist."""
    import psutil
    from pgserver.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            return
        live = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if live != pids:
            handles.write_text(json.dumps(live))


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP end this process as a normal exit, so the embedded server it started is
    stopped by the exit handlers. Servers (uvicorn) and workers install their own handlers while
    they run and restore these after."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)


def embedded_url(pgdata: Path, database: str = EMBEDDED_DATABASE) -> str:
    server = _embedded_server(pgdata.resolve())
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {database};")
    url = make_url(server.get_uri(database))
    return url.set(password=None).render_as_string(hide_password=False)


def embedded_app_url(pgdata: Path, database: str = EMBEDDED_DATABASE) -> str:
    """The embedded database as the application's own role, created on first use (trust auth)."""
    owner = embedded_url(pgdata, database)
    server = _embedded_server(pgdata.resolve())
    server.psql(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{EMBEDDED_APP_ROLE}') "
        f"THEN CREATE ROLE {EMBEDDED_APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; END IF; END $$;"
    )
    return make_url(owner).set(username=EMBEDDED_APP_ROLE).render_as_string(hide_password=False)


def resolve_database_url(settings: Settings) -> str:
    """The application's connection: DATABASE_URL, or the embedded server as its app role."""
    if settings.database_url:
        return settings.database_url
    return embedded_app_url(settings.data_dir / "pg")


def resolve_owner_url(settings: Settings) -> str:
    """The owner's connection (migrations, schema building, jobs)."""
    if settings.owner_database_url:
        return settings.owner_database_url
    if settings.database_url:
        return settings.database_url
    return embedded_url(settings.data_dir / "pg")
