"""Rate limits on sign-in and token endpoints, invalid-token throttling and account lock-out."""

from __future__ import annotations

from typing import Any

from api.access import Grant
from api.identity.tokens import TOKEN_PREFIX
from api.roles import Role
from api.settings import Settings
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import bearer, token_secret


async def test_sign_in_is_rate_limited_per_address(app: Any, settings: Settings) -> None:
    async with client_at(app, "10.5.0.1") as http, client_at(app, "10.5.0.2") as neighbour:
        for _ in range(settings.rate_limit_sign_in):
            assert (await http.get("/api/auth/login")).status_code != 429
        limited = await http.get("/api/auth/login")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert limited.json()["message"].startswith("Too many sign-in attempts from this address.")
        assert limited.json()["status"] == 429
        # Another address is not affected.
        assert (await neighbour.get("/api/auth/login")).status_code != 429


async def test_token_changes_are_rate_limited(app: Any, world: World, settings: Settings) -> None:
    admin = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    async with client_at(app, "10.5.0.3") as http:
        for _ in range(settings.rate_limit_tokens):
            assert (await http.post("/api/tokens", headers=admin, json={})).status_code == 400
        limited = await http.post("/api/tokens", headers=admin, json={})
        assert limited.status_code == 429 and "Retry-After" in limited.headers
        assert "Too many API token changes" in limited.json()["message"]
        # Reading the list is not a change.
        assert (await http.get("/api/tokens", headers=admin)).status_code == 200


async def test_guessing_tokens_is_refused_from_the_address_but_valid_tokens_from_it_pass(
    app: Any, world: World
) -> None:
    good = bearer(await token_secret(world.db, Grant(Role.TEACHER, organisation_id=world.a.id)))
    async with client_at(app, "10.5.0.4") as http:
        for n in range(20):
            answer = await http.get("/api/territories", headers=bearer(f"{TOKEN_PREFIX}guess{n:040d}"))
            assert answer.status_code == 401
        refused = await http.get("/api/territories", headers=bearer(f"{TOKEN_PREFIX}guess{99:040d}"))
        assert refused.status_code == 429 and "invalid API tokens" in refused.json()["message"]
        assert int(refused.headers["retry-after"]) > 0
        # The guessing does not lock out a valid token sent from the same address.
        assert (await http.get("/api/territories", headers=good)).status_code == 200
        assert (await http.get("/api/territories", headers=bearer(f"{TOKEN_PREFIX}guess{98:040d}"))).status_code == 429
    async with client_at(app, "10.5.0.5") as other:
        assert (await other.get("/api/territories", headers=good)).status_code == 200
