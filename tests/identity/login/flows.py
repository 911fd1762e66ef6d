"""Driving sign-ins the way a browser does: redirects followed by hand across app and providers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, select

from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.domain.territories.models import Territory
from api.identity.models import UserSession
from api.identity.sessions import SESSION_COOKIE
from tenants.naming import schema_for_bin
from tests.support import fresh_bin


def is_callback(url: httpx.URL) -> bool:
    return url.path.startswith("/api/auth/callback/")


async def follow(
    client: httpx.AsyncClient,
    response: httpx.Response,
    *,
    until: Callable[[httpx.URL], bool] | None = None,
    hops: int = 20,
) -> httpx.Response:
    """Follows redirects; stops after requesting a URL for which `until` is true."""
    for _ in range(hops):
        if not response.is_redirect:
            return response
        url = response.url.join(response.headers["location"])
        response = await client.get(url)
        if until is not None and until(url):
            return response
    raise AssertionError("too many redirects")


async def start(client: httpx.AsyncClient, provider: str, **params: Any) -> httpx.Response:
    response = await client.get("/api/auth/login", params={"provider": provider, **params})
    assert response.status_code == 302, response.text
    return response


async def node_sign_in(
    client: httpx.AsyncClient, login: str, provider: str = "national", **params: Any
) -> httpx.Response:
    """Signs in at the Node provider's login form; returns the application's callback answer."""
    form = await follow(client, await start(client, provider, **params), until=is_callback)
    if is_callback(form.url):
        return form  # the provider remembered this browser: single sign-on, no form
    assert form.status_code == 200 and 'name="login"' in form.text, form.text[:500]
    posted = await client.post(form.url, data={"prompt": "login", "login": login, "password": "any password"})
    return await follow(client, posted, until=is_callback)


async def idp_sign_in(client: httpx.AsyncClient, provider_id: str, **params: Any) -> httpx.Response:
    """Signs in at our own test provider (it answers the authorization request at once)."""
    return await follow(client, await start(client, provider_id, **params), until=is_callback)


def session_cookie_set(response: httpx.Response) -> bool:
    return any(
        h.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" not in h for h in response.headers.get_list("set-cookie")
    )


async def count_sessions(db: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(UserSession)) or 0)


async def count_users(db: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def make_organisation(db: Any, territory: str = "karaganda", **fields: Any) -> Organisation:
    async with db.session() as session, session.begin():
        territory_id = await session.scalar(select(Territory.id).where(Territory.slug == territory))
        bin_ = fresh_bin()
        org = Organisation(
            kind=fields.get("kind", "school"),
            levels=["primary"],
            territory_id=territory_id,
            bin=bin_,
            name_kk=fields.get("name", "Сынақ мектебі"),
            name_ru=fields.get("name", "Тестовая школа"),
            name_en=fields.get("name", "Test School"),
            schema_name=schema_for_bin(bin_),
            status="active",
        )
        session.add(org)
    return org


async def grant_role(
    db: Any, issuer: str, subject: str, role: str, *, organisation_id: UUID | None = None, territory: str | None = None
) -> UUID:
    """The user (issuer, subject), created when missing, gets the role at the node."""
    async with db.session() as session, session.begin():
        user = await session.scalar(select(User).where(User.issuer == issuer, User.subject == subject))
        if user is None:
            user = User(issuer=issuer, subject=subject, email=None)
            session.add(user)
            await session.flush()
        territory_id = None
        if territory:
            territory_id = await session.scalar(select(Territory.id).where(Territory.slug == territory))
        session.add(
            RoleAssignment(user_id=user.id, role=role, organisation_id=organisation_id, territory_id=territory_id)
        )
        return user.id


async def roles_of(db: Any, user_id: UUID) -> set[tuple[str, UUID | None]]:
    async with db.session() as session:
        rows = await session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user_id))
        return {(r.role, r.organisation_id or r.territory_id) for r in rows.all()}


async def user_by(db: Any, issuer: str, subject: str) -> User | None:
    async with db.session() as session:
        return await session.scalar(select(User).where(User.issuer == issuer, User.subject == subject))
