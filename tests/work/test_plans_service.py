"""Annual work plans (cl. 29): one per association and year, approval by the head, versions."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from api.audit import AuditEntry
from api.domain.plans.models import WorkPlan
from api.domain.plans.rules import Direction, PlanStatus
from api.domain.plans.schemas import PlanCreate, PlanItemUpdate, PlanItemWrite, PlanReturn, PlanUpdate
from api.domain.plans.services import PlanFilter, PlanService
from api.errors import Conflict, DomainError, Forbidden
from api.paging import Paging
from api.roles import Role
from tests.work.helpers import School, actor, context, furnished_school


def test_the_eight_directions_of_cl_7() -> None:
    assert len(Direction) == 8
    assert [d.number for d in Direction] == list(range(1, 9))
    assert Direction.CERTIFICATION.number == 7 and Direction.METHODOLOGICAL_PRODUCTS.number == 8


@pytest.fixture
async def fresh(app: object, db: Any) -> School:
    """A school of its own per test, so each plan starts with no plan for the year."""
    return await furnished_school(db, "Plan School")


def leader(school: School) -> Any:
    return actor(school.org, Role.ASSOCIATION_LEADER, staff_id=school.leader, user_id=school.teacher_users[0])


def head(school: School) -> Any:
    return actor(school.org, Role.HEAD)


def item(school: School, year: int, **overrides: Any) -> PlanItemWrite:
    data = {
        "title": "Seminar on formative assessment",
        "direction": Direction.THEORY_AND_METHODS,
        "starts_on": datetime.date(year, 10, 15),
        "responsible_ids": [school.leader],
    } | overrides
    return PlanItemWrite(**data)


async def make_plan(db: Any, school: School, year: int = 2030, **overrides: Any) -> uuid.UUID:
    data = {
        "association_id": school.association_id,
        "school_year": year,
        "basis": "Diagnostics of last year's results: weak spots in geometry.",
        "items": [item(school, year), item(school, year, title="Open lessons", direction=Direction.BEST_EXPERIENCE)],
    } | overrides
    async with db.tenant_context(school.schema) as session:
        return (await PlanService(context(session, school.org, leader(school))).create(PlanCreate(**data))).id


async def run(db: Any, school: School, who: Any, call: Any) -> Any:
    async with db.tenant_context(school.schema) as session:
        return await call(PlanService(context(session, school.org, who)))


async def test_plan_submitted_and_approved_by_the_head(db: Any, fresh: School) -> None:
    """Cl. 29, passing: made by the leader, submitted, approved by the head; every step audited."""
    plan_id = await make_plan(db, fresh)
    submitted = await run(db, fresh, leader(fresh), lambda s: s.submit(plan_id))
    assert submitted.status == PlanStatus.SUBMITTED
    approved = await run(db, fresh, head(fresh), lambda s: s.approve(plan_id))
    assert approved.status == PlanStatus.APPROVED and approved.approved_at is not None
    read = await run(db, fresh, leader(fresh), lambda s: s.read(plan_id))
    assert read.directions_covered == [Direction.THEORY_AND_METHODS, Direction.BEST_EXPERIENCE]
    assert [i.direction_number for i in read.items] == [1, 4]
    async with db.tenant_session(fresh.schema) as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_id == str(plan_id)).order_by(AuditEntry.seq)
            )
        ).all()
    assert actions == ["work_plan.create", "work_plan.submit", "work_plan.approve"]


async def test_only_the_head_approves(db: Any, fresh: School) -> None:
    """Cl. 29, refused: the deputy head and the leader may not approve; a draft cannot be approved."""
    plan_id = await make_plan(db, fresh)
    with pytest.raises(Conflict) as draft:
        await run(db, fresh, head(fresh), lambda s: s.approve(plan_id))
    assert draft.value.clause == "29"
    await run(db, fresh, leader(fresh), lambda s: s.submit(plan_id))
    for who in (leader(fresh), actor(fresh.org, Role.DEPUTY_HEAD)):
        with pytest.raises(Forbidden) as refused:
            await run(db, fresh, who, lambda s: s.approve(plan_id))
        assert refused.value.clause == "29"
    assert (await run(db, fresh, head(fresh), lambda s: s.read(plan_id))).status == PlanStatus.SUBMITTED


@pytest.mark.parametrize(("override", "field"), [({"basis": None}, "basis"), ({"items": []}, "items")])
async def test_submission_needs_basis_and_items(db: Any, fresh: School, override: dict[str, Any], field: str) -> None:
    plan_id = await make_plan(db, fresh, **override)
    with pytest.raises(DomainError) as refused:
        await run(db, fresh, leader(fresh), lambda s: s.submit(plan_id))
    assert (refused.value.field, refused.value.clause) == (field, "29")
    assert (await run(db, fresh, leader(fresh), lambda s: s.read(plan_id))).status == PlanStatus.DRAFT


async def test_one_plan_per_association_and_year(db: Any, fresh: School) -> None:
    await make_plan(db, fresh)
    with pytest.raises(Conflict) as refused:
        await make_plan(db, fresh)
    assert (refused.value.status, refused.value.field, refused.value.clause) == (409, "school_year", "29")
    # Another year, or another association, is a plan of its own.
    await make_plan(db, fresh, year=2031)
    async with db.tenant_session(fresh.schema) as session:
        assert await session.scalar(select(func.count()).select_from(WorkPlan)) == 2


async def test_approved_plan_is_read_only_and_changes_make_a_new_version(db: Any, fresh: School) -> None:
    plan_id = await make_plan(db, fresh)
    await run(db, fresh, leader(fresh), lambda s: s.submit(plan_id))
    await run(db, fresh, head(fresh), lambda s: s.approve(plan_id))
    original = await run(db, fresh, leader(fresh), lambda s: s.read(plan_id))
    for change in (
        lambda s: s.update(plan_id, PlanUpdate(title="New title")),
        lambda s: s.add_item(plan_id, item(fresh, 2030)),
        lambda s: s.update_item(plan_id, original.items[0].id, PlanItemUpdate(title="Changed")),
        lambda s: s.remove_item(plan_id, original.items[0].id),
        lambda s: s.archive(plan_id),
    ):
        with pytest.raises(Conflict) as refused:
            await run(db, fresh, leader(fresh), change)
        assert refused.value.clause == "29"
    draft = await run(db, fresh, leader(fresh), lambda s: s.new_version(plan_id))
    assert (draft.version, draft.status, draft.previous_version_id) == (2, PlanStatus.DRAFT, plan_id)
    v2 = await run(db, fresh, leader(fresh), lambda s: s.read(draft.id))
    assert [(i.title, i.direction) for i in v2.items] == [(i.title, i.direction) for i in original.items]
    # One open version at a time, and a new version only from the approved one.
    with pytest.raises(Conflict):
        await run(db, fresh, leader(fresh), lambda s: s.new_version(plan_id))
    with pytest.raises(Conflict):
        await run(db, fresh, leader(fresh), lambda s: s.new_version(draft.id))
    await run(
        db,
        fresh,
        leader(fresh),
        lambda s: s.add_item(draft.id, item(fresh, 2030, title="Olympiad", direction=Direction.METHODOLOGICAL_FORMS)),
    )
    await run(db, fresh, leader(fresh), lambda s: s.submit(draft.id))
    await run(db, fresh, head(fresh), lambda s: s.approve(draft.id))
    history = await run(
        db,
        fresh,
        head(fresh),
        lambda s: s.list(PlanFilter(association_id=fresh.association_id, school_year=2030), Paging()),
    )
    assert [(p.version, p.status) for p in history.items] == [(2, PlanStatus.APPROVED), (1, PlanStatus.SUPERSEDED)]
    assert len(history.items[0].items) == 3 and len(history.items[1].items) == 2  # v1 unchanged
    latest = await run(
        db,
        fresh,
        head(fresh),
        lambda s: s.list(PlanFilter(association_id=fresh.association_id, latest_only=True), Paging()),
    )
    assert [p.version for p in latest.items] == [2]


@pytest.mark.parametrize(
    ("override", "field", "clause"),
    [
        ({"starts_on": datetime.date(2034, 6, 1)}, "items[0].starts_on", "29"),
        ({"ends_on": datetime.date(2036, 9, 1)}, "items[0].ends_on", "29"),
        ({"ends_on": datetime.date(2035, 10, 1)}, "items[0].ends_on", None),
        ({"responsible_ids": [uuid.UUID(int=7)]}, "items[0].responsible_ids", None),
        ({"title": "  "}, "items[0].title", None),
    ],
)
async def test_bad_items_are_refused_and_nothing_written(
    db: Any, school: School, override: dict[str, Any], field: str, clause: str | None
) -> None:
    async with db.tenant_session(school.schema) as session:
        before = await session.scalar(select(func.count()).select_from(WorkPlan))
    with pytest.raises(DomainError) as refused:
        await make_plan(db, school, year=2035, items=[item(school, 2035, **override)])
    assert (refused.value.field, refused.value.clause) == (field, clause)
    async with db.tenant_session(school.schema) as session:
        assert await session.scalar(select(func.count()).select_from(WorkPlan)) == before


async def test_returned_with_a_comment_and_edited_again(db: Any, fresh: School) -> None:
    plan_id = await make_plan(db, fresh)
    await run(db, fresh, leader(fresh), lambda s: s.submit(plan_id))
    with pytest.raises(Conflict):
        await run(db, fresh, leader(fresh), lambda s: s.update(plan_id, PlanUpdate(title="x")))
    returned = await run(
        db, fresh, head(fresh), lambda s: s.return_to_draft(plan_id, PlanReturn(comment="Add certification"))
    )
    assert (returned.status, returned.return_comment) == (PlanStatus.DRAFT, "Add certification")
    await run(
        db,
        fresh,
        leader(fresh),
        lambda s: s.add_item(
            plan_id,
            item(fresh, 2030, title="Certification of two teachers", direction=Direction.CERTIFICATION, position=1),
        ),
    )
    read = await run(db, fresh, leader(fresh), lambda s: s.read(plan_id))
    assert [i.title for i in read.items][0] == "Certification of two teachers"


async def test_only_keepers_make_plans_and_members_read_them(db: Any, fresh: School) -> None:
    with pytest.raises(Forbidden):
        async with db.tenant_context(fresh.schema) as session:
            await PlanService(
                context(session, fresh.org, actor(fresh.org, Role.TEACHER, staff_id=fresh.teachers[1]))
            ).create(PlanCreate(association_id=fresh.association_id, school_year=2030))
    plan_id = await make_plan(db, fresh)
    member = actor(fresh.org, Role.TEACHER, staff_id=fresh.teachers[1])
    stranger = actor(fresh.org, Role.TEACHER, staff_id=fresh.teachers[7])
    assert (await run(db, fresh, member, lambda s: s.read(plan_id))).id == plan_id
    with pytest.raises(Forbidden):
        await run(db, fresh, stranger, lambda s: s.read(plan_id))
    assert (await run(db, fresh, stranger, lambda s: s.list(PlanFilter(), Paging()))).total == 0
    assert (await run(db, fresh, member, lambda s: s.list(PlanFilter(), Paging()))).total == 1


async def test_unknown_association_is_refused(db: Any, school: School) -> None:
    with pytest.raises(DomainError) as refused:
        await make_plan(db, school, association_id=uuid.uuid4())
    assert refused.value.field == "association_id"
