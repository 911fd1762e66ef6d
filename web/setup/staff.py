"""The staff pages: the list (paged, by name either way, searched by name, narrowed to a unit or a
position), a member's form (positions, subjects taught, unit, the account they sign in with) and
archiving. Readers who may not change the staff see the same pages without the forms' buttons."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.i18n import N_
from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first, organisation_crumb
from web.forms import once
from web.setup.common import REQUIRED, Setup, done_notice, flatten, many, may_shape, must_show, refusal_at, text
from web.setup.labels import POSITIONS, QUALIFICATIONS, labels, subject_name
from web.templating import go_to, page, parse_uuid, url_with
from web.views import PUBLIC, Pager

PAGE_SIZE = 20
SORTS: Mapping[str, str] = {"name": N_("Name, A to Z"), "-name": N_("Name, Z to A")}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
# The form's fields, by the field the API names.
FIELDS: Mapping[str, str] = {
    name: name
    for name in (
        "full_name",
        "positions",
        "unit_id",
        "heads_unit_id",
        "qualification_category",
        "subject_ids",
        "supervised_subject_ids",
        "email",
        "user_id",
        "note",
    )
}


def read_form(form: Any) -> dict[str, Any]:
    return {
        "full_name": text(form, "full_name"),
        "positions": [p for p in many(form, "positions") if p in POSITIONS],
        "unit_id": str(parse_uuid(form.get("unit_id")) or ""),
        "heads_unit_id": str(parse_uuid(form.get("heads_unit_id")) or ""),
        "qualification_category": text(form, "qualification_category")
        if text(form, "qualification_category") in QUALIFICATIONS
        else "",
        "subject_ids": [str(s) for s in map(parse_uuid, many(form, "subject_ids")) if s],
        "supervised_subject_ids": [str(s) for s in map(parse_uuid, many(form, "supervised_subject_ids")) if s],
        "email": text(form, "email"),
        "user_id": str(parse_uuid(form.get("user_id")) or ""),
        "note": str(form.get("note") or "").strip(),
    }


def check(values: Mapping[str, Any]) -> dict[str, str]:
    """Every mistake the form shows before asking the API, each at its field."""
    errors: dict[str, str] = {}
    if not values["full_name"]:
        errors["full_name"] = _(REQUIRED)
    elif len(values["full_name"]) > 300:
        errors["full_name"] = _("At most %(max)s characters.") % {"max": 300}
    if not values["positions"]:
        errors["positions"] = _("Tick at least one position.")
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = _("Enter an e-mail address such as name@school.kz.")
    if values["supervised_subject_ids"] and "deputy_head" not in values["positions"]:
        errors["supervised_subject_ids"] = _(
            "Only a deputy head for academic work supervises subjects (cl. 14, 31): tick that position too."
        )
    if values["heads_unit_id"] and "unit_head" not in values["positions"]:
        errors["heads_unit_id"] = _("Only a head of a unit heads a unit: tick that position too.")
    if len(values["note"]) > 2000:
        errors["note"] = _("At most %(max)s characters.") % {"max": 2000}
    return errors


def payload(values: Mapping[str, Any], *, accounts: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "full_name": values["full_name"],
        "positions": values["positions"],
        "unit_id": values["unit_id"] or None,
        "heads_unit_id": values["heads_unit_id"] or None,
        "qualification_category": values["qualification_category"] or None,
        "subject_ids": values["subject_ids"],
        "supervised_subject_ids": values["supervised_subject_ids"],
        "email": values["email"] or None,
        "note": values["note"] or None,
    }
    if accounts:  # only who may see the organisation's accounts links one
        out["user_id"] = values["user_id"] or None
    return out


def blank() -> dict[str, Any]:
    return {
        "full_name": "",
        "positions": ["teacher"],
        "unit_id": "",
        "heads_unit_id": "",
        "qualification_category": "",
        "subject_ids": [],
        "supervised_subject_ids": [],
        "email": "",
        "user_id": "",
        "note": "",
    }


def values_of(person: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "full_name": person["full_name"],
        "positions": list(person["positions"]),
        "unit_id": str(person["unit_id"] or ""),
        "heads_unit_id": str(person["heads_unit_id"] or ""),
        "qualification_category": person["qualification_category"] or "",
        "subject_ids": [str(s) for s in person["subject_ids"]],
        "supervised_subject_ids": [str(s) for s in person["supervised_subject_ids"]],
        "email": person["email"] or "",
        "user_id": str(person["user_id"] or ""),
        "note": person["note"] or "",
    }


async def accounts(setup: Setup, organisation_id: UUID) -> list[dict[str, Any]] | None:
    """The organisation's people with an account, for linking one; None for a reader the API does
    not show them to (e-mail addresses are for the organisation's administrators)."""
    try:
        found = await setup.api.get(f"/api/organisations/{organisation_id}/people", params={"page_size": "200"})
    except ApiError as error:
        if error.status in (403, 404):
            return None
        raise
    return [
        {"user_id": str(p["user_id"]), "label": " · ".join(x for x in (p.get("full_name"), p.get("email")) if x)}
        for p in found["items"]
    ]


class StaffPages(Controller):
    path = "/organisations/{organisation_id:uuid}/staff"

    @get("/", name="setup:staff", opt=PUBLIC)
    async def staff(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        params = request.query_params
        q = (params.get("q") or "").strip()[:200]
        sort = params.get("sort") if params.get("sort") in SORTS else "name"
        unit = parse_uuid(params.get("unit_id"))
        position = params.get("position") if params.get("position") in POSITIONS else ""
        try:
            number = max(1, min(int(params.get("page") or 1), 10**6))
        except ValueError:
            number = 1
        setup = Setup(api, organisation_id)
        org, found, tree, subjects, shaper = await together(
            api.organisation(organisation_id),
            setup.get(
                "/staff",
                q=q or None,
                unit_id=unit,
                position=position or None,
                sort="-full_name" if sort == "-name" else None,
                page=number,
                page_size=PAGE_SIZE,
            ),
            setup.get("/units/tree"),
            setup.subjects(),
            may_shape(request, api, organisation_id),
        )
        units = flatten(tree)
        listing = {"q": q, "unit_id": unit or "", "position": position, "sort": "" if sort == "name" else sort}
        base = f"/organisations/{organisation_id}/staff"
        context = {
            "org": org,
            "people": found["items"],
            "total": found["total"],
            "listing": listing,
            "sort": sort,
            "pager": Pager(number, max(1, math.ceil(found["total"] / PAGE_SIZE)), found["total"]),
            "units": units,
            "unit_names": {u["id"]: u["name"] for u in units},
            "subject_names": {s["id"]: subject_name(s) for s in subjects},
            "sorts": {k: _(v) for k, v in SORTS.items()},
            "may_shape": shaper,
            "base": base,
            "notice": done_notice(params.get("done")),
            **labels(),
        }
        canonical = url_with(base, listing, page=number if number > 1 else None)
        return page(request, "setup/staff.html", "staff_results", context, headers={"HX-Push-Url": canonical})

    async def _form(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        person: dict[str, Any] | None,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
        notice: str | None = None,
    ) -> Template:
        setup = Setup(api, organisation_id)
        org, tree, subjects, shaper = await together(
            api.organisation(organisation_id),
            setup.get("/units/tree"),
            setup.subjects(),
            may_shape(request, api, organisation_id),
        )
        people = await accounts(setup, organisation_id) if shaper else None
        if people is not None and values["user_id"] and values["user_id"] not in {p["user_id"] for p in people}:
            # Linked to an account that holds no role here (or beyond the first 200): kept as it is.
            people.append({"user_id": values["user_id"], "label": _("The account linked now")})
        context = {
            "org": org,
            "person": person,
            "values": values,
            "errors": errors,
            "units": flatten(tree),
            "subjects": sorted(
                ({"id": s["id"], "name": subject_name(s)} for s in subjects), key=lambda s: s["name"].casefold()
            ),
            "accounts": people,
            "may_shape": shaper,
            "notice": notice,
            "base": f"/organisations/{organisation_id}/staff",
            **labels(),
        }
        return page(request, "setup/staff_form.html", "staff_form", context, status_code=status_code)

    @get("/new", name="setup:staff-new", opt=PUBLIC)
    async def new(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._form(request, api, organisation_id, person=None, values=blank(), errors={})

    @post("/", name="setup:staff-create", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        values = read_form(form)
        errors = check(values)
        status = 422
        if not errors:
            setup = Setup(api, organisation_id)
            try:
                linkable = await accounts(setup, organisation_id) is not None
                created = await Setup(once(api, form), organisation_id).post(
                    "/staff", payload(values, accounts=linkable)
                )
                return go_to(request, f"/organisations/{organisation_id}/staff/{created['id']}?done=created")
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = refusal_at(error, FIELDS), (403 if error.status == 403 else 422)
        return await self._form(
            request, api, organisation_id, person=None, values=values, errors=errors, status_code=status
        )

    @get("/{staff_id:uuid}", name="setup:staff-member", opt=PUBLIC)
    async def member(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        staff_id: FromPath[UUID],
    ) -> Template:
        person = await Setup(api, organisation_id).get(f"/staff/{staff_id}")
        done = request.query_params.get("done")
        notice = done_notice(done)
        return await self._form(
            request, api, organisation_id, person=person, values=values_of(person), errors={}, notice=notice
        )

    @post("/{staff_id:uuid}", name="setup:staff-update", opt=PUBLIC, status_code=303)
    async def update(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        staff_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        person = await setup.get(f"/staff/{staff_id}")
        values = read_form(await request.form())
        errors = check(values)
        status = 422
        if not errors:
            try:
                linkable = await accounts(setup, organisation_id) is not None
                await setup.patch(f"/staff/{staff_id}", payload(values, accounts=linkable))
                return go_to(request, f"/organisations/{organisation_id}/staff/{staff_id}?done=saved")
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = refusal_at(error, FIELDS), (403 if error.status == 403 else 422)
        return await self._form(
            request, api, organisation_id, person=person, values=values, errors=errors, status_code=status
        )

    @post("/{staff_id:uuid}/archive", name="setup:staff-archive", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        staff_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        person, org = await together(setup.get(f"/staff/{staff_id}"), api.organisation(organisation_id))
        base = f"/organisations/{organisation_id}/staff"
        back = f"{base}/{staff_id}"
        if asking := await ask_first(
            request,
            action=_("Archive a staff member"),
            subject=person["full_name"],
            question=_(
                "Archive this staff member? They leave the lists of staff and of bodies' candidates; their "
                "past records stay."
            ),
            back=back,
            button=_("Archive"),
            crumbs=[organisation_crumb(org), (back, person["full_name"])],
            section="organisations",
        ):
            return asking
        try:
            await setup.post(f"/staff/{staff_id}/archive")
        except ApiError as error:
            if not must_show(error):
                raise
            return await self._form(
                request,
                api,
                organisation_id,
                person=person,
                values=values_of(person),
                errors=refusal_at(error, {}),
                status_code=error.status,
            )
        return go_to(request, f"{base}?done=archived")
