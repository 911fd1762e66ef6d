"""ID tokens that must not sign anyone in, from a real provider that issues them on purpose.

Each refusal is a page that names the reason, sets no session cookie, writes no session and
creates no account.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.domain.organisations.models import Organisation
from tests.identity.login.conftest import LoginServer
from tests.identity.login.flows import (
    count_sessions,
    count_users,
    idp_sign_in,
    make_organisation,
    session_cookie_set,
)
from tests.identity.login.idp import Fault, LocalIdP
from tests.identity.login.test_organisation_providers import register_idp_provider


@pytest.fixture(scope="module")
async def org_provider(login_server: LoginServer, db: Any, idp: LocalIdP) -> tuple[Organisation, dict[str, Any], str]:
    org = await make_organisation(db)
    domain = f"tokens{uuid.uuid4().hex[:6]}.kz"
    return org, await register_idp_provider(login_server, db, idp, org, domains=[domain]), domain


def _next_user(idp: LocalIdP, domain: str) -> str:
    subject = f"u-{uuid.uuid4().hex[:8]}"
    idp.next_user = {"sub": subject, "email": f"{subject}@{domain}", "email_verified": True, "name": "Token Test"}
    return subject


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault.WRONG_NONCE, "nonce_mismatch"),
        (Fault.WRONG_ISSUER, "wrong_issuer"),
        (Fault.WRONG_AUDIENCE, "wrong_audience"),
        (Fault.EXPIRED, "token_expired"),
        (Fault.UNKNOWN_SIGNING_KEY, "bad_signature"),
        (Fault.ALG_NONE, "alg_not_allowed"),
        (Fault.KID_NOT_IN_JWKS, "unknown_key"),
        (Fault.ISS_PARAMETER, "issuer_mismatch"),
    ],
)
async def test_broken_token_is_refused_without_session(
    login_server: LoginServer,
    db: Any,
    idp: LocalIdP,
    org_provider: tuple[Organisation, dict[str, Any], str],
    fault: Fault,
    code: str,
) -> None:
    _, provider, domain = org_provider
    _next_user(idp, domain)
    users, sessions = await count_users(db), await count_sessions(db)
    idp.next_token = fault
    async with login_server.browser() as browser:
        refused = await idp_sign_in(browser, provider["id"])
        assert refused.status_code == 400, refused.text
        assert f'data-error-code="{code}"' in refused.text
        assert "text/html" in refused.headers["content-type"]
        assert not session_cookie_set(refused)
        assert (await browser.get("/api/auth/me")).status_code == 401
    assert await count_users(db) == users
    assert await count_sessions(db) == sessions
    assert idp.next_token is Fault.NONE  # the fault was really served


async def test_kid_not_in_jwks_refetches_once(
    login_server: LoginServer, db: Any, idp: LocalIdP, org_provider: tuple[Organisation, dict[str, Any], str]
) -> None:
    _, provider, domain = org_provider
    async with login_server.browser() as browser:
        _next_user(idp, domain)
        assert (await idp_sign_in(browser, provider["id"])).status_code == 303  # the key set is cached now
    fetches = idp.jwks_fetches
    _next_user(idp, domain)
    idp.next_token = Fault.KID_NOT_IN_JWKS
    async with login_server.browser() as browser:
        refused = await idp_sign_in(browser, provider["id"])
    assert 'data-error-code="unknown_key"' in refused.text
    assert idp.jwks_fetches == fetches + 1


async def test_key_rotation_is_followed(
    login_server: LoginServer, db: Any, idp: LocalIdP, org_provider: tuple[Organisation, dict[str, Any], str]
) -> None:
    _, provider, domain = org_provider
    async with login_server.browser() as browser:
        _next_user(idp, domain)
        assert (await idp_sign_in(browser, provider["id"])).status_code == 303
    fetches = idp.jwks_fetches
    idp.rotate_keys(keep_old=True)
    async with login_server.browser() as browser:
        _next_user(idp, domain)
        signed = await idp_sign_in(browser, provider["id"])
        assert signed.status_code == 303, signed.text
        assert (await browser.get("/api/auth/me")).status_code == 200
    assert idp.jwks_fetches == fetches + 1  # the unknown kid made the client look once more
    async with login_server.browser() as browser:
        _next_user(idp, domain)
        assert (await idp_sign_in(browser, provider["id"])).status_code == 303
    assert idp.jwks_fetches == fetches + 1  # and the new key is cached from then on


async def test_userinfo_about_someone_else_is_refused(
    login_server: LoginServer, db: Any, idp: LocalIdP, org_provider: tuple[Organisation, dict[str, Any], str]
) -> None:
    """The provider's userinfo must describe the ID token's subject (OIDC Core §5.3.2)."""
    _, provider, domain = org_provider
    _next_user(idp, domain)
    users, sessions = await count_users(db), await count_sessions(db)
    idp.userinfo_sub_override = "somebody-else"
    try:
        async with login_server.browser() as browser:
            refused = await idp_sign_in(browser, provider["id"])
    finally:
        idp.userinfo_sub_override = None
    assert refused.status_code == 400 and 'data-error-code="userinfo_mismatch"' in refused.text
    assert not session_cookie_set(refused)
    assert await count_users(db) == users and await count_sessions(db) == sessions
