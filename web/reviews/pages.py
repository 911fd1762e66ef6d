"""Review pages: my documents, a document with its versions and timeline, the reviewer's inbox
with inline decisions (HTMX), and the catalogue of approved methodological products. Everything
comes from the API through the caller's `ApiClient`; its refusals are shown where they happen."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.i18n import N_
from api.i18n import gettext as _
from web.client import ApiClient, ApiError, together
from web.forms import once
from web.identity.viewer import viewer
from web.templating import page
from web.views import PUBLIC

DOCUMENT_KINDS: Mapping[str, str] = {
    "working_curriculum": N_("Working curriculum (cl. 19)"),
    "working_programme": N_("Working programme (cl. 20)"),
    "lesson_plan": N_("Lesson plan (cl. 20)"),
    "guidelines": N_("Methodological guidelines and recommendations (cl. 21)"),
    "other": N_("Other methodological documentation (cl. 18)"),
    "methodological_product": N_("Methodological product for publication (cl. 13.4)"),
    "normative_document": N_("Normative document for expert review (cl. 13.2)"),
    "association_plan": N_("Association's annual plan (cl. 29)"),
}
STATUSES: Mapping[str, str] = {
    "draft": N_("Draft"),
    "in_review": N_("Under review"),
    "returned": N_("Returned to the authors"),
    "rejected": N_("Negative conclusion: with the authors"),
    "approved": N_("Approved"),
}
STAGE_STATUSES: Mapping[str, str] = {
    "waiting": N_("Waiting"),
    "active": N_("Current"),
    "passed": N_("Passed"),
    "returned": N_("Returned"),
    "rejected": N_("Negative conclusion"),
    "planned": N_("Planned"),
}
OUTCOMES: Mapping[str, str] = {
    "positive": N_("Positive conclusion"),
    "negative": N_("Negative conclusion"),
    "return": N_("Return for revision"),
}


APPROVAL_BY = "Approval by "
# The fields of the new-document form, by the names the API gives them in its refusals.
DOCUMENT_FIELDS = ("kind", "title", "author_staff_ids", "school_year", "follows_model")


async def _me(request: Request[Any, Any, Any], api: ApiClient) -> str | None:
    """The signed-in person's user id: from the header's look-up, else asked (an HTMX request)."""
    who = viewer(request.scope)
    if who is not None:
        return who.user_id
    try:
        return str((await api.get("/api/auth/me"))["user_id"])
    except ApiError:
        return None


def stage_label(label: str | None) -> str:
    """A stage's label in the reader's language. The API stores it in English, in words the
    catalogues hold (api/domain/reviews/structure.py): "Approval by" its approvers, or what the
    body is, then the body's own name after a colon."""
    if not label:
        return ""
    if label.startswith(APPROVAL_BY):
        who = [_(w) for w in label.removeprefix(APPROVAL_BY).split(" or ")]
        joined = (
            who[0]
            if len(who) == 1
            else _("%(first)s or %(second)s") % {"first": ", ".join(who[:-1]), "second": who[-1]}
        )
        return _("Approval by %(who)s") % {"who": joined}
    words, colon, name = label.partition(": ")
    return f"{_(words)}{colon}{name}" if colon else _(label)


def _labels() -> dict[str, Any]:
    return {
        "stage_label": stage_label,
        "document_kinds": {k: _(v) for k, v in DOCUMENT_KINDS.items()},
        "statuses": {k: _(v) for k, v in STATUSES.items()},
        "stage_statuses": {k: _(v) for k, v in STAGE_STATUSES.items()},
        "outcomes": {k: _(v) for k, v in OUTCOMES.items()},
    }


