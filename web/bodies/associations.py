"""The form that forms a methodological association (cl. 25, 26).

The kinds offered are the ones the API allows the organisation (all of cl. 25 in a school, subject
and curators' associations in a college, none in a university or a cabinet). An association of
teachers of one subject names its subject, chosen from the organisation's subjects; the cl. 26
refusal (fewer than three teachers of it) is shown next to that field. Changing the kind redraws
the form (HTMX), showing the subject only for the kind that needs it; without JavaScript the
subject field stays, and is ignored for the other kinds."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.i18n import gettext as _
from web.bodies.forms import errors_of, localized, refusable, text
from web.bodies.powers import powers
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.structure.common import ASSOCIATION_KINDS, Work
from web.templating import go_to, page
from web.views import PUBLIC

FIELDS = ("name", "kind", "subject_id")
SUBJECT = "subject"


class AssociationFormPages(Controller):
    path = "/organisations/{organisation_id:uuid}/associations"

    async def _context(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        values: dict[str, str],
        **extra: Any,
    ) -> dict[str, Any]:
        work = Work(api, organisation_id)
        org, kinds, subjects = await together(
            api.organisation(organisation_id), work.get("/associations/kinds"), work.get("/subjects", page_size=200)
        )
        if values.get("kind") not in kinds:
            values["kind"] = kinds[0] if kinds else ""
        return {
            "org": org,
            "kinds": {k: _(ASSOCIATION_KINDS.get(k, k)) for k in kinds},
            "values": values,
            "subjects": sorted(
                ({"id": s["id"], "name": localized(s)} for s in subjects["items"]), key=lambda s: s["name"]
            ),
            "needs_subject": values["kind"] == SUBJECT,
            "powers": await powers(request, api, org),
            "errors": {},
            **extra,
        }

    @get("/new", name="bodies:association-new", opt=PUBLIC)
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        values = {name: str(request.query_params.get(name) or "").strip() for name in FIELDS}
        context = await self._context(request, api, organisation_id, values)
        return page(request, "bodies/association_new.html", "association_form", context)

    @post("/", name="bodies:association-create", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        values = {name: text(form, name) for name in FIELDS}
        payload: dict[str, Any] = {"name": values["name"], "kind": values["kind"]}
        if values["kind"] == SUBJECT:
            # Left empty, the API says the subject is needed (cl. 25), next to this field.
            payload["subject_id"] = values["subject_id"] or None
        try:
            created = await Work(once(api, form), organisation_id).post("/associations", payload)
        except ApiError as error:
            if not refusable(error, FIELDS):
                raise
            context = await self._context(request, api, organisation_id, values, errors=errors_of(error, FIELDS))
            return page(request, "bodies/association_new.html", "association_form", context, status_code=422)
        return go_to(request, f"/organisations/{organisation_id}/associations/{created['id']}?done=created")
