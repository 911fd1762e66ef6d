"""The compliance dashboard of a territory, for its national, regional and district cabinets:
figures from the API's rollups, drill-down territory by territory to the organisations and on to
each one's page "what to fix", filters by clause and kind, and the current view as a file.

Every link and the filter form are plain GET addresses, so the page works without JavaScript;
HTMX swaps only the panel (or only the organisations' list when it is paged or re-sorted).
"""

from __future__ import annotations

import math
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Template

from web.client import ApiClient, together
from web.compliance.board import (
    BOARD_PATH,
    EXPORT_FORMATS,
    EXPORT_VIEWS,
    PAGE_SIZE,
    BoardQuery,
    fetch_dashboard,
    fetch_standings,
)
from web.compliance.chart import trend_chart
from web.downloads import download
from web.listing import Pager, territory_index
from web.templating import page, url_with
from web.views import PUBLIC

ORGANISATIONS_PANEL = "organisations-panel"


class DashboardPages(Controller):
    @get(BOARD_PATH, name="compliance:dashboard", opt=PUBLIC)
    async def dashboard(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        query = BoardQuery.read(request.query_params)
        board, listed, index = await together(
            fetch_dashboard(api, query), fetch_standings(api, query), territory_index(api)
        )
        # Links name the territory shown, even when it was the caller's own by default.
        shown = {**query.filters, "territory_id": board.territory.id}
        context = {
            "board": board,
            "query": query,
            "listed": listed,
            "index": index,
            "pager": Pager(query.page, max(1, math.ceil(listed.total / PAGE_SIZE)), listed.total),
            "chart": trend_chart(board.trend),
            "view_params": shown,
            "list_params": {**shown, "sort": query.params["sort"]},
            "path_urls": [url_with(BOARD_PATH, shown, territory_id=t.id) for t in board.path],
            "exports": [
                (view, file_format, url_with(f"{BOARD_PATH}/export", shown, view=view, format=file_format))
                for view in EXPORT_VIEWS
                for file_format in EXPORT_FORMATS
            ],
        }
        block = "organisations_panel" if request.headers.get("hx-target") == ORGANISATIONS_PANEL else "dashboard_panel"
        canonical = url_with(BOARD_PATH, query.params, page=query.page if query.page > 1 else None)
        return page(request, "compliance/dashboard.html", block, context, headers={"HX-Push-Url": canonical})

    @get(f"{BOARD_PATH}/export", name="compliance:export", opt=PUBLIC)
    async def export(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Response[bytes]:
        """The API's file of the current view, in the reader's language (the client sends it)."""
        query = BoardQuery.read(request.query_params)
        view = request.query_params.get("view")
        file_format = request.query_params.get("format")
        chosen_view = view if view in EXPORT_VIEWS else "territories"
        chosen_format = file_format if file_format in EXPORT_FORMATS else "xlsx"
        response = await api.send(
            "GET", f"/api/compliance/export/{chosen_format}", params={**query.api_filters(), "view": chosen_view}
        )
        return download(response, f"compliance-{chosen_view}.{chosen_format}")
