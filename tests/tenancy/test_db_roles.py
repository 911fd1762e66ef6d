"""The application runs as a database role that owns nothing (api.db_roles).

A database of its own, an owner (the test server's superuser, as migrations run) and an
application role made here. The whole app runs on the application role with its jobs on the
owner: an organisation is registered over HTTP, its schema built and renamed by the worker as the
owner, a change audited through the application's role — and then, with the application's own
login, every way of rewriting the chain is refused by the database. Without the separation (the
app on the owner's login) each of those statements succeeds, which is the defect this closes.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import make_url

from api.settings import Settings
from tests.support import AsgiLifespan, school_payload, scratch_database, territory_id, wait_for_status


@dataclass
class Separated:
    owner_url: str
    app_url: str
    role: str
    client: httpx.AsyncClient
    db: Any


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def owner_url() -> Iterator[str]:
    from tests.conftest import _server_url

    with scratch_database(_server_url(), prefix="metodist_roles") as url:
        yield url


@pytest.fixture(scope="module")
def app_role(owner_url: str) -> Iterator[str]:
    role = f"metodist_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_dsn(owner_url), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'app-test'")
    yield role
    with psycopg.connect(_dsn(owner_url), autocommit=True) as conn:
        # Roles are the server's, not the database's: take away what it holds, then drop it.
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


@pytest.fixture(scope="module")
async def separated(owner_url: str, app_role: str, settings: Settings) -> AsyncIterator[Separated]:
    from api.asgi import create_app
    from api.bootstrap import load_territories
    from api.db import Database, create_engine
    from api.db_roles import grant_app_role
    from tests.identity.access.principals import issue_at_republic

    app_url = make_url(owner_url).set(username=app_role, password="app-test").render_as_string(hide_password=False)
    run_settings = dataclasses.replace(
        settings,
        database_url=app_url,
        owner_database_url=owner_url,
        store_namespace=f"roles-{uuid.uuid4().hex[:8]}",
        tenant_spares=1,
    )
    owner_db = Database(create_engine(run_settings, owner_url))
    await load_territories(owner_db, run_settings)
    grant_app_role(owner_url, app_role)
    token = await issue_at_republic(owner_db, "national_admin", name="roles test")
    async with AsgiLifespan(create_app(run_settings, app_url, owner_url=owner_url)) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",  # type: ignore[arg-type]
            headers={"authorization": f"Bearer {token}"},
        ) as client:
            yield Separated(owner_url, app_url, app_role, client, owner_db)
    await owner_db.dispose()


async def _active_organisation(s: Separated) -> dict[str, Any]:
    region = await territory_id(s.client, "karaganda")
    created = await s.client.post(
        "/api/organisations", json=school_payload(region, kind="college", levels=["technical_vocational"])
    )
    assert created.status_code == 202, created.text
    final = await wait_for_status(s.client, created.json()["id"], {"active", "failed"}, timeout=60)
    assert final["status"] == "active", final
    return created.json()


def _refused(url: str, statement: str) -> str:
    """Run one statement with this login; the SQLSTATE it was refused with (none: it ran)."""
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            return exc.sqlstate or "?"
    return "ran"


async def test_the_app_works_on_its_own_role_and_cannot_rewrite_the_chain(separated: Separated) -> None:
    s = separated
    with psycopg.connect(_dsn(s.app_url)) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)

    org = await _active_organisation(s)
    schema = org["schema_name"]
    base = f"/api/organisations/{org['id']}"
    # Writes through the application's role: a unit created and renamed, each audited.
    unit = await s.client.post(f"{base}/units", json={"name": "Day division", "kind": "division"})
    assert unit.status_code == 201, unit.text
    renamed = await s.client.patch(f"{base}/units/{unit.json()['id']}", json={"name": "Evening division"})
    assert renamed.status_code == 200, renamed.text

    # The schema belongs to the owner; the application only uses it.
    with psycopg.connect(_dsn(s.owner_url)) as conn:
        owner_of = conn.execute(
            "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", (schema,)
        ).fetchone()
        entries = conn.execute(f"SELECT count(*) FROM {schema}.audit_log").fetchone()[0]
        anchors = conn.execute("SELECT count(*) FROM public.audit_anchor WHERE chain = %s", (schema,)).fetchone()[0]
    assert owner_of is not None and owner_of[0] != s.role
    assert entries >= 2 and anchors == entries

    # Every way the chain was rewritten before, now with the application's own login:
    insufficient = "42501"
    attacks = {
        "switch triggers off for the session": "SET session_replication_role = replica",
        "disable the append-only trigger": f"ALTER TABLE {schema}.audit_log DISABLE TRIGGER audit_log_append_only",
        "edit an entry": f"UPDATE {schema}.audit_log SET action = 'forged'",
        "delete an entry": f"DELETE FROM {schema}.audit_log WHERE seq = (SELECT max(seq) FROM {schema}.audit_log)",
        "truncate the log": f"TRUNCATE {schema}.audit_log",
        "drop the trigger": f"DROP TRIGGER audit_log_append_only ON {schema}.audit_log",
        "replace the trigger's function": (
            f"CREATE OR REPLACE FUNCTION {schema}.audit_log_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
        ),
        "move an anchor": "UPDATE public.audit_anchor SET hash = repeat('0', 64)",
        "delete anchors": "DELETE FROM public.audit_anchor",
        "edit the identity log": "UPDATE public.identity_audit_log SET action = 'forged'",
        "delete from the identity log": "DELETE FROM public.identity_audit_log",
        "drop the tenant schema": f"DROP SCHEMA {schema} CASCADE",
        "create a table in the tenant schema": f"CREATE TABLE {schema}.shadow (a int)",
        "rewind the migrations": "UPDATE public.alembic_version SET version_num = 'x'",
    }
    outcomes = {name: _refused(s.app_url, sql) for name, sql in attacks.items()}
    assert outcomes == {name: insufficient for name in attacks}, outcomes

    # What the app needs still works with its login: reading and appending.
    with psycopg.connect(_dsn(s.app_url)) as conn:
        assert conn.execute(f"SELECT count(*) FROM {schema}.audit_log").fetchone()[0] == entries

    # And the chain verifies against its anchors.
    async with s.db.tenant_context(schema) as session:
        from api.audit import verify

        report = await verify(session)
    assert report.ok and report.entries == entries and report.anchored_seq is not None


async def test_a_schema_built_after_the_grant_is_usable_and_still_append_only(separated: Separated) -> None:
    """Spares and on-demand schemas are built by the owner later: default privileges let the app in,
    and the build script takes UPDATE/DELETE on the audit log away again."""
    from tenants.spares import build_spare

    name = await build_spare(separated.db)
    try:
        assert _refused(separated.app_url, f"SELECT count(*) FROM {name}.audit_log") == "ran"
        assert (
            _refused(
                separated.app_url,
                f"INSERT INTO {name}.settings (id, key, value, created_at, updated_at) "
                "VALUES (gen_random_uuid(), 'k', '{}'::jsonb, now(), now())",
            )
            == "ran"
        )
        assert _refused(separated.app_url, f"UPDATE {name}.audit_log SET action = 'x'") == "42501"
        assert _refused(separated.app_url, f"DELETE FROM {name}.audit_log") == "42501"
    finally:
        with psycopg.connect(_dsn(separated.owner_url), autocommit=True) as conn:
            conn.execute("DELETE FROM public.spare_schema WHERE name = %s", (name,))
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def test_a_superuser_app_role_is_refused(owner_url: str) -> None:
    from api.db_roles import grant_app_role
    from api.settings import ConfigurationError

    superuser = make_url(owner_url).username or "postgres"
    with pytest.raises(ConfigurationError, match="superuser"):
        grant_app_role(owner_url, superuser)
    with pytest.raises(ConfigurationError, match="does not exist"):
        grant_app_role(owner_url, f"nobody_{uuid.uuid4().hex[:6]}")
    assert os.environ.get("METODIST_ENV") != "production"
