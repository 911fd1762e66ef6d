"""The identity pages. Sign-in itself runs through the API (`/api/auth/...`): these pages find
the right sign-in service, sign out, list a person's sessions, and let an organisation admin manage
its identity providers and invitations. Everything comes from the API through the caller's client.
A page whose API call finds nobody signed in goes to the sign-in page (web.app's error handler)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any, Literal, cast
from urllib.parse import urlencode
from uuid import UUID

import httpx
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from api import i18n
from api.i18n import N_
from web.client import ApiClient, ApiError
from web.confirm import ask_first
from web.forms import HEADER, once
from web.templating import page
from web.views import PUBLIC

# Roles an organisation admin may offer by invitation (held at the organisation).
INVITABLE_ROLES: tuple[str, ...] = (
    "teacher",
    "association_leader",
    "council_secretary",
    "council_chair",
    "deputy_head",
    "head",
    "organisation_admin",
)
INVITATION_STATUS: Mapping[str, str] = {
    "pending": N_("Waiting"),
    "accepted": N_("Accepted"),
    "revoked": N_("Revoked"),
    "expired": N_("Expired"),
}


def role_label(code: str) -> str:
    return i18n.label(code)


def _name(item: Mapping[str, Any] | None, prefix: str = "name") -> str:
    """An organisation's name from an API answer, in the current language."""
    if not item:
        return ""
    for code in (i18n.current_locale(), "ru", "kk", "en"):
        value = item.get(f"{prefix}_{code}")
        if value:
            return str(value)
    return ""


def _dates(rows: list[dict[str, Any]], *fields: str) -> list[dict[str, Any]]:
    return [{**row, **{f: datetime.datetime.fromisoformat(row[f]) for f in fields if row.get(f)}} for row in rows]


