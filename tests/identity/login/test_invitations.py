"""Invitations: e-mailed through a real SMTP server, bound at first sign-in, expiring, revocable."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import update

from api.domain.organisations.models import Organisation
from api.identity.models import Invitation
from tests.identity.login.conftest import LoginServer, Mailbox
from tests.identity.login.flows import (
    count_sessions,
    grant_role,
    make_organisation,
    node_sign_in,
    roles_of,
    session_cookie_set,
    user_by,
)
from tests.identity.login.test_organisation_providers import signed_in_admin


async def _invite(admin: httpx.AsyncClient, org: Organisation, email: str, role: str = "deputy_head") -> httpx.Response:
    return await admin.post(f"/api/organisations/{org.id}/invitations", json={"email": email, "role": role})


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["invitation"][0]


async def test_invitation_is_mailed_and_binds_the_role_at_first_sign_in(
    login_server: LoginServer, db: Any, mailbox: Mailbox
) -> None:
    org = await make_organisation(db)
    invitee = f"new.deputy.{uuid.uuid4().hex[:6]}@mail.kz"
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        created = await _invite(admin, org, invitee.upper())
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["invitation"]["email"] == invitee and body["invitation"]["status"] == "pending"
        link = body["link"]
        assert link.startswith(f"{login_server.url}/sign-in?invitation=")

        message = await mailbox.wait_for(invitee)
        text = message.get_payload(decode=True).decode()
        assert link in text
        assert message["From"] == "metodist@test.kz"
        assert "deputy_head" in text and "Тестовая школа" in text

        listed = (await admin.get(f"/api/organisations/{org.id}/invitations")).json()
        mine = next(i for i in listed if i["email"] == invitee)
        assert mine["mail_sent_at"] is not None and mine["mail_error"] is None
        # The token is stored only as its hash.
        assert _token(link) not in str(listed)

    token = _token(link)
    async with login_server.browser() as invited:
        preview = (await invited.get(f"/api/auth/invitations/{token}")).json()
        assert preview["status"] == "pending" and preview["role"] == "deputy_head"
        assert preview["organisation_id"] == str(org.id) and preview["email_hint"].endswith("@mail.kz")
        national = next(p for p in preview["providers"] if p["id"] == "national")
        assert f"invitation={token}" in national["login_url"]

        # The invitee's provider account has another address: the link itself is the proof.
        login = f"invitee-{uuid.uuid4().hex[:6]}"
        callback = await node_sign_in(invited, login, invitation=token)
        assert callback.status_code == 303, callback.text
        me = (await invited.get("/api/auth/me")).json()
        assert {"role": "deputy_head", "territory_id": None, "organisation_id": str(org.id), "unit_id": None} in me[
            "grants"
        ]

    user = await user_by(db, login_server.settings.oidc_issuer or "", login)
    assert user is not None and ("deputy_head", org.id) in await roles_of(db, user.id)

    # The link works once.
    async with login_server.browser() as someone:
        sessions = await count_sessions(db)
        again = await node_sign_in(someone, f"other-{uuid.uuid4().hex[:6]}", invitation=token)
        assert again.status_code == 400 and 'data-error-code="invitation_invalid"' in again.text
        assert not session_cookie_set(again)
        assert await count_sessions(db) == sessions
        assert (await someone.get(f"/api/auth/invitations/{token}")).json()["status"] == "accepted"


async def test_verified_address_binds_pending_invitation_without_the_link(
    login_server: LoginServer, db: Any, mailbox: Mailbox
) -> None:
    org = await make_organisation(db)
    login = f"teacher-{uuid.uuid4().hex[:6]}"
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        assert (await _invite(admin, org, f"{login}@national.test", role="association_leader")).status_code == 201
    async with login_server.browser() as browser:
        assert (await node_sign_in(browser, login)).status_code == 303
    user = await user_by(db, login_server.settings.oidc_issuer or "", login)
    assert user is not None and await roles_of(db, user.id) == {("association_leader", org.id)}


async def test_revoked_and_expired_invitations_do_not_bind(
    login_server: LoginServer, db: Any, mailbox: Mailbox
) -> None:
    org = await make_organisation(db)
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        revoked = (await _invite(admin, org, f"r{uuid.uuid4().hex[:6]}@mail.kz")).json()
        expired = (await _invite(admin, org, f"e{uuid.uuid4().hex[:6]}@mail.kz")).json()
        answer = await admin.delete(f"/api/organisations/{org.id}/invitations/{revoked['invitation']['id']}")
        assert answer.status_code == 200 and answer.json()["status"] == "revoked"
        async with db.session() as session, session.begin():
            await session.execute(
                update(Invitation)
                .where(Invitation.id == uuid.UUID(expired["invitation"]["id"]))
                .values(expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1))
            )
        statuses = {i["id"]: i["status"] for i in (await admin.get(f"/api/organisations/{org.id}/invitations")).json()}
        assert statuses[revoked["invitation"]["id"]] == "revoked" and statuses[expired["invitation"]["id"]] == "expired"
        # Revoking twice is harmless; an unknown one is not found.
        assert (
            await admin.delete(f"/api/organisations/{org.id}/invitations/{revoked['invitation']['id']}")
        ).status_code == 200
        assert (await admin.delete(f"/api/organisations/{org.id}/invitations/{uuid.uuid4()}")).status_code == 404

    for created in (revoked, expired):
        token = _token(created["link"])
        async with login_server.browser() as browser:
            preview = (await browser.get(f"/api/auth/invitations/{token}")).json()
            assert preview["status"] in ("revoked", "expired") and preview["providers"] == []
            refused = await node_sign_in(browser, f"late-{uuid.uuid4().hex[:6]}", invitation=token)
            assert refused.status_code == 400 and 'data-error-code="invitation_invalid"' in refused.text
            assert not session_cookie_set(refused)
    async with login_server.browser() as browser:
        assert (await browser.get("/api/auth/invitations/not-a-token")).status_code == 404


async def test_accepted_invitation_cannot_be_revoked(login_server: LoginServer, db: Any, mailbox: Mailbox) -> None:
    org = await make_organisation(db)
    login = f"acc-{uuid.uuid4().hex[:6]}"
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        created = (await _invite(admin, org, f"{login}@national.test", role="teacher")).json()
        async with login_server.browser() as invitee:
            assert (await node_sign_in(invitee, login)).status_code == 303
        refused = await admin.delete(f"/api/organisations/{org.id}/invitations/{created['invitation']['id']}")
        assert refused.status_code == 409


async def test_invitation_input_is_checked(login_server: LoginServer, db: Any, mailbox: Mailbox) -> None:
    org = await make_organisation(db)
    async with login_server.browser() as admin:
        await signed_in_admin(login_server, db, admin, org)
        url = f"/api/organisations/{org.id}/invitations"
        assert (await admin.post(url, json={"email": "not-an-address", "role": "teacher"})).status_code == 400
        unknown = await admin.post(url, json={"email": "a@b.kz", "role": "emperor"})
        assert unknown.status_code == 400 and unknown.json()["field"] == "role"
        too_high = await admin.post(url, json={"email": "a@b.kz", "role": "national_admin"})
        assert too_high.status_code == 400 and too_high.json()["field"] == "role"
        assert (await admin.post(url, json={"email": "twice@b.kz", "role": "teacher"})).status_code == 201
        twice = await admin.post(url, json={"email": "Twice@b.kz", "role": "teacher"})
        assert twice.status_code == 409 and twice.json()["field"] == "email"
        assert (await admin.post(url, json={"email": "x@b.kz", "role": "teacher", "extra": 1})).status_code == 400

    async with login_server.browser() as teacher:
        login = f"t-{uuid.uuid4().hex[:6]}"
        await grant_role(db, login_server.settings.oidc_issuer or "", login, "teacher", organisation_id=org.id)
        assert (await node_sign_in(teacher, login)).status_code == 303
        refused = await teacher.post(
            f"/api/organisations/{org.id}/invitations", json={"email": "y@b.kz", "role": "teacher"}
        )
        assert refused.status_code == 403
        assert (await teacher.get(f"/api/organisations/{org.id}/invitations")).status_code == 403


def test_mail_body_names_the_link_in_three_languages() -> None:
    from api.identity.invitations import invitation_message
    from api.settings import Settings

    row = Invitation(
        email="a@b.kz",
        role="teacher",
        organisation_id=uuid.uuid4(),
        token_hash="x",
        expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
    )
    org = Organisation(name_kk="Мектеп", name_ru="Школа", name_en="School")
    text = invitation_message(Settings(), row, org, "https://x/sign-in?invitation=t").get_content()
    assert len(re.findall(r"https://x/sign-in\?invitation=t", text)) == 3
    assert "Мектеп" in text and "Школа" in text and "School" in text
