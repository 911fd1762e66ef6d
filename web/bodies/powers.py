"""What the viewer may do on the bodies' pages, read from their grants, so a page offers only the
actions the API would take from them (the API still decides every request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from web.client import ApiClient, ApiError
from web.identity.viewer import viewer

# The API's SHAPE: the organisation admin and the deputy head; national and regional admins hold
# the organisation admin's role wherever they reach (api.context, api.identity.reach.IMPLIED_ROLES).
SHAPERS = frozenset({"organisation_admin", "deputy_head"})
ADMINS_ABOVE = frozenset({"national_admin", "regional_admin"})
# Besides the shapers, a body's own chair, secretary or leader keeps its membership (the API checks
# that they keep *this* body).
KEEPERS = frozenset({"council_chair", "council_secretary", "association_leader"})


@dataclass(frozen=True)
class Powers:
    shapes: bool = False  # forms, changes and archives bodies; names chairs and secretaries
    keeps_members: bool = False  # adds members and ends memberships
    district_methodist: bool = False  # of the cabinet's own district: appoints inter-school leaders (cl. 30)

    @property
    def keeps_inter_school(self) -> bool:
        """The cabinet's admin or deputy head, or the district methodist, keep inter-school associations."""
        return self.shapes or self.district_methodist


async def _me(request: Request[Any, Any, Any], api: ApiClient) -> dict[str, Any]:
    """The viewer as the header's middleware found them; an HTMX request for a part of a page was
    not looked up there, so it asks the API itself."""
    who = viewer(request.scope)
    if who is not None:
        return {"user_id": who.user_id, "grants": who.grants}
    try:
        return await api.get("/api/auth/me")
    except ApiError:
        return {}


async def grants(request: Request[Any, Any, Any], api: ApiClient) -> tuple[dict[str, Any], ...]:
    return tuple((await _me(request, api)).get("grants") or ())


async def officer_of(api: ApiClient, organisation_id: str, user_id: Any, body: dict[str, Any]) -> bool:
    """Whether the viewer's staff record here is the body's chair, secretary or leader."""
    if not user_id:
        return False
    try:
        mine = await api.get(
            f"/api/organisations/{organisation_id}/staff", params={"user_id": str(user_id), "page_size": 1}
        )
    except ApiError:
        return False
    if not mine.get("items"):
        return False
    staff_id = str(mine["items"][0]["id"])
    officers = [body.get("chair") or {}, body.get("secretary") or {}, body.get("leader") or {}]
    return any(str(o.get("staff_id") or "") == staff_id for o in officers)


async def powers(
    request: Request[Any, Any, Any], api: ApiClient, org: Any, body: dict[str, Any] | None = None
) -> Powers:
    """The viewer's powers at `org` (an organisation as the API reads it); with `body` (the API's
    reading of one body, its officers included), whether they keep that body's membership."""
    organisation_id, territory_id = str(org.id), str(org.territory_id)
    me = await _me(request, api)
    shapes = keeper = district = False
    for grant in me.get("grants") or ():
        role, at = grant.get("role"), grant.get("organisation_id")
        here = at is not None and str(at) == organisation_id
        if (role in SHAPERS and here) or (role in ADMINS_ABOVE and at is None):
            shapes = True
        if role in KEEPERS and here:
            keeper = True
        if role == "district_methodist" and str(grant.get("territory_id")) == territory_id and at is None:
            district = True
    # A chair, secretary or leader keeps the membership of the bodies they hold that office in, not of the others.
    keeps = shapes or (keeper and body is not None and await officer_of(api, organisation_id, me.get("user_id"), body))
    return Powers(shapes=shapes, keeps_members=keeps, district_methodist=district)
