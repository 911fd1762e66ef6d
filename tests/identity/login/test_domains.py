"""Organisations' sign-in domains (api.identity.domains), over HTTPS against the running app.

Before: an organisation's provider could list gmail.com, first come first served, and a new person
with such an address was made a teacher of that school. Each test fails without the fix: public
services refused, one organisation per domain, nothing trusted until proved, and the three proofs
— a DNS TXT record answered by a real DNS server on 127.0.0.1 (built here with dnspython's
message API), a confirmation mailed through the real SMTP server (aiosmtpd) to the domain's
postmaster, and a regional administrator's approval.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from sqlalchemy import select

from api.identity.dns import DnsResolver
from api.identity.domains import is_public, normalise
from api.identity.models import IdentityAuditEntry, OrganisationDomain
from tests.identity.login.conftest import LoginServer, Mailbox
from tests.identity.login.flows import grant_role, idp_sign_in, make_organisation, node_sign_in, roles_of, user_by
from tests.identity.login.idp import LocalIdP
from tests.identity.login.test_organisation_providers import register_idp_provider, signed_in_admin


class TxtServer(asyncio.DatagramProtocol):
    """A DNS server answering TXT queries from `records`; NXDOMAIN for anything else."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.asked: list[str] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.asked.append(name)
        texts = self.records.get(name)
        if question.rdtype == dns.rdatatype.TXT and texts:
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", "TXT", [f'"{t}"' for t in texts]))
        else:
            response.set_rcode(dns.rcode.NXDOMAIN)
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@pytest.fixture
async def dns_server(login_server: LoginServer) -> AsyncIterator[TxtServer]:
    """A DNS server on 127.0.0.1 and the running app's resolver pointed at it (the resolver is
    pluggable: METODIST_DNS_NAMESERVERS in production)."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(TxtServer, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    state = login_server.app.api.state
    state.dns_resolver = DnsResolver((f"127.0.0.1:{port}",), timeout_s=2)
    yield protocol
    state.dns_resolver = None
    transport.close()


@contextlib.asynccontextmanager
async def _admin(login_server: LoginServer, db: Any, org: Any) -> AsyncIterator[Any]:
    async with login_server.browser() as browser:
        await signed_in_admin(login_server, db, browser, org)
        yield browser


def _domain(prefix: str = "school") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}.edu.kz"


def test_public_mail_services_are_recognised() -> None:
    for public in (
        "gmail.com",
        "mail.ru",
        "yandex.kz",
        "yandex.ru",
        "ya.ru",
        "inbox.kz",
        "outlook.com",
        "sub.mail.ru",
        "GMAIL.COM.",
    ):
        assert is_public(normalise(public)), public
    for private in ("school15.edu.kz", "nis.edu.kz", "gmail.com.kz", "mymail.ru", "yandex.school.kz"):
        assert not is_public(normalise(private)), private
    assert normalise("Мектеп.kz").startswith("xn--")


async def test_public_domains_are_refused_and_nothing_is_written(
    login_server: LoginServer, db: Any, idp: LocalIdP
) -> None:
    org = await make_organisation(db)
    async with _admin(login_server, db, org) as admin:
        for domain in ("gmail.com", "yandex.kz", "mail.ru", "staff.mail.ru"):
            claimed = await admin.post(f"/api/organisations/{org.id}/domains", json={"domain": domain})
            assert claimed.status_code == 422, claimed.text
            assert claimed.json()["field"] == "domain" and "public mail service" in claimed.json()["message"]
        provider = await admin.post(
            f"/api/organisations/{org.id}/identity-providers",
            json={
                "name": "SSO",
                "issuer": idp.issuer,
                "client_id": "c",
                "client_secret": "s",
                "allowed_domains": ["gmail.com"],
            },
        )
        assert provider.status_code == 422 and provider.json()["field"] == "allowed_domains"
        russian = await admin.post(
            f"/api/organisations/{org.id}/domains", json={"domain": "gmail.com"}, headers={"accept-language": "ru"}
        )
        assert (
            russian.status_code == 422
            and "gmail.com" in russian.json()["message"]
            and "public" not in russian.json()["message"]
        )
        for bad in ("not a domain", "localhost", "-bad-.kz", "a..kz"):
            refused = await admin.post(f"/api/organisations/{org.id}/domains", json={"domain": bad})
            assert refused.status_code == 400 and refused.json()["field"] == "domain", (bad, refused.text)
        assert (await admin.get(f"/api/organisations/{org.id}/domains")).json() == []
        assert (await admin.get(f"/api/organisations/{org.id}/identity-providers")).json() == []


async def test_an_unproved_domain_makes_no_one_a_member(login_server: LoginServer, db: Any, idp: LocalIdP) -> None:
    """The reported defect: a new person of the provider's domain became a teacher of the school."""
    org = await make_organisation(db)
    domain = _domain()
    provider = await register_idp_provider(login_server, db, idp, org, domains=[domain], prove=False)
    async with db.session() as session:
        claim = await session.scalar(select(OrganisationDomain).where(OrganisationDomain.domain == domain))
    assert claim is not None and claim.status == "pending" and claim.organisation_id == org.id

    # Through the organisation's own provider: signed in, but not a member, the address not trusted.
    subject = f"new-{uuid.uuid4().hex[:6]}"
    idp.next_user = {"sub": subject, "email": f"teacher@{domain}", "email_verified": True}
    async with login_server.browser() as browser:
        assert (await idp_sign_in(browser, provider["id"])).status_code == 303
    user = await user_by(db, idp.issuer, subject)
    assert user is not None and await roles_of(db, user.id) == set() and user.email_verified is False

    # Through the national SSO with a verified address of the domain: not linked either, and the
    # sign-in page does not route the domain to the organisation's provider.
    national = f"teacher2@{domain}"
    async with login_server.browser() as browser:
        assert (await node_sign_in(browser, national)).status_code == 303
        looked_up = (await browser.get("/api/auth/providers", params={"email": national})).json()
        assert provider["id"] not in [o["id"] for o in looked_up["providers"]]
    national_user = await user_by(db, login_server.settings.oidc_issuer or "", national)
    assert national_user is not None and await roles_of(db, national_user.id) == set()

    # A regional administrator of the organisation's region approves: from now on it counts.
    regional = f"regional-{uuid.uuid4().hex[:6]}"
    await grant_role(db, login_server.settings.oidc_issuer or "", regional, "regional_admin", territory="karaganda")
    async with login_server.browser() as browser:
        assert (await node_sign_in(browser, regional)).status_code == 303
        approved = await browser.post(f"/api/organisations/{org.id}/domains/{domain}/approve")
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "verified" and approved.json()["method"] == "approval"
        looked_up = (await browser.get("/api/auth/providers", params={"email": national})).json()
        assert provider["id"] in [o["id"] for o in looked_up["providers"]]
    later = f"later-{uuid.uuid4().hex[:6]}"
    idp.next_user = {"sub": later, "email": f"later@{domain}", "email_verified": True}
    async with login_server.browser() as browser:
        assert (await idp_sign_in(browser, provider["id"])).status_code == 303
    joined = await user_by(db, idp.issuer, later)
    assert joined is not None and await roles_of(db, joined.id) == {("teacher", org.id)} and joined.email_verified


