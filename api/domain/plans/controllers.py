from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.access import Scope, access
from api.domain.meetings.roles import APPROVE, KEEP, READ
from api.domain.plans.rules import PlanStatus
from api.domain.plans.schemas import (
    PlanCreate,
    PlanItemUpdate,
    PlanItemWrite,
    PlanRead,
    PlanReturn,
    PlanUpdate,
)
from api.domain.plans.services import PlanFilter, PlanService
from api.paging import Page, Paging, paging_by


class PlanController(Controller):
    path = "/api/organisations/{organisation_id:uuid}/plans"
    tags = ["work plans"]

    @get(
        "/",
        name="plans:list",
        operation_id="ListWorkPlans",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(20)},
    )
    async def list_plans(
        self,
        plans: NamedDependency[PlanService],
        paging: NamedDependency[Paging],
        association_id: FromQuery[UUID | None] = None,
        school_year: Annotated[int | None, Parameter(ge=2000, le=2100)] = None,
        status: FromQuery[PlanStatus | None] = None,
        latest_only: Annotated[bool, Parameter(description="Only the newest version of each plan")] = False,
        include_archived: FromQuery[bool] = False,
    ) -> Page[PlanRead]:
        return await plans.list(PlanFilter(association_id, school_year, status, latest_only, include_archived), paging)

    @post("/", name="plans:create", operation_id="CreateWorkPlan", opt=access(Scope.TENANT, KEEP))
    async def create(self, plans: NamedDependency[PlanService], data: JSONBody[PlanCreate]) -> PlanRead:
        """One plan per association and school year (cl. 29); a second is refused with 409."""
        return await plans.read((await plans.create(data)).id)

    @get("/{plan_id:uuid}", name="plans:detail", operation_id="GetWorkPlan", opt=access(Scope.TENANT, READ))
    async def detail(self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID]) -> PlanRead:
        return await plans.read(plan_id)

    @patch("/{plan_id:uuid}", name="plans:update", operation_id="UpdateWorkPlan", opt=access(Scope.TENANT, KEEP))
    async def update(
        self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID], data: JSONBody[PlanUpdate]
    ) -> PlanRead:
        await plans.update(plan_id, data)
        return await plans.read(plan_id)

    @post(
        "/{plan_id:uuid}/items", name="plans:item-add", operation_id="AddWorkPlanItem", opt=access(Scope.TENANT, KEEP)
    )
    async def add_item(
        self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID], data: JSONBody[PlanItemWrite]
    ) -> PlanRead:
        await plans.add_item(plan_id, data)
        return await plans.read(plan_id)

    @patch(
        "/{plan_id:uuid}/items/{item_id:uuid}",
        name="plans:item-update",
        operation_id="UpdateWorkPlanItem",
        opt=access(Scope.TENANT, KEEP),
    )
    async def update_item(
        self,
        plans: NamedDependency[PlanService],
        plan_id: FromPath[UUID],
        item_id: FromPath[UUID],
        data: JSONBody[PlanItemUpdate],
    ) -> PlanRead:
        await plans.update_item(plan_id, item_id, data)
        return await plans.read(plan_id)

    @post(
        "/{plan_id:uuid}/items/{item_id:uuid}/remove",
        name="plans:item-remove",
        operation_id="RemoveWorkPlanItem",
        status_code=200,
        opt=access(Scope.TENANT, KEEP),
    )
    async def remove_item(
        self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID], item_id: FromPath[UUID]
    ) -> PlanRead:
        await plans.remove_item(plan_id, item_id)
        return await plans.read(plan_id)

    @post(
        "/{plan_id:uuid}/submit",
        name="plans:submit",
        operation_id="SubmitWorkPlan",
        status_code=200,
        opt=access(Scope.TENANT, KEEP),
    )
    async def submit(self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID]) -> PlanRead:
        """To the head for approval (cl. 29): needs items and the plan's basis."""
        await plans.submit(plan_id)
        return await plans.read(plan_id)

    @post(
        "/{plan_id:uuid}/approve",
        name="plans:approve",
        operation_id="ApproveWorkPlan",
        status_code=200,
        opt=access(Scope.TENANT, APPROVE, person_only=True, clause="29"),
    )
    async def approve(self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID]) -> PlanRead:
        """Cl. 29: the head of the organisation approves; the plan becomes read-only."""
        await plans.approve(plan_id)
        return await plans.read(plan_id)

    @post(
        "/{plan_id:uuid}/return",
        name="plans:return",
        operation_id="ReturnWorkPlan",
        status_code=200,
        opt=access(Scope.TENANT, (*APPROVE, *KEEP), person_only=True),
    )
    async def return_to_draft(
        self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID], data: JSONBody[PlanReturn]
    ) -> PlanRead:
        """The head sends a submitted plan back with a comment, or its keeper withdraws it."""
        await plans.return_to_draft(plan_id, data)
        return await plans.read(plan_id)

    @post(
        "/{plan_id:uuid}/versions",
        name="plans:new-version",
        operation_id="NewWorkPlanVersion",
        opt=access(Scope.TENANT, KEEP),
    )
    async def new_version(self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID]) -> PlanRead:
        """A draft copy of the approved plan, to change it; the approved one is kept as history."""
        return await plans.read((await plans.new_version(plan_id)).id)

    @post(
        "/{plan_id:uuid}/archive",
        name="plans:archive",
        operation_id="ArchiveWorkPlan",
        status_code=200,
        opt=access(Scope.TENANT, KEEP),
    )
    async def archive(self, plans: NamedDependency[PlanService], plan_id: FromPath[UUID]) -> PlanRead:
        await plans.archive(plan_id)
        return await plans.read(plan_id)
