"""What the set-up pages share: the API calls for one organisation, who may change its set-up,
reading form values, and errors by field.

Everything comes from the API with the caller's own credentials, so the API decides; the pages
only leave out the buttons a reader could not use. A form is checked here for what can be seen
without the API (a missing name, a malformed address, no position ticked) so that every such
mistake is shown at once, each at its field; the API's own refusal (one at a time) is then shown
at the field it names.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from litestar import Request

from api.i18n import N_, gettext
from web.client import ApiClient, ApiError, together
from web.identity.viewer import VIEWER_KEY, Viewer, viewer
from web.templating import refusal

DONE: Mapping[str, str] = {
    "created": N_("Saved: the record has been created."),
    "saved": N_("The changes have been saved."),
    "archived": N_("The record has been archived."),
}
REQUIRED = N_("Fill in this field.")


def done_notice(done: str | None) -> str | None:
    """What the page says after a change it was redirected from (`?done=saved`)."""
    return gettext(DONE[done]) if done in DONE else None


def shapes(who: Viewer | None, organisation_id: UUID) -> bool:
    """The organisation's admin or deputy head, or an admin above it (the API's SHAPE); the API
    still decides, by its reach, whether an admin above reaches this organisation."""
    return bool(who and who.shapes(str(organisation_id)))


async def may_shape(request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID) -> bool:
    """Whether the reader may change this organisation's set-up. A whole page knows the reader
    already (web.identity.viewer); a part of one asked for by HTMX asks the API."""
    if VIEWER_KEY in request.scope:
        return shapes(viewer(request.scope), organisation_id)
    try:
        return shapes(Viewer.of(await api.get("/api/auth/me")), organisation_id)
    except ApiError:
        return False


class Setup:
    """The API calls of the set-up pages, for one organisation."""

    def __init__(self, api: ApiClient, organisation_id: UUID) -> None:
        self.api = api
        self.base = f"/api/organisations/{organisation_id}"

    async def get(self, path: str, **params: Any) -> Any:
        return await self.api.get(
            self.base + path, params={k: str(v) for k, v in params.items() if v not in (None, "")}
        )

    async def post(self, path: str, payload: Any = None) -> Any:
        return await self.api.post(self.base + path, json=payload if payload is not None else {})

    async def patch(self, path: str, payload: Any) -> Any:
        return await self.api.patch(self.base + path, json=payload)

    async def units(self) -> list[dict[str, Any]]:
        return list((await self.get("/units", page_size=200))["items"])

    async def subjects(self) -> list[dict[str, Any]]:
        return list((await self.get("/subjects", page_size=200))["items"])


async def unit_bodies(setup: Setup) -> dict[str, list[dict[str, Any]]]:
    """Each unit's own bodies by unit id: its methodological council, its commission or department,
    its association (cl. 10, 14), to be shown under the unit rather than among the organisation's."""
    councils, commissions, associations = await together(
        setup.get("/councils", page_size=200),
        setup.get("/commissions", page_size=200),
        setup.get("/associations", page_size=200),
    )
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for kind, found in (("council", councils), ("commission", commissions), ("association", associations)):
        for body in found["items"]:
            if body.get("unit_id"):
                by_unit.setdefault(str(body["unit_id"]), []).append({**body, "kind": body.get("body_kind") or kind})
    return by_unit


def flatten(tree: Iterable[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    """The unit tree in reading order, each node with its depth (for indented choices)."""
    out: list[dict[str, Any]] = []
    for node in tree:
        out.append({**node, "depth": depth})
        out += flatten(node.get("children") or [], depth + 1)
    return out


def text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()


def many(form: Any, name: str) -> list[str]:
    return [str(v) for v in form.getall(name)] if name in form else []


def date_value(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def refusal_at(error: ApiError, fields: Mapping[str, str]) -> dict[str, str]:
    """The API's refusal at the form field it names (`terms[2]` at the field `terms[2]`, `positions[0]`
    at `positions`); at the top of the form ("") when it names none of the form's fields."""
    name = error.field or ""
    if name not in fields:
        name = name.split("[", 1)[0].split(".", 1)[0]
    return {fields.get(name, ""): refusal(error)}


def must_show(error: ApiError) -> bool:
    """A refusal the form shows (bad input, a rule, a conflict); others are the error page's."""
    if error.status >= 500 or error.status == 401:
        return False
    # A missing record is the page's "not found"; a missing unit or subject chosen in the form is the form's.
    return error.status != 404 or error.field not in (None, "id")
