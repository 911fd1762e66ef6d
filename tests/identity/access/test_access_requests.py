"""Access requests: a person without a role asks, the administrators of that place — and only
they — answer; bad input is refused at its field with nothing written; every step is audited."""

from __future__ import annotations

import datetime
import uuid
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from api.access import Grant
from api.domain.accounts.models import RoleAssignment, User
from api.identity.audit import verify
from api.identity.crypto import new_token, token_hash
from api.identity.models import AccessRequest, IdentityAuditEntry, Invitation
from api.roles import Role
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import session_cookie


async def _person(world: World, email: str, *, verified: bool = False) -> UUID:
    async with world.db.session() as session, session.begin():
        user = User(
            issuer="https://unverified.invalid",
            subject=uuid.uuid4().hex,
            email=email,
            full_name="Asking Person",
            email_verified=verified,
        )
        session.add(user)
        await session.flush()
        return user.id


async def _count(world: World, model: type, *where: Any) -> int:
    async with world.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_person_without_a_role_asks_and_the_organisation_admin_approves(app: Any, world: World) -> None:
    email = f"asker-{uuid.uuid4().hex[:6]}@school.kz"
    person = await _person(world, email)
    asking = await session_cookie(world.api, world.db, person)
    admin_a = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    admin_b = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.b.id))
    regional_2 = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region2))
    teacher_a = await world.session(Grant(Role.TEACHER, organisation_id=world.a.id))
    async with client_at(app, "10.7.0.1") as http:
        me = (await http.get("/api/auth/me", headers=asking)).json()
        assert me["grants"] == [] and me["email_verified"] is False and me["waiting_invitations"] == []
        places = await http.get("/api/access-requests/places", headers=asking)
        assert places.status_code == 200 and places.json()[0]["kind"] == "republic"

        asked = await http.post(
            "/api/access-requests",
            headers=asking,
            json={"organisation": world.a.bin, "role": "teacher", "message": "  I teach   maths  "},
        )
        assert asked.status_code == 201, asked.text
        request = asked.json()
        assert request["status"] == "pending" and request["organisation_id"] == str(world.a.id)
        assert request["message"] == "I teach maths" and request["place_level"] == "organisation"
        again = await http.post("/api/access-requests", headers=asking, json={"organisation": str(world.a.id)})
        assert again.status_code == 409 and again.json()["field"] == "organisation"

        # Who sees it: A's admin; not B's admin, nor another region's admin, nor a teacher of A.
        assert request["id"] in (await http.get("/api/access-requests", headers=admin_a)).text
        assert request["id"] not in (await http.get("/api/access-requests", headers=admin_b)).text
        assert request["id"] not in (await http.get("/api/access-requests", headers=regional_2)).text
        assert (await http.get("/api/access-requests", headers=teacher_a)).status_code == 403
        # Who may answer: the same; the others find nothing to answer.
        url = f"/api/access-requests/{request['id']}/answer"
        assert (
            await http.post(url, headers=admin_b, json={"decision": "approve", "role": "teacher"})
        ).status_code == 404
        assert (await http.post(url, headers=regional_2, json={"decision": "decline"})).status_code == 404
        assert (await http.post(url, headers=teacher_a, json={"decision": "decline"})).status_code == 403
        assert (await http.post(url, headers=asking, json={"decision": "decline"})).status_code == 403

        # Bad answers: refused at their field, nothing granted.
        for body, status, field in [
            ({"decision": "approve"}, 422, "role"),
            ({"decision": "approve", "role": "chief"}, 422, "role"),
            ({"decision": "approve", "role": "regional_admin"}, 422, "role"),
            ({"decision": "maybe"}, 400, "decision"),
            ({"decision": "decline", "note": "x" * 1001}, 400, "note"),
            ({"decision": "decline", "extra": 1}, 400, "extra"),
        ]:
            answer = await http.post(url, headers=admin_a, json=body)
            assert answer.status_code == status and answer.json()["field"] == field, (body, answer.text)
        assert await _count(world, RoleAssignment, RoleAssignment.user_id == person) == 0

        approved = await http.post(
            url, headers=admin_a, json={"decision": "approve", "role": "teacher", "note": "Welcome"}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved" and approved.json()["granted_role"] == "teacher"
        twice = await http.post(url, headers=admin_a, json={"decision": "decline"})
        assert twice.status_code == 409

        me = (await http.get("/api/auth/me", headers=asking)).json()
        assert [(g["role"], g["organisation_id"]) for g in me["grants"]] == [("teacher", str(world.a.id))]
        mine = (await http.get("/api/access-requests/mine", headers=asking)).json()
        assert mine[0]["status"] == "approved" and mine[0]["answer_note"] == "Welcome"

    async with world.db.session() as session:
        actions = (
            await session.scalars(
                select(IdentityAuditEntry.action)
                .where(IdentityAuditEntry.entity_id == request["id"])
                .order_by(IdentityAuditEntry.seq)
            )
        ).all()
        assert list(actions) == ["access_request.create", "access_request.approve"]
        assert (await verify(session)).ok
    # The log is append-only: the database refuses to change it.
    async with world.db.session() as session:
        try:
            await session.execute(text("UPDATE public.identity_audit_log SET action = 'forged'"))
        except DBAPIError as refused:
            assert "append-only" in str(refused)
        else:
            raise AssertionError("the identity audit log accepted an UPDATE")


async def test_bad_requests_are_refused_and_nothing_is_written(app: Any, world: World) -> None:
    person = await _person(world, f"bad-{uuid.uuid4().hex[:6]}@school.kz")
    asking = await session_cookie(world.api, world.db, person)
    async with client_at(app, "10.7.0.2") as http:
        cases = [
            ({}, 422, "organisation"),
            ({"organisation": world.a.bin, "territory_id": str(world.district1)}, 422, "organisation"),
            ({"organisation": "000000000000"}, 404, "organisation"),
            ({"organisation": "not a bin"}, 404, "organisation"),
            ({"territory_id": str(uuid.uuid4())}, 404, "territory_id"),
            ({"territory_id": "nonsense"}, 400, "territory_id"),
            ({"organisation": world.a.bin, "role": "chief"}, 422, "role"),
            ({"organisation": world.a.bin, "role": "regional_admin"}, 422, "role"),
            ({"territory_id": str(world.district1), "role": "teacher"}, 422, "role"),
            ({"organisation": world.a.bin, "message": "x" * 1001}, 400, "message"),
            ({"organisation": world.a.bin, "colour": "red"}, 400, "colour"),
        ]
        for body, status, field in cases:
            answer = await http.post("/api/access-requests", headers=asking, json=body)
            assert answer.status_code == status, (body, answer.text)
            assert answer.json()["field"] == field, (body, answer.text)
        assert await _count(world, AccessRequest, AccessRequest.user_id == person) == 0
        # Not signed in: 401 with the reason; another person's request cannot be withdrawn.
        assert (await http.post("/api/access-requests", json={"organisation": world.a.bin})).status_code == 401
        theirs = await http.post("/api/access-requests", headers=asking, json={"territory_id": str(world.district1)})
        assert theirs.status_code == 201 and theirs.json()["place_level"] == "district"
        stranger = await session_cookie(world.api, world.db, await _person(world, "stranger@school.kz"))
        withdraw = f"/api/access-requests/{theirs.json()['id']}/withdraw"
        assert (await http.post(withdraw, headers=stranger)).status_code == 404
        assert (await http.post(withdraw, headers=asking)).json()["status"] == "withdrawn"
        assert (await http.post(withdraw, headers=asking)).status_code == 409
        # At most five wait at once.
        regions = [world.region1, world.region2, world.district2, world.republic, world.district1]
        for n, place in enumerate(regions):
            answer = await http.post("/api/access-requests", headers=asking, json={"territory_id": str(place)})
            assert answer.status_code == 201, (n, answer.text)
        sixth = await http.post("/api/access-requests", headers=asking, json={"organisation": world.a.bin})
        assert sixth.status_code == 409


async def test_a_district_request_is_answered_by_the_regional_admin(app: Any, world: World) -> None:
    person = await _person(world, f"district-{uuid.uuid4().hex[:6]}@edu.kz")
    asking = await session_cookie(world.api, world.db, person)
    regional_1 = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    admin_a = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    async with client_at(app, "10.7.0.3") as http:
        asked = await http.post(
            "/api/access-requests",
            headers=asking,
            json={"territory_id": str(world.district1), "role": "district_methodist"},
        )
        assert asked.status_code == 201, asked.text
        url = f"/api/access-requests/{asked.json()['id']}/answer"
        # A school's admin administers no district.
        assert asked.json()["id"] not in (await http.get("/api/access-requests", headers=admin_a)).text
        assert (await http.post(url, headers=admin_a, json={"decision": "decline"})).status_code == 404
        listed = (await http.get("/api/access-requests", headers=regional_1)).json()
        assert any(r["id"] == asked.json()["id"] for r in listed)
        # The role must be one held at a district.
        wrong = await http.post(url, headers=regional_1, json={"decision": "approve", "role": "teacher"})
        assert wrong.status_code == 422 and wrong.json()["field"] == "role"
        declined = await http.post(url, headers=regional_1, json={"decision": "decline", "note": "Ask your cabinet"})
        assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert await _count(world, RoleAssignment, RoleAssignment.user_id == person) == 0


async def test_an_admin_confirms_an_invitation_the_sign_in_service_did_not_vouch_for(app: Any, world: World) -> None:
    """The national SSO sent no `email_verified: true`: the invitation waits. The person sees why
    (me.waiting_invitations), asks, and the admin's approval binds the invitation to them."""
    email = f"unverified-{uuid.uuid4().hex[:6]}@school.kz"
    person = await _person(world, email, verified=False)
    asking = await session_cookie(world.api, world.db, person)
    admin_a = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    async with world.db.session() as session, session.begin():
        invitation = Invitation(
            email=email,
            role="deputy_head",
            organisation_id=world.a.id,
            token_hash=token_hash(new_token()),
            expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
        )
        session.add(invitation)
    async with client_at(app, "10.7.0.4") as http:
        me = (await http.get("/api/auth/me", headers=asking)).json()
        assert me["email_verified"] is False
        assert [(w["role"], w["organisation_id"]) for w in me["waiting_invitations"]] == [
            ("deputy_head", str(world.a.id))
        ]
        asked = await http.post("/api/access-requests", headers=asking, json={"organisation": str(world.a.id)})
        assert asked.status_code == 201
        listed = (await http.get("/api/access-requests", headers=admin_a)).json()
        mine = next(r for r in listed if r["id"] == asked.json()["id"])
        assert mine["email_verified"] is False
        assert [m["role"] for m in mine["matching_invitations"]] == ["deputy_head"]
        approved = await http.post(
            f"/api/access-requests/{mine['id']}/answer",
            headers=admin_a,
            json={"decision": "approve", "role": "deputy_head"},
        )
        assert approved.status_code == 200, approved.text
        me = (await http.get("/api/auth/me", headers=asking)).json()
        assert [g["role"] for g in me["grants"]] == ["deputy_head"] and me["waiting_invitations"] == []
    async with world.db.session() as session:
        row = await session.get(Invitation, invitation.id)
        assert row is not None and row.accepted_by == person
        grant = (
            await session.scalars(
                select(IdentityAuditEntry)
                .where(IdentityAuditEntry.action == "role.grant")
                .order_by(IdentityAuditEntry.seq.desc())
            )
        ).first()
        assert grant is not None and grant.after["confirmed_invitations"] == [str(invitation.id)]
