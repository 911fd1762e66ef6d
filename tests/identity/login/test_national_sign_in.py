"""Sign-in through the platform's provider (a real oidc-provider process), end to end over HTTPS."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.identity.sessions import LOGIN_COOKIE, SESSION_COOKIE
from tests.identity.login.conftest import LoginServer, NodeProvider
from tests.identity.login.flows import (
    count_sessions,
    follow,
    grant_role,
    is_callback,
    make_organisation,
    node_sign_in,
    roles_of,
    session_cookie_set,
    start,
    user_by,
)


def _login() -> str:
    return f"person-{uuid.uuid4().hex[:8]}"


async def test_authorization_request_uses_pkce_state_nonce_and_exact_redirect(
    login_server: LoginServer, node_provider: NodeProvider
) -> None:
    async with login_server.browser() as browser:
        response = await start(browser, "national", return_to="/organisations")
        location = urlsplit(response.headers["location"])
        query = parse_qs(location.query)
        assert f"{location.scheme}://{location.netloc}" == node_provider.issuer
        assert query["response_type"] == ["code"]
        assert query["code_challenge_method"] == ["S256"]
        assert len(query["code_challenge"][0]) == 43
        assert query["state"][0] and query["nonce"][0] and query["state"] != query["nonce"]
        assert query["redirect_uri"] == [f"{login_server.url}/api/auth/callback/national"]
        assert "openid" in query["scope"][0].split()
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(LOGIN_COOKIE))
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


async def test_sign_in_creates_account_and_session(login_server: LoginServer, db: object) -> None:
    login = _login()
    async with login_server.browser() as browser:
        callback = await node_sign_in(browser, login, return_to="/organisations")
        assert callback.status_code == 303, callback.text
        assert callback.headers["location"] == "/organisations"
        cookie = next(h for h in callback.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
        assert "HttpOnly" in cookie and "Secure" in cookie and "samesite=lax" in cookie.lower()

        me = await browser.get("/api/auth/me")
        # A national user without a role is signed in but holds no role yet: they see who they are
        # (a route about oneself), and nothing of the hierarchy.
        assert me.status_code == 200, me.text
        assert me.json()["grants"] == [] and me.json()["provider"] == "national"
        assert me.json()["email"] == f"{login}@national.test"
        listed = await browser.get("/api/organisations")
        assert listed.status_code == 403 and "no role" in listed.json()["message"], listed.text
        user = await user_by(db, login_server.settings.oidc_issuer or "", login)
        assert user is not None
        assert user.email == f"{login}@national.test"  # read from userinfo: the ID token carries only sub
        assert user.email_verified and user.full_name == f"Test {login}"


async def test_signed_in_user_sees_and_revokes_sessions_and_signs_out(login_server: LoginServer, db: object) -> None:
    login = _login()
    org = await make_organisation(db)
    await grant_role(db, login_server.settings.oidc_issuer or "", login, "teacher", organisation_id=org.id)
    async with login_server.browser() as first, login_server.browser() as second:
        assert (await node_sign_in(first, login)).status_code == 303
        assert (await node_sign_in(second, login)).status_code == 303

        me = (await first.get("/api/auth/me")).json()
        assert me["grants"] == [
            {"role": "teacher", "territory_id": None, "organisation_id": str(org.id), "unit_id": None}
        ]
        assert me["provider"] == "national"
        sessions = (await first.get("/api/auth/sessions")).json()
        assert len(sessions) == 2
        assert [s["current"] for s in sessions].count(True) == 1
        other = next(s for s in sessions if not s["current"])

        # Revoking the other browser's session ends it there at once.
        assert (await first.delete(f"/api/auth/sessions/{other['id']}")).status_code == 204
        refused = await second.get("/api/auth/me")
        assert refused.status_code == 401
        assert "session has ended" in refused.json()["message"]
        assert len((await first.get("/api/auth/sessions")).json()) == 1

        # Someone else's session id is not found, not revoked.
        assert (await second.delete(f"/api/auth/sessions/{sessions[0]['id']}")).status_code == 401

        # Signing out ends the local session and sends the browser to the provider's end-session page.
        out = await first.post("/api/auth/logout", headers={"Accept": "text/html"})
        assert out.status_code == 303
        target = urlsplit(out.headers["location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{login_server.settings.oidc_issuer}/session/end"
        query = parse_qs(target.query)
        assert query["post_logout_redirect_uri"] == [f"{login_server.url}/sign-in"]
        assert query["id_token_hint"][0].count(".") == 2
        assert any(h.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in h for h in out.headers.get_list("set-cookie"))
        assert (await first.get("/api/auth/me")).status_code == 401
        # The provider accepts the end-session request (it shows its confirmation page).
        async with httpx.AsyncClient() as plain:
            provider_page = await plain.get(out.headers["location"])
        assert provider_page.status_code == 200 and "logout" in provider_page.text.lower()


async def test_state_from_another_browser_is_refused(login_server: LoginServer, db: object) -> None:
    async with login_server.browser() as victim, login_server.browser() as attacker:
        # The attacker starts a sign-in, signs in at the provider, and gets the victim to open
        # the callback: the state is not bound to the victim's browser.
        form = await follow(attacker, await start(attacker, "national"))
        posted = await attacker.post(form.url, data={"prompt": "login", "login": _login(), "password": "x"})
        callback_url = None
        response = posted
        while response.is_redirect:
            url = response.url.join(response.headers["location"])
            if is_callback(url):
                callback_url = url
                break
            response = await attacker.get(url)
        assert callback_url is not None
        before = await count_sessions(db)
        refused = await victim.get(callback_url)
        assert refused.status_code == 400
        assert 'data-error-code="state_mismatch"' in refused.text
        assert not session_cookie_set(refused)
        assert await count_sessions(db) == before


async def test_unknown_state_is_refused(login_server: LoginServer, db: object) -> None:
    async with login_server.browser() as browser:
        await start(browser, "national")
        before = await count_sessions(db)
        refused = await browser.get("/api/auth/callback/national", params={"code": "x", "state": "forged"})
        assert refused.status_code == 400 and 'data-error-code="state_mismatch"' in refused.text
        assert "text/html" in refused.headers["content-type"]
        assert not session_cookie_set(refused)
        assert await count_sessions(db) == before


async def test_replayed_authorization_code_is_refused(login_server: LoginServer, db: object) -> None:
    async with login_server.browser() as browser:
        ok = await node_sign_in(browser, _login())
        assert ok.status_code == 303
        used = ok.request.url
        before = await count_sessions(db)
        # The same response again: its state was consumed.
        again = await browser.get(used)
        assert again.status_code == 400 and 'data-error-code="state_mismatch"' in again.text
        assert not session_cookie_set(again)
        # The used code injected into a fresh sign-in of the same browser: the provider refuses it.
        fresh = await start(browser, "national")
        state = parse_qs(urlsplit(fresh.headers["location"]).query)["state"][0]
        code = parse_qs(used.query.decode())["code"][0]
        replay = await browser.get(
            "/api/auth/callback/national",
            params={"code": code, "state": state, "iss": login_server.settings.oidc_issuer},
        )
        assert replay.status_code == 400 and 'data-error-code="code_rejected"' in replay.text
        assert not session_cookie_set(replay)
        assert await count_sessions(db) == before


async def test_redirect_uri_mismatch_is_refused_by_the_provider(
    login_server: LoginServer, db: object, node_provider: NodeProvider
) -> None:
    """An organisation's provider whose client is registered with another redirect URI: the
    provider refuses to send the browser anywhere, so no code and no session."""
    from tests.identity.login.conftest import MISREGISTERED_CLIENT
    from tests.identity.login.test_organisation_providers import register_provider

    org = await make_organisation(db)
    async with login_server.browser() as admin:
        provider = await register_provider(
            login_server,
            db,
            admin,
            org,
            issuer=node_provider.issuer,
            client_id=MISREGISTERED_CLIENT[0],
            client_secret=MISREGISTERED_CLIENT[1],
            domains=[f"mis{uuid.uuid4().hex[:6]}.kz"],
        )
    async with login_server.browser() as browser:
        before = await count_sessions(db)
        page = await follow(browser, await start(browser, provider["id"]))
        assert page.url.host == "127.0.0.1" and page.url.port != int(login_server.url.rsplit(":", 1)[1])
        assert page.status_code == 400
        assert "redirect_uri" in page.text
        assert browser.cookies.get(SESSION_COOKIE) is None
        assert await count_sessions(db) == before


async def test_response_at_another_providers_redirect_uri_is_refused(
    login_server: LoginServer, db: object, idp: object
) -> None:
    """Mix-up: a response for the national provider delivered to an organisation provider's
    callback (or the reverse) is refused, whatever it carries."""
    from tests.identity.login.test_organisation_providers import register_idp_provider

    org = await make_organisation(db)
    provider = await register_idp_provider(login_server, db, idp, org)
    async with login_server.browser() as browser:
        form = await follow(browser, await start(browser, "national"))
        posted = await browser.post(form.url, data={"prompt": "login", "login": _login(), "password": "x"})
        response = posted
        while True:
            url = response.url.join(response.headers["location"])
            if is_callback(url):
                break
            response = await browser.get(url)
        before = await count_sessions(db)
        swapped = await browser.get(f"/api/auth/callback/{provider['id']}", params=parse_qs(url.query.decode()))
        assert swapped.status_code == 400 and 'data-error-code="provider_mismatch"' in swapped.text
        assert not session_cookie_set(swapped)
        assert await count_sessions(db) == before


async def test_first_sign_in_links_email_domain_organisation_as_teacher(
    login_server: LoginServer, db: object, idp: object
) -> None:
    """A verified address of a domain an organisation's provider owns joins that organisation."""
    from tests.identity.login.test_organisation_providers import register_idp_provider

    org = await make_organisation(db)
    domain = f"school{uuid.uuid4().hex[:6]}.kz"
    await register_idp_provider(login_server, db, idp, org, domains=[domain])
    login = f"aigerim@{domain}"
    async with login_server.browser() as browser:
        assert (await node_sign_in(browser, login)).status_code == 303
    user = await user_by(db, login_server.settings.oidc_issuer or "", login)
    assert user is not None
    assert await roles_of(db, user.id) == {("teacher", org.id)}


@pytest.mark.parametrize("return_to", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
async def test_return_to_never_leaves_the_site(login_server: LoginServer, return_to: str) -> None:
    async with login_server.browser() as browser:
        callback = await node_sign_in(browser, _login(), return_to=return_to)
        assert callback.status_code == 303
        assert callback.headers["location"] == "/"