async def test_only_an_administrator_whose_reach_covers_it_approves(login_server: LoginServer, db: Any) -> None:
    org = await make_organisation(db)
    domain = _domain("approve")
    async with _admin(login_server, db, org) as admin:
        assert (await admin.post(f"/api/organisations/{org.id}/domains", json={"domain": domain})).status_code == 201
        # The organisation's own admin cannot approve its own claim.
        own = await admin.post(f"/api/organisations/{org.id}/domains/{domain}/approve")
        assert own.status_code == 403, own.text
    far = f"far-{uuid.uuid4().hex[:6]}"
    await grant_role(db, login_server.settings.oidc_issuer or "", far, "regional_admin", territory="akmola")
    async with login_server.browser() as browser:
        assert (await node_sign_in(browser, far)).status_code == 303
        assert (await browser.post(f"/api/organisations/{org.id}/domains/{domain}/approve")).status_code == 404
    async with db.session() as session:
        claim = await session.scalar(select(OrganisationDomain).where(OrganisationDomain.domain == domain))
    assert claim is not None and claim.status == "pending"


async def test_a_domain_belongs_to_one_organisation_first_proof_wins(
    login_server: LoginServer, db: Any, idp: LocalIdP
) -> None:
    org_a, org_b = await make_organisation(db), await make_organisation(db)
    domain = _domain("shared")
    async with _admin(login_server, db, org_a) as admin_a, _admin(login_server, db, org_b) as admin_b:
        assert (
            await admin_a.post(f"/api/organisations/{org_a.id}/domains", json={"domain": domain})
        ).status_code == 201
        # Pending claims of two organisations may wait side by side (no squatting by claiming first)…
        assert (
            await admin_b.post(f"/api/organisations/{org_b.id}/domains", json={"domain": domain})
        ).status_code == 201
        again = await admin_b.post(f"/api/organisations/{org_b.id}/domains", json={"domain": domain.upper()})
        assert again.status_code == 409
        regional = f"regional-{uuid.uuid4().hex[:6]}"
        await grant_role(db, login_server.settings.oidc_issuer or "", regional, "regional_admin", territory="karaganda")
        async with login_server.browser() as browser:
            await node_sign_in(browser, regional)
            assert (await browser.post(f"/api/organisations/{org_b.id}/domains/{domain}/approve")).status_code == 200
        # …and the first proof takes it: A's claim is withdrawn, A can neither claim nor list it again.
        assert (await admin_a.get(f"/api/organisations/{org_a.id}/domains")).json() == []
        taken = await admin_a.post(f"/api/organisations/{org_a.id}/domains", json={"domain": domain})
        assert taken.status_code == 409 and taken.json()["field"] == "domain"
        provider = await admin_a.post(
            f"/api/organisations/{org_a.id}/identity-providers",
            json={
                "name": "SSO",
                "issuer": idp.issuer,
                "client_id": "c",
                "client_secret": "s",
                "allowed_domains": [domain],
            },
        )
        assert provider.status_code == 409 and provider.json()["field"] == "allowed_domains"
    async with db.session() as session:
        actions = (
            await session.scalars(
                select(IdentityAuditEntry.action).where(
                    IdentityAuditEntry.entity == "organisation_domain",
                    IdentityAuditEntry.after["domain"].astext == domain,
                )
            )
        ).all()
    assert "domain.claim" in actions and "domain.verify" in actions


