"""Role assignments: admins grant within their reach; inter-school leaders come from the district (cl. 30)."""

from __future__ import annotations

from typing import Any

from api.access import Grant
from api.roles import Role
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import new_user


async def test_admins_grant_and_revoke_within_their_reach(app: Any, world: World) -> None:
    admin_a = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    admin_b = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.b.id))
    person = await new_user(world.db, [])
    async with client_at(app, "10.2.0.1") as http:
        granted = await http.post(
            "/api/role-assignments",
            headers=admin_a,
            json={"user_id": str(person), "role": "deputy_head", "organisation_id": str(world.a.id)},
        )
        assert granted.status_code == 201, granted.text
        assignment = granted.json()
        assert assignment["role"] == "deputy_head" and assignment["organisation_id"] == str(world.a.id)
        duplicate = await http.post(
            "/api/role-assignments",
            headers=admin_a,
            json={"user_id": str(person), "role": "deputy_head", "organisation_id": str(world.a.id)},
        )
        assert duplicate.status_code == 409
        # The admin of B neither grants at A nor sees or revokes A's assignment.
        other = await http.post(
            "/api/role-assignments",
            headers=admin_b,
            json={"user_id": str(person), "role": "teacher", "organisation_id": str(world.a.id)},
        )
        assert other.status_code == 404
        assert (await http.get(f"/api/users/{person}/roles", headers=admin_b)).status_code == 404
        assert (await http.delete(f"/api/role-assignments/{assignment['id']}", headers=admin_b)).status_code == 404
        # An organisation admin grants nothing at a territory.
        territory = await http.post(
            "/api/role-assignments",
            headers=admin_a,
            json={"user_id": str(person), "role": "district_methodist", "territory_id": str(world.district1)},
        )
        assert territory.status_code == 403
        roles = await http.get(f"/api/users/{person}/roles", headers=admin_a)
        assert roles.status_code == 200 and [r["role"] for r in roles.json()] == ["deputy_head"]
        at_a = await http.get(f"/api/organisations/{world.a.id}/role-assignments", headers=admin_a)
        assert assignment["id"] in at_a.text
        assert (await http.delete(f"/api/role-assignments/{assignment['id']}", headers=admin_a)).status_code == 204
        assert (await http.get(f"/api/users/{person}/roles", headers=admin_a)).status_code == 404


async def test_bad_grants_are_refused(app: Any, world: World) -> None:
    me = await world.user(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    from tests.identity.access.principals import session_cookie

    admin = await session_cookie(world.api, world.db, me)
    person = await new_user(world.db, [])
    cases = [
        ({"user_id": str(person), "role": "wizard", "organisation_id": str(world.a.id)}, 422, "role"),
        ({"user_id": str(person), "role": "teacher", "territory_id": str(world.district1)}, 422, "role"),
        ({"user_id": str(person), "role": "regional_admin", "organisation_id": str(world.a.id)}, 422, "role"),
        ({"user_id": str(person), "role": "teacher"}, 422, "territory_id"),
        (
            {
                "user_id": str(person),
                "role": "teacher",
                "territory_id": str(world.district1),
                "unit_id": str(world.a.id),
            },
            422,
            "unit_id",
        ),
        ({"user_id": str(me), "role": "head", "organisation_id": str(world.a.id)}, 403, "user_id"),
        (
            {"user_id": "00000000-0000-7000-8000-000000000000", "role": "head", "organisation_id": str(world.a.id)},
            404,
            "user_id",
        ),
        ({"user_id": str(person), "role": "teacher", "organisation_id": str(world.a.id), "extra": 1}, 400, "extra"),
    ]
    async with client_at(app, "10.2.0.2") as http:
        for payload, status, field in cases:
            answer = await http.post("/api/role-assignments", headers=admin, json=payload)
            assert (answer.status_code, answer.json()["field"]) == (status, field), (payload, answer.text)
        assert (await http.get(f"/api/users/{person}/roles", headers=admin)).status_code == 404  # nothing was granted


async def test_inter_school_association_leaders_are_appointed_by_the_district(app: Any, world: World) -> None:
    """Cl. 30: leaders of inter-school associations are appointed by the district (city) level."""
    dm_in = await world.session(Grant(Role.DISTRICT_METHODIST, territory_id=world.district1))
    dm_out = await world.session(Grant(Role.DISTRICT_METHODIST, territory_id=world.district2))
    regional = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    national = await world.session(Grant(Role.NATIONAL_ADMIN, territory_id=world.republic))
    leader = await new_user(world.db, [])
    association = "01a214f6-0000-7000-8000-0000000a550c"
    grant = {
        "user_id": str(leader),
        "role": "association_leader",
        "organisation_id": str(world.cabinet.id),
        "unit_id": association,
    }
    async with client_at(app, "10.2.0.3") as http:
        for refused_by, status in ((regional, 403), (national, 403), (dm_out, 404)):
            answer = await http.post("/api/role-assignments", headers=refused_by, json=grant)
            assert answer.status_code == status, answer.text
            if status == 403:
                assert answer.json()["clause"] == "30"
        appointed = await http.post("/api/role-assignments", headers=dm_in, json=grant)
        assert appointed.status_code == 201, appointed.text
        # A district methodist appoints nothing else: not a school's own association leader, not a teacher.
        for role, org in (("association_leader", world.a.id), ("teacher", world.a.id)):
            answer = await http.post(
                "/api/role-assignments",
                headers=dm_in,
                json={"user_id": str(leader), "role": role, "organisation_id": str(org)},
            )
            assert (answer.status_code, answer.json()["clause"]) == (403, "30"), answer.text
        # The district methodist revokes the appointment again; the regional admin may not.
        assert (
            await http.delete(f"/api/role-assignments/{appointed.json()['id']}", headers=regional)
        ).status_code == 403
        assert (await http.delete(f"/api/role-assignments/{appointed.json()['id']}", headers=dm_in)).status_code == 204
