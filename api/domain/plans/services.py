"""The rules of associations' annual work plans (cl. 29, directions of cl. 7).

Long because a plan and its items are one record with one lifecycle, kept in one service.

draft → submitted → approved (by the head). An approved plan is read-only: a change is a new
version, a draft copying the approved items; approving it supersedes the version before, which
stays as history. One plan per association and school year: another is refused unless it is a
new version of that plan.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.clock import utc_now
from api.context import TenantContext
from api.domain.bodies.registry import BodyInfo, BodyKind
from api.domain.meetings.keeping import can_keep, kept_units, require_keeper, require_reader
from api.domain.meetings.lookups import bodies_of_staff, check_staff, find_body, named_body
from api.domain.meetings.services import changes_of, clean_text
from api.domain.meetings.terms import school_year_span
from api.domain.plans.models import PlanItem, WorkPlan
from api.domain.plans.rules import Direction, PlanStatus
from api.domain.plans.schemas import (
    PlanCreate,
    PlanItemRead,
    PlanItemUpdate,
    PlanItemWrite,
    PlanRead,
    PlanReturn,
    PlanUpdate,
)
from api.errors import Conflict, DomainError, Forbidden, NotFound
from api.paging import Page, Paging, paged
from api.responses import response_of
from api.roles import Role

CLAUSE = "29"
# Messages with values; the same templates are in api.i18n.MESSAGE_TEMPLATES, so they are translated.
OUTSIDE_YEAR = (
    "The item's dates must fall within the school year {start}/{end} ({first} – {last}): "
    "the plan is made for a year (cl. 29)."
)
ONE_PLAN = (
    "The association already has a work plan for {start}/{end}: one plan per association and school year "
    "(cl. 29); change it, or make a new version of it."
)
NAME_RESPONSIBLE = "Name the responsible people of items {numbers}."
ONLY_SUBMITTED_APPROVED = "Only a submitted work plan can be approved; this one is {status}."
ONLY_SUBMITTED_RETURNED = "Only a submitted work plan goes back to draft; this one is {status}."
VERSION_FROM_APPROVED = (
    "A new version is made from the approved plan; this one is {status} and can be changed as it is."
)


@dataclass(frozen=True)
class PlanFilter:
    association_id: UUID | None = None
    school_year: int | None = None
    status: PlanStatus | None = None
    latest_only: bool = False
    include_archived: bool = False


def plan_snapshot(plan: WorkPlan) -> dict[str, Any]:
    return {**snapshot(plan), "items": [snapshot(i) for i in plan.items]}


class PlanService:
    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session: AsyncSession = context.session
        self.caller = context.caller

    # --- reading ----------------------------------------------------------------------------------

    @staticmethod
    def to_read(plan: WorkPlan, association_name: str | None) -> PlanRead:
        items = sorted(plan.items, key=lambda i: i.position)
        covered = {Direction(i.direction) for i in items}
        return response_of(
            PlanRead,
            plan,
            association_name=association_name,
            items=[response_of(PlanItemRead, i, direction_number=Direction(i.direction).number) for i in items],
            directions_covered=[d for d in Direction if d in covered],
        )

    async def read(self, plan_id: UUID) -> PlanRead:
        plan, body = await self.get(plan_id)
        found = self.to_read(plan, body.name if body else None)
        found.may_keep = can_keep(self.caller, body)
        found.may_approve = self.caller.has_org_role({Role.HEAD})
        return found

    async def get(self, plan_id: UUID, *, for_change: bool = False) -> tuple[WorkPlan, BodyInfo | None]:
        plan = await self.session.get(WorkPlan, plan_id, with_for_update=for_change)
        if plan is None:
            raise NotFound("Work plan not found.", field="plan_id")
        body = await find_body(self.session, BodyKind.ASSOCIATION, plan.association_id)
        if for_change:
            require_keeper(self.caller, body)
        else:
            require_reader(self.caller, body)
        return plan, body

    async def list(self, flt: PlanFilter, paging: Paging) -> Page[PlanRead]:
        query = select(WorkPlan)
        if not flt.include_archived:
            query = query.where(WorkPlan.archived_at.is_(None))
        if flt.association_id is not None:
            query = query.where(WorkPlan.association_id == flt.association_id)
        if flt.school_year is not None:
            query = query.where(WorkPlan.school_year == flt.school_year)
        if flt.status is not None:
            query = query.where(WorkPlan.status == flt.status.value)
        if flt.latest_only:
            latest = select(WorkPlan.association_id, WorkPlan.school_year, func.max(WorkPlan.version).label("v"))
            if not flt.include_archived:
                latest = latest.where(WorkPlan.archived_at.is_(None))
            latest_sq = latest.group_by(WorkPlan.association_id, WorkPlan.school_year).subquery()
            query = query.join(
                latest_sq,
                (latest_sq.c.association_id == WorkPlan.association_id)
                & (latest_sq.c.school_year == WorkPlan.school_year)
                & (latest_sq.c.v == WorkPlan.version),
            )
        if not self.caller.reads_everything:
            me = self.caller.staff_id
            mine = {
                i for k, i in (await bodies_of_staff(self.session, me) if me else []) if k == BodyKind.ASSOCIATION.value
            }
            query = query.where(WorkPlan.association_id.in_(mine | kept_units(self.caller)))
        rows, total = await paged(
            self.session,
            query.order_by(WorkPlan.school_year.desc(), WorkPlan.association_id, WorkPlan.version.desc()),
            paging,
        )
        names: dict[UUID, str | None] = {}
        keeps: dict[UUID, bool] = {}
        for plan in rows:
            if plan.association_id not in names:
                body = await find_body(self.session, BodyKind.ASSOCIATION, plan.association_id)
                names[plan.association_id] = body.name if body else None
                keeps[plan.association_id] = can_keep(self.caller, body)
        found = [self.to_read(p, names[p.association_id]) for p in rows]
        for read in found:
            read.may_keep = keeps[read.association_id]
            read.may_approve = self.caller.has_org_role({Role.HEAD})
        return Page.of(found, total, paging)

    # --- items ------------------------------------------------------------------------------------

    async def _check_item(
        self,
        school_year: int,
        starts_on: datetime.date,
        ends_on: datetime.date | None,
        responsible: list[UUID],
        prefix: str,
    ) -> None:
        first, last = school_year_span(school_year)
        if not first <= starts_on <= last:
            raise DomainError(
                OUTSIDE_YEAR.format(
                    start=school_year, end=school_year + 1, first=first.isoformat(), last=last.isoformat()
                ),
                field=f"{prefix}starts_on",
                clause=CLAUSE,
            )
        if ends_on is not None and ends_on < starts_on:
            raise DomainError("The item must end on or after its start.", field=f"{prefix}ends_on")
        if ends_on is not None and ends_on > last:
            raise DomainError(
                OUTSIDE_YEAR.format(
                    start=school_year, end=school_year + 1, first=first.isoformat(), last=last.isoformat()
                ),
                field=f"{prefix}ends_on",
                clause=CLAUSE,
            )
        if len(set(responsible)) != len(responsible):
            raise DomainError("Each responsible person may be named once.", field=f"{prefix}responsible_ids")
        await check_staff(self.session, responsible, field=f"{prefix}responsible_ids")

    async def _new_item(self, plan: WorkPlan, data: PlanItemWrite, prefix: str) -> PlanItem:
        await self._check_item(plan.school_year, data.starts_on, data.ends_on, data.responsible_ids, prefix)
        return PlanItem(
            position=0,
            title=clean_text(data.title, f"{prefix}title", required=True),
            description=clean_text(data.description, f"{prefix}description", required=False),
            direction=data.direction.value,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            responsible_ids=list(data.responsible_ids),
        )

    @staticmethod
    def _place(plan: WorkPlan, item: PlanItem, position: int | None) -> None:
        others = sorted((i for i in plan.items if i is not item), key=lambda i: i.position)
        index = len(others) if position is None else min(max(position, 1), len(others) + 1) - 1
        others.insert(index, item)
        for number, entry in enumerate(others, start=1):
            entry.position = number

    def _require_draft(self, plan: WorkPlan) -> None:
        if plan.archived_at is not None:
            raise Conflict("The work plan is archived and cannot be changed.", field="archived_at")
        if plan.status in (PlanStatus.APPROVED, PlanStatus.SUPERSEDED):
            raise Conflict(
                "An approved work plan is read-only: make a new version to change it (cl. 29).",
                field="status",
                clause=CLAUSE,
            )
        if plan.status == PlanStatus.SUBMITTED:
            raise Conflict(
                "The work plan is with the head for approval: return it to draft to change it.", field="status"
            )

    async def add_item(self, plan_id: UUID, data: PlanItemWrite) -> PlanItem:
        plan, _ = await self.get(plan_id, for_change=True)
        self._require_draft(plan)
        item = await self._new_item(plan, data, "")
        plan.items.append(item)
        self._place(plan, item, data.position)
        await self.session.flush()
        await self.context.audit.record("work_plan.item.add", "work_plan_item", item.id, None, snapshot(item))
        return item

    def _item_of(self, plan: WorkPlan, item_id: UUID) -> PlanItem:
        for item in plan.items:
            if item.id == item_id:
                return item
        raise NotFound("Item not found in this work plan.", field="item_id")

    async def update_item(self, plan_id: UUID, item_id: UUID, data: PlanItemUpdate) -> PlanItem:
        plan, _ = await self.get(plan_id, for_change=True)
        self._require_draft(plan)
        item = self._item_of(plan, item_id)
        before = snapshot(item)
        changes = changes_of(data)
        starts_on = changes.get("starts_on", item.starts_on)
        ends_on = changes.get("ends_on", item.ends_on)
        responsible = changes.get("responsible_ids", list(item.responsible_ids))
        await self._check_item(plan.school_year, starts_on, ends_on, responsible, "")
        if "title" in changes:
            item.title = clean_text(changes["title"], "title", required=True)  # type: ignore[assignment]
        if "description" in changes:
            item.description = clean_text(changes["description"], "description", required=False)
        if "direction" in changes:
            item.direction = Direction(changes["direction"]).value
        item.starts_on, item.ends_on, item.responsible_ids = starts_on, ends_on, list(responsible)
        if "position" in changes:
            self._place(plan, item, changes["position"])
        await self.session.flush()
        await self.context.audit.record("work_plan.item.update", "work_plan_item", item.id, before, snapshot(item))
        return item

    async def remove_item(self, plan_id: UUID, item_id: UUID) -> None:
        plan, _ = await self.get(plan_id, for_change=True)
        self._require_draft(plan)
        item = self._item_of(plan, item_id)
        before = snapshot(item)
        plan.items.remove(item)
        for number, entry in enumerate(sorted(plan.items, key=lambda i: i.position), start=1):
            entry.position = number
        await self.session.flush()
        await self.context.audit.record("work_plan.item.remove", "work_plan_item", item_id, before, None)

    # --- the plan ---------------------------------------------------------------------------------

    async def create(self, data: PlanCreate) -> WorkPlan:
        body = await named_body(self.session, BodyKind.ASSOCIATION.value, data.association_id, field="association_id")
        require_keeper(self.caller, body)
        existing = await self.session.scalar(
            select(WorkPlan.id)
            .where(
                WorkPlan.association_id == data.association_id,
                WorkPlan.school_year == data.school_year,
                WorkPlan.archived_at.is_(None),
            )
            .limit(1)
        )
        if existing is not None:
            raise Conflict(
                ONE_PLAN.format(start=data.school_year, end=data.school_year + 1),
                field="school_year",
                clause=CLAUSE,
            )
        # An archived (withdrawn) plan keeps its version number; a fresh plan continues after it.
        last = await self.session.scalar(
            select(func.max(WorkPlan.version)).where(
                WorkPlan.association_id == data.association_id, WorkPlan.school_year == data.school_year
            )
        )
        plan = WorkPlan(
            association_id=data.association_id,
            school_year=data.school_year,
            version=(last or 0) + 1,
            status=PlanStatus.DRAFT.value,
            title=clean_text(data.title, "title", required=False),
            basis=clean_text(data.basis, "basis", required=False),
        )
        plan.items = []
        for index, item_data in enumerate(data.items):
            item = await self._new_item(plan, item_data, f"items[{index}].")
            plan.items.append(item)
            self._place(plan, item, item_data.position)
        self.session.add(plan)
        await self.session.flush()
        await self.context.audit.record("work_plan.create", "work_plan", plan.id, None, plan_snapshot(plan))
        return plan

    async def update(self, plan_id: UUID, data: PlanUpdate) -> WorkPlan:
        plan, _ = await self.get(plan_id, for_change=True)
        self._require_draft(plan)
        before = snapshot(plan)
        changes = changes_of(data)
        for field in ("title", "basis"):
            if field in changes:
                setattr(plan, field, clean_text(changes[field], field, required=False))
        await self.session.flush()
        await self.context.audit.record("work_plan.update", "work_plan", plan.id, before, snapshot(plan))
        return plan

    async def submit(self, plan_id: UUID) -> WorkPlan:
        plan, _ = await self.get(plan_id, for_change=True)
        self._require_draft(plan)
        if not plan.items:
            raise DomainError(
                "A work plan is submitted with its items: add at least one (cl. 29).", field="items", clause=CLAUSE
            )
        if not plan.basis:
            raise DomainError(
                "Say what the plan rests on — diagnostics, analysis, control and the aims of teachers' "
                "professional development — before submitting it (cl. 29).",
                field="basis",
                clause=CLAUSE,
            )
        missing = [i.position for i in plan.items if not i.responsible_ids]
        if missing:
            raise DomainError(
                NAME_RESPONSIBLE.format(numbers=", ".join(str(n) for n in sorted(missing))),
                field="items.responsible_ids",
            )
        before = snapshot(plan)
        plan.status = PlanStatus.SUBMITTED.value
        plan.submitted_at = utc_now()
        plan.submitted_by = self.caller.user_id
        plan.return_comment = None
        await self.session.flush()
        await self.context.audit.record("work_plan.submit", "work_plan", plan.id, before, snapshot(plan))
        return plan

    async def approve(self, plan_id: UUID) -> WorkPlan:
        """Cl. 29: the head of the organisation approves the plan."""
        if not self.caller.has_org_role({Role.HEAD}):
            raise Forbidden("Only the head of the organisation approves a work plan (cl. 29).", clause=CLAUSE)
        plan = await self.session.get(WorkPlan, plan_id, with_for_update=True)
        if plan is None:
            raise NotFound("Work plan not found.", field="plan_id")
        if plan.archived_at is not None:
            raise Conflict("The work plan is archived.", field="archived_at")
        if plan.status != PlanStatus.SUBMITTED:
            raise Conflict(ONLY_SUBMITTED_APPROVED.format(status=plan.status), field="status", clause=CLAUSE)
        before = snapshot(plan)
        previous = (
            await self.session.scalars(
                select(WorkPlan).where(
                    WorkPlan.association_id == plan.association_id,
                    WorkPlan.school_year == plan.school_year,
                    WorkPlan.status == PlanStatus.APPROVED.value,
                    WorkPlan.id != plan.id,
                )
            )
        ).all()
        for old in previous:
            old_before = snapshot(old)
            old.status = PlanStatus.SUPERSEDED.value
            await self.session.flush()
            await self.context.audit.record("work_plan.supersede", "work_plan", old.id, old_before, snapshot(old))
        plan.status = PlanStatus.APPROVED.value
        plan.approved_at = utc_now()
        plan.approved_by = self.caller.user_id
        await self.session.flush()
        await self.context.audit.record("work_plan.approve", "work_plan", plan.id, before, snapshot(plan))
        return plan

    async def return_to_draft(self, plan_id: UUID, data: PlanReturn) -> WorkPlan:
        """The head sends a submitted plan back with a comment, or its keeper withdraws it."""
        plan = await self.session.get(WorkPlan, plan_id, with_for_update=True)
        if plan is None:
            raise NotFound("Work plan not found.", field="plan_id")
        if not (self.caller.has_org_role({Role.HEAD})):
            body = await find_body(self.session, BodyKind.ASSOCIATION, plan.association_id)
            require_keeper(self.caller, body)
        if plan.status != PlanStatus.SUBMITTED or plan.archived_at is not None:
            raise Conflict(ONLY_SUBMITTED_RETURNED.format(status=plan.status), field="status")
        before = snapshot(plan)
        plan.status = PlanStatus.DRAFT.value
        plan.return_comment = clean_text(data.comment, "comment", required=False)
        await self.session.flush()
        await self.context.audit.record("work_plan.return", "work_plan", plan.id, before, snapshot(plan))
        return plan

    async def new_version(self, plan_id: UUID) -> WorkPlan:
        """A draft copy of the approved plan, to change it; the approved one stays in force."""
        plan, _ = await self.get(plan_id, for_change=True)
        if plan.archived_at is not None:
            raise Conflict("The work plan is archived.", field="archived_at")
        if plan.status != PlanStatus.APPROVED:
            raise Conflict(
                VERSION_FROM_APPROVED.format(status=plan.status),
                field="status",
                clause=CLAUSE,
            )
        newer = await self.session.scalar(
            select(WorkPlan.id)
            .where(
                WorkPlan.association_id == plan.association_id,
                WorkPlan.school_year == plan.school_year,
                WorkPlan.version > plan.version,
                WorkPlan.archived_at.is_(None),
            )
            .limit(1)
        )
        if newer is not None:
            raise Conflict("A newer version of this work plan already exists.", field="version")
        last = await self.session.scalar(
            select(func.max(WorkPlan.version)).where(
                WorkPlan.association_id == plan.association_id, WorkPlan.school_year == plan.school_year
            )
        )
        draft = WorkPlan(
            association_id=plan.association_id,
            school_year=plan.school_year,
            version=(last or plan.version) + 1,
            status=PlanStatus.DRAFT.value,
            title=plan.title,
            basis=plan.basis,
            previous_version_id=plan.id,
        )
        draft.items = [
            PlanItem(
                position=i.position,
                title=i.title,
                description=i.description,
                direction=i.direction,
                starts_on=i.starts_on,
                ends_on=i.ends_on,
                responsible_ids=list(i.responsible_ids),
            )
            for i in sorted(plan.items, key=lambda i: i.position)
        ]
        self.session.add(draft)
        await self.session.flush()
        await self.context.audit.record("work_plan.new_version", "work_plan", draft.id, None, plan_snapshot(draft))
        return draft

    async def archive(self, plan_id: UUID) -> WorkPlan:
        plan, _ = await self.get(plan_id, for_change=True)
        if plan.archived_at is not None:
            raise Conflict("The work plan is already archived.", field="archived_at")
        if plan.status in (PlanStatus.APPROVED, PlanStatus.SUPERSEDED):
            raise Conflict(
                "An approved work plan is kept as the record of the year (cl. 29); make a new version instead.",
                field="status",
                clause=CLAUSE,
            )
        before = snapshot(plan)
        plan.archived_at = utc_now()
        await self.session.flush()
        await self.context.audit.record("work_plan.archive", "work_plan", plan.id, before, snapshot(plan))
        return plan