class Reviews:
    """The API calls of these pages, for one organisation."""

    def __init__(self, api: ApiClient, organisation_id: UUID) -> None:
        self.api = api
        self.base = f"/api/organisations/{organisation_id}"

    async def get(self, path: str, **params: Any) -> Any:
        return await self.api.get(self.base + path, params={k: str(v) for k, v in params.items() if v is not None})

    async def post(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        return await self.api.post(self.base + path, json=payload if payload is not None else {}, **kwargs)


async def _meetings_of(r: Reviews, body_kind: str, body_id: str) -> list[dict[str, Any]]:
    """Meetings of a body with their agenda items, newest first: where a decision is recorded."""
    try:
        found = await r.get("/meetings", body_kind=body_kind, body_id=body_id, page_size=50)
    except ApiError:
        return []
    return sorted(found.get("items", []), key=lambda m: m["starts_at"], reverse=True)


class ReviewPages(Controller):
    path = "/organisations/{organisation_id:uuid}"

    # --- my documents -------------------------------------------------------------------------

    async def _documents_context(
        self, request: Request[Any, Any, Any], api: ApiClient, organisation_id: UUID, **extra: Any
    ) -> dict[str, Any]:
        r = Reviews(api, organisation_id)
        org, documents, staff, me = await together(
            api.organisation(organisation_id),
            r.get("/documents", mine="true"),
            r.get("/staff", page_size=200),
            _me(request, api),
        )
        # The authors are the organisation's staff; the form starts with the caller's own record.
        own = [s["id"] for s in staff["items"] if me and s["user_id"] == me]
        values = {"author_staff_ids": own} | extra.pop("values", {})
        return {
            "org": org,
            "documents": documents["items"],
            "staff": staff["items"],
            "error": None,
            "errors": {},
            "values": values,
            **_labels(),
            **extra,
        }

    @get("/documents", name="reviews:documents", opt=PUBLIC)
    async def documents(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return page(
            request, "reviews/documents.html", None, await self._documents_context(request, api, organisation_id)
        )

    @post("/documents", name="reviews:document-create", opt=PUBLIC, status_code=303)
    async def create(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect:
        form = await request.form()
        values: dict[str, Any] = {
            k: str(form.get(k) or "").strip() for k in ("kind", "title", "school_year", "follows_model")
        }
        values["author_staff_ids"] = (
            [str(v) for v in form.getall("author_staff_ids")] if "author_staff_ids" in form else []
        )
        # The form's own checks, all at once; the API's rules after them.
        errors: dict[str, str] = {}
        if not values["title"]:
            errors["title"] = _("Give the document a title.")
        if values["school_year"] and not (
            values["school_year"].isdigit() and 2000 <= int(values["school_year"]) <= 2100
        ):
            errors["school_year"] = _("The school year is the year it starts, such as 2026.")
        payload: dict[str, Any] = {
            "kind": values["kind"],
            "title": values["title"],
            "author_staff_ids": values["author_staff_ids"],
        }
        if values["school_year"].isdigit():
            payload["school_year"] = int(values["school_year"])
        if values["follows_model"]:
            payload["follows_model"] = values["follows_model"]
        status, error = 422, None
        if not errors:
            try:
                created = await Reviews(once(api, form), organisation_id).post("/documents", payload)
            except ApiError as exc:
                if exc.status >= 500:
                    raise
                status = exc.status
                field = (exc.field or "").split("[", 1)[0]
                if field in DOCUMENT_FIELDS:
                    errors[field] = exc.message
                else:
                    error = exc
            else:
                return Redirect(f"/organisations/{organisation_id}/documents/{created['id']}", status_code=303)
        context = await self._documents_context(
            request, api, organisation_id, error=error, errors=errors, values=values
        )
        return page(request, "reviews/documents.html", None, context, status_code=status)

    # --- one document -------------------------------------------------------------------------

    async def _document_context(
        self, api: ApiClient, organisation_id: UUID, document_id: UUID, **extra: Any
    ) -> dict[str, Any]:
        r = Reviews(api, organisation_id)
        org, document, timeline = await together(
            api.organisation(organisation_id),
            r.get(f"/documents/{document_id}"),
            r.get(f"/documents/{document_id}/timeline"),
        )
        if timeline["rounds"]:
            planned, missing = [], timeline["rounds"][-1]["missing_stages"]
        else:
            plan = await r.get(f"/documents/{document_id}/route-plan")
            planned, missing = plan["stages"], plan["missing_stages"]
        diff = None
        numbers = [v["number"] for v in document["versions"]]
        if len(numbers) >= 2:
            diff = await r.get(f"/documents/{document_id}/diff", **{"from": numbers[-2], "to": numbers[-1]})
        return {
            "org": org,
            "document": document,
            "timeline": timeline,
            "planned": planned,
            "missing": missing,
            "diff": diff,
            "error": None,
            "notice": None,
            **_labels(),
            **extra,
        }

    @get("/documents/{document_id:uuid}", name="reviews:document", opt=PUBLIC)
    async def document(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        document_id: FromPath[UUID],
    ) -> Template:
        return page(
            request, "reviews/document.html", None, await self._document_context(api, organisation_id, document_id)
        )

    @post(
        "/documents/{document_id:uuid}/versions",
        name="reviews:upload",
        opt=PUBLIC,
        status_code=303,
        request_max_body_size=256 * 1024 * 1024,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        document_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        upload = form.get("file")
        note = str(form.get("change_note") or "").strip()
        try:
            if upload is None or not hasattr(upload, "read"):
                raise ApiError(422, _("Choose a file to upload."), "file")
            content = await upload.read()
            await once(api, form).send(
                "POST",
                f"/api/organisations/{organisation_id}/documents/{document_id}/versions",
                files={"file": (upload.filename, content, upload.content_type or "application/octet-stream")},
                data={"change_note": note} if note else {},
            )
        except ApiError as exc:
            context = await self._document_context(api, organisation_id, document_id, error=exc)
            return page(request, "reviews/document.html", None, context, status_code=exc.status)
        return Redirect(f"/organisations/{organisation_id}/documents/{document_id}", status_code=303)

    @post("/documents/{document_id:uuid}/submit", name="reviews:submit", opt=PUBLIC, status_code=303)
    async def submit(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        document_id: FromPath[UUID],
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await Reviews(once(api, form), organisation_id).post(
                f"/documents/{document_id}/submissions", {"version_id": str(form.get("version_id") or "")}
            )
        except ApiError as exc:
            context = await self._document_context(api, organisation_id, document_id, error=exc)
            return page(request, "reviews/document.html", None, context, status_code=exc.status)
        return Redirect(f"/organisations/{organisation_id}/documents/{document_id}", status_code=303)

    # --- the inbox ----------------------------------------------------------------------------

    @staticmethod
    def _item_context(item: dict[str, Any], meetings: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[str, Any]:
        choices = []
        for body in item["bodies"]:
            for meeting in meetings.get((body["body_kind"], body["body_id"]), []):
                for agenda in meeting.get("agenda", []):
                    if agenda.get("document_id") in (None, item["document_id"]):
                        choices.append({"body": body, "meeting": meeting, "item": agenda})
        return {"item": item, "choices": choices, "key": uuid.uuid4().hex}

    @get("/reviews/inbox", name="reviews:inbox", opt=PUBLIC)
    async def inbox(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        r = Reviews(api, organisation_id)
        org, items = await together(api.organisation(organisation_id), r.get("/reviews/inbox"))
        # Each collegial body's meetings once, all at once: six documents before one council asked
        # for the same meetings six times, one after another (docs/performance.md).
        bodies = list(
            dict.fromkeys((b["body_kind"], b["body_id"]) for item in items for b in item["bodies"] if b["collegial"])
        )
        meetings = dict(zip(bodies, await together(*(_meetings_of(r, *body) for body in bodies)), strict=True))
        entries = [self._item_context(item, meetings) for item in items]
        return page(request, "reviews/inbox.html", None, {"org": org, "entries": entries, **_labels()})

    @post("/reviews/decide/{document_id:uuid}/{stage_id:uuid}", name="reviews:decide", opt=PUBLIC, status_code=200)
    async def decide(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        document_id: FromPath[UUID],
        stage_id: FromPath[UUID],
    ) -> Template:
        form = await request.form()
        payload: dict[str, Any] = {
            "stage_id": str(stage_id),
            "version_id": str(form.get("version_id") or ""),
            "outcome": str(form.get("outcome") or ""),
        }
        remarks = str(form.get("remarks") or "").strip()
        if remarks:
            payload["remarks"] = remarks
        place = str(form.get("place") or "")
        if place:  # "body:meeting:item"
            body_id, meeting_id, item_id = place.split(":")
            payload.update(meeting_id=meeting_id, agenda_item_id=item_id)
            if form.get("parallel"):
                payload["body_id"] = body_id
        elif form.get("body_id"):
            payload["body_id"] = str(form.get("body_id"))
        key = str(form.get("idempotency_key") or uuid.uuid4().hex)
        context: dict[str, Any] = {
            "org": {"id": organisation_id},
            **_labels(),
            "decided": None,
            "error": None,
            "document_id": document_id,
            "stage_id": stage_id,
        }
        try:
            context["decided"] = await Reviews(api, organisation_id).post(
                f"/documents/{document_id}/decisions", payload, headers={"Idempotency-Key": key}
            )
            status = 200
        except ApiError as exc:
            context["error"] = exc
            status = exc.status
        return page(request, "reviews/decided.html", None, context, status_code=status)

    # --- the catalogue (cl. 13.4) ----------------------------------------------------------------

    @get("/catalogue", name="reviews:catalogue", opt=PUBLIC)
    async def catalogue(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        r = Reviews(api, organisation_id)
        q = request.query_params.get("q") or None
        org, found = await together(api.organisation(organisation_id), r.get("/catalogue", q=q))
        return page(request, "reviews/catalogue.html", None, {"org": org, "catalogue": found, "q": q or ""})
