"""Sessions: timeouts, revocation by an admin, and the development sign-in's boundaries."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.identity.models import UserSession
from api.identity.sessions import SESSION_COOKIE, SessionManager
from api.identity.stores import SESSION_STORE
from api.settings import Settings
from tests.demo_site import DemoTemplate, clone_demo
from tests.identity.login.conftest import LoginServer, settings_with
from tests.identity.login.flows import grant_role, make_organisation, node_sign_in
from tests.identity.login.test_organisation_providers import signed_in_admin
from tests.support import AsgiLifespan


async def _manager(login_server: LoginServer, **changes: Any) -> SessionManager:
    store = login_server.app.api.stores.get(SESSION_STORE)
    return SessionManager(store, settings_with(login_server.settings, **changes))


async def _user(db: Any, login_server: LoginServer) -> uuid.UUID:
    return await grant_role(
        db,
        login_server.settings.oidc_issuer or "",
        f"s-{uuid.uuid4().hex[:6]}",
        "teacher",
        organisation_id=(await make_organisation(db)).id,
    )


async def test_idle_session_ends(login_server: LoginServer, db: Any) -> None:
    manager = await _manager(login_server, session_idle_s=2)
    user_id = await _user(db, login_server)
    async with db.session() as session:
        token, payload = await manager.start(
            session, user_id=user_id, provider="national", id_token=None, user_agent="t", ip_address="127.0.0.1"
        )
        await session.commit()
    await manager.activate(token, payload)
    assert await manager.load(token) is not None
    await asyncio.sleep(1.2)
    assert await manager.load(token) is not None  # use renews the idle time
    await asyncio.sleep(1.2)
    assert await manager.load(token) is not None  # 2.4 s after sign-in, but used 1.2 s ago
    await asyncio.sleep(2.5)
    assert await manager.load(token) is None
    async with db.session() as session:
        assert await manager.live_sessions(session, user_id) == []
        await session.commit()
        row = await session.scalar(select(UserSession).where(UserSession.user_id == user_id))
        assert row is not None and row.end_reason == "idle"


async def test_absolute_timeout_ends_a_busy_session(login_server: LoginServer, db: Any) -> None:
    manager = await _manager(login_server, session_idle_s=60, session_absolute_s=1)
    user_id = await _user(db, login_server)
    async with db.session() as session:
        token, payload = await manager.start(
            session, user_id=user_id, provider="national", id_token=None, user_agent=None, ip_address=None
        )
        await session.commit()
    await manager.activate(token, payload)
    for _ in range(3):
        assert await manager.load(token) is not None
        await asyncio.sleep(0.3)
    await asyncio.sleep(0.3)
    assert await manager.load(token) is None


async def test_admin_revokes_a_users_sessions(login_server: LoginServer, db: Any) -> None:
    org, other = await make_organisation(db), await make_organisation(db)
    teacher = f"teacher-{uuid.uuid4().hex[:6]}"
    teacher_id = await grant_role(
        db, login_server.settings.oidc_issuer or "", teacher, "teacher", organisation_id=org.id
    )
    async with login_server.browser() as user, login_server.browser() as admin, login_server.browser() as stranger:
        assert (await node_sign_in(user, teacher)).status_code == 303
        await signed_in_admin(login_server, db, admin, org)
        await signed_in_admin(login_server, db, stranger, other)

        assert (await stranger.get(f"/api/users/{teacher_id}/sessions")).status_code == 403
        assert (await stranger.delete(f"/api/users/{teacher_id}/sessions")).status_code == 403
        assert (await user.get(f"/api/users/{teacher_id}/sessions")).status_code == 403  # a teacher is no admin

        listed = await admin.get(f"/api/users/{teacher_id}/sessions")
        assert listed.status_code == 200 and len(listed.json()) == 1
        revoked = await admin.delete(f"/api/users/{teacher_id}/sessions")
        assert revoked.status_code == 200 and revoked.json() == {"revoked": 1}
        assert (await user.get("/api/auth/me")).status_code == 401
        assert (await admin.get(f"/api/users/{teacher_id}/sessions")).json() == []
        assert (await admin.get("/api/auth/me")).status_code == 200  # the admin's own session is untouched


async def test_a_session_of_someone_else_cannot_be_revoked(login_server: LoginServer, db: Any) -> None:
    org = await make_organisation(db)
    a, b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    for login in (a, b):
        await grant_role(db, login_server.settings.oidc_issuer or "", login, "teacher", organisation_id=org.id)
    async with login_server.browser() as first, login_server.browser() as second:
        await node_sign_in(first, a)
        await node_sign_in(second, b)
        theirs = (await second.get("/api/auth/sessions")).json()[0]["id"]
        assert (await first.delete(f"/api/auth/sessions/{theirs}")).status_code == 404
        assert (await second.get("/api/auth/me")).status_code == 200


async def test_a_new_sign_in_replaces_the_browsers_session(login_server: LoginServer, db: Any) -> None:
    login = f"fix-{uuid.uuid4().hex[:6]}"
    await grant_role(
        db, login_server.settings.oidc_issuer or "", login, "teacher", organisation_id=(await make_organisation(db)).id
    )
    async with login_server.browser() as browser:
        await node_sign_in(browser, login)
        before = browser.cookies.get(SESSION_COOKIE)
        await node_sign_in(browser, login)
        after = browser.cookies.get(SESSION_COOKIE)
        assert before and after and before != after
        sessions = (await browser.get("/api/auth/sessions")).json()
        assert len(sessions) == 1 and sessions[0]["current"]
    async with login_server.browser() as replayer:
        replayer.cookies.set(SESSION_COOKIE, before, domain="127.0.0.1")
        assert (await replayer.get("/api/auth/me")).status_code == 401


# --- the development sign-in -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_database_url(database_url: str) -> Iterator[str]:
    """A database of its own: the development sign-in needs one where no provider is registered."""
    from tests.support import scratch_database

    with scratch_database(database_url, prefix="metodist_dev") as url:
        yield url


async def _client_for(settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from api.asgi import create_app

    async with AsgiLifespan(create_app(settings, database_url, run_worker=False)) as app:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
        ) as client:
            yield client


def _plain(settings: Settings, database_url: str, **changes: Any) -> Settings:
    base = {"oidc_issuer": None, "oidc_client_id": None, "oidc_client_secret": None}
    return settings_with(
        settings,
        database_url=database_url,
        public_url="http://127.0.0.1:8000",
        store_namespace=f"test-dev-{uuid.uuid4().hex[:8]}",
        **{**base, **changes},
    )


async def test_development_sign_in_lists_demo_users_and_signs_in(
    login_settings: Settings, demo_template: DemoTemplate
) -> None:
    from api.db import Database, create_engine
    from api.demo import DEMO_USERS, load_demo_users

    # A copy of the run's demo database (tests/demo_site.py): no provider is registered in it.
    with clone_demo(demo_template) as url:
        settings = _plain(login_settings, url, environment="development", data_dir=demo_template.data_dir)
        db = Database(create_engine(settings, url))
        try:
            assert await load_demo_users(db) == 0  # loaded once, not twice
        finally:
            await db.dispose()
        async for client in _client_for(settings, url):
            lookup = (await client.get("/api/auth/providers")).json()
            assert lookup["dev_sign_in"] is True and lookup["providers"] == []
            users = (await client.get("/api/auth/dev/users")).json()
            assert {u["email"] for u in users} == {d.email for d in DEMO_USERS}
            roles = {u["email"]: [g["role"] for g in u["grants"]] for u in users}
            assert roles["national.admin@demo.metodist.kz"] == ["national_admin"]
            assert roles["methodist@demo.metodist.kz"] == ["district_methodist"]
            teacher = next(u for u in users if u["email"] == "teacher@botakara.demo.metodist.kz")
            # The sign-in page offers them, each as a form posting to the development sign-in.
            sign_in_page = (await client.get("/sign-in")).text
            assert sorted(re.findall(r'data-demo-user="([^"]+)"', sign_in_page)) == sorted(d.email for d in DEMO_USERS)
            assert 'action="/api/auth/dev/sign-in"' in sign_in_page

            signed = await client.post(
                "/api/auth/dev/sign-in", data={"user_id": teacher["id"], "return_to": "/organisations"}
            )
            assert signed.status_code == 303 and signed.headers["location"] == "/organisations"
            cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
            assert "HttpOnly" in cookie and "Secure" not in cookie  # development runs on plain http
            me = (await client.get("/api/auth/me")).json()
            assert me["email"] == "teacher@botakara.demo.metodist.kz" and me["provider"] == "development"
            assert [g["role"] for g in me["grants"]] == ["teacher"]

            refused = await client.post("/api/auth/dev/sign-in", data={"user_id": str(uuid.uuid4())})
            assert refused.status_code == 404
            out = await client.post("/api/auth/logout")
            assert out.status_code == 200 and out.json() == {"redirect_to": "/sign-in"}
            assert (await client.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize(
    "changes",
    [
        # Production refuses the built-in key (tests/identity/test_secret_keys.py).
        {"environment": "production", "secret_key": "production-test-key-0123456789abcdefghijklmnop"},
        {"environment": "test"},
        # Development, but a provider is configured: then the provider is the way in.
        {"environment": "development", "oidc_issuer": "http://127.0.0.1:9", "oidc_client_id": "x"},
    ],
    ids=["production", "test", "development-with-provider"],
)
async def test_development_sign_in_is_refused_elsewhere(
    login_settings: Settings, fresh_database_url: str, changes: dict[str, Any]
) -> None:
    settings = _plain(login_settings, fresh_database_url, **changes)
    async for client in _client_for(settings, fresh_database_url):
        assert (await client.get("/api/auth/dev/users")).status_code == 404
        from api.domain.accounts.models import User
        from api.identity.dev import DEV_ISSUER

        # Even a real demo account cannot be chosen.
        async with client._transport.app.api.state.db.session() as session:  # type: ignore[attr-defined]
            demo = await session.scalar(select(User).where(User.issuer == DEV_ISSUER).limit(1))
        user_id = str(demo.id) if demo else str(uuid.uuid4())
        refused = await client.post("/api/auth/dev/sign-in", data={"user_id": user_id})
        assert refused.status_code == 404
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
        assert (await client.get("/api/auth/providers")).json()["dev_sign_in"] is False
