"""The subjects pages: the organisation's catalogue (searched, paged), a new subject, renaming one
and archiving it. A school's catalogue starts with the general-education subjects (the API adds
them on first use)."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.confirm import ask_first, organisation_crumb
from web.forms import once, once_key
from web.setup.common import REQUIRED, Setup, done_notice, may_shape, must_show, refusal_at, text
from web.setup.labels import subject_name
from web.templating import go_to, page, url_with
from web.views import PUBLIC, Pager

PAGE_SIZE = 50
CODE = re.compile(r"^[a-z0-9_]{1,60}$")
NAMES = ("name_kk", "name_ru", "name_en")
FIELDS: Mapping[str, str] = {name: name for name in ("code", *NAMES)}


def read_form(form: Any) -> dict[str, str]:
    return {name: text(form, name) for name in ("code", *NAMES)}


def check(values: Mapping[str, str], *, new: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("name_kk", "name_ru"):
        if not values[name]:
            errors[name] = _(REQUIRED)
    for name in NAMES:
        if len(values[name]) > 200:
            errors[name] = _("At most %(max)s characters.") % {"max": 200}
    if new and values["code"] and not CODE.match(values["code"]):
        errors["code"] = _("Latin lowercase letters, digits and _ only, at most 60.")
    return errors


def code_for(values: Mapping[str, str], key: str | None = None) -> str:
    """The code a new subject gets when none is given: from its English name, else a fresh one —
    from the form's one-shot key when it has one, so that the form sent twice asks the same."""
    if values["code"]:
        return values["code"]
    slug = re.sub(r"[^a-z0-9]+", "_", values["name_en"].lower()).strip("_")[:60]
    return slug or f"subject_{(key or uuid.uuid4().hex)[:8]}"


class SubjectPages(Controller):
    path = "/organisations/{organisation_id:uuid}/subjects"

    async def _list(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        params = request.query_params
        q = (params.get("q") or "").strip()[:200]
        try:
            number = max(1, min(int(params.get("page") or 1), 10**6))
        except ValueError:
            number = 1
        setup = Setup(api, organisation_id)
        org, found, shaper = await together(
            api.organisation(organisation_id),
            setup.get("/subjects", q=q or None, page=number, page_size=PAGE_SIZE),
            may_shape(request, api, organisation_id),
        )
        base = f"/organisations/{organisation_id}/subjects"
        context = {
            "org": org,
            "subjects": [{**s, "name": subject_name(s)} for s in found["items"]],
            "total": found["total"],
            "q": q,
            "pager": Pager(number, max(1, math.ceil(found["total"] / PAGE_SIZE)), found["total"]),
            "may_shape": shaper,
            "base": base,
            "values": values or {n: "" for n in ("code", *NAMES)},
            "errors": errors or {},
            "notice": None if errors else done_notice(params.get("done")),
        }
        block = "subject_form" if errors else "subject_results"
        return page(request, "setup/subjects.html", block, context, status_code=status_code)

    @get("/", name="setup:subjects", opt=PUBLIC)
    async def subjects(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._list(request, api, organisation_id)

    @post("/", name="setup:subject-create", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect | ClientRedirect:
        form = await request.form()
        values = read_form(form)
        errors = check(values, new=True)
        status = 422
        if not errors:
            payload = {
                "code": code_for(values, once_key(form)),
                "name_kk": values["name_kk"],
                "name_ru": values["name_ru"],
                "name_en": values["name_en"] or None,
            }
            try:
                await Setup(once(api, form), organisation_id).post("/subjects", payload)
                return go_to(request, url_with(f"/organisations/{organisation_id}/subjects", {}, done="created"))
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = refusal_at(error, FIELDS), (403 if error.status == 403 else 422)
        return await self._list(request, api, organisation_id, values=values, errors=errors, status_code=status)

    async def _form(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        subject: dict[str, Any],
        *,
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
        notice: str | None = None,
    ) -> Template:
        org, shaper = await together(api.organisation(organisation_id), may_shape(request, api, organisation_id))
        context = {
            "org": org,
            "subject": {**subject, "name": subject_name(subject)},
            "values": values,
            "errors": errors,
            "may_shape": shaper,
            "notice": notice,
            "base": f"/organisations/{organisation_id}/subjects",
        }
        return page(request, "setup/subject_form.html", "subject_edit", context, status_code=status_code)

    @get("/{subject_id:uuid}", name="setup:subject", opt=PUBLIC)
    async def subject(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        subject_id: FromPath[UUID],
    ) -> Template:
        found = await Setup(api, organisation_id).get(f"/subjects/{subject_id}")
        values = {"code": found["code"], **{n: found[n] or "" for n in NAMES}}
        done = request.query_params.get("done")
        return await self._form(
            request, api, organisation_id, found, values=values, errors={}, notice=done_notice(done)
        )

    @post("/{subject_id:uuid}", name="setup:subject-update", opt=PUBLIC, status_code=303)
    async def rename(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        subject_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        found = await setup.get(f"/subjects/{subject_id}")
        values = {**read_form(await request.form()), "code": found["code"]}
        errors = check(values, new=False)
        status = 422
        if not errors:
            try:
                await setup.patch(
                    f"/subjects/{subject_id}",
                    {"name_kk": values["name_kk"], "name_ru": values["name_ru"], "name_en": values["name_en"] or None},
                )
                return go_to(request, f"/organisations/{organisation_id}/subjects/{subject_id}?done=saved")
            except ApiError as error:
                if not must_show(error):
                    raise
                errors, status = refusal_at(error, FIELDS), (403 if error.status == 403 else 422)
        return await self._form(request, api, organisation_id, found, values=values, errors=errors, status_code=status)

    @post("/{subject_id:uuid}/archive", name="setup:subject-archive", opt=PUBLIC, status_code=303)
    async def archive(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        subject_id: FromPath[UUID],
    ) -> Template | Redirect | ClientRedirect:
        setup = Setup(api, organisation_id)
        found, org = await together(setup.get(f"/subjects/{subject_id}"), api.organisation(organisation_id))
        base = f"/organisations/{organisation_id}/subjects"
        back = f"{base}/{subject_id}"
        if asking := await ask_first(
            request,
            action=_("Archive a subject"),
            subject=subject_name(found),
            question=_(
                "Archive this subject? It is no longer offered for staff and associations; who taught it stays "
                "recorded."
            ),
            back=back,
            button=_("Archive"),
            crumbs=[organisation_crumb(org), (back, subject_name(found))],
            section="organisations",
        ):
            return asking
        try:
            await setup.post(f"/subjects/{subject_id}/archive")
        except ApiError as error:
            if not must_show(error):
                raise
            values = {"code": found["code"], **{n: found[n] or "" for n in NAMES}}
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
