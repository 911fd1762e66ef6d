"""The demo data set, loaded into a database of its own as `make run` loads it on first start:
a region of organisations of every kind, demo users for every role with their staff records, and
compliance findings under every clause the engine checks, with some organisations clean."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from api.demo import DEMO_ORGS, DEMO_USERS, demo_bin, load_demo_users
from api.demo.users import STAFF_ROLES
from api.domain.accounts.models import RoleAssignment, User
from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind
from api.domain.structure.models import Staff
from api.identity.dev import DEV_ISSUER
from api.roles import ROLE_LEVELS, NodeLevel, Role
from api.settings import Settings
from tests.demo_site import DemoTemplate, clone_demo

# The clauses of order No. 583 that api/domain/compliance/checks.py reports.
CHECKED_CLAUSES = {"7", "14", "18", "19", "20", "21", "25", "26", "29", "30", "32"}


@dataclasses.dataclass
class Loaded:
    db: Any
    created: int
    progress: list[str]
    url: str  # the copy's database


@pytest.fixture(scope="module")
async def demo(demo_template: DemoTemplate, settings: Settings) -> AsyncIterator[Loaded]:
    """A copy of the run's demo database (tests/demo_site.py loads it once for every test that needs it)."""
    from api.db import Database, create_engine

    with clone_demo(demo_template) as url:
        db = Database(create_engine(dataclasses.replace(settings, database_url=url), url))
        yield Loaded(db, demo_template.created, list(demo_template.progress), url)
        await db.dispose()


async def test_a_region_of_organisations_of_every_kind(demo: Loaded) -> None:
    assert demo.created == len(DEMO_ORGS) >= 90
    assert demo.progress[-1].startswith("Demo data loaded in ")
    assert f"[{len(DEMO_ORGS)}/{len(DEMO_ORGS)}] checked for compliance" in demo.progress
    async with demo.db.session() as session:
        rows = (await session.execute(select(Organisation.bin, Organisation.kind, Organisation.status))).all()
    assert len(rows) == len(DEMO_ORGS)
    assert {status for _, _, status in rows} == {"active"}
    kinds = {kind for _, kind, _ in rows}
    assert kinds == {k.value for k in OrgKind} - {
        OrgKind.CABINET_REPUBLIC.value
    }  # the republic's cabinet is not the region's
    assert {demo_bin(d.serial) for d in DEMO_ORGS} == {b for b, _, _ in rows}
    # The organisations other code knows by BIN are there, under their names.
    botakara = next(d for d in DEMO_ORGS if d.serial == "07014000404")
    assert botakara.name_en == "Botakara Secondary School" and demo_bin("07014000404") in {b for b, _, _ in rows}
    assert sum(1 for _, kind, _ in rows if kind == "school") >= 70
    assert sum(1 for _, kind, _ in rows if kind == "university") == 2


async def test_every_role_has_a_demo_user_with_its_staff_record(demo: Loaded) -> None:
    assert {u.role for u in DEMO_USERS} == set(Role)
    assert await load_demo_users(demo.db) == 0  # loaded once, not twice
    async with demo.db.session() as session:
        for user in DEMO_USERS:
            row = await session.scalar(select(User).where(User.issuer == DEV_ISSUER, User.subject == user.subject))
            assert row is not None and (row.email, row.full_name) == (user.email, user.full_name), user.subject
            [grant] = (await session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == row.id))).all()
            assert grant.role == user.role.value, user.subject
            level = (NodeLevel.UNIT if grant.unit_id else NodeLevel.ORGANISATION) if grant.organisation_id else None
            if level is not None:
                assert level in ROLE_LEVELS[user.role], user.subject
                org = await session.get(Organisation, grant.organisation_id)
                assert org.bin == demo_bin(user.organisation)  # type: ignore[arg-type,union-attr]
            if user.role not in STAFF_ROLES:
                continue
            async with demo.db.tenant_session(org.schema_name) as tenant:  # type: ignore[union-attr]
                staff = await tenant.scalar(select(Staff).where(Staff.user_id == row.id))
            assert staff is not None and staff.full_name == user.full_name, user.subject
            if user.role is Role.UNIT_HEAD:
                assert grant.unit_id is not None and staff.heads_unit_id == grant.unit_id
            if user.role is Role.DEPUTY_HEAD:
                assert "deputy_head" in staff.positions
            if user.role is Role.HEAD:
                assert "head" in staff.positions


