"""The header of every page: who is signed in (name, my sessions, sign-out as a POST with the CSRF
token) or a sign-in link; the current organisation's pages; and pages that need a signature sending
anonymous visitors to the sign-in page with the way back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import httpx

from api.access import Grant
from api.identity.csrf import CSRF_COOKIE
from api.identity.sessions import SESSION_COOKIE
from api.roles import Role
from tests.identity.access.principals import new_user, session_cookie
from tests.identity.login.flows import make_organisation


@asynccontextmanager
async def browser(app: Any, db: Any = None, user: UUID | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A browser without JavaScript: cookies kept, redirects not followed; signed in as `user`
    (a session made by the session machinery, as sign-in leaves it)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        if user is not None:
            cookie = (await session_cookie(app.api, db, user))["cookie"]
            client.cookies.set(SESSION_COOKIE, cookie.split("=", 1)[1])
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'action="/sign-out"[^>]*>\s*<input type="hidden" name="_csrf_token" value="([^"]+)"', html)
    assert found, "the header's sign-out form carries no CSRF token"
    return found.group(1)


def _org_nav(html: str) -> list[str]:
    nav = re.search(r'<nav class="org-nav".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(0)) if nav else []


async def test_anonymous_visitors_are_sent_to_sign_in_and_back(app: Any, db: Any) -> None:
    async with browser(app) as anonymous:
        page = await anonymous.get("/organisations?q=school&lang=en")
        assert page.status_code == 303
        assert page.headers["location"] == "/sign-in?return_to=%2Forganisations%3Fq%3Dschool%26lang%3Den"
        assert page.headers["cache-control"] == "no-store"

        sign_in = await anonymous.get(page.headers["location"])
        assert sign_in.status_code == 200
        assert 'name="return_to" value="/organisations?q=school&amp;lang=en"' in sign_in.text
        # The header offers signing in (staying on this page), shows no name, no organisation's pages.
        assert 'id="header-sign-in"' in sign_in.text and 'href="/sign-in?return_to=%2Forganisations' in sign_in.text
        assert 'id="header-user"' not in sign_in.text and 'id="header-sign-out"' not in sign_in.text
        assert _org_nav(sign_in.text) == []

        # An HTMX request for part of a page sends the whole page (HX-Redirect), back to the page it came from.
        fragment = await anonymous.get(
            "/organisations?page=2",
            headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/organisations?kind=school"},
        )
        assert fragment.status_code == 200 and fragment.text == ""
        assert fragment.headers["hx-redirect"] == "/sign-in?return_to=%2Forganisations%3Fkind%3Dschool"

        # A form sent without a session goes back to the page it was on (its Referer), never to another site.
        token = anonymous.cookies.get(CSRF_COOKIE)
        assert token
        org = await make_organisation(db)
        form = await anonymous.post(
            f"/organisations/{org.id}/documents",
            data={"_csrf_token": token, "kind": "other", "title": "x"},
            headers={"Referer": f"http://testserver/organisations/{org.id}/documents"},
        )
        assert form.status_code == 303
        assert form.headers["location"] == f"/sign-in?return_to=%2Forganisations%2F{org.id}%2Fdocuments"
        elsewhere = await anonymous.post(
            f"/organisations/{org.id}/documents",
            data={"_csrf_token": token, "kind": "other", "title": "x"},
            headers={"Referer": "https://evil.example/organisations"},
        )
        assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/sign-in"

        # Pages that need no signature stay where they are; unknown pages are still 404.
        assert (await anonymous.get("/sign-in")).status_code == 200
        missing = await anonymous.get("/no/such/page")
        assert missing.status_code == 404 and 'id="header-sign-in"' not in missing.text


async def test_the_header_names_the_person_and_their_organisations_pages(app: Any, db: Any) -> None:
    org = await make_organisation(db)
    other = await make_organisation(db)
    teacher = await new_user(db, [Grant(Role.TEACHER, organisation_id=org.id)], name="Айгүл Сейітқызы")
    admin = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=org.id)], name="Org Admin")
    both = await new_user(
        db,
        [Grant(Role.TEACHER, organisation_id=org.id), Grant(Role.TEACHER, organisation_id=other.id)],
        name="Two Schools",
    )
    methodist = await new_user(db, [Grant(Role.REGIONAL_METHODIST, territory_id=org.territory_id)], name="Methodist")
    base = f"/organisations/{org.id}"

    async with browser(app, db, teacher) as client:
        page = await client.get(base, headers={"Accept-Language": "kk"})
        assert page.status_code == 200
        assert '<span class="who" id="header-user"' in page.text and "Айгүл Сейітқызы" in page.text
        assert 'href="/account/sessions" id="header-sessions"' in page.text and "Менің сеанстарым" in page.text
        assert _csrf(page.text) == client.cookies.get(CSRF_COOKIE)
        assert "Шығу" in page.text and 'id="header-sign-in"' not in page.text
        assert _org_nav(page.text) == [
            base,
            f"{base}/structure",
            f"{base}/calendar",
            f"{base}/documents",
            f"{base}/reviews/inbox",
            f"{base}/catalogue",
        ]
        assert "Менің құжаттарым" in page.text and "Менің шешімімді күтуде" in page.text
        assert f'<a href="{base}" aria-current="page">' in page.text
        # Outside the organisation's pages: the one organisation the person works in.
        assert _org_nav((await client.get("/territories")).text)[0] == base

    async with browser(app, db, admin) as client:
        links = _org_nav((await client.get(base, headers={"Accept-Language": "ru"})).text)
        assert f"{base}/identity-providers" in links and f"{base}/invitations" in links

    async with browser(app, db, both) as client:
        assert _org_nav((await client.get("/territories")).text) == []  # two organisations: none is "current"
        assert f"{base}/documents" in _org_nav((await client.get(base)).text)

    async with browser(app, db, methodist) as client:
        # A methodist reads the organisation: structure and catalogue, no documents of their own there.
        links = _org_nav((await client.get(base)).text)
        assert f"{base}/structure" in links and f"{base}/catalogue" in links
        assert f"{base}/documents" not in links and f"{base}/identity-providers" not in links

    # HTMX fragments carry no header (and ask nobody who is signed in).
    async with browser(app, db, teacher) as client:
        fragment = await client.get(base, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and 'id="header-user"' not in fragment.text and "<html" not in fragment.text


async def test_signing_out_from_the_header_needs_the_csrf_token_and_ends_the_session(app: Any, db: Any) -> None:
    org = await make_organisation(db)
    user = await new_user(db, [Grant(Role.TEACHER, organisation_id=org.id)], name="Leaving Teacher")
    async with browser(app, db, user) as client:
        page = await client.get("/territories", headers={"Accept-Language": "en"})
        token = _csrf(page.text)
        forged = await client.post("/sign-out", data={})
        assert forged.status_code == 403
        assert (await client.get("/api/auth/me")).status_code == 200  # still signed in

        out = await client.post("/sign-out", data={"_csrf_token": token})
        assert out.status_code == 303 and out.headers["location"] == "/sign-in"
        expired = [h for h in out.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")]
        assert expired and "Max-Age=0" in expired[0] and "HttpOnly" in expired[0] and "Path=/" in expired[0]
        assert (await client.get("/api/auth/me")).status_code == 401
        after = await client.get("/territories")
        assert after.status_code == 303 and after.headers["location"].startswith("/sign-in")


async def test_a_person_without_a_role_sees_their_name_and_sessions(app: Any, db: Any) -> None:
    user = await new_user(db, [], name="Just Signed In")
    async with browser(app, db, user) as client:
        page = await client.get("/account/sessions", headers={"Accept-Language": "en"})
        assert page.status_code == 200, page.text[:300]
        assert 'id="who"' in page.text and "Just Signed In" in page.text
        assert page.text.count('data-current="yes"') == 1
        assert '<a href="/account/sessions" id="header-sessions" aria-current="page">' in page.text
        assert _org_nav(page.text) == []
        # The page's own sign-out form posts to the web app with the CSRF token too.
        assert re.search(r'<form method="post" action="/sign-out"><input type="hidden" name="_csrf_token"', page.text)
