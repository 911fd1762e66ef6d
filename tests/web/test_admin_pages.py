"""An organisation's administration pages: people and roles, API tokens. Driven as a browser does
(forms with the CSRF token), checked through the API and the database."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from api.access import Grant
from api.domain.accounts.models import RoleAssignment, User
from api.identity.csrf import CSRF_COOKIE
from api.identity.tokens import ApiToken
from api.roles import Role
from tests.identity.access.principals import new_user
from tests.identity.login.flows import make_organisation
from tests.web.test_header import browser


async def person(db: Any, org_id: UUID, name: str, role: Role = Role.TEACHER) -> tuple[UUID, str]:
    email = f"{uuid.uuid4().hex[:10]}@school.test"
    async with db.session() as session, session.begin():
        user = User(issuer="https://admin-pages.invalid", subject=uuid.uuid4().hex, email=email, full_name=name)
        session.add(user)
        await session.flush()
        session.add(RoleAssignment(user_id=user.id, role=role.value, organisation_id=org_id))
    return user.id, email


async def roles_of(db: Any, user_id: UUID, org_id: UUID) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(RoleAssignment.role).where(
                RoleAssignment.user_id == user_id, RoleAssignment.organisation_id == org_id
            )
        )
        return sorted(rows.all())


async def count(db: Any, model: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_people_page_grants_and_revokes_roles_in_kk_and_ru(app: Any, db: Any) -> None:
    org = await make_organisation(db)
    admin = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=org.id)], name="Org Admin")
    teacher, email = await person(db, org.id, "Айгүл Сейітқызы")
    base = f"/organisations/{org.id}"
    async with browser(app, db, admin) as client:
        kk = await client.get(f"{base}/people", headers={"Accept-Language": "kk"})
        assert kk.status_code == 200, kk.text
        assert "Адамдар және рөлдер" in kk.text and "Айгүл Сейітқызы" in kk.text and email in kk.text
        assert "HX-Request" in kk.headers["vary"]
        assert f'href="{base}/people"' in kk.text and f'href="{base}/api-tokens"' in kk.text  # the header's admin links
        ru = await client.get(f"{base}/people", headers={"Accept-Language": "ru"})
        assert ru.status_code == 200 and "Люди и роли" in ru.text and "Выдать роль" in ru.text
        # Search as HTMX: only the table comes back.
        fragment = await client.get(f"{base}/people?q=Айгүл", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="people"' in fragment.text
        assert "Айгүл Сейітқызы" in fragment.text
        none = await client.get(f"{base}/people?q=nobody-like-this", headers={"Accept-Language": "en"})
        assert "Nobody matches this search" in none.text

        token = client.cookies.get(CSRF_COOKIE)
        granted = await client.post(
            f"{base}/people/roles", data={"_csrf_token": token, "email": email.upper(), "role": "head"}
        )
        assert granted.status_code == 303 and granted.headers["location"] == f"{base}/people?done=granted"
        assert await roles_of(db, teacher, org.id) == ["head", "teacher"]
        # The API says the same to the admin.
        listed = (await client.get(f"/api/organisations/{org.id}/people", params={"email": email})).json()
        assert [a["role"] for a in listed["items"][0]["roles"]] == ["head", "teacher"]
        done = await client.get(granted.headers["location"], headers={"Accept-Language": "en"})
        assert "The role has been granted." in done.text

        async with db.session() as session:
            head_id = await session.scalar(
                select(RoleAssignment.id).where(RoleAssignment.user_id == teacher, RoleAssignment.role == "head")
            )
        assert f'id="assignment-{head_id}"' in done.text and "hx-confirm=" in done.text
        # Without JavaScript a page asks first (web/confirm.py), and nothing is revoked yet.
        asked = await client.post(f"{base}/people/roles/{head_id}/revoke", data={"_csrf_token": token})
        assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.text
        assert await roles_of(db, teacher, org.id) == ["head", "teacher"]
        revoked = await client.post(
            f"{base}/people/roles/{head_id}/revoke", data={"_csrf_token": token, "confirmed": "yes"}
        )
        assert revoked.status_code == 303
        assert await roles_of(db, teacher, org.id) == ["teacher"]
        listed = (await client.get(f"/api/organisations/{org.id}/people", params={"email": email})).json()
        assert [a["role"] for a in listed["items"][0]["roles"]] == ["teacher"]
        # Through HTMX (after hx-confirm), the whole page is reloaded.
        async with db.session() as session:
            teacher_id = await session.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == teacher))
        htmx = await client.post(
            f"{base}/people/roles/{teacher_id}/revoke",
            headers={"HX-Request": "true", "X-CSRFToken": token},
            data={"confirmed": "yes"},  # hx-vals, sent once hx-confirm has asked
        )
        assert htmx.status_code == 200 and htmx.headers["hx-redirect"] == f"{base}/people?done=revoked"
        assert await roles_of(db, teacher, org.id) == []


async def test_bad_grants_are_shown_at_the_field_and_nothing_is_written(app: Any, db: Any) -> None:
    org = await make_organisation(db)
    admin = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=org.id)], name="Org Admin")
    teacher, email = await person(db, org.id, "Berik Teacher")
    base = f"/organisations/{org.id}"
    before = await count(db, RoleAssignment)
    async with browser(app, db, admin) as client:
        await client.get(f"{base}/people")
        token = client.cookies.get(CSRF_COOKIE)
        unknown = await client.post(
            f"{base}/people/roles",
            data={"_csrf_token": token, "email": "stranger@nowhere.test", "role": "head"},
            headers={"Accept-Language": "ru"},
        )
        assert unknown.status_code == 404
        error = re.search(r'<p class="field-error" id="email-error">([^<]+)</p>', unknown.text)
        assert error and "Пригласите" in error.group(1)
        assert 'value="stranger@nowhere.test"' in unknown.text and 'aria-invalid="true"' in unknown.text

        # A unit head is held at a unit, not at the organisation: the API says so at the role field.
        wrong_level = await client.post(
            f"{base}/people/roles",
            data={"_csrf_token": token, "email": email, "role": "unit_head"},
            headers={"Accept-Language": "en"},
        )
        assert wrong_level.status_code == 422
        error = re.search(r'<p class="field-error" id="role-error">([^<]+)</p>', wrong_level.text)
        assert error and "unit" in error.group(1)

        empty = await client.post(f"{base}/people/roles", data={"_csrf_token": token, "email": "", "role": "head"})
        assert empty.status_code == 400 and 'id="email-error"' in empty.text

        # A form without the CSRF token is refused before anything is asked of the API.
        missing_csrf = await client.post(f"{base}/people/roles", data={"email": email, "role": "head"})
        assert missing_csrf.status_code == 403
    assert await count(db, RoleAssignment) == before
    assert await roles_of(db, teacher, org.id) == ["teacher"]


async def test_an_admin_ends_all_sessions_of_a_person(app: Any, db: Any) -> None:
    org = await make_organisation(db)
    admin = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=org.id)], name="Org Admin")
    teacher, _ = await person(db, org.id, "Session Teacher")
    async with browser(app, db, teacher) as teacher_browser:
        assert (await teacher_browser.get("/account/sessions")).status_code == 200
        async with browser(app, db, admin) as client:
            page = await client.get(f"/organisations/{org.id}/people")
            token = client.cookies.get(CSRF_COOKIE)
            assert f"/people/{teacher}/sessions/revoke" in page.text
            ended = await client.post(
                f"/organisations/{org.id}/people/{teacher}/sessions/revoke",
                data={"_csrf_token": token, "confirmed": "yes"},
            )
            assert ended.status_code == 303 and ended.headers["location"] == f"/organisations/{org.id}/people?ended=1"
            shown = await client.get(ended.headers["location"], headers={"Accept-Language": "en"})
            assert "1 session has been ended" in shown.text
        # The teacher's browser is signed out.
        after = await teacher_browser.get("/account/sessions")
        assert after.status_code == 303 and after.headers["location"].startswith("/sign-in")


async def test_api_tokens_are_created_shown_once_and_revoked(app: Any, db: Any) -> None:
    org = await make_organisation(db)
    admin = await new_user(db, [Grant(Role.ORGANISATION_ADMIN, organisation_id=org.id)], name="Org Admin")
    base = f"/organisations/{org.id}"
    async with browser(app, db, admin) as client:
        kk = await client.get(f"{base}/api-tokens", headers={"Accept-Language": "kk"})
        assert kk.status_code == 200 and "API токендері" in kk.text and 'id="tokens-empty"' in kk.text
        assert kk.headers["cache-control"] == "no-store"
        ru = await client.get(f"{base}/api-tokens", headers={"Accept-Language": "ru"})
        assert ru.status_code == 200 and "Создать токен" in ru.text
        token = client.cookies.get(CSRF_COOKIE)

        before = await count(db, ApiToken)
        expiry = (date.today() + timedelta(days=60)).isoformat()
        too_late = await client.post(
            f"{base}/api-tokens",
            data={"_csrf_token": token, "name": "RIS", "role": "teacher", "expires_on": "2099-01-01"},
            headers={"Accept-Language": "en"},
        )
        assert too_late.status_code == 422 and re.search(r'id="expires_at-error">[^<]*at most a year', too_late.text)
        past = await client.post(
            f"{base}/api-tokens",
            data={"_csrf_token": token, "name": "RIS", "role": "teacher", "expires_on": "2020-01-01"},
            headers={"Accept-Language": "en"},
        )
        assert past.status_code == 422 and re.search(r'id="expires_at-error">[^<]*future', past.text)
        no_name = await client.post(
            f"{base}/api-tokens",
            data={"_csrf_token": token, "name": " ", "role": "teacher", "expires_on": expiry},
        )
        assert no_name.status_code in (400, 422) and 'id="name-error"' in no_name.text
        unit_role = await client.post(
            f"{base}/api-tokens",
            data={"_csrf_token": token, "name": "RIS", "role": "unit_head", "expires_on": expiry},
        )
        assert unit_role.status_code == 422 and 'id="role-error"' in unit_role.text
        assert await count(db, ApiToken) == before

        created = await client.post(
            f"{base}/api-tokens",
            data={"_csrf_token": token, "name": "Regional information system", "role": "teacher", "expires_on": expiry},
            headers={"Accept-Language": "en"},
        )
        assert created.status_code == 201, created.text
        secret = re.search(r'id="t-secret" type="text" readonly value="([^"]+)"', created.text)
        assert secret and "shown this once" in created.text
        assert created.headers["cache-control"] == "no-store"
        # The secret works against the API, and is never shown again.
        async with browser(app) as machine:
            bearer = {"authorization": f"Bearer {secret.group(1)}"}
            assert (await machine.get(f"/api/organisations/{org.id}", headers=bearer)).status_code == 200
        again = await client.get(f"{base}/api-tokens")
        assert secret.group(1) not in again.text and 'id="token-secret"' not in again.text
        async with db.session() as session:
            row = await session.scalar(select(ApiToken).where(ApiToken.organisation_id == org.id))
        assert row is not None and row.name == "Regional information system" and row.role == "teacher"
        assert row.display_prefix in again.text and f'id="token-{row.id}"' in again.text

        revoked = await client.post(
            f"{base}/api-tokens/{row.id}/revoke", data={"_csrf_token": token, "confirmed": "yes"}
        )
        assert revoked.status_code == 303
        async with db.session() as session:
            assert (await session.get(ApiToken, row.id)).revoked_at is not None
        async with browser(app) as machine:
            assert (await machine.get(f"/api/organisations/{org.id}", headers=bearer)).status_code == 401
        shown = await client.get(revoked.headers["location"], headers={"Accept-Language": "en"})
        assert 'data-status="revoked"' in shown.text and "has been revoked" in shown.text


async def test_a_teacher_is_refused_the_admin_pages(app: Any, db: Any) -> None:
    org = await make_organisation(db)
    teacher = await new_user(db, [Grant(Role.TEACHER, organisation_id=org.id)], name="Plain Teacher")
    target, email = await person(db, org.id, "Colleague")
    base = f"/organisations/{org.id}"
    async with browser(app, db, teacher) as client:
        page = await client.get(base)
        assert f"{base}/people" not in page.text and f"{base}/api-tokens" not in page.text
        token = client.cookies.get(CSRF_COOKIE)
        for path in ("/people", "/api-tokens"):
            refused = await client.get(base + path)
            assert refused.status_code == 403, path
            assert email not in refused.text
        grant = await client.post(f"{base}/people/roles", data={"_csrf_token": token, "email": email, "role": "head"})
        assert grant.status_code == 403
        made = await client.post(
            f"{base}/api-tokens",
            data={"_csrf_token": token, "name": "x", "role": "teacher", "expires_on": "2099-01-01"},
        )
        assert made.status_code == 403
    assert await roles_of(db, target, org.id) == ["teacher"]
