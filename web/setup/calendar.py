"""The academic calendar pages: each school year's quarters (schools, cabinets) or semesters
(colleges, universities), a new school year (with the usual dates, or the organisation's own),
changing a term's dates, and archiving a school year (a year missing a term is no calendar, so
the API archives the year as a whole)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.clock import school_year_of, today
from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first, organisation_crumb
from web.forms import once
from web.setup.common import REQUIRED, Setup, date_value, done_notice, may_shape, must_show, refusal_at, text
from web.setup.labels import labels
from web.templating import go_to, page, url_with
from web.views import PUBLIC

TERMS_PER_YEAR = {"quarter": 4, "semester": 2}


def term_fields(count: int) -> dict[str, str]:
    """The API's `terms[i]` (the i-th term by number) is the form's row of term i + 1."""
    return {"school_year": "school_year", "terms": "", **{f"terms[{i}]": f"term_{i + 1}" for i in range(count)}}


def year_label(year: int) -> str:
    return f"{year}/{year + 1}"


class TermPages(Controller):
    path = "/organisations/{organisation_id:uuid}/academic-calendar"

    async def _calendar(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        setup = Setup(api, organisation_id)
        current = school_year_of(today())
        org, years, this_year, shaper = await together(
            api.organisation(organisation_id),
            setup.get("/calendar"),
            setup.get(f"/calendar/{current}"),
            may_shape(request, api, organisation_id),
        )
        kind = this_year["kind"]
        taken = {y["school_year"] for y in years}
        first_free = next(y for y in range(current, current + 100) if y not in taken)
        done = request.query_params.get("done")
        context = {
            "org": org,
            "years": sorted(years, key=lambda y: y["school_year"], reverse=True),
            "kind": kind,
            "count": TERMS_PER_YEAR.get(kind, 4),
            "may_shape": shaper,
            "errors": errors or {},
            "values": values or {"school_year": str(first_free)},
            "year_label": year_label,
            "base": f"/organisations/{organisation_id}/academic-calendar",
            "notice": done_notice(done) if not errors else None,
            **labels(),
        }
        return page(request, "setup/calendar.html", "year_form" if errors else None, context, status_code=status_code)

    @get("/", name="setup:calendar", opt=PUBLIC)
    async def calendar(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._calendar(request, api, organisation_id)

    @post("/", name="setup:calendar-create", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        setup = Setup(api, organisation_id)
        kind = (await setup.get(f"/calendar/{school_year_of(today())}"))["kind"]
        count = TERMS_PER_YEAR.get(kind, 4)
        values = {"school_year": text(form, "school_year")}
        for n in range(1, count + 1):
            values[f"starts_{n}"], values[f"ends_{n}"] = text(form, f"starts_{n}"), text(form, f"ends_{n}")
        errors: dict[str, str] = {}
        status = 422
        try:
            year = int(values["school_year"])
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            year = 0
            errors["school_year"] = _("Give the year the school year starts in, such as %(year)s.") % {
                "year": school_year_of(today())
            }
        terms: list[dict[str, Any]] | None = None
        if any(values[f"{edge}_{n}"] for n in range(1, count + 1) for edge in ("starts", "ends")):
            # Dates of its own: every term's, each a date and ending after it starts.
            terms = []
            for n in range(1, count + 1):
                starts, ends = date_value(values[f"starts_{n}"]), date_value(values[f"ends_{n}"])
                if starts is None or ends is None:
                    errors[f"term_{n}"] = _(
                        "Give the first and the last day of this term, or leave every date empty for the usual ones."
                    )
                elif ends < starts:
                    errors[f"term_{n}"] = _("The term ends before it starts.")
                else:
                    terms.append({"number": n, "starts_on": starts.isoformat(), "ends_on": ends.isoformat()})
        if not errors:
            payload: dict[str, Any] = {"school_year": year}
            if terms is not None:
                payload["terms"] = terms
            try:
                await Setup(once(api, form), organisation_id).post("/calendar", payload)
                return go_to(
                    request, url_with(f"/organisations/{organisation_id}/academic-calendar", {}, done="created")
                )
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = refusal_at(error, term_fields(count)), (403 if error.status == 403 else 422)
        return await self._calendar(request, api, organisation_id, values=values, errors=errors, status_code=status)

    async def _form(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        term: dict[str, Any],
        *,
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
        notice: str | None = None,
    ) -> Template:
        org, shaper = await together(api.organisation(organisation_id), may_shape(request, api, organisation_id))
        context = {
            "org": org,
            "term": term,
            "values": values,
            "errors": errors,
            "may_shape": shaper,
            "notice": notice,
            "year": year_label(term["school_year"]),
            "archive_question": archive_question(term["school_year"]),
            "base": f"/organisations/{organisation_id}/academic-calendar",
            **labels(),
        }
        return page(request, "setup/term_form.html", "term_edit", context, status_code=status_code)

    @get("/terms/{term_id:uuid}", name="setup:term", opt=PUBLIC)
    async def term(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        term_id: FromPath[UUID],
    ) -> Template:
        found = await Setup(api, organisation_id).get(f"/calendar/terms/{term_id}")
        done = request.query_params.get("done")
        values = {"starts_on": found["starts_on"], "ends_on": found["ends_on"]}
        return await self._form(
            request, api, organisation_id, found, values=values, errors={}, notice=done_notice(done)
        )

    @post("/terms/{term_id:uuid}", name="setup:term-update", opt=PUBLIC, status_code=303)
    async def update(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        term_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        found = await setup.get(f"/calendar/terms/{term_id}")
        form = await request.form()
        values = {"starts_on": text(form, "starts_on"), "ends_on": text(form, "ends_on")}
        errors: dict[str, str] = {}
        status = 422
        dates = {name: date_value(values[name]) for name in values}
        for name, value in dates.items():
            if value is None:
                errors[name] = _(REQUIRED) if not values[name] else _("Give a date such as 2026-09-01.")
        if not errors and dates["ends_on"] < dates["starts_on"]:  # type: ignore[operator]
            errors["ends_on"] = _("The term ends before it starts.")
        if not errors:
            try:
                await setup.patch(f"/calendar/terms/{term_id}", values)
                return go_to(request, f"/organisations/{organisation_id}/academic-calendar/terms/{term_id}?done=saved")
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = (
                    refusal_at(error, {"starts_on": "starts_on", "ends_on": "ends_on"}),
                    (403 if error.status == 403 else 422),
                )
        return await self._form(request, api, organisation_id, found, values=values, errors=errors, status_code=status)

    @post("/terms/{term_id:uuid}/archive", name="setup:term-archive", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        term_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        found, org = await together(setup.get(f"/calendar/terms/{term_id}"), api.organisation(organisation_id))
        base = f"/organisations/{organisation_id}/academic-calendar"
        back = f"{base}/terms/{term_id}"
        if asking := await ask_first(
            request,
            action=_("Archive a school year"),
            subject=year_label(found["school_year"]),
            question=archive_question(found["school_year"]),
            back=back,
            button=_("Archive"),
            crumbs=[
                organisation_crumb(org),
                (back, year_label(found["school_year"])),
            ],
            section="organisations",
        ):
            return asking
        try:
            await setup.post(f"/calendar/terms/{term_id}/archive")
        except ApiError as error:
            if not must_show(error):
                raise
            values = {"starts_on": found["starts_on"], "ends_on": found["ends_on"]}
            return await self._form(
                request,
                api,
                organisation_id,
                found,
                values=values,
                errors=refusal_at(error, {}),
                status_code=error.status,
            )
        return go_to(request, f"{base}?done=archived")


def archive_question(year: int) -> str:
    return _(
        "Archive the school year %(year)s with all its terms? Meetings and plans are then held to the usual dates."
    ) % {"year": year_label(year)}
