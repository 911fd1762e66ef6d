"""The guard across the hierarchy and the reach filter, on the real application."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from litestar import Litestar, get, post

from api.access import Grant, Principal, Scope, access
from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from api.identity.guards import access_guard, usable_grants
from api.identity.reach import Reach, TerritoryTree, reach_of
from api.roles import Role
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import bearer, token_secret


async def _listed(http: Any, headers: dict[str, str], world: World) -> set[str]:
    answer = await http.get(
        "/api/organisations", headers=headers, params={"page_size": 200, "q": world.a.name_en.split()[-1]}
    )
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


async def test_the_organisations_list_shows_only_what_is_in_reach(app: Any, world: World) -> None:
    a, b, c = str(world.a.id), str(world.b.id), str(world.cabinet.id)
    async with client_at(app, "10.3.0.1") as http:
        assert await _listed(http, await world.session(Grant(Role.TEACHER, organisation_id=world.a.id)), world) == {a}
        assert await _listed(
            http, await world.session(Grant(Role.DISTRICT_METHODIST, territory_id=world.district1)), world
        ) == {a, c}
        assert await _listed(
            http, await world.session(Grant(Role.REGIONAL_METHODIST, territory_id=world.region2)), world
        ) == {b}
        assert await _listed(
            http, await world.session(Grant(Role.NATIONAL_METHODIST, territory_id=world.republic)), world
        ) == {a, b, c}
        # A unit grant reaches its organisation.
        unit = Grant(Role.UNIT_HEAD, organisation_id=world.b.id, unit_id=uuid.uuid4())
        assert await _listed(http, await world.session(unit), world) == {b}
        assert (
            await http.get(f"/api/organisations/{world.b.id}", headers=await world.session(unit))
        ).status_code == 200


async def test_out_of_reach_is_404_and_a_weak_role_is_403(app: Any, world: World) -> None:
    regional_b = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region2))
    regional_a = await world.session(Grant(Role.REGIONAL_ADMIN, territory_id=world.region1))
    teacher = await world.session(Grant(Role.TEACHER, organisation_id=world.a.id))
    async with client_at(app, "10.3.0.2") as http:
        hidden = await http.patch(f"/api/organisations/{world.a.id}", headers=regional_b, json={"name_en": "x"})
        missing = await http.patch(f"/api/organisations/{uuid.uuid4()}", headers=regional_b, json={"name_en": "x"})
        # Out of reach reads exactly like an organisation that does not exist.
        assert hidden.status_code == missing.status_code == 404
        assert (
            hidden.json()
            == missing.json()
            == {"status": 404, "message": "Organisation not found.", "field": "organisation_id", "clause": None}
        )
        weak = await http.post(f"/api/organisations/{world.a.id}/suspend", headers=teacher)
        assert weak.status_code == 403
        assert weak.json() == {
            "status": 403,
            "message": "Only these roles may do this at this organisation: national administrator, regional "
            "administrator.",
            "field": None,
            "clause": None,
        }
        # A regional admin may not register an organisation in another region.
        from tests.support import school_payload

        answer = await http.post("/api/organisations", headers=regional_b, json=school_payload(str(world.district1)))
        assert (answer.status_code, answer.json()["field"]) == (403, "territory_id")
        # …nor move one of theirs there.
        moved = await http.patch(
            f"/api/organisations/{world.b.id}", headers=regional_b, json={"territory_id": str(world.district1)}
        )
        assert (moved.status_code, moved.json()["field"]) == (403, "territory_id")
        # The region's own admin reaches the school in its district (a grant above holds below).
        assert (
            await http.get(f"/api/organisations/{world.a.id}/role-assignments", headers=regional_a)
        ).status_code == 200


async def test_a_new_district_is_reached_at_once(app: Any, world: World) -> None:
    """The cached territory tree reloads when a grant names a territory it does not know yet."""
    async with world.db.session() as session:
        await reach_of(session, Principal())  # the tree is cached now
    async with world.db.session() as session, session.begin():
        district = await TerritoryService(session).upsert(
            slug=f"access-new-{uuid.uuid4().hex[:6]}",
            kind=TerritoryKind.DISTRICT,
            parent_id=world.region1,
            name_kk="Жаңа",
            name_ru="Новый",
            name_en="New District",
        )
    from tests.support import school_payload

    methodist = bearer(await token_secret(world.db, Grant(Role.DISTRICT_METHODIST, territory_id=district)))
    admin = await world.session(Grant(Role.NATIONAL_ADMIN, territory_id=world.republic))
    async with client_at(app, "10.3.0.3") as http:
        created = await http.post("/api/organisations", headers=admin, json=school_payload(str(district)))
        assert created.status_code == 202, created.text
        assert (await http.get(f"/api/organisations/{created.json()['id']}", headers=methodist)).status_code == 200
        assert (await http.get(f"/api/organisations/{world.a.id}", headers=methodist)).status_code == 404


def test_read_only_roles_read_but_do_not_write_any_routes() -> None:
    ro = Grant(Role.DISTRICT_METHODIST, territory_id=uuid.uuid4())
    teacher = Grant(Role.TEACHER, organisation_id=uuid.uuid4())
    assert usable_grants([ro], "any", "GET") == [ro]
    assert usable_grants([ro], "any", "POST") == []
    assert usable_grants([ro, teacher], "any", "POST") == [teacher]
    assert usable_grants([ro], (Role.DISTRICT_METHODIST,), "POST") == [ro]  # the route names the role
    # Admin roles of a territory imply the organisation admin's, nothing else does.
    admin = Grant(Role.REGIONAL_ADMIN, territory_id=uuid.uuid4())
    assert usable_grants([admin], (Role.ORGANISATION_ADMIN,), "POST") == [admin]
    assert usable_grants([teacher], (Role.HEAD,), "GET") == []


def test_reach_follows_the_tree() -> None:
    republic, region, district, other = (uuid.uuid4() for _ in range(4))
    tree = TerritoryTree(
        [
            (republic, None, "republic"),
            (region, republic, "region"),
            (district, region, "district"),
            (other, republic, "city"),
        ]
    )
    assert tree.ancestors(district) == [district, region, republic]
    assert tree.descendants(region) == {region, district}

    class Org:
        id = uuid.uuid4()
        territory_id = district

    regional = Reach(Principal(grants=(Grant(Role.REGIONAL_METHODIST, territory_id=region),), via="token"), tree)
    assert regional.covers_organisation(Org) and not regional.is_national()
    elsewhere = Reach(Principal(grants=(Grant(Role.REGIONAL_METHODIST, territory_id=other),), via="token"), tree)
    assert not elsewhere.covers_organisation(Org)
    national = Reach(Principal(grants=(Grant(Role.NATIONAL_METHODIST, territory_id=republic),), via="token"), tree)
    assert national.is_national() and national.organisation_clause() is None


async def test_a_read_only_role_cannot_write_through_an_any_route(world: World) -> None:
    """On a small app with the same guard: "any" admits methodists to GET, not to POST."""

    @get("/api/organisations/{organisation_id:uuid}/notes", opt=access(Scope.TENANT, "any"))
    async def read_notes(organisation_id: uuid.UUID) -> str:
        return "notes"

    @post("/api/organisations/{organisation_id:uuid}/notes", opt=access(Scope.TENANT, "any"))
    async def write_note(organisation_id: uuid.UUID) -> str:
        return "written"

    @get("/undeclared")
    async def undeclared() -> str:
        return "open?"

    principals = {
        "ro": Principal(grants=(Grant(Role.DISTRICT_METHODIST, territory_id=world.district1),), via="token"),
        "teacher": Principal(grants=(Grant(Role.TEACHER, organisation_id=world.a.id),), via="token"),
    }

    def with_principal(app: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            who = dict(scope["headers"]).get(b"x-who", b"").decode()
            if who:
                scope["metodist.principal"] = principals[who]
            await app(scope, receive, send)

        return middleware

    from api.errors import exception_handlers

    # The guard reads the organisation on the request's connection, which this middleware gives.
    from api.identity.middleware import RequestConnectionMiddleware

    small = Litestar(
        [read_notes, write_note, undeclared],
        guards=[access_guard],
        middleware=[RequestConnectionMiddleware(), with_principal],
        exception_handlers=exception_handlers,
    )  # type: ignore[arg-type]
    small.state.db = world.db
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://testserver") as http:
        url = f"/api/organisations/{world.a.id}/notes"
        assert (await http.get(url, headers={"x-who": "ro"})).status_code == 200
        denied = await http.post(url, headers={"x-who": "ro"})
        assert denied.status_code == 403 and "may only read" in denied.json()["message"]
        assert (await http.post(url, headers={"x-who": "teacher"})).status_code == 201
        closed = await http.get("/undeclared", headers={"x-who": "teacher"})
        assert closed.status_code == 403 and "declares no access rule" in closed.json()["message"]
