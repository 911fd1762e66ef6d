"""Organisations' own providers: registration by an organisation admin, routing, and the rule that
a provider of organisation A never signs anyone into organisation B."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from api.domain.organisations.models import Organisation
from api.identity.models import IdentityProvider, Invitation
from tests.identity.login.conftest import LoginServer
from tests.identity.login.flows import (
    count_sessions,
    count_users,
    grant_role,
    idp_sign_in,
    make_organisation,
    node_sign_in,
    roles_of,
    session_cookie_set,
    user_by,
)
from tests.identity.login.idp import LocalIdP


async def signed_in_admin(login_server: LoginServer, db: Any, browser: httpx.AsyncClient, org: Organisation) -> str:
    login = f"admin-{uuid.uuid4().hex[:8]}"
    await grant_role(db, login_server.settings.oidc_issuer or "", login, "organisation_admin", organisation_id=org.id)
    assert (await node_sign_in(browser, login)).status_code == 303
    return login


async def prove_domains(db: Any, organisation_id: Any, domains: list[str]) -> None:
    """The organisation's claims of these domains marked proved, as a regional administrator's
    approval would (tests/identity/login/test_domains.py proves them the real ways)."""
    from sqlalchemy import update

    from api.identity.models import OrganisationDomain

    async with db.session() as session, session.begin():
        await session.execute(
            update(OrganisationDomain)
            .where(OrganisationDomain.organisation_id == organisation_id, OrganisationDomain.domain.in_(domains))
            .values(status="verified", method="approval")
        )


async def register_provider(
    login_server: LoginServer,
    db: Any,
    browser: httpx.AsyncClient,
    org: Organisation,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    domains: list[str],
    prove: bool = True,
) -> dict[str, Any]:
    if browser.cookies.get("metodist_session") is None:
        await signed_in_admin(login_server, db, browser, org)
    created = await browser.post(
        f"/api/organisations/{org.id}/identity-providers",
        json={
            "name": "University SSO",
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": client_secret,
            "allowed_domains": domains,
        },
    )
    assert created.status_code == 201, created.text
    if prove:
        await prove_domains(db, org.id, created.json()["allowed_domains"])
    return created.json()


async def register_idp_provider(
    login_server: LoginServer,
    db: Any,
    idp: LocalIdP,
    org: Organisation,
    domains: list[str] | None = None,
    *,
    prove: bool = True,
) -> dict[str, Any]:
    """Registers our test provider as the organisation's, and the client at the provider; its
    domains proved unless `prove=False`."""
    client_id, secret = f"client-{uuid.uuid4().hex[:8]}", f"secret-{uuid.uuid4().hex}"
    async with login_server.browser() as admin:
        provider = await register_provider(
            login_server,
            db,
            admin,
            org,
            issuer=idp.issuer,
            client_id=client_id,
            client_secret=secret,
            domains=domains or [f"org{uuid.uuid4().hex[:6]}.kz"],
            prove=prove,
        )
    idp.register(client_id, secret, [provider["redirect_uri"]])
    return provider


async def test_registration_checks_discovery_stores_secret_encrypted_and_routes_by_domain(
    login_server: LoginServer, db: Any, idp: LocalIdP
) -> None:
    org = await make_organisation(db)
    domain = f"uni{uuid.uuid4().hex[:6]}.edu.kz"
    secret = f"very-secret-{uuid.uuid4().hex}"
    async with login_server.browser() as admin:
        admin_login = await signed_in_admin(login_server, db, admin, org)
        url = f"/api/organisations/{org.id}/identity-providers"
        body = {
            "name": "Uni SSO",
            "issuer": idp.issuer,
            "client_id": "uni-client",
            "client_secret": secret,
            "allowed_domains": [domain.upper()],
        }
        created = await admin.post(url, json=body)
        assert created.status_code == 201, created.text
        provider = created.json()
        assert provider["allowed_domains"] == [domain]
        assert provider["redirect_uri"] == f"{login_server.url}/api/auth/callback/{provider['id']}"
        assert "client_secret" not in provider and secret not in created.text

        # Encrypted at rest: the column holds no trace of the secret.
        async with db.session() as session:
            stored = await session.get(IdentityProvider, uuid.UUID(provider["id"]))
            assert stored is not None and secret not in stored.client_secret_encrypted
            assert stored.client_secret_encrypted.startswith("v2:")  # names its key (api.identity.crypto)

        # Once proved, the same domain cannot belong to another organisation's provider.
        await prove_domains(db, org.id, [domain])
        other = await make_organisation(db)
        await grant_role(
            db, login_server.settings.oidc_issuer or "", admin_login, "organisation_admin", organisation_id=other.id
        )
        clash = await admin.post(f"/api/organisations/{other.id}/identity-providers", json={**body, "client_id": "x"})
        assert clash.status_code == 409 and clash.json()["field"] == "allowed_domains"

        # An issuer whose discovery document cannot be read is refused, nothing stored.
        unreachable = await admin.post(
            url, json={**body, "issuer": "http://127.0.0.1:9/", "allowed_domains": ["a-new-domain.kz"]}
        )
        assert unreachable.status_code == 422 and unreachable.json()["field"] == "issuer"
        bad = await admin.post(url, json={**body, "allowed_domains": ["not a domain"]})
        assert bad.status_code == 400
        no_openid = await admin.post(
            url, json={**body, "scopes": "email profile", "allowed_domains": ["b-new-domain.kz"]}
        )
        assert no_openid.status_code == 400 and no_openid.json()["field"] == "scopes"
        listed = (await admin.get(url)).json()
        assert [p["id"] for p in listed] == [provider["id"]]

    async with login_server.browser() as anyone:
        lookup = (await anyone.get("/api/auth/providers", params={"email": f"Teacher@{domain}"})).json()
        assert lookup["matched_by"] == "email_domain"
        assert [p["id"] for p in lookup["providers"]] == [provider["id"], "national"]
        assert lookup["providers"][0]["login_url"].startswith(f"/api/auth/login?provider={provider['id']}")
        assert lookup["dev_sign_in"] is False
        by_org = (await anyone.get("/api/auth/providers", params={"organisation": org.bin})).json()
        assert by_org["matched_by"] == "organisation" and by_org["providers"][0]["id"] == provider["id"]
        elsewhere = (await anyone.get("/api/auth/providers", params={"email": "someone@gmail.com"})).json()
        assert elsewhere["matched_by"] == "platform" and [p["id"] for p in elsewhere["providers"]] == ["national"]
        assert (await anyone.get("/api/auth/providers", params={"email": "no-at-sign"})).status_code == 400
        assert (await anyone.get("/api/auth/providers", params={"organisation": str(uuid.uuid4())})).status_code == 404


async def test_only_an_admin_of_the_organisation_registers_its_provider(
    login_server: LoginServer, db: Any, idp: LocalIdP
) -> None:
    org, other = await make_organisation(db), await make_organisation(db)
    body = {"name": "SSO", "issuer": idp.issuer, "client_id": "c", "client_secret": "s", "allowed_domains": ["z.kz"]}
    async with login_server.browser() as anonymous:
        assert (await anonymous.post(f"/api/organisations/{org.id}/identity-providers", json=body)).status_code == 401
    async with login_server.browser() as admin_of_other:
        await signed_in_admin(login_server, db, admin_of_other, other)
        refused = await admin_of_other.post(f"/api/organisations/{org.id}/identity-providers", json=body)
        assert refused.status_code in (403, 404)
    async with db.session() as session:
        assert (
            await session.scalars(select(IdentityProvider).where(IdentityProvider.organisation_id == org.id))
        ).first() is None


async def test_organisation_provider_signs_in_and_links_its_organisation(
    login_server: LoginServer, db: Any, idp: LocalIdP
) -> None:
    org = await make_organisation(db)
    domain = f"college{uuid.uuid4().hex[:6]}.kz"
    provider = await register_idp_provider(login_server, db, idp, org, domains=[domain])
    subject = f"staff-{uuid.uuid4().hex[:6]}"
    idp.next_user = {"sub": subject, "email": f"Staff@{domain}", "email_verified": True, "name": "Staff Member"}
    async with login_server.browser() as browser:
        callback = await idp_sign_in(browser, provider["id"])
        assert callback.status_code == 303, callback.text
        me = (await browser.get("/api/auth/me")).json()
        assert me["email"] == f"staff@{domain}" and me["provider"] == provider["id"]
        assert me["grants"] == [
            {"role": "teacher", "territory_id": None, "organisation_id": str(org.id), "unit_id": None}
        ]


async def test_provider_of_organisation_a_cannot_sign_a_user_into_organisation_b(
    login_server: LoginServer, db: Any, idp: LocalIdP
) -> None:
    org_a, org_b = await make_organisation(db), await make_organisation(db)
    domain_a, domain_b = f"a{uuid.uuid4().hex[:6]}.kz", f"b{uuid.uuid4().hex[:6]}.kz"
    provider_a = await register_idp_provider(login_server, db, idp, org_a, domains=[domain_a])
    await register_idp_provider(login_server, db, idp, org_b, domains=[domain_b])
    # B has invited its future head; A's provider (which A's admin controls) claims to be that person.
    victim = f"head@{domain_b}"
    async with db.session() as session, session.begin():
        import datetime

        from api.clock import utc_now
        from api.identity.crypto import token_hash

        token = uuid.uuid4().hex
        invitation = Invitation(
            email=victim,
            role="head",
            organisation_id=org_b.id,
            token_hash=token_hash(token),
            expires_at=utc_now() + datetime.timedelta(days=1),
        )
        session.add(invitation)
    users, sessions = await count_users(db), await count_sessions(db)

    # 1. An address of B's domain through A's provider.
    idp.next_user = {"sub": f"fake-{uuid.uuid4().hex[:6]}", "email": victim, "email_verified": True}
    async with login_server.browser() as browser:
        refused = await idp_sign_in(browser, provider_a["id"])
        assert refused.status_code == 403, refused.text
        assert 'data-error-code="domain_not_allowed"' in refused.text
        assert not session_cookie_set(refused)

    # 2. B's invitation link used through A's provider, with an address of A's own domain.
    idp.next_user = {"sub": f"fake-{uuid.uuid4().hex[:6]}", "email": f"someone@{domain_a}", "email_verified": True}
    async with login_server.browser() as browser:
        refused = await idp_sign_in(browser, provider_a["id"], invitation=token)
        assert refused.status_code == 403 and 'data-error-code="wrong_organisation"' in refused.text
        assert not session_cookie_set(refused)

    assert await count_users(db) == users and await count_sessions(db) == sessions
    async with db.session() as session:
        still = await session.get(Invitation, invitation.id)
        assert still is not None and still.accepted_at is None


async def test_switched_off_provider_cannot_be_used(login_server: LoginServer, db: Any, idp: LocalIdP) -> None:
    org = await make_organisation(db)
    provider = await register_idp_provider(login_server, db, idp, org)
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        off = await admin.delete(f"/api/organisations/{org.id}/identity-providers/{provider['id']}")
        assert off.status_code == 200 and off.json()["is_active"] is False
    async with login_server.browser() as browser:
        refused = await browser.get("/api/auth/login", params={"provider": provider["id"]})
        assert refused.status_code == 404 and 'data-error-code="unknown_provider"' in refused.text
        unknown = await browser.get("/api/auth/login", params={"provider": "not-a-provider"})
        assert unknown.status_code == 404


async def test_user_of_org_provider_keeps_subject_identity(login_server: LoginServer, db: Any, idp: LocalIdP) -> None:
    """The same subject at two providers is two accounts: a user is (issuer, subject)."""
    org = await make_organisation(db)
    domain = f"same{uuid.uuid4().hex[:6]}.kz"
    provider = await register_idp_provider(login_server, db, idp, org, domains=[domain])
    subject = f"shared-{uuid.uuid4().hex[:6]}"
    idp.next_user = {"sub": subject, "email": f"x@{domain}", "email_verified": True}
    async with login_server.browser() as browser:
        assert (await idp_sign_in(browser, provider["id"])).status_code == 303
    async with login_server.browser() as browser:
        assert (await node_sign_in(browser, subject)).status_code == 303
    at_idp = await user_by(db, idp.issuer, subject)
    at_node = await user_by(db, login_server.settings.oidc_issuer or "", subject)
    assert at_idp is not None and at_node is not None and at_idp.id != at_node.id
    assert await roles_of(db, at_idp.id) == {("teacher", org.id)}
    assert await roles_of(db, at_node.id) == set()
