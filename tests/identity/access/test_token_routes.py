"""API tokens on the management routes: invitations yes (a regional system inviting its schools'
staff), everything that decides who can sign in or what a person holds no — refused with 403 and
the reason, never a misleading 401 "Sign in first"."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from api.access import Grant
from api.identity.models import IdentityAuditEntry, Invitation
from api.roles import Role
from tests.identity.access.conftest import World, client_at


async def test_a_regional_system_manages_invitations_with_its_token(app: Any, world: World) -> None:
    regional = await world.token(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    address = f"teacher-{uuid.uuid4().hex[:6]}@school.kz"
    async with client_at(app, "10.6.0.1") as http:
        created = await http.post(
            f"/api/organisations/{world.a.id}/invitations", headers=regional, json={"email": address, "role": "teacher"}
        )
        assert created.status_code == 201, created.text
        invitation = created.json()["invitation"]
        assert invitation["invited_by"] is None and created.json()["link"].startswith("http")
        listed = await http.get(f"/api/organisations/{world.a.id}/invitations", headers=regional)
        assert listed.status_code == 200 and invitation["id"] in listed.text
        people = await http.get(f"/api/organisations/{world.a.id}/people", headers=regional)
        assert people.status_code == 200
        revoked = await http.delete(f"/api/organisations/{world.a.id}/invitations/{invitation['id']}", headers=regional)
        assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

        # Its reach is its region: school B (another region) does not exist for it.
        outside = await http.post(
            f"/api/organisations/{world.b.id}/invitations", headers=regional, json={"email": address, "role": "teacher"}
        )
        assert outside.status_code == 404 and outside.json()["field"] == "organisation_id"
        # Bad input is refused as for a person, and nothing is written.
        bad = await http.post(
            f"/api/organisations/{world.a.id}/invitations",
            headers=regional,
            json={"email": address, "role": "regional_admin"},
        )
        assert bad.status_code == 400 and bad.json()["field"] == "role"

    async with world.db.session() as session:
        rows = (await session.scalars(select(Invitation).where(Invitation.email == address))).all()
        assert len(rows) == 1  # the refused ones left nothing
        audit = (
            await session.scalars(
                select(IdentityAuditEntry)
                .where(IdentityAuditEntry.entity_id == str(rows[0].id))
                .order_by(IdentityAuditEntry.seq)
            )
        ).all()
    # The log names the token that acted.
    assert [(e.action, e.actor_kind) for e in audit] == [("invitation.create", "token"), ("invitation.revoke", "token")]
    assert all(e.token_id is not None for e in audit)


async def test_tokens_are_refused_with_the_reason_where_a_person_must_act(app: Any, world: World) -> None:
    national = await world.token(Grant(Role.NATIONAL_ADMIN, territory_id=world.republic))
    someone = await world.user(Grant(Role.TEACHER, organisation_id=world.a.id))
    a = world.a.id
    refused = [
        ("GET", f"/api/organisations/{a}/identity-providers", None, "sign-in services"),
        ("POST", f"/api/organisations/{a}/identity-providers", {"name": "x"}, "sign-in services"),
        ("DELETE", f"/api/organisations/{a}/identity-providers/{uuid.uuid4()}", None, "sign-in services"),
        ("GET", f"/api/users/{someone}/sessions", None, "sessions"),
        ("DELETE", f"/api/users/{someone}/sessions", None, "sessions"),
        ("GET", "/api/tokens", None, "API tokens cannot issue"),
        ("POST", "/api/tokens", {"name": "x"}, "API tokens cannot issue"),
        (
            "POST",
            "/api/role-assignments",
            {"user_id": str(someone), "role": "head", "organisation_id": str(a)},
            "invite the person",
        ),
        ("DELETE", f"/api/role-assignments/{uuid.uuid4()}", None, "invite the person"),
        ("GET", "/api/access-requests", None, "Access requests are made and answered by people"),
        ("POST", "/api/access-requests", {"organisation": str(a)}, "Access requests are made and answered by people"),
        ("POST", f"/api/access-requests/{uuid.uuid4()}/answer", {"decision": "decline"}, "Access requests"),
    ]
    async with client_at(app, "10.6.0.2") as http:
        for method, path, body, reason in refused:
            answer = await http.request(method, path, headers=national, json=body)
            assert answer.status_code == 403, (method, path, answer.text)
            assert reason in answer.json()["message"], (method, path, answer.text)
            assert answer.json()["status"] == 403
        # In the caller's language too.
        russian = await http.get(
            f"/api/organisations/{a}/identity-providers", headers={**national, "accept-language": "ru"}
        )
        assert russian.status_code == 403 and "API-токен" in russian.json()["message"]
    async with world.db.session() as session:
        assert (
            await session.scalar(select(Invitation.id).where(Invitation.organisation_id == a, Invitation.email == "x"))
        ) is None