def _safe_path(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return "/"
    return value


def _with_return(login_url: str, return_to: str) -> str:
    return f"{login_url}&{urlencode({'return_to': return_to})}" if return_to != "/" else login_url


def forwarded_cookies(response: httpx.Response) -> list[Cookie]:
    """The cookies the API set (signing out expires the session's), for the browser's answer."""
    cookies: list[Cookie] = []
    for raw in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:
            continue
        for key, morsel in jar.items():
            max_age = morsel["max-age"]
            samesite = (morsel["samesite"] or "lax").lower()
            cookies.append(
                Cookie(
                    key=key,
                    value=morsel.value,
                    path=morsel["path"] or "/",
                    max_age=int(max_age) if str(max_age).lstrip("-").isdigit() else None,
                    expires=0 if max_age == "0" else None,
                    httponly=bool(morsel["httponly"]),
                    secure=bool(morsel["secure"]),
                    samesite=cast(
                        Literal["lax", "strict", "none"], samesite if samesite in ("lax", "strict", "none") else "lax"
                    ),
                )
            )
    return cookies


class IdentityPages(Controller):
    path = "/"

    @get("/sign-in", name="sign-in", opt=PUBLIC)
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        email: FromQuery[str | None] = None,
        organisation: FromQuery[str | None] = None,
        invitation: FromQuery[str | None] = None,
        return_to: FromQuery[str | None] = None,
    ) -> Template:
        back = _safe_path(return_to)
        error = None
        lookup: dict[str, Any] | None = None
        preview: dict[str, Any] | None = None
        email = (email or "").strip()[:320]
        organisation = (organisation or "").strip()[:64]
        try:
            if invitation:
                preview = await api.get(f"/api/auth/invitations/{invitation[:100]}")
            params = {"email": email} if email else {"organisation": organisation} if organisation else {}
            lookup = await api.get("/api/auth/providers", params=params)
        except ApiError as exc:
            error = exc.message
            if lookup is None and exc.status != 404:
                lookup = await api.get("/api/auth/providers")
        providers = [
            {**p, "href": _with_return(p["login_url"], back)}
            for p in ((preview or {}).get("providers") or (lookup or {}).get("providers") or [])
        ]
        demo_users = []
        if lookup and lookup.get("dev_sign_in"):
            demo_users = await api.get("/api/auth/dev/users")
        context = {
            "email": email,
            "organisation": organisation,
            "providers": providers,
            "lookup": lookup,
            "preview": preview,
            "error": error,
            "demo_users": demo_users,
            "return_to": back,
            "asked": bool(email or organisation),
            "role_label": role_label,
            "invited_to": _name(preview, "place_name") or _name(preview, "organisation_name"),
        }
        return page(request, "identity/sign_in.html", None, context, headers={"Cache-Control": "no-store"})

    @post("/sign-out", name="sign-out", opt=PUBLIC, status_code=303)
    async def sign_out(self, api: NamedDependency[ApiClient]) -> Redirect:
        """Ends this browser's session through the API, then goes where the API says: the
        provider's end-session page where it has one, else the sign-in page."""
        answer = await api.send("POST", "/api/auth/logout", headers={"accept": "application/json"})
        body = answer.json() if answer.content else {}
        target = str(body.get("redirect_to") or "/sign-in") if isinstance(body, dict) else "/sign-in"
        return Redirect(
            target, status_code=303, cookies=forwarded_cookies(answer), headers={"Cache-Control": "no-store"}
        )

    @get("/account/sessions", name="my-sessions", opt=PUBLIC)
    async def my_sessions(self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient]) -> Template:
        me = await api.get("/api/auth/me")
        sessions = _dates(await api.get("/api/auth/sessions"), "created_at", "last_seen_at", "expires_at")
        return page(
            request,
            "identity/sessions.html",
            "sessions_table",
            {"me": me, "sessions": sessions, "role_label": role_label},
        )

    @post("/account/sessions/{session_id:uuid}/revoke", name="revoke-my-session", opt=PUBLIC)
    async def revoke_my_session(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], session_id: FromPath[UUID]
    ) -> Redirect | Template:
        if asking := await ask_first(
            request,
            action=i18n.gettext("End session"),
            question=i18n.gettext("End this session? That browser must sign in again."),
            back="/account/sessions",
        ):
            return asking
        await api.request("DELETE", f"/api/auth/sessions/{session_id}")
        return Redirect("/account/sessions", status_code=303)

    @get("/organisations/{organisation_id:uuid}/identity-providers", name="identity-providers", opt=PUBLIC)
    async def providers(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._providers_page(request, api, organisation_id, values={}, error=None)

    async def _providers_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        values: Mapping[str, Any],
        error: ApiError | None,
        status_code: int = 200,
    ) -> Template:
        providers = await api.get(f"/api/organisations/{organisation_id}/identity-providers")
        org = await api.get(f"/api/organisations/{organisation_id}")
        addresses = await api.get("/api/auth/sign-in-addresses")
        context = {
            "org": org,
            "org_name": _name(org),
            "providers": providers,
            "values": values,
            "error": error,
            "addresses": addresses,
        }
        return page(request, "identity/providers.html", None, context, status_code=status_code)

    @post("/organisations/{organisation_id:uuid}/identity-providers", name="identity-providers-create", opt=PUBLIC)
    async def create_provider(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect:
        form = await request.form()
        values = {
            k: (form.get(k) or "").strip() for k in ("name", "issuer", "client_id", "client_secret", "allowed_domains")
        }
        body = {
            **{k: values[k] for k in ("name", "issuer", "client_id", "client_secret")},
            "allowed_domains": [d for d in values["allowed_domains"].replace(",", " ").split() if d],
        }
        try:
            await once(api, form).post(f"/api/organisations/{organisation_id}/identity-providers", json=body)
        except ApiError as exc:
            if exc.status == 401:
                raise
            values.pop("client_secret")
            return await self._providers_page(
                request, api, organisation_id, values=values, error=exc, status_code=exc.status
            )
        return Redirect(f"/organisations/{organisation_id}/identity-providers", status_code=303)

    @post(
        "/organisations/{organisation_id:uuid}/identity-providers/{provider_id:uuid}/deactivate",
        name="identity-providers-deactivate",
        opt=PUBLIC,
    )
    async def deactivate_provider(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        provider_id: FromPath[UUID],
    ) -> Redirect | Template:
        if asking := await ask_first(
            request,
            action=i18n.gettext("Switch off"),
            question=i18n.gettext("Switch off this sign-in service? People can no longer sign in through it."),
            back=f"/organisations/{organisation_id}/identity-providers",
        ):
            return asking
        await api.request("DELETE", f"/api/organisations/{organisation_id}/identity-providers/{provider_id}")
        return Redirect(f"/organisations/{organisation_id}/identity-providers", status_code=303)

    @get("/organisations/{organisation_id:uuid}/invitations", name="invitations", opt=PUBLIC)
    async def invitations(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template:
        return await self._invitations_page(request, api, organisation_id, values={}, error=None, link=None)

    async def _invitations_page(
        self,
        request: Request[Any, Any, Any],
        api: ApiClient,
        organisation_id: UUID,
        *,
        values: Mapping[str, Any],
        error: ApiError | None,
        link: str | None,
        status_code: int = 200,
    ) -> Template:
        invitations = await api.get(f"/api/organisations/{organisation_id}/invitations")
        org = await api.get(f"/api/organisations/{organisation_id}")
        context = {
            "org": org,
            "org_name": _name(org),
            "invitations": _dates(invitations, "expires_at"),
            "values": values,
            "error": error,
            "link": link,
            "roles": INVITABLE_ROLES,
            "role_label": role_label,
            "status_label": lambda s: i18n.gettext(INVITATION_STATUS.get(s, s)),
        }
        return page(request, "identity/invitations.html", None, context, status_code=status_code)

    @post("/organisations/{organisation_id:uuid}/invitations", name="invitations-create", opt=PUBLIC)
    async def create_invitation(
        self, request: Request[Any, Any, Any], api: NamedDependency[ApiClient], organisation_id: FromPath[UUID]
    ) -> Template | Redirect:
        form = await request.form()
        values = {"email": (form.get("email") or "").strip(), "role": form.get("role") or "teacher"}
        try:
            created = await once(api, form).post(f"/api/organisations/{organisation_id}/invitations", json=values)
        except ApiError as exc:
            if exc.status == 401:
                raise
            if exc.status == 409 and exc.field == HEADER:
                # Sent again: the first sending made the invitation, whose link is answered once
                # only. The page says so above a fresh form; the invitation is in the list.
                return await self._invitations_page(
                    request, api, organisation_id, values={}, error=exc, link=None, status_code=409
                )
            return await self._invitations_page(
                request, api, organisation_id, values=values, error=exc, link=None, status_code=exc.status
            )
        return await self._invitations_page(request, api, organisation_id, values={}, error=None, link=created["link"])

    @post(
        "/organisations/{organisation_id:uuid}/invitations/{invitation_id:uuid}/revoke",
        name="invitations-revoke",
        opt=PUBLIC,
    )
    async def revoke_invitation(
        self,
        request: Request[Any, Any, Any],
        api: NamedDependency[ApiClient],
        organisation_id: FromPath[UUID],
        invitation_id: FromPath[UUID],
    ) -> Redirect | Template:
        if asking := await ask_first(
            request,
            action=i18n.gettext("Revoke"),
            question=i18n.gettext("Revoke this invitation? Its link stops working."),
            back=f"/organisations/{organisation_id}/invitations",
        ):
            return asking
        await api.request("DELETE", f"/api/organisations/{organisation_id}/invitations/{invitation_id}")
        return Redirect(f"/organisations/{organisation_id}/invitations", status_code=303)
