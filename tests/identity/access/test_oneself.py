"""A signed-in person who holds no role yet (just signed in, not yet granted anything): they may
see who they are and manage their own sessions — the routes declared `self` — and nothing else."""

from __future__ import annotations

from typing import Any

from api.roles import ANY_SIGNED_IN, SELF
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import new_user, session_cookie
from tests.identity.access.test_isolation_matrix import ROUTES, Targets, concrete_path


async def test_a_user_without_a_role_reads_me_and_manages_own_sessions(app: Any, world: World) -> None:
    user = await new_user(world.db, [], name="Roleless Person")
    first = await session_cookie(world.api, world.db, user)
    second = await session_cookie(world.api, world.db, user)
    stranger = await session_cookie(world.api, world.db, await new_user(world.db, []))
    async with client_at(app, "10.5.0.1") as http:
        me = await http.get("/api/auth/me", headers=first)
        assert me.status_code == 200, me.text
        assert me.json()["user_id"] == str(user) and me.json()["grants"] == []
        assert me.json()["full_name"] == "Roleless Person"

        listed = await http.get("/api/auth/sessions", headers=first)
        assert listed.status_code == 200, listed.text
        sessions = listed.json()
        assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
        other = next(s["id"] for s in sessions if not s["current"])

        # Another person's session is not theirs to end, and reads like one that does not exist.
        strangers = (await http.get("/api/auth/sessions", headers=stranger)).json()
        refused = await http.delete(f"/api/auth/sessions/{strangers[0]['id']}", headers=first)
        assert refused.status_code == 404 and refused.json()["field"] == "session_id"
        assert (await http.get("/api/auth/me", headers=stranger)).status_code == 200

        ended = await http.delete(f"/api/auth/sessions/{other}", headers=first)
        assert ended.status_code == 204, ended.text
        assert [s["id"] for s in (await http.get("/api/auth/sessions", headers=first)).json()] != [other]
        assert len((await http.get("/api/auth/sessions", headers=first)).json()) == 1
        gone = await http.get("/api/auth/me", headers=second)
        assert gone.status_code == 401  # the ended session no longer signs anybody in
        again = await http.delete(f"/api/auth/sessions/{other}", headers=first)
        assert again.status_code in (204, 404)  # ending an ended session changes nothing
        assert (await http.get("/api/auth/me", headers=first)).status_code == 200


async def test_a_user_without_a_role_gets_nothing_else(app: Any, world: World) -> None:
    """Every other route that needs a signature refuses them: 403 where no organisation is named
    ("you hold no role"), 404 where one is (its existence does not leak)."""
    caller = await session_cookie(world.api, world.db, await new_user(world.db, []))
    targets = Targets({"organisation_id": str(world.a.id)})
    wrong: list[str] = []
    checked = 0
    async with client_at(app, "10.5.0.2") as http:
        for route in ROUTES:
            if route.role == SELF or route.role is None:
                continue  # about oneself (above), or public
            path = concrete_path(route.path, targets)
            kwargs: dict[str, Any] = {"headers": caller, "follow_redirects": False}
            if route.method in {"POST", "PUT", "PATCH"}:
                kwargs["json"] = {}
            response = await http.request(route.method, path, **kwargs)
            checked += 1
            expected = 404 if "{organisation_id" in route.path else 403
            if response.status_code != expected:
                wrong.append(f"{route.key}: expected {expected}, got {response.status_code}: {response.text[:160]}")
            elif expected == 403:
                why = "You hold no role" if route.role == ANY_SIGNED_IN else "Only these roles may do this"
                if why not in response.json()["message"]:
                    wrong.append(f"{route.key}: refused without saying why: {response.text[:160]}")
            if str(world.a.id) in response.text or world.a.name_en in response.text:
                wrong.append(f"{route.key}: names school A")
    assert checked > 50  # the whole route table, not a sample
    assert not wrong, "\n  ".join(["A user without a role reached:", *wrong])
    # The session still works: nothing above ended it.
    async with client_at(app, "10.5.0.3") as http:
        assert (await http.get("/api/auth/me", headers=caller)).status_code == 200


def test_self_is_declared_on_the_routes_about_oneself() -> None:
    declared = {r.key for r in ROUTES if r.role == SELF}
    assert declared == {
        "GET /api/auth/me",
        "GET /api/auth/sessions",
        "DELETE /api/auth/sessions/{session_id:uuid}",
        # A person without a role asks for one: their own requests, and the places to ask at.
        "POST /api/access-requests",
        "GET /api/access-requests/mine",
        "GET /api/access-requests/places",
        "POST /api/access-requests/{request_id:uuid}/withdraw",
    }