async def test_proved_by_a_dns_txt_record(login_server: LoginServer, db: Any, dns_server: TxtServer) -> None:
    org = await make_organisation(db)
    domain = _domain("dns")
    async with _admin(login_server, db, org) as admin:
        claimed = (await admin.post(f"/api/organisations/{org.id}/domains", json={"domain": domain})).json()
        record = claimed["dns_record"]
        assert record["type"] == "TXT" and record["name"] == f"_metodist-challenge.{domain}"
        assert record["value"].startswith("metodist-domain-verification=")

        missing = await admin.post(f"/api/organisations/{org.id}/domains/{domain}/check-dns")
        assert missing.status_code == 422 and record["value"] in missing.json()["message"]
        assert f"_metodist-challenge.{domain}" in dns_server.asked  # asked our server, not the internet

        dns_server.records[record["name"]] = ["v=spf1 -all", "metodist-domain-verification=someone-elses"]
        assert (await admin.post(f"/api/organisations/{org.id}/domains/{domain}/check-dns")).status_code == 422

        dns_server.records[record["name"]].append(record["value"])
        proved = await admin.post(f"/api/organisations/{org.id}/domains/{domain}/check-dns")
        assert proved.status_code == 200, proved.text
        assert proved.json()["status"] == "verified" and proved.json()["method"] == "dns"


async def test_dns_that_does_not_answer_is_503_quickly(
    login_server: LoginServer, db: Any, dns_server: TxtServer
) -> None:
    import socket
    import time

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
    silent.bind(("127.0.0.1", 0))
    state = login_server.app.api.state
    state.dns_resolver = DnsResolver((f"127.0.0.1:{silent.getsockname()[1]}",), timeout_s=1)
    try:
        org = await make_organisation(db)
        domain = _domain("silent")
        async with _admin(login_server, db, org) as admin:
            await admin.post(f"/api/organisations/{org.id}/domains", json={"domain": domain})
            started = time.monotonic()
            answer = await admin.post(f"/api/organisations/{org.id}/domains/{domain}/check-dns")
            assert answer.status_code == 503 and answer.json()["field"] == "domain"
            assert time.monotonic() - started < 5
    finally:
        silent.close()


async def test_proved_by_a_confirmed_mailbox(login_server: LoginServer, db: Any, mailbox: Mailbox) -> None:
    org = await make_organisation(db)
    domain = _domain("mail")
    async with _admin(login_server, db, org) as admin:
        await admin.post(f"/api/organisations/{org.id}/domains", json={"domain": domain})
        # Only the domain's administrative mailboxes: not any address one might hold there.
        wrong = await admin.post(
            f"/api/organisations/{org.id}/domains/{domain}/mailbox", json={"local_part": "teacher"}
        )
        assert wrong.status_code == 422 and wrong.json()["field"] == "local_part"
        sent = await admin.post(
            f"/api/organisations/{org.id}/domains/{domain}/mailbox", json={"local_part": "postmaster"}
        )
        assert sent.status_code == 202 and sent.json() == {"sent_to": f"postmaster@{domain}"}
    mail = await mailbox.wait_for(f"postmaster@{domain}")
    body = mail.get_payload(decode=True).decode()
    link = re.search(r"https://\S+/domains/confirm\?code=([A-Za-z0-9_-]+)", body)
    assert link is not None, body
    code = link.group(1)
    async with db.session() as session:
        claim = await session.scalar(select(OrganisationDomain).where(OrganisationDomain.domain == domain))
        assert claim is not None and code not in (claim.mailbox_code_hash or "")  # only its hash is kept

    async with login_server.browser() as anyone:
        assert (await anyone.post("/api/auth/domain-confirmations", json={"code": "x" * 43})).status_code == 404
        confirmed = await anyone.post("/api/auth/domain-confirmations", json={"code": code})
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "verified" and confirmed.json()["method"] == "mailbox"
        assert (await anyone.post("/api/auth/domain-confirmations", json={"code": code})).status_code == 404  # used
    async with db.session() as session:
        entry = await session.scalar(
            select(IdentityAuditEntry).where(
                IdentityAuditEntry.action == "domain.verify", IdentityAuditEntry.after["domain"].astext == domain
            )
        )
    assert entry is not None and entry.actor_kind == "mailbox" and entry.after["method"] == "mailbox"


