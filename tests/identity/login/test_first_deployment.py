"""From an empty deployment to the first signed-in teacher, as docs/operations.md walks it through.

An empty database and a configured national SSO (the real oidc-provider process): the control
plane is brought up and the first national administrator made with the `metodist` command itself;
everyone then signs in through the provider's own form in headless Chromium. The national admin
registers a school and invites its admin, who invites a teacher. A person nobody invited lands on
the welcome page and asks for access, which the school's admin answers; a person whose provider
does not vouch for their address (no `email_verified`) is told why their invitation did not bind,
and the admin confirms it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy import func, select

from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.identity.models import IdentityAuditEntry, Invitation
from api.settings import Settings
from tests.chromium import chromium_path
from tests.conftest import _server_url
from tests.identity.login.conftest import OIDC_DIR, Mailbox, Tls, _ensure_node_modules, _wait_http, free_port
from tests.identity.login.idp import server
from tests.support import fresh_bin, scratch_database

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
METODIST = str(Path(sys.executable).with_name("metodist"))
CLIENT = ("metodist-deployment", "deployment-secret-" + uuid.uuid4().hex)


@dataclass(frozen=True)
class Deployment:
    url: str
    issuer: str
    database_url: str
    env: dict[str, str]
    db: Any

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([METODIST, *args], env=self.env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def empty_database() -> Iterator[str]:
    """A database with nothing in it: not even the control plane's tables."""
    with scratch_database(_server_url(), control=False, prefix="metodist_deploy") as url:
        yield url


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The national SSO, with Metodist registered at the addresses docs/operations.md gives."""
    _ensure_node_modules()
    app_port, port = free_port(), free_port()
    app = f"https://127.0.0.1:{app_port}"
    clients = [
        {
            "client_id": CLIENT[0],
            "client_secret": CLIENT[1],
            "redirect_uris": [f"{app}/api/auth/callback/national"],
            "post_logout_redirect_uris": [f"{app}/sign-in"],
        }
    ]
    log = (tmp_path_factory.mktemp("deploy-node") / "provider.log").open("wb")
    process = subprocess.Popen(
        ["node", str(OIDC_DIR / "provider.js")],
        env={**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENTS": json.dumps(clients)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{issuer}/.well-known/openid-configuration", process)
        yield issuer, app_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
async def deployment(
    empty_database: str,
    provider: tuple[str, int],
    tls: Tls,
    mailbox: Mailbox,
    ports: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Deployment]:
    from api.asgi import create_app
    from api.db import Database, create_engine

    issuer, app_port = provider
    url = f"https://127.0.0.1:{app_port}"
    data_dir = tmp_path_factory.mktemp("deploy-data")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("METODIST_")},
        "DATABASE_URL": empty_database,
        "METODIST_ENV": "production",
        "METODIST_DATA_DIR": str(data_dir),
        "METODIST_DEMO_DATA": "0",
        "METODIST_PUBLIC_URL": url,
        "METODIST_SECRET_KEY": "deployment-test-" + uuid.uuid4().hex,
        "METODIST_OIDC_ISSUER": issuer,
        "METODIST_OIDC_CLIENT_ID": CLIENT[0],
        "METODIST_OIDC_CLIENT_SECRET": CLIENT[1],
        "METODIST_SMTP_HOST": "127.0.0.1",
        "METODIST_SMTP_PORT": str(ports.smtp),
        "METODIST_STORE_NAMESPACE": f"deploy-{uuid.uuid4().hex[:8]}",
        "METODIST_TENANT_SPARES": "0",
        "METODIST_PERIODIC_JOBS": "0",
    }
    upgraded = subprocess.run([METODIST, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=300)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Control plane at head" in upgraded.stdout

    settings = Settings(
        environment="production",
        database_url=empty_database,
        redis_url=os.environ.get("REDIS_URL") or None,
        data_dir=data_dir,
        demo_data=False,
        public_url=url,
        secret_key=env["METODIST_SECRET_KEY"],
        oidc_issuer=issuer,
        oidc_client_id=CLIENT[0],
        oidc_client_secret=CLIENT[1],
        oidc_name="National SSO",
        smtp_host="127.0.0.1",
        smtp_port=ports.smtp,
        smtp_sender="metodist@test.kz",
        store_namespace=env["METODIST_STORE_NAMESPACE"],
        tenant_spares=0,
        periodic_jobs=False,
        rate_limit_sign_in=10_000,
    )
    srv = server(
        create_app(settings, empty_database, run_worker=True),
        app_port,
        ssl_certfile=str(tls.cert),
        ssl_keyfile=str(tls.key),
    )
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    db = Database(create_engine(settings, empty_database))
    try:
        yield Deployment(url, issuer, empty_database, env, db)
    finally:
        await db.dispose()
        srv.should_exit = True
        await task


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def _context(chromium: Browser, deployment: Deployment) -> BrowserContext:
    context = await chromium.new_context(ignore_https_errors=True, locale="en-US", base_url=deployment.url)
    context.set_default_timeout(20_000)
    return context


async def _sign_in_at_provider(page: Page, deployment: Deployment, login: str) -> None:
    """On the sign-in page: the national SSO, its own form, and back."""
    await page.click("a[data-provider=national]")
    await page.wait_for_selector("input[name=login]")
    assert page.url.startswith(deployment.issuer)
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "any password")
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: url.startswith(deployment.url))


async def _accept_invitation(
    chromium: Browser, deployment: Deployment, link: str, login: str
) -> tuple[BrowserContext, Page]:
    context = await _context(chromium, deployment)
    page = await context.new_page()
    await page.goto(link)
    await expect(page.locator("#invitation-head")).to_be_visible()
    await _sign_in_at_provider(page, deployment, login)
    return context, page


async def _invite(page: Page, organisation_id: str, email: str, role: str) -> str:
    await page.goto(f"/organisations/{organisation_id}/invitations")
    await page.fill("#i-email", email)
    await page.select_option("#i-role", role)
    await page.click("#invitation-form button[type=submit]")
    link = await page.locator("#invitation-link code").inner_text()
    assert "/sign-in?invitation=" in link
    return link


async def _roles(deployment: Deployment, email: str) -> list[tuple[str, str | None]]:
    async with deployment.db.session() as session:
        rows = await session.execute(
            select(RoleAssignment.role, RoleAssignment.organisation_id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(func.lower(User.email) == email)
        )
        return sorted((r[0], str(r[1]) if r[1] else None) for r in rows)


async def test_bad_command_input_is_refused_and_writes_nothing(deployment: Deployment) -> None:
    cases = [
        (("not-an-address", "national_admin", "--at", "republic"), "email: "),
        (("ops@edu.kz", "chief", "--at", "republic"), "role: Unknown role 'chief'"),
        (("ops@edu.kz", "national_admin", "--at", "atlantis"), "at: Nothing is called 'atlantis'"),
        (
            ("ops@edu.kz", "national_admin", "--at", "karaganda"),
            "role: The role national_admin is held at a republic, not at a region.",
        ),
        (
            ("ops@edu.kz", "teacher", "--at", "republic"),
            "role: The role teacher is held at a organisation, not at a republic.",
        ),
    ]

    async def written() -> tuple[int, int]:
        async with deployment.db.session() as session:
            return (
                await session.scalar(select(func.count()).select_from(Invitation)) or 0,
                await session.scalar(select(func.count()).select_from(IdentityAuditEntry)) or 0,
            )

    # Counted before, not assumed empty: the walk-through may have run first (random order).
    before = await written()
    for args, message in cases:
        done = deployment.command("admin", "grant", *args)
        assert done.returncode == 1, done.stdout
        assert message in done.stderr, done.stderr
    missing = deployment.command("admin", "grant", "ops@edu.kz", "national_admin")
    assert missing.returncode == 2 and "--at" in missing.stderr
    assert await written() == before


async def test_from_an_empty_deployment_to_the_first_teacher(
    deployment: Deployment, chromium: Browser, mailbox: Mailbox
) -> None:
    tag = uuid.uuid4().hex[:6]
    chief, head, teacher = f"chief-{tag}@edu.kz", f"head-{tag}@school.kz", f"teacher-{tag}@school.kz"

    # 1. The first national administrator, from the command line: an invitation link, mailed too.
    made = deployment.command("admin", "grant", chief, "national_admin", "--at", "republic")
    assert made.returncode == 0, made.stderr
    link = re.search(r"https://\S+/sign-in\?invitation=\S+", made.stdout)
    assert link is not None, made.stdout
    assert "mailed" in made.stdout
    assert link.group(0) in (await mailbox.wait_for(chief)).get_payload(decode=True).decode()
    async with deployment.db.session() as session:
        entry = await session.scalar(select(IdentityAuditEntry).where(IdentityAuditEntry.action == "invitation.create"))
        assert entry is not None and entry.actor_kind == "command" and entry.after["role"] == "national_admin"
        assert entry.after["os_user"]

    # 2. They sign in through the real provider and hold the role; the admin pages show the
    #    addresses to register at providers.
    national, page = await _accept_invitation(chromium, deployment, link.group(0), chief)
    try:
        await page.wait_for_url(f"{deployment.url}/")
        await expect(page.locator("#header-user")).to_contain_text(f"Test chief-{tag}")
        await expect(page.locator("#nav-register")).to_be_visible()
        assert await _roles(deployment, chief) == [("national_admin", None)]

        # The school's district (territories below the regions are loaded by the operator).
        from api.domain.territories.models import TerritoryKind
        from api.domain.territories.services import TerritoryService

        async with deployment.db.session() as session, session.begin():
            territories = TerritoryService(session)
            region = await territories.by_slug("karaganda")
            district = await territories.upsert(
                slug=f"deploy-district-{tag}",
                kind=TerritoryKind.DISTRICT,
                parent_id=region.id,
                name_kk="Сынақ ауданы",
                name_ru="Тестовый район",
                name_en="Test District",
                centre_en=None,
            )

        # 3. The national admin registers the school in the browser; the worker prepares it.
        bin_ = fresh_bin()
        await page.goto("/organisations/new")
        await page.select_option("#f-kind", "school")
        await page.select_option("#f-territory", str(district))
        await page.fill("#f-bin", bin_)
        await page.fill("#f-name-kk", f"№{tag} мектеп")
        await page.fill("#f-name-ru", f"Школа №{tag}")
        await page.check("input[name=levels][value=primary]")
        await page.click("#org-form button[type=submit]")
        await page.wait_for_url(re.compile(r".*/organisations/[0-9a-f-]{36}\?done=created$"))
        school = re.search(r"/organisations/([0-9a-f-]{36})", page.url).group(1)  # type: ignore[union-attr]
        await expect(page.locator("#org-panel .badge").first).to_have_text("Active", timeout=60_000)

        await page.goto(f"/organisations/{school}/identity-providers")
        await expect(page.locator("#national-redirect-uri")).to_have_text(
            f"{deployment.url}/api/auth/callback/national"
        )
        await expect(page.locator("#post-logout-redirect-uri")).to_have_text(f"{deployment.url}/sign-in")

        # 4. ... and invites its administrator.
        head_link = await _invite(page, school, head, "organisation_admin")
    finally:
        await national.close()

    # 5. The school's admin signs in through the link and invites a teacher.
    admin_context, page = await _accept_invitation(chromium, deployment, head_link, head)
    try:
        await page.wait_for_url(f"{deployment.url}/")
        assert await _roles(deployment, head) == [("organisation_admin", school)]
        # An organisation admin registers no organisations: the header does not offer it.
        assert await page.locator("#nav-register").count() == 0
        await expect(page.locator(f"a[href='/organisations/{school}/invitations']")).to_be_visible()
        teacher_link = await _invite(page, school, teacher, "teacher")
        assert teacher_link in (await mailbox.wait_for(teacher)).get_payload(decode=True).decode()
    finally:
        await admin_context.close()

    # 6. The teacher signs in and works at the school.
    teacher_context, page = await _accept_invitation(chromium, deployment, teacher_link, teacher)
    try:
        await page.wait_for_url(f"{deployment.url}/")
        assert await _roles(deployment, teacher) == [("teacher", school)]
        await expect(page.locator(f"a[href='/organisations/{school}/documents']")).to_be_visible()
        assert await page.locator("#nav-register").count() == 0
        assert await page.locator("#header-access-requests").count() == 0
    finally:
        await teacher_context.close()

    async with deployment.db.session() as session:
        org = await session.get(Organisation, uuid.UUID(school))
        assert org is not None and org.status == "active"
        invited = (await session.scalars(select(Invitation).where(Invitation.email.in_([chief, head, teacher])))).all()
        assert len(invited) == 3 and all(i.accepted_at is not None for i in invited)


@pytest.mark.runs_after("test_from_an_empty_deployment_to_the_first_teacher")
async def test_a_person_without_a_role_is_welcomed_and_asks_for_access(
    deployment: Deployment, chromium: Browser
) -> None:
    """Runs after the walk-through above: the school and its admin exist."""
    async with deployment.db.session() as session:
        org = await session.scalar(
            select(Organisation).where(Organisation.status == "active").order_by(Organisation.created_at.desc())
        )
        admin_email = await session.scalar(
            select(User.email)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.organisation_id == org.id, RoleAssignment.role == "organisation_admin")
        )
    assert org is not None and admin_email is not None
    tag = uuid.uuid4().hex[:6]
    stranger = f"stranger-{tag}@school.kz"
    unverified = f"unverified-{tag}@school.kz"
    async with deployment.db.session() as session, session.begin():
        import datetime

        from api.identity.crypto import new_token, token_hash

        session.add(
            Invitation(
                email=unverified,
                role="deputy_head",
                organisation_id=org.id,
                token_hash=token_hash(new_token()),
                expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
            )
        )

    # A person nobody invited signs in from the sign-in page, in Russian: the welcome page.
    context = await chromium.new_context(ignore_https_errors=True, locale="ru-RU", base_url=deployment.url)
    context.set_default_timeout(20_000)
    try:
        page = await context.new_page()
        await page.goto("/sign-in")
        await page.fill("#f-email", stranger)
        await page.click("#find-provider button[type=submit]")
        await _sign_in_at_provider(page, deployment, stranger)
        await page.wait_for_url(f"{deployment.url}/welcome")
        await expect(page.locator("h1")).to_contain_text("Добро пожаловать")
        await expect(page.locator("#who-grants")).to_have_text("Кто может предоставить вам доступ")
        # Only what they can use: no overview of organisations, no registering, no org pages.
        nav = await page.locator(".main-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert nav == ["/welcome"]
        assert await page.locator("a[href='/organisations/new']").count() == 0
        assert await page.locator(".org-nav").count() == 0
        # An organisation page answers the same every time: not found, never "forbidden".
        for _ in range(5):
            answer = await page.goto(f"/organisations/{org.id}")
            assert answer is not None and answer.status == 404

        # Bad input: the message at the field, in Russian; nothing is sent.
        await page.goto("/welcome")
        await page.click("#access-request-form button[type=submit]")
        await expect(page.locator("#organisation-error")).to_have_text(
            "Введите БИН вашей организации или выберите ваш район или область."
        )
        await page.fill("#r-organisation", "000000000000")
        await page.click("#access-request-form button[type=submit]")
        await expect(page.locator("#organisation-error")).to_have_text(
            "Нет организации с таким идентификатором или БИН."
        )
        await expect(page.locator("#my-requests tbody tr")).to_have_count(1)  # "no requests yet"

        await page.fill("#r-organisation", org.bin)
        await page.select_option("#r-role", "teacher")
        await page.fill("#r-message", "Я учитель информатики")
        await page.click("#access-request-form button[type=submit]")
        await page.wait_for_url(f"{deployment.url}/welcome?done=requested")
        await expect(page.locator("#my-requests td[data-status=pending]")).to_have_count(1)
    finally:
        await context.close()

    # A person whose provider does not vouch for the address: told why, and asks.
    context = await _context(chromium, deployment)
    try:
        page = await context.new_page()
        await page.goto("/sign-in")
        await page.fill("#f-email", unverified)
        await page.click("#find-provider button[type=submit]")
        await _sign_in_at_provider(page, deployment, unverified)
        await page.wait_for_url(f"{deployment.url}/welcome")
        await expect(page.locator("#waiting-invitations")).to_contain_text("did not send email_verified")
        await expect(page.locator("#waiting-invitations li[data-role=deputy_head]")).to_have_count(1)
        await page.fill("#r-organisation", org.bin)
        await page.click("#access-request-form button[type=submit]")
        await page.wait_for_url(f"{deployment.url}/welcome?done=requested")
        # Withdrawing asks first (web/confirm.py); cancelling keeps the request.
        await page.locator("#my-requests form[action$='/withdraw'] button").click()
        await expect(page.locator("#confirm-question")).to_be_visible()
        await page.click("#confirm-cancel")
        await page.wait_for_url(f"{deployment.url}/welcome?done=requested")
        await expect(page.locator("#my-requests td[data-status=pending]")).to_have_count(1)
    finally:
        await context.close()

    # The school's admin answers both: a teacher, and the confirmed invitation.
    context = await _context(chromium, deployment)
    try:
        page = await context.new_page()
        await page.goto("/sign-in")
        await page.fill("#f-email", admin_email)
        await page.click("#find-provider button[type=submit]")
        await _sign_in_at_provider(page, deployment, admin_email)
        await page.click("#header-access-requests")
        await page.wait_for_url(f"{deployment.url}/access-requests")
        cards = page.locator("section.card")
        await expect(cards).to_have_count(2)
        asking = cards.filter(has_text=f"stranger-{tag}")
        await expect(asking.locator("blockquote")).to_have_text("Я учитель информатики")
        await asking.get_by_role("button", name="Approve").click()
        await page.wait_for_url(f"{deployment.url}/access-requests?done=approved")
        matched = page.locator("section.card").filter(has_text=f"unverified-{tag}")
        await expect(matched.locator("[data-verified=no]")).to_have_count(1)
        await expect(matched.locator("[data-matches='1']")).to_be_visible()
        # The invited role is chosen already: approving confirms the match.
        await matched.get_by_role("button", name="Approve").click()
        await page.wait_for_url(f"{deployment.url}/access-requests?done=approved")
        await expect(page.locator("#no-requests")).to_be_visible()
    finally:
        await context.close()

    assert await _roles(deployment, stranger) == [("teacher", str(org.id))]
    assert await _roles(deployment, unverified) == [("deputy_head", str(org.id))]
    async with deployment.db.session() as session:
        accepted = await session.scalar(select(Invitation.accepted_at).where(Invitation.email == unverified))
        assert accepted is not None
        # Each of the two people: their request approved and the role granted, on the one log.
        for email in (stranger, unverified):
            actions = (
                await session.scalars(
                    select(IdentityAuditEntry.action)
                    .join(User, User.id == IdentityAuditEntry.subject_user_id)
                    .where(
                        func.lower(User.email) == email,
                        IdentityAuditEntry.action.in_(("access_request.approve", "role.grant")),
                    )
                    .order_by(IdentityAuditEntry.seq)
                )
            ).all()
            assert sorted(actions) == ["access_request.approve", "role.grant"], (email, actions)
        from api.identity.audit import verify

        assert (await verify(session)).ok
    checked = deployment.command("audit", "verify", "identity")
    assert checked.returncode == 0 and "chain intact" in checked.stdout, checked.stdout + checked.stderr
