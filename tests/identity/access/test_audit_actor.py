"""Every audit entry names who acted: the person, or the API token and the person who issued it;
and role grants and revocations — acts on who may do what — are recorded in the control plane's
own append-only audit log (docs/rules.md, "Who acted")."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from api.access import Grant
from api.audit import AuditEntry, verify
from api.identity.models import IdentityAuditEntry
from api.identity.tokens import ApiToken, hash_secret, issue_token
from api.roles import Role
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import bearer, new_user

pytestmark = pytest.mark.asyncio


async def test_a_write_with_a_token_names_the_token_and_the_person_who_issued_it(app: Any, world: World) -> None:
    issuer = await new_user(world.db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id)], name="Issuer")
    async with world.db.session() as session, session.begin():
        token, secret = await issue_token(
            session,
            name="regional system",
            grant=Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id),
            expires_at=_in_a_day(),
            created_by=issuer,
        )
        token_id = token.id
    person = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    person_id = await world.user(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    base = f"/api/organisations/{world.a.id}/units"
    async with client_at(app, "10.3.0.1") as http:
        by_token = await http.post(
            base, json={"name": "Association by a token", "kind": "association"}, headers=bearer(secret)
        )
        by_person = await http.post(
            base, json={"name": "Association by a person", "kind": "association"}, headers=person
        )
        listed = await http.get(
            f"/api/organisations/{world.a.id}/audit-log", params={"entity_id": by_token.json()["id"]}, headers=person
        )
    assert by_token.status_code == 201 and by_person.status_code == 201, (by_token.text, by_person.text)
    async with world.db.tenant_session(world.a.schema_name) as session:
        entries = {
            e.entity_id: e
            for e in (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.entity_id.in_([by_token.json()["id"], by_person.json()["id"]]))
                )
            ).all()
        }
        chain = await verify(session)
    token_entry, person_entry = entries[by_token.json()["id"]], entries[by_person.json()["id"]]
    assert (token_entry.actor_id, token_entry.token_id) == (issuer, token_id)
    assert (person_entry.actor_id, person_entry.token_id) == (person_id, None)
    # The token is part of the hashed entry: the chain still verifies with it.
    assert chain.ok, chain.describe()
    assert listed.status_code == 200
    assert [(e["actor_id"], e["token_id"]) for e in listed.json()["items"]] == [(str(issuer), str(token_id))]
    async with world.db.session() as session:
        assert await session.scalar(select(ApiToken.id).where(ApiToken.secret_hash == hash_secret(secret))) == token_id


async def test_role_grants_and_revocations_are_audited_in_the_control_plane(
    app: Any, world: World, database_url: str
) -> None:
    admin = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    admin_id = await world.user(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    person = await new_user(world.db, [], name="Granted Person")
    async with client_at(app, "10.3.0.2") as http:
        granted = await http.post(
            "/api/role-assignments",
            headers=admin,
            json={"user_id": str(person), "role": "deputy_head", "organisation_id": str(world.a.id)},
        )
        assert granted.status_code == 201, granted.text
        refused = await http.post(
            "/api/role-assignments",
            headers=admin,
            json={"user_id": str(person), "role": "deputy_head", "organisation_id": str(world.a.id)},
        )
        assert refused.status_code == 409
        revoked = await http.delete(f"/api/role-assignments/{granted.json()['id']}", headers=admin)
        assert revoked.status_code == 204
    async with world.db.session() as session:
        rows = (
            await session.scalars(
                select(IdentityAuditEntry)
                .where(IdentityAuditEntry.subject_user_id == person)
                .order_by(IdentityAuditEntry.seq)
            )
        ).all()
    # The refused duplicate wrote nothing.
    assert [(r.action, r.actor_id, r.token_id, r.entity_id) for r in rows] == [
        ("role.grant", admin_id, None, granted.json()["id"]),
        ("role.revoke", admin_id, None, granted.json()["id"]),
    ]
    assert rows[0].after["role"] == "deputy_head" and rows[0].after["organisation_id"] == str(world.a.id)
    assert rows[1].before["role"] == "deputy_head" and rows[1].after is None
    # Append-only: the database refuses to change or remove an entry.
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in (
            "UPDATE public.identity_audit_log SET action = 'x' WHERE id = %s",
            "DELETE FROM public.identity_audit_log WHERE id = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement, (rows[0].id,))


def _in_a_day() -> Any:
    import datetime

    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)


async def test_issuing_and_revoking_a_token_is_audited_as_a_grant_without_its_secret(app: Any, world: World) -> None:
    import datetime

    admin = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    admin_id = await world.user(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    expiry = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)).isoformat()
    async with client_at(app, "10.3.0.3") as http:
        created = await http.post(
            "/api/tokens",
            headers=admin,
            json={
                "name": "Audited IS",
                "role": "district_methodist",
                "territory_id": str(world.district1),
                "expires_at": expiry,
            },
        )
        assert created.status_code == 201, created.text
        token_id = created.json()["token"]["id"]
        assert (await http.post(f"/api/tokens/{token_id}/revoke", headers=admin)).status_code == 200
    async with world.db.session() as session:
        rows = (
            await session.scalars(
                select(IdentityAuditEntry)
                .where(IdentityAuditEntry.entity_id == token_id)
                .order_by(IdentityAuditEntry.seq)
            )
        ).all()
    assert [(r.action, r.actor_id) for r in rows] == [("api_token.issue", admin_id), ("api_token.revoke", admin_id)]
    assert rows[0].after["role"] == "district_methodist" and rows[0].after["territory_id"] == str(world.district1)
    assert rows[1].before["revoked_at"] is None and rows[1].after["revoked_at"] is not None
    secret = created.json()["secret"]
    for row in rows:
        assert "secret_hash" not in (row.after or {}) and secret not in str(row.after) + str(row.before)
