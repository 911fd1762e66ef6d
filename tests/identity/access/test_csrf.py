"""Cross-site request forgery: the web app's token, and the API's origin check for cookie sessions."""

from __future__ import annotations

import re
import uuid
from typing import Any

from api.access import Grant
from api.identity.csrf import CROSS_SITE_MESSAGE
from api.roles import Role
from tests.identity.access.conftest import World, client_at
from tests.identity.access.principals import bearer, token_secret


async def test_cookie_sessions_must_come_from_this_site(app: Any, world: World) -> None:
    session = await world.session(Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id))
    url = f"/api/tokens/{uuid.uuid4()}/revoke"  # a write that answers 404 once it is let through
    async with client_at(app, "10.4.0.1") as http:
        forged = await http.post(url, headers={**session, "origin": "https://evil.example"})
        assert forged.status_code == 403
        assert forged.json() == {"status": 403, "message": CROSS_SITE_MESSAGE, "field": None, "clause": None}
        sandboxed = await http.post(url, headers={**session, "origin": "null"})
        assert sandboxed.status_code == 403
        cross = await http.post(url, headers={**session, "sec-fetch-site": "cross-site"})
        assert cross.status_code == 403
        same = await http.post(url, headers={**session, "origin": "http://testserver", "sec-fetch-site": "same-origin"})
        assert same.status_code == 404
        # Reading is never refused for its origin.
        assert (
            await http.get(f"/api/organisations/{world.a.id}", headers={**session, "origin": "https://evil.example"})
        ).status_code == 200
        # A bearer token is not sent by browsers on their own: no origin check (on a write tokens
        # may make: they do not manage tokens, they revoke invitations).
        token = bearer(await token_secret(world.db, Grant(Role.ORGANISATION_ADMIN, organisation_id=world.a.id)))
        invitation = f"/api/organisations/{world.a.id}/invitations/{uuid.uuid4()}"
        assert (await http.delete(invitation, headers={**token, "origin": "https://evil.example"})).status_code == 404


async def test_web_writes_need_the_csrf_token(app: Any, national_admin_headers: dict[str, str]) -> None:
    async with client_at(app, "10.4.0.2") as web:
        page = await web.get("/organisations/new", headers=national_admin_headers)
        cookie = web.cookies.get("csrftoken")
        assert cookie, page.headers
        # The page carries the token for HTMX (hx-headers on <body>) and for plain forms.
        rendered = re.search(r'X-CSRFToken": "([0-9a-f]+)"', page.text)
        assert rendered is not None
        form = {"kind": "school", "name_kk": "x", "name_ru": "x", "bin": "1"}
        refused = await web.post("/organisations", data=form, headers=national_admin_headers)
        assert refused.status_code == 403
        wrong = await web.post(
            "/organisations", data=form, headers={**national_admin_headers, "x-csrftoken": "0" * 128}
        )
        assert wrong.status_code == 403
        htmx = await web.post(
            "/organisations",
            data=form,
            headers={**national_admin_headers, "x-csrftoken": rendered.group(1), "hx-request": "true"},
        )
        assert htmx.status_code != 403, htmx.text[:300]
        plain = await web.post(
            "/organisations", data={**form, "_csrf_token": rendered.group(1)}, headers=national_admin_headers
        )
        assert plain.status_code != 403, plain.text[:300]
