"""Onboarding pages: upload a file of organisations (regional and national admins) or of an
organisation's staff (its admins), read the dry run's findings, confirm, follow the progress
(HTMX polls the counts every second, so a reload or a closed browser loses nothing: the counts
live with the import), download the result report.

Everything goes through the API with the caller's credentials and language; its refusals are
shown where they happen.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.i18n import N_
from api.i18n import gettext as _
from web.client import ApiClient, ApiError
from web.downloads import download
from web.forms import once
from web.templating import page
from web.views import PUBLIC

UPLOAD_LIMIT = 64 * 1024 * 1024
STATUSES = {
    "checked": N_("Checked: waiting for confirmation"),
    "queued": N_("Queued"),
    "running": N_("Importing"),
    "done": N_("Finished"),
    "failed": N_("Stopped by an error"),
}
PLANS = {
    "create": N_("Will be created"),
    "update": N_("Will be updated"),
    "unchanged": N_("Unchanged"),
    "created": N_("Created"),
    "updated": N_("Updated"),
}
COLUMN_NAMES = {
    "bin": N_("BIN"),
    "kind": N_("Kind"),
    "territory": N_("Territory"),
    "name_kk": N_("Name (kk)"),
    "name_ru": N_("Name (ru)"),
    "name_en": N_("Name (en)"),
    "levels": N_("Education levels"),
    "admin_email": N_("Administrator e-mail"),
    "iin": N_("IIN"),
    "last_name": N_("Last name"),
    "first_name": N_("First name"),
    "middle_name": N_("Patronymic"),
    "full_name": N_("Full name"),
    "email": N_("E-mail"),
    "position": N_("Position"),
    "subjects": N_("Subjects"),
    "unit": N_("Unit"),
}


def _labels() -> dict[str, Any]:
    return {
        "statuses": {k: _(v) for k, v in STATUSES.items()},
        "plans": {k: _(v) for k, v in PLANS.items()},
        "column_names": {k: _(v) for k, v in COLUMN_NAMES.items()},
    }


async def _forward(api: ApiClient, path: str, request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise ApiError(422, _("Choose a file to upload."), "file")
    content = await upload.read()
    if not content:
        raise ApiError(422, _("The file is empty."), "file")
    # The form's key: a file sent twice (a double click) makes one import.
    response = await once(api, form).send(
        "POST",
        path,
        files={"file": (upload.filename or "upload", content, upload.content_type or "application/octet-stream")},
    )
    return response.json()  # type: ignore[no-any-return]


class OnboardingPages(Controller):
    # --- upload -------------------------------------------------------------------------------

    async def _upload_context(
        self, api: ApiClient, kind: str, organisation_id: UUID | None, **extra: Any
    ) -> dict[str, Any]:
        org = await api.organisation(organisation_id) if organisation_id else None
        return {"kind": kind, "org": org, "error": None, **_labels(), **extra}

    @get("/imports/organisations", name="onboarding:organisations", opt=PUBLIC)
    async def organisations(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        return page(request, "onboarding/upload.html", None, await self._upload_context(api, "organisations", None))

    @post(
        "/imports/organisations",
        name="onboarding:organisations-upload",
        opt=PUBLIC,
        status_code=303,
        request_max_body_size=UPLOAD_LIMIT,
    )
    async def upload_organisations(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]
    ) -> Template | Redirect:
        try:
            job = await _forward(api, "/api/imports/organisations", request)
        except ApiError as exc:
            if exc.status == 401:
                raise
            context = await self._upload_context(api, "organisations", None, error=exc)
            return page(request, "onboarding/upload.html", None, context, status_code=exc.status)
        return Redirect(f"/imports/{job['id']}", status_code=303)

    @get("/organisations/{organisation_id:uuid}/imports/staff", name="onboarding:staff", opt=PUBLIC)
    async def staff(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return page(request, "onboarding/upload.html", None, await self._upload_context(api, "staff", organisation_id))

    @post(
        "/organisations/{organisation_id:uuid}/imports/staff",
        name="onboarding:staff-upload",
        opt=PUBLIC,
        status_code=303,
        request_max_body_size=UPLOAD_LIMIT,
    )
    async def upload_staff(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect:
        try:
            job = await _forward(api, f"/api/organisations/{organisation_id}/imports/staff", request)
        except ApiError as exc:
            if exc.status == 401:
                raise
            context = await self._upload_context(api, "staff", organisation_id, error=exc)
            return page(request, "onboarding/upload.html", None, context, status_code=exc.status)
        return Redirect(f"/imports/{job['id']}", status_code=303)

    @get("/imports/templates/{kind:str}", name="onboarding:template", opt=PUBLIC)
    async def template(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], kind: FromPath[str]
    ) -> Response[bytes]:
        file_format = "csv" if request.query_params.get("format") == "csv" else "xlsx"
        params = {k: v for k, v in request.query_params.items() if k == "lang"}
        response = await api.send("GET", f"/api/imports/templates/{kind}/{file_format}", params=params)
        return download(response, f"{kind}.{file_format}")

    # --- one import ---------------------------------------------------------------------------

    async def _job_context(self, api: ApiClient, job_id: UUID) -> dict[str, Any]:
        job = await api.get(f"/api/imports/{job_id}")
        context: dict[str, Any] = {
            "job": job,
            "error": None,
            "bad": None,
            "good": None,
            "failed_rows": None,
            **_labels(),
        }
        if job["status"] == "checked":
            bad = await api.get(f"/api/imports/{job_id}/rows", params={"state": "invalid", "page_size": "1000"})
            good = await api.get(f"/api/imports/{job_id}/rows", params={"state": "pending", "page_size": "200"})
            context.update(bad=bad, good=good)
        elif job["status"] in ("done", "failed"):
            context["failed_rows"] = await api.get(
                f"/api/imports/{job_id}/rows", params={"state": "failed", "page_size": "1000"}
            )
        return context

    @get("/imports/{job_id:uuid}", name="onboarding:job", opt=PUBLIC)
    async def job(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], job_id: FromPath[UUID]
    ) -> Template:
        return page(request, "onboarding/job.html", None, await self._job_context(api, job_id))

    @get("/imports/{job_id:uuid}/progress", name="onboarding:progress", opt=PUBLIC)
    async def progress(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], job_id: FromPath[UUID]
    ) -> Template:
        """The progress block alone (what HTMX polls); a finished import answers its final block."""
        return page(request, "onboarding/job.html", "progress", await self._job_context(api, job_id))

    @post("/imports/{job_id:uuid}/start", name="onboarding:start", opt=PUBLIC, status_code=303)
    async def start(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], job_id: FromPath[UUID]
    ) -> Template | Redirect:
        try:
            await api.post(f"/api/imports/{job_id}/start")
        except ApiError as exc:
            if exc.status == 401:
                raise
            context = await self._job_context(api, job_id)
            return page(request, "onboarding/job.html", None, {**context, "error": exc}, status_code=exc.status)
        return Redirect(f"/imports/{job_id}", status_code=303)

    @get("/imports/{job_id:uuid}/report", name="onboarding:report", opt=PUBLIC)
    async def report(self, api: NamedDependency[ApiClient], job_id: FromPath[UUID]) -> Response[bytes]:
        return download(await api.send("GET", f"/api/imports/{job_id}/report"), f"import-{job_id}.xlsx")
