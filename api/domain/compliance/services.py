"""Reading stored findings: of one organisation, or across the caller's reach (control plane only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding
from api.domain.compliance.schemas import (
    CheckRunRead,
    FindingListItem,
    FindingRead,
    OrganisationFindings,
)
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from api.identity.reach import reach_of
from api.paging import Page, Paging, paged
from api.responses import response_of
from api.roles import Role

# Who reads findings: the organisation's administrator, head and deputy head for academic work,
# and the methodists whose reach covers it (national and regional admins satisfy the admin role).
READ_FINDINGS = (
    Role.ORGANISATION_ADMIN,
    Role.HEAD,
    Role.DEPUTY_HEAD,
    Role.DISTRICT_METHODIST,
    Role.REGIONAL_METHODIST,
    Role.NATIONAL_METHODIST,
)


def finding_read(f: ComplianceFinding) -> FindingRead:
    return response_of(FindingRead, f)


def _order() -> tuple[Any, ...]:
    # Clause numbers in the order's order (7 before 14), then subject.
    return (
        func.length(ComplianceFinding.clause),
        ComplianceFinding.clause,
        ComplianceFinding.subject_name,
        ComplianceFinding.key,
    )


class ComplianceService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_organisation(self, organisation_id: UUID, clause: str | None, paging: Paging) -> OrganisationFindings:
        where = [ComplianceFinding.organisation_id == organisation_id]
        if clause is not None:
            where.append(ComplianceFinding.clause == clause)
        rows, total = await paged(self.session, select(ComplianceFinding).where(*where).order_by(*_order()), paging)
        run = await self.session.scalar(
            select(ComplianceCheckRun).where(ComplianceCheckRun.organisation_id == organisation_id)
        )
        checked = response_of(CheckRunRead, run) if run is not None else None
        return OrganisationFindings(
            items=[finding_read(r) for r in rows],
            total=total,
            page=paging.page,
            page_size=paging.page_size,
            organisation_id=organisation_id,
            checked=checked,
        )

    async def in_reach(
        self,
        caller: Principal,
        *,
        clause: str | None,
        territory_id: UUID | None,
        kind: str | None,
        paging: Paging,
    ) -> Page[FindingListItem]:
        """Findings of the organisations the caller may read them at, under `territory_id` (and
        everything below it) when given."""
        reach = await reach_of(self.session, caller, must_know=[territory_id])
        territories = reach.tree.descendants(territory_id) if territory_id is not None else None
        return await self.across(
            reach.organisation_clause(READ_FINDINGS), clause=clause, territory_ids=territories, kind=kind, paging=paging
        )

    async def across(
        self,
        within: Any,
        *,
        clause: str | None,
        territory_ids: set[UUID] | None,
        kind: str | None,
        paging: Paging,
    ) -> Page[FindingListItem]:
        where: list[Any] = [Organisation.status == OrgStatus.ACTIVE]
        if within is not None:
            where.append(within)
        if clause is not None:
            where.append(ComplianceFinding.clause == clause)
        if territory_ids is not None:
            where.append(Organisation.territory_id.in_(territory_ids))
        if kind is not None:
            where.append(Organisation.kind == kind)
        query = (
            select(ComplianceFinding, Organisation)
            .join(Organisation, Organisation.id == ComplianceFinding.organisation_id)
            .where(*where)
            .order_by(Organisation.name_ru, Organisation.id, *_order())
        )
        rows, total = await paged(self.session, query, paging, rows=True)
        return Page.of(
            [
                FindingListItem(finding_read(f), o.name_kk, o.name_ru, o.name_en, o.kind, o.territory_id)
                for f, o in rows
            ],
            total,
            paging,
        )
