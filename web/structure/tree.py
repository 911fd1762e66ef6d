"""The organisation's structure: its units, with each unit's own bodies under it, and its bodies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from web.bodies.powers import powers
from web.client import ApiClient, together
from web.setup.common import Setup, unit_bodies
from web.structure.common import Work, body_path, labels
from web.templating import page
from web.views import PUBLIC


class StructurePages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    async def _tree_context(self, api: ApiClient, organisation_id: UUID, **extra: Any) -> dict[str, Any]:
        work = Work(api, organisation_id)
        org, units, bodies, by_unit = await together(
            api.organisation(organisation_id),
            work.get("/units/tree"),
            work.get("/bodies"),
            unit_bodies(Setup(api, organisation_id)),
        )
        # A unit's council is shown under its unit (cl. 14), not among the organisation's councils.
        under_units = {str(b["id"]) for found in by_unit.values() for b in found if b["kind"] == "council"}
        grouped: dict[str, list[dict[str, Any]]] = {}
        for body in bodies:
            if str(body["id"]) not in under_units:
                grouped.setdefault(body["kind"], []).append(body)
        return {
            "org": org,
            "units": units,
            "bodies": grouped,
            "by_unit": by_unit,
            "error": None,
            "notice": None,
            **labels(),
            **extra,
        }

    @get("/structure", name="structure:tree", opt=PUBLIC)
    async def tree(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        context = await self._tree_context(api, organisation_id)
        context["powers"] = await powers(request, api, context["org"])
        return page(request, "structure/tree.html", "bodies_panel", context)

    @get("/councils/{council_id:uuid}", name="structure:council", opt=PUBLIC)
    async def council(self, organisation_id: FromPath[UUID], council_id: FromPath[UUID]) -> Redirect:
        # A council's page is the bodies' page now (web.bodies); old links still lead there.
        return Redirect(body_path(organisation_id, "council", council_id), status_code=301)