async def test_every_checked_clause_has_a_finding_and_some_organisations_none(demo: Loaded) -> None:
    async with demo.db.session() as session:
        runs = (
            await session.execute(
                select(ComplianceCheckRun.organisation_id, ComplianceCheckRun.findings, ComplianceCheckRun.rule_set)
            )
        ).all()
        by_clause = dict(
            (
                await session.execute(select(ComplianceFinding.clause, func.count()).group_by(ComplianceFinding.clause))
            ).all()
        )
        clean_schools = await session.scalar(
            select(func.count())
            .select_from(ComplianceCheckRun)
            .join(Organisation, Organisation.id == ComplianceCheckRun.organisation_id)
            .where(ComplianceCheckRun.findings == 0, Organisation.kind == "school")
        )
    assert len(runs) == len(DEMO_ORGS) and {r.rule_set for r in runs} == {"order-583"}
    # Cl. 25 holds associations to the terms of the school year already closed: in the first weeks
    # of a school year (before the first quarter's window closes in early November) none is.
    from api.clock import today
    from api.domain.meetings.terms import calendar_terms, closed_terms

    async with demo.db.tenant_session(next(iter(await _schemas(demo)))) as tenant:
        closed = closed_terms(await calendar_terms(tenant, today(), "school"), today())
    expected = CHECKED_CLAUSES if closed else CHECKED_CLAUSES - {"25"}
    assert expected <= set(by_clause), sorted(expected - set(by_clause))
    assert set(by_clause) <= CHECKED_CLAUSES
    assert sum(1 for r in runs if r.findings == 0) >= 20
    assert clean_schools and clean_schools >= 10  # not only the cabinets, which few checks apply to
    assert sum(1 for r in runs if r.findings) >= 40


async def _schemas(demo: Loaded) -> list[str]:
    async with demo.db.session() as session:
        return list(
            (await session.scalars(select(Organisation.schema_name).where(Organisation.kind == "school"))).all()
        )


async def _demo_teacher(demo: Loaded) -> tuple[Any, Organisation, Any]:
    """The demo teacher's account, her school and her staff record."""
    teacher = next(u for u in DEMO_USERS if u.subject == "teacher")
    async with demo.db.session() as session:
        user = await session.scalar(select(User).where(User.issuer == DEV_ISSUER, User.subject == teacher.subject))
        org = await session.scalar(select(Organisation).where(Organisation.bin == demo_bin(teacher.organisation)))  # type: ignore[arg-type]
    assert user is not None and org is not None
    async with demo.db.tenant_session(org.schema_name) as tenant:
        staff = await tenant.scalar(select(Staff).where(Staff.email == teacher.email, Staff.archived_at.is_(None)))
    assert staff is not None
    return user, org, staff


async def test_demo_users_once_unlinked_are_linked_to_their_staff_records_again(demo: Loaded) -> None:
    """A data set whose demo users lost (or never had) their link gets it back on the next load."""
    user, org, staff = await _demo_teacher(demo)
    async with demo.db.tenant_context(org.schema_name) as tenant:
        (await tenant.get(Staff, staff.id)).user_id = None  # type: ignore[union-attr]
    assert await load_demo_users(demo.db) == 0  # nobody added twice
    async with demo.db.tenant_session(org.schema_name) as tenant:
        assert (await tenant.get(Staff, staff.id)).user_id == user.id  # type: ignore[union-attr]


@pytest.fixture(scope="module")
async def demo_app(demo: Loaded, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    """The application on the demo's database. Its job queue is that database's own (no Redis): the
    main test application's worker and this one must not take each other's jobs."""
    from api.asgi import create_app
    from tests.support import AsgiLifespan

    own = dataclasses.replace(
        settings, database_url=demo.url, redis_url=None, data_dir=tmp_path_factory.mktemp("demo-app")
    )
    async with AsgiLifespan(create_app(own, demo.url)) as app:
        yield app


async def test_the_demo_teacher_creates_a_document_and_submits_it_for_review_in_the_pages(
    demo: Loaded, demo_app: Any
) -> None:
    import re

    from tests.identity.access.principals import session_cookie
    from tests.reviews.world import docx
    from tests.work.test_pages import browser

    user, org, staff = await _demo_teacher(demo)
    tab = await browser(demo_app, await session_cookie(demo_app.api, demo.db, user.id))
    try:
        base = f"/organisations/{org.id}"
        form = await tab.get(f"{base}/documents", params={"lang": "en"})
        assert form.status_code == 200, form.text
        # The authors field lists the school's staff, with her own record chosen.
        assert 'name="author_staff_ids"' in form.text
        assert f'<option value="{staff.id}" selected>' in form.text
        once = re.search(r'name="_once" value="([0-9a-f]{32})"', form.text).group(1)  # type: ignore[union-attr]
        created = await tab.post(
            f"{base}/documents",
            data={
                "kind": "lesson_plan",
                "title": "Lesson plan: the demo teacher's fractions",
                "school_year": "",
                "author_staff_ids": [str(staff.id)],
                "_once": once,
            },
        )
        assert created.status_code == 303, created.text
        document = created.headers["location"]
        uploaded = await tab.post(
            f"{document}/versions",
            files={"file": ("fractions.docx", docx("Fractions"), "application/octet-stream")},
            data={"change_note": "First draft", "_once": "0" * 32},
        )
        assert uploaded.status_code == 303, uploaded.text
        page = await tab.get(document, params={"lang": "en"})
        version_id = re.search(r'name="version_id" value="([0-9a-f-]{36})"', page.text).group(1)  # type: ignore[union-attr]
        once = re.search(r'name="_once" value="([0-9a-f]{32})"', page.text).group(1)  # type: ignore[union-attr]
        submitted = await tab.post(f"{document}/submit", data={"version_id": version_id, "_once": once})
        assert submitted.status_code == 303, submitted.text
        page = await tab.get(document, params={"lang": "en"})
        assert "Under review" in page.text, page.text
    finally:
        await tab.aclose()
