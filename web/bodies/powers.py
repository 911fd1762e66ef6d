"""What the viewer may do on the bodies' pages, read from their grants, so a page offers only the
actions the API would take from them (the API still decides every request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from web.client import ApiClient, ApiError
from web.identity.viewer import viewer

# The API's SHAPE: the organisation admin and the deputy head; national and regional admins hold
# the organisation admin's role wherever they reach (api.domain.structure.actors).
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


async def grants(request: Request[Any, Any, Any], api: ApiClient) -> tuple[dict[str, Any], ...]:
    """The viewer's grants; an HTMX request for a part of a page was not looked up by the header's
    middleware, so it asks the API itself."""
    who = viewer(request.scope)
    if who is not None:
        return who.grants
    try:
        me = await api.get("/api/auth/me")
    except ApiError:
        return ()
    return tuple(me.get("grants") or ())


async def powers(request: Request[Any, Any, Any], api: ApiClient, org: Any) -> Powers:
    """The viewer's powers at `org` (an organisation as the API reads it)."""
    organisation_id, territory_id = str(org.id), str(org.territory_id)
    shapes = keeps = district = False
    for grant in await grants(request, api):
        role, at = grant.get("role"), grant.get("organisation_id")
        here = at is not None and str(at) == organisation_id
        if (role in SHAPERS and here) or (role in ADMINS_ABOVE and at is None):
            shapes = True
        if role in KEEPERS and here:
            keeps = True
        if role == "district_methodist" and str(grant.get("territory_id")) == territory_id and at is None:
            district = True
    return Powers(shapes=shapes, keeps_members=shapes or keeps, district_methodist=district)
