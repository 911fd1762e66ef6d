"""The overview (organisations by status, the newest) and the territories with their organisations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from api import i18n
from web.client import ApiClient, OrganisationQuery, together
from web.identity.viewer import viewer
from web.organisations import PAGE_SIZE, api_sort
from web.templating import page, parse_uuid
from web.territories import territory_index
from web.views import PUBLIC


class OverviewPages(Controller):
    path = "/"

    @get("/", name="home", opt=PUBLIC)
    async def home(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template | Redirect:
        who = viewer(request.scope)
        if who is not None and not who.grants:
            # Nothing here is theirs to read yet: their page says who grants access, and asks.
            return Redirect("/welcome", status_code=303)
        statuses = tuple(i18n.STATUS_LABELS)
        pages = await together(
            api.organisations(OrganisationQuery(page_size=1)),
            *(api.organisations(OrganisationQuery(status=s, page_size=1)) for s in statuses),
            api.organisations(OrganisationQuery(sort="-created_at", page_size=5)),
        )
        counts = {status: result.total for status, result in zip(statuses, pages[1:-1], strict=True)}
        return page(
            request, "pages/home.html", None, {"total": pages[0].total, "counts": counts, "recent": pages[-1].items}
        )

    @get("/territories", name="territories", opt=PUBLIC)
    async def territories(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        territory_id: FromQuery[str | None] = None,
    ) -> Template:
        index = await territory_index(api)
        wanted = parse_uuid(territory_id)
        selected = index.by_id.get(wanted) if wanted else None
        result = None
        if selected is not None:
            result = await api.organisations(
                OrganisationQuery(territory_id=selected.id, sort=api_sort("name"), page_size=PAGE_SIZE)
            )
        context = {
            "index": index,
            "selected": selected,
            "result": result,
            "path": index.path(selected.id if selected else None),
        }
        return page(request, "pages/territories.html", "territory_panel", context)