async def test_tokens_cannot_manage_domains(login_server: LoginServer, db: Any) -> None:
    from tests.identity.access.principals import Grant, token_secret

    org = await make_organisation(db)
    secret = await token_secret(db, Grant("organisation_admin", organisation_id=org.id), name="domains")
    async with login_server.browser(headers={"authorization": f"Bearer {secret}"}) as system:
        refused = await system.post(f"/api/organisations/{org.id}/domains", json={"domain": _domain("token")})
        assert refused.status_code == 403


def _csrf(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


async def test_the_domains_page_claims_proves_and_confirms_in_three_languages(
    login_server: LoginServer, db: Any, dns_server: TxtServer, mailbox: Mailbox
) -> None:
    org = await make_organisation(db)
    domain, other = _domain("page"), _domain("pagemail")
    async with _admin(login_server, db, org) as admin:
        page = await admin.get(f"/organisations/{org.id}/domains", headers={"Accept-Language": "kk"})
        assert page.status_code == 200 and "Кіру домендері" in page.text and 'id="domains-empty"' in page.text
        csrf = _csrf(page.text)
        htmx = {"hx-request": "true", "x-csrftoken": csrf, "Accept-Language": "ru"}
        # A public service: refused on the page, in Russian, as the section alone (HTMX).
        refused = await admin.post(f"/organisations/{org.id}/domains", data={"domain": "mail.ru"}, headers=htmx)
        assert refused.status_code == 422 and "общедоступная почтовая служба" in refused.text
        assert refused.text.lstrip().startswith('<section id="domains"') and "<html" not in refused.text
        claimed = await admin.post(f"/organisations/{org.id}/domains", data={"domain": domain}, headers=htmx)
        assert claimed.status_code == 200 and f'id="domain-{domain}" data-status="pending"' in claimed.text
        name = re.search(r'<code class="dns-name">([^<]+)</code>', claimed.text).group(1)  # type: ignore[union-attr]
        value = re.search(r'<code class="dns-value">([^<]+)</code>', claimed.text).group(1)  # type: ignore[union-attr]
        dns_server.records[name] = [value]
        proved = await admin.post(
            f"/organisations/{org.id}/domains/{domain}/check-dns", headers={**htmx, "Accept-Language": "en"}
        )
        assert proved.status_code == 200 and f'id="domain-{domain}" data-status="verified"' in proved.text
        assert "The domain is proved." in proved.text

        await admin.post(f"/organisations/{org.id}/domains", data={"domain": other}, headers=htmx)
        sent = await admin.post(
            f"/organisations/{org.id}/domains/{other}/mailbox", data={"local_part": "webmaster"}, headers=htmx
        )
        assert sent.status_code == 200 and "Подтверждение отправлено" in sent.text
    mail = await mailbox.wait_for(f"webmaster@{other}")
    link = re.search(
        r"(https://\S+/domains/confirm\?code=[A-Za-z0-9_-]+)", mail.get_payload(decode=True).decode()
    ).group(1)  # type: ignore[union-attr]
    async with login_server.browser() as anyone:
        opened = await anyone.get(link, headers={"Accept-Language": "kk"})
        assert opened.status_code == 200 and "Доменді растау" in opened.text
        async with db.session() as session:  # opening the link changes nothing: the button does
            row = await session.scalar(select(OrganisationDomain).where(OrganisationDomain.domain == other))
            assert row is not None and row.status == "pending"
        code = re.search(r'name="code" value="([^"]+)"', opened.text).group(1)  # type: ignore[union-attr]
        done = await anyone.post(
            "/domains/confirm",
            data={"_csrf_token": _csrf(opened.text), "code": code},
            headers={"Accept-Language": "en"},
        )
        assert done.status_code == 200 and f"The domain {other} is proved" in done.text
        again = await anyone.post(
            "/domains/confirm",
            data={"_csrf_token": _csrf(opened.text), "code": code},
            headers={"Accept-Language": "ru"},
        )
        assert again.status_code == 404 and "недействительна" in again.text
