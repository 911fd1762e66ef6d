"""The identity pages of the web app: sign-in routing, my sessions, providers and invitations."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.identity.login.conftest import LoginServer, Mailbox
from tests.identity.login.flows import make_organisation, node_sign_in
from tests.identity.login.idp import LocalIdP
from tests.identity.login.test_organisation_providers import register_idp_provider, signed_in_admin


def _csrf(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


async def test_sign_in_page_routes_by_email_domain(login_server: LoginServer, db: Any, idp: LocalIdP) -> None:
    org = await make_organisation(db)
    domain = f"page{uuid.uuid4().hex[:6]}.kz"
    provider = await register_idp_provider(login_server, db, idp, org, domains=[domain])
    async with login_server.browser() as browser:
        page = await browser.get(
            "/sign-in",
            params={"email": f"a@{domain}", "return_to": "/account/sessions"},
            headers={"Accept-Language": "kk"},
        )
        assert page.status_code == 200
        links = re.findall(r'href="([^"]+)" data-provider="([^"]+)"', page.text)
        assert [p for _, p in links] == [provider["id"], "national"]
        assert "return_to=%2Faccount%2Fsessions" in links[0][0]
        assert "Жұмыс поштаңыз" in page.text  # Kazakh
        assert "Development sign-in" not in page.text and "demo-user" not in page.text
        unknown = await browser.get(
            "/sign-in", params={"email": "someone@gmail.com"}, headers={"Accept-Language": "ru"}
        )
        assert "У вашей организации нет своей службы входа" in unknown.text
        bad = await browser.get("/sign-in", params={"email": "nonsense"}, headers={"Accept-Language": "en"})
        assert bad.status_code == 200 and "Enter an e-mail address" in bad.text


async def test_my_sessions_page_needs_a_session_and_lists_them(login_server: LoginServer, db: Any) -> None:
    async with login_server.browser() as anonymous:
        redirected = await anonymous.get("/account/sessions")
        assert redirected.status_code in (302, 303) and redirected.headers["location"].startswith("/sign-in")
    org = await make_organisation(db)
    async with login_server.browser() as browser:
        await signed_in_admin(login_server, db, browser, org)
        page = await browser.get("/account/sessions", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert page.text.count('data-current="yes"') == 1 and "This browser" in page.text


async def test_admin_invites_through_the_invitations_page(login_server: LoginServer, db: Any, mailbox: Mailbox) -> None:
    org = await make_organisation(db)
    invitee = f"page.{uuid.uuid4().hex[:6]}@mail.kz"
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        page = await admin.get(f"/organisations/{org.id}/invitations", headers={"Accept-Language": "ru"})
        assert page.status_code == 200 and "Приглашения" in page.text
        form = {"_csrf_token": _csrf(page.text), "email": invitee, "role": "teacher"}
        sent = await admin.post(f"/organisations/{org.id}/invitations", data=form, headers={"Accept-Language": "ru"})
        assert sent.status_code == 200, sent.text
        assert 'id="invitation-link"' in sent.text and invitee in sent.text
        await mailbox.wait_for(invitee)
        # Without the token the web app refuses the form.
        forged = await admin.post(f"/organisations/{org.id}/invitations", data={"email": "x@y.kz", "role": "teacher"})
        assert forged.status_code == 403
        # A refusal of the API is shown on the page, in the page's language.
        twice = await admin.post(f"/organisations/{org.id}/invitations", data=form, headers={"Accept-Language": "ru"})
        assert twice.status_code == 409 and "уже отправлено ожидающее приглашение" in twice.text


async def test_admin_adds_a_provider_through_the_providers_page(
    login_server: LoginServer, db: Any, idp: LocalIdP
) -> None:
    org = await make_organisation(db)
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        page = await admin.get(f"/organisations/{org.id}/identity-providers", headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "No sign-in service of its own yet" in page.text
        domain = f"form{uuid.uuid4().hex[:6]}.kz"
        form = {
            "_csrf_token": _csrf(page.text),
            "name": "Form SSO",
            "issuer": idp.issuer,
            "client_id": "form-client",
            "client_secret": "form-secret",
            "allowed_domains": domain,
        }
        added = await admin.post(f"/organisations/{org.id}/identity-providers", data=form)
        assert added.status_code == 303
        listed = await admin.get(added.headers["location"])
        assert domain in listed.text and "/api/auth/callback/" in listed.text and "form-secret" not in listed.text
        broken = await admin.post(
            f"/organisations/{org.id}/identity-providers",
            data={**form, "allowed_domains": f"x{domain}", "issuer": "http://127.0.0.1:9/"},
        )
        assert broken.status_code == 422 and "form-secret" not in broken.text


async def test_a_teacher_cannot_open_the_admin_pages(login_server: LoginServer, db: Any) -> None:
    from tests.identity.login.flows import grant_role

    org = await make_organisation(db)
    login = f"pt-{uuid.uuid4().hex[:6]}"
    await grant_role(db, login_server.settings.oidc_issuer or "", login, "teacher", organisation_id=org.id)
    async with login_server.browser() as teacher:
        await node_sign_in(teacher, login)
        for path in (f"/organisations/{org.id}/invitations", f"/organisations/{org.id}/identity-providers"):
            refused = await teacher.get(path)
            assert refused.status_code == 403, path
