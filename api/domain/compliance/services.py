"""Reading stored findings: of one organisation, or across the caller's reach (control plane only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding
from api.domain.compliance.schemas import (
    CheckRunRead,
    FindingListItem,
    FindingRead,
    OrganisationFindings,
)
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from api.paging import Page, Paging, paged
from api.responses import response_of


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
        checked = (
            CheckRunRead(
                run.rule_set, run.checked_on, run.checked_at, run.findings, list(run.clauses_checked), run.note
            )
            if run is not None
            else None
        )
        return OrganisationFindings(
            items=[finding_read(r) for r in rows],
            total=total,
            page=paging.page,
            page_size=paging.page_size,
            organisation_id=organisation_id,
            checked=checked,
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
