"""The sign-in domains page of an organisation (api.identity.domains), and the page the mailed
confirmation link opens. HTMX: each action answers with the domains section alone."""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from api import i18n
from web.client import ApiClient, ApiError
from web.confirm import ask_first
from web.forms import once
from web.identity.pages import _name
from web.templating import page
from web.views import PUBLIC

APPROVERS = frozenset({"regional_admin", "national_admin"})


class DomainPages(Controller):
    path = "/"

    async def _page(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        error: ApiError | None = None,
        notice: str | None = None,
        value: str = "",
        status_code: int = 200,
    ) -> Template:
        domains = await api.get(f"/api/organisations/{organisation_id}/domains")
        for row in domains:
            for field in ("verified_at", "mailbox_expires_at"):
                if row.get(field):
                    row[field] = datetime.datetime.fromisoformat(row[field])
        org = await api.get(f"/api/organisations/{organisation_id}")
        me = await api.get("/api/auth/me")
        context = {
            "org": org,
            "org_name": _name(org),
            "domains": domains,
            "error": error,
            "notice": notice,
            "value": value,
            "can_approve": any(g.get("role") in APPROVERS for g in me.get("grants", [])),
        }
        return page(request, "identity/domains.html", "domains_section", context, status_code=status_code)

    @get("/organisations/{organisation_id:uuid}/domains", name="domains", opt=PUBLIC)
    async def domains(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._page(request, api, organisation_id)

    async def _act(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        path: str,
        body: dict[str, Any] | None,
        notice: str,
        value: str = "",
    ) -> Template:
        try:
            # Only the claim creates; its form's key makes a claim sent twice one claim.
            await (once(api, await request.form()) if path == "" else api).post(
                f"/api/organisations/{organisation_id}/domains{path}", json=body
            )
        except ApiError as exc:
            if exc.status == 401:
                raise
            return await self._page(request, api, organisation_id, error=exc, value=value, status_code=exc.status)
        return await self._page(request, api, organisation_id, notice=notice)

    @post("/organisations/{organisation_id:uuid}/domains", name="domains-claim", opt=PUBLIC)
    async def claim(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        value = ((await request.form()).get("domain") or "").strip()[:255]
        return await self._act(request, api, organisation_id, "", {"domain": value}, "claimed", value=value)

    @post("/organisations/{organisation_id:uuid}/domains/{domain:str}/check-dns", name="domains-check-dns", opt=PUBLIC)
    async def check_dns(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
    ) -> Template:
        return await self._act(request, api, organisation_id, f"/{domain}/check-dns", None, "verified")

    @post("/organisations/{organisation_id:uuid}/domains/{domain:str}/mailbox", name="domains-mailbox", opt=PUBLIC)
    async def mailbox(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
    ) -> Template:
        local_part = ((await request.form()).get("local_part") or "").strip()[:32]
        return await self._act(
            request, api, organisation_id, f"/{domain}/mailbox", {"local_part": local_part}, "mailed"
        )

    @post("/organisations/{organisation_id:uuid}/domains/{domain:str}/approve", name="domains-approve", opt=PUBLIC)
    async def approve(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
    ) -> Template:
        return await self._act(request, api, organisation_id, f"/{domain}/approve", None, "verified")

    @post("/organisations/{organisation_id:uuid}/domains/{domain:str}/remove", name="domains-remove", opt=PUBLIC)
    async def remove(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
    ) -> Template:
        if asking := await ask_first(
            request,
            action=i18n.gettext("Remove"),
            question=i18n.gettext("Remove this domain? Its addresses stop being trusted for sign-in."),
            back=f"/organisations/{organisation_id}/domains",
        ):
            return asking
        try:
            await api.request("DELETE", f"/api/organisations/{organisation_id}/domains/{domain}")
        except ApiError as exc:
            if exc.status == 401:
                raise
            return await self._page(request, api, organisation_id, error=exc, status_code=exc.status)
        return await self._page(request, api, organisation_id, notice="removed")

    @get("/domains/confirm", name="domains-confirm", opt=PUBLIC)
    async def confirm_page(self, request: Request[Any, Any, Any], code: FromQuery[str | None] = None) -> Template:
        # A GET changes nothing (mail scanners open links): the person presses the button.
        return page(
            request,
            "identity/domain_confirm.html",
            None,
            {"code": (code or "")[:200], "confirmed": None, "error": None},
        )

    @post("/domains/confirm", name="domains-confirm-post", opt=PUBLIC)
    async def confirm(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        code = ((await request.form()).get("code") or "").strip()[:200]
        try:
            confirmed = await api.post("/api/auth/domain-confirmations", json={"code": code})
        except ApiError as exc:
            return page(
                request,
                "identity/domain_confirm.html",
                None,
                {"code": code, "confirmed": None, "error": exc},
                status_code=exc.status,
            )
        return page(request, "identity/domain_confirm.html", None, {"code": "", "confirmed": confirmed, "error": None})
