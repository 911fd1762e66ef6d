"""API tokens: issued once, stored hashed, used, throttled last use, revoked, expired, refused."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any
from uuid import UUID

from sqlalchemy import select, update

from api.access import Grant
from api.identity.tokens import TOKEN_PREFIX, ApiToken
from api.roles import Role
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import bearer, token_secret


def _later(days: int = 30) -> str:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)).isoformat()


async def _row(world: World, token_id: str) -> ApiToken:
    async with world.db.session() as session:
        row = await session.get(ApiToken, UUID(token_id))
    assert row is not None
    return row


async def test_issue_use_and_revoke(app: Any, world: World) -> None:
    admin = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    async with client_at(app, "10.1.0.1") as http:
        created = await http.post(
            "/api/tokens",
            headers=admin,
            json={
                "name": "  Akmola regional IS  ",
                "role": "district_methodist",
                "territory_id": str(world.district1),
                "expires_at": _later(),
            },
        )
        assert created.status_code == 201, created.text
        body = created.json()
        secret = body["secret"]
        assert secret.startswith(TOKEN_PREFIX) and len(secret) > 40
        assert body["token"]["name"] == "Akmola regional IS"
        assert body["token"]["display_prefix"] == secret[:12]
        assert body["token"]["status"] == "active"

        # Stored as the SHA-256 of the secret only; never shown again.
        row = await _row(world, body["token"]["id"])
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in repr(row.__dict__)
        listed = await http.get("/api/tokens", headers=admin)
        assert listed.status_code == 200
        assert body["token"]["id"] in listed.text and secret not in listed.text
        detail = await http.get(f"/api/tokens/{body['token']['id']}", headers=admin)
        assert detail.status_code == 200 and "secret" not in detail.json()

        # The token works with its role: a district methodist of D1 reads school A, not B.
        assert (await http.get(f"/api/organisations/{world.a.id}", headers=bearer(secret))).status_code == 200
        assert (await http.get(f"/api/organisations/{world.b.id}", headers=bearer(secret))).status_code == 404
        assert (await _row(world, body["token"]["id"])).last_used_at is not None

        revoked = await http.post(f"/api/tokens/{body['token']['id']}/revoke", headers=admin)
        assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
        refused = await http.get("/api/territories", headers=bearer(secret))
        assert refused.status_code == 401
        assert refused.json() == {"status": 401, "message": "The API token was revoked.", "field": None, "clause": None}
        again = await http.post(f"/api/tokens/{body['token']['id']}/revoke", headers=admin)
        assert again.status_code == 409


async def test_last_use_is_written_at_most_once_a_minute(app: Any, world: World) -> None:
    secret = await token_secret(world.db, Grant(Role.TEACHER, organisation_id=world.a.id))
    async with client_at(app, "10.1.0.2") as http:
        assert (await http.get("/api/territories", headers=bearer(secret))).status_code == 200
        async with world.db.session() as session:
            token = await session.scalar(
                select(ApiToken).where(ApiToken.secret_hash == hashlib.sha256(secret.encode()).hexdigest())
            )
        assert token is not None and token.last_used_at is not None
        first = token.last_used_at
        assert (await http.get("/api/territories", headers=bearer(secret))).status_code == 200
        assert (await _row(world, str(token.id))).last_used_at == first  # throttled: no second write
        # A minute later the next use is recorded.
        async with world.db.session() as session, session.begin():
            await session.execute(
                update(ApiToken)
                .where(ApiToken.id == token.id)
                .values(last_used_at=first - datetime.timedelta(minutes=2))
            )
        assert (await http.get("/api/territories", headers=bearer(secret))).status_code == 200
        assert (await _row(world, str(token.id))).last_used_at > first - datetime.timedelta(seconds=1)


async def test_expired_unknown_and_malformed_credentials_are_401_with_the_reason(app: Any, world: World) -> None:
    expired = await token_secret(
        world.db,
        Grant(Role.NATIONAL_ADMIN, territory_id=world.republic),
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1),
    )
    async with client_at(app, "10.1.0.3") as http:
        answer = await http.get("/api/organisations", headers=bearer(expired))
        assert (answer.status_code, answer.json()["message"]) == (401, "The API token expired.")
        answer = await http.get("/api/organisations", headers=bearer(TOKEN_PREFIX + "x" * 43))
        assert (answer.status_code, answer.json()["message"]) == (401, "The API token is not valid.")
        answer = await http.get("/api/organisations", headers={"authorization": "Basic dXNlcjpwYXNz"})
        assert answer.status_code == 401 and "Bearer" in answer.json()["message"]
        answer = await http.get("/api/organisations")
        assert (answer.status_code, answer.json()["message"]) == (401, "Sign in to use this.")
        # Public routes answer whatever the credential.
        assert (await http.get("/api/health", headers=bearer(expired))).status_code == 200


async def test_bad_token_requests_are_refused_and_nothing_is_written(app: Any, world: World) -> None:
    admin = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    base = {"name": "bad", "role": "teacher", "organisation_id": str(world.a.id), "expires_at": _later()}
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({**base, "expires_at": _later(-1)}, 422, "expires_at"),
        ({**base, "expires_at": _later(400)}, 422, "expires_at"),
        ({**base, "expires_at": "2027-01-01T00:00:00"}, 422, "expires_at"),
        ({**base, "role": "superuser"}, 422, "role"),
        ({**base, "name": "   "}, 422, "name"),
        ({**base, "role": "regional_admin"}, 422, "role"),  # held at a region, not an organisation
        ({**base, "territory_id": str(world.district1)}, 422, "territory_id"),  # two nodes
        ({k: v for k, v in base.items() if k != "expires_at"}, 400, "expires_at"),
        ({**base, "organisation_id": str(world.b.id)}, 404, "organisation_id"),  # B is in R2: out of reach
        (
            {"name": "x", "role": "national_admin", "territory_id": str(world.republic), "expires_at": _later()},
            403,
            "territory_id",
        ),
    ]
    async with world.db.session() as session:
        before = len((await session.scalars(select(ApiToken.id))).all())
    async with client_at(app, "10.1.0.4") as http:
        for payload, status, field in cases:
            answer = await http.post("/api/tokens", headers=admin, json=payload)
            assert answer.status_code == status, (payload, answer.text)
            assert answer.json()["field"] == field, (payload, answer.text)
    async with world.db.session() as session:
        assert len((await session.scalars(select(ApiToken.id))).all()) == before


async def test_token_holders_of_lower_roles_cannot_manage_tokens(app: Any, world: World) -> None:
    teacher = await world.session(Grant(Role.TEACHER, organisation_id=world.a.id))
    org_admin_b = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.b.id))
    target = await token_secret(world.db, Grant(Role.TEACHER, organisation_id=world.a.id), name="A's system")
    async with world.db.session() as session:
        target_id = await session.scalar(
            select(ApiToken.id).where(ApiToken.secret_hash == hashlib.sha256(target.encode()).hexdigest())
        )
    async with client_at(app, "10.1.0.5") as http:
        answer = await http.get("/api/tokens", headers=teacher)
        assert (
            answer.status_code == 403 and "organisation administrator" in answer.json()["message"]
        )  # the role as people say it
        # A token of any role manages no tokens (tests/identity/access/test_token_routes.py).
        teacher_token = bearer(await token_secret(world.db, Grant(Role.TEACHER, organisation_id=world.a.id)))
        assert (await http.get("/api/tokens", headers=teacher_token)).status_code == 403
        # Another organisation's admin neither sees nor revokes A's token.
        listed = await http.get("/api/tokens", headers=org_admin_b)
        assert listed.status_code == 200 and str(target_id) not in listed.text
        assert (await http.get(f"/api/tokens/{target_id}", headers=org_admin_b)).status_code == 404
        assert (await http.post(f"/api/tokens/{target_id}/revoke", headers=org_admin_b)).status_code == 404
    assert (await _row(world, str(target_id))).revoked_at is None
