"""How a body's page (web.bodies.collegial, inter_school, unions) answers the forms that change
the body: on to the page with what was done, or the form's panel again with the API's refusal —
beside the field it names, with what was typed, or above the panel. A change that takes something
away (end, archive) is asked first (web.confirm)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.i18n import gettext as _
from web.bodies.forms import errors_of, refusable
from web.client import ApiClient, ApiError
from web.confirm import ask_first, organisation_crumb
from web.structure.common import Work
from web.templating import go_to, page

Answer = Template | Redirect | ClientRedirect


@dataclass(frozen=True)
class BodyPage:
    """One body's page: its address, its template, and its context with extras (`values`, `errors`,
    `error`, …) as the controller makes it."""

    request: Request[Any, Any, Any]
    api: ApiClient
    organisation_id: UUID
    path: str
    template: str
    context: Callable[..., Awaitable[dict[str, Any]]]

    def back(self, done: str) -> str:
        """The page, saying what was done (`?done=`)."""
        return f"{self.path}?done={done}"

    async def panel(self, block: str, status_code: int, **extra: Any) -> Template:
        return page(self.request, self.template, block, await self.context(**extra), status_code=status_code)

    async def saved(
        self,
        sending: Awaitable[Any],
        *,
        values: Mapping[str, str],
        fields: Iterable[str],
        prefix: str,
        block: str,
        done: str,
        renamed: Mapping[str, str] | None = None,
        above: Collection[int] = (),
    ) -> Answer:
        """A form of the page sent: on to `done`, or its panel `block` again with what was typed
        (`{prefix}values`) and the refusal beside the field it names (`{prefix}errors`; the API's
        field names `renamed` to the form's); a refusal of a status in `above` is said above the panel."""
        fields = tuple(fields)
        try:
            await sending
        except ApiError as error:
            if not refusable(error, fields):
                raise
            if error.status in above:
                return await self.panel(block, error.status, error=error)
            errors = {(renamed or {}).get(k, k): v for k, v in errors_of(error, fields).items()}
            return await self.panel(block, 422, **{f"{prefix}values": values, f"{prefix}errors": errors})
        return go_to(self.request, done)

    async def confirmed(self, path: str, *, question: str, button: str, done: str, block: str | None = None) -> Answer:
        """A change that takes something away: asked first, then posted to the API's `path`, then on
        to `done`. A refusal the page can show is said above the panel `block`; without `block` it is
        the error page's."""
        org = await self.api.organisation(self.organisation_id)
        structure = f"/organisations/{self.organisation_id}/structure"
        if asking := await ask_first(
            self.request,
            action=button,
            question=question,
            back=self.path,
            crumbs=[organisation_crumb(org), (structure, _("Structure"))],
            section="organisations",
        ):
            return asking
        try:
            await Work(self.api, self.organisation_id).post(path)
        except ApiError as error:
            if block is None or not refusable(error):
                raise
            return await self.panel(block, error.status, error=error)
        return go_to(self.request, done)
