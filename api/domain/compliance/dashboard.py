"""The compliance dashboards of the cabinets: a territory's figures from the rollups, and the
standing of the organisations under it, for the national, regional and district roles.

A dashboard reads the rollup rows of the territory and the territories below it (a few hundred
rows at the republic), never findings or tenant schemas; drill-down goes territory by territory,
then to the organisations (their check runs), then to one organisation's findings.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import Integer, and_, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.clock import today
from api.domain.compliance.engine import rule_set_in_force
from api.domain.compliance.models import ComplianceCheckRun, ComplianceRollup, ComplianceSnapshot
from api.domain.compliance.rollups import ALL_CLAUSES
from api.domain.compliance.schemas import (
    ClauseFigures,
    Dashboard,
    Figures,
    KindFigures,
    Localised,
    OrganisationStanding,
    TerritoryFigures,
    TerritoryRef,
    TrendPoint,
)
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from api.domain.territories.models import Territory
from api.errors import Forbidden, NotFound
from api.identity.reach import Reach, reach_of
from api.paging import Page, Paging, paged
from api.roles import Role

# Who sees a territory's dashboard: its methodists and administrators (a national admin satisfies
# the regional admin's role). An organisation's own people see its page "what to fix" instead.
READ_DASHBOARD = (Role.REGIONAL_ADMIN, Role.NATIONAL_METHODIST, Role.REGIONAL_METHODIST, Role.DISTRICT_METHODIST)

TREND_DAYS = 90


class StandingSort(StrEnum):
    FINDINGS = "findings"  # most findings first
    NAME = "name"


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(p) for p in clause.split("."))


class _Sum:
    """Figures summed from rollup rows, read under an optional clause filter."""

    def __init__(self) -> None:
        self.checked = self.compliant = self.findings = 0
        self.with_clause = self.clause_findings = 0

    def add(self, clause: str, organisations: int, compliant: int, findings: int, chosen: str | None) -> None:
        if clause == ALL_CLAUSES:
            self.checked += organisations
            self.compliant += compliant
            self.findings += findings
        elif clause == chosen:
            self.with_clause += organisations
            self.clause_findings += findings

    def figures(self, chosen: str | None) -> Figures:
        if chosen is None:
            return Figures(self.checked, self.compliant, self.findings)
        return Figures(self.checked, self.checked - self.with_clause, self.clause_findings)


class DashboardService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def place(self, principal: Principal, territory_id: UUID | None) -> tuple[Reach, UUID]:
        """The territory asked for (or the caller's own highest), once the caller may see it."""
        reach = await reach_of(self.session, principal, must_know=[territory_id])
        if territory_id is None:
            own = [
                g.territory_id
                for g in reach.grants
                if g.territory_id is not None and reach.covers_territory(g.territory_id, READ_DASHBOARD)
            ]
            if not own:
                raise Forbidden(
                    "The compliance dashboards are for the methodists and administrators of a district, region or the "
                    'republic; an organisation\'s own findings are on its page "what to fix".',
                )
            territory_id = min(own, key=lambda t: len(reach.tree.ancestors(t)))
        elif territory_id not in reach.tree:
            raise NotFound("Territory not found.", field="territory_id")
        elif not reach.covers_territory(territory_id, READ_DASHBOARD):
            raise Forbidden("This territory is outside your reach.", field="territory_id")
        return reach, territory_id

    async def dashboard(
        self, principal: Principal, territory_id: UUID | None, *, clause: str | None, kind: str | None
    ) -> Dashboard:
        reach, territory_id = await self.place(principal, territory_id)
        tree = reach.tree
        bucket_of: dict[UUID, UUID] = {territory_id: territory_id}  # the territory itself: placed here
        children = list(tree.children.get(territory_id, ()))
        for child in children:
            for below in tree.descendants(child):
                bucket_of[below] = child
        # PostgreSQL sums the rows of the territories under each child (a few thousand at the
        # republic) into one row per child, kind and clause; the places travel as two arrays.
        placed = (
            func.unnest(
                bindparam("places", list(bucket_of), type_=ARRAY(PG_UUID(as_uuid=True))),
                bindparam("buckets", list(bucket_of.values()), type_=ARRAY(PG_UUID(as_uuid=True))),
            )
            .table_valued("territory_id", "bucket")
            .render_derived()
        )
        query = (
            select(
                placed.c.bucket,
                ComplianceRollup.kind,
                ComplianceRollup.clause,
                func.sum(ComplianceRollup.organisations),
                func.sum(ComplianceRollup.compliant),
                func.sum(ComplianceRollup.findings),
            )
            .join(placed, placed.c.territory_id == ComplianceRollup.territory_id)
            .group_by(placed.c.bucket, ComplianceRollup.kind, ComplianceRollup.clause)
        )
        if kind is not None:
            query = query.where(ComplianceRollup.kind == kind)
        rows = (await self.session.execute(query)).all()
        totals, here = _Sum(), _Sum()
        per_child: dict[UUID, _Sum] = {c: _Sum() for c in children}
        per_kind: dict[str, _Sum] = defaultdict(_Sum)
        per_clause: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for bucket, k, c, organisations, compliant, findings in rows:
            organisations, compliant, findings = int(organisations), int(compliant), int(findings)
            for figures in (totals, here if bucket == territory_id else per_child[bucket], per_kind[k]):
                figures.add(c, organisations, compliant, findings, clause)
            if c != ALL_CLAUSES:
                per_clause[c][0] += organisations
                per_clause[c][1] += findings
        ruleset = await rule_set_in_force(self.session, today())
        names = await self._territories([*tree.ancestors(territory_id), *children], tree)
        statements = {c.number: c.statement for c in ruleset.clauses} if ruleset else {}
        enforced = {c.number for c in ruleset.clauses if c.checks} if ruleset else set()
        clause_rows = sorted(enforced | set(per_clause), key=_clause_key)
        return Dashboard(
            territory=names[territory_id],
            path=[names[t] for t in reversed(tree.ancestors(territory_id))],
            rule_set=ruleset.code if ruleset else None,
            rule_set_title=Localised(**ruleset.title) if ruleset else None,
            clause=clause,
            kind=kind,
            totals=totals.figures(clause),
            placed_here=here.figures(clause),
            children=[
                TerritoryFigures(names[c], per_child[c].figures(clause))
                for c in sorted(children, key=lambda c: names[c].name_ru)
            ],
            by_clause=[
                ClauseFigures(
                    c, Localised(**statements[c]) if c in statements else None, per_clause[c][0], per_clause[c][1]
                )
                for c in clause_rows
            ],
            by_kind=[KindFigures(k, per_kind[k].figures(clause)) for k in sorted(per_kind)],
            trend=await self._trend(list(bucket_of), kind, clause, totals.figures(clause)),
        )

    async def _territories(self, ids: list[UUID], tree: Any) -> dict[UUID, TerritoryRef]:
        rows = (await self.session.scalars(select(Territory).where(Territory.id.in_(ids)))).all()
        return {
            t.id: TerritoryRef(
                t.id,
                t.kind,
                (lvl.value if (lvl := tree.level(t.id)) else None),
                t.name_kk,
                t.name_ru,
                t.name_en,
                t.code,
            )
            for t in rows
        }

    async def _trend(
        self, territories: list[UUID], kind: str | None, clause: str | None, now: Figures
    ) -> list[TrendPoint]:
        """The nightly snapshots of the last TREND_DAYS days, and today's figures as they stand."""
        day = today()
        where: list[Any] = [
            ComplianceSnapshot.territory_id
            == any_(bindparam("places", territories, type_=ARRAY(PG_UUID(as_uuid=True)))),
            ComplianceSnapshot.day >= day - datetime.timedelta(days=TREND_DAYS),
            ComplianceSnapshot.day < day,
            ComplianceSnapshot.clause.in_([ALL_CLAUSES] if clause is None else [ALL_CLAUSES, clause]),
        ]
        if kind is not None:
            where.append(ComplianceSnapshot.kind == kind)
        rows = (
            await self.session.execute(
                select(
                    ComplianceSnapshot.day,
                    ComplianceSnapshot.clause,
                    func.sum(ComplianceSnapshot.organisations),
                    func.sum(ComplianceSnapshot.compliant),
                    func.sum(ComplianceSnapshot.findings),
                )
                .where(*where)
                .group_by(ComplianceSnapshot.day, ComplianceSnapshot.clause)
            )
        ).all()
        days: dict[datetime.date, _Sum] = defaultdict(_Sum)
        for d, c, organisations, compliant, findings in rows:
            days[d].add(c, int(organisations), int(compliant), int(findings), clause)
        points = [TrendPoint(d, *_figures_tuple(days[d].figures(clause))) for d in sorted(days)]
        return [*points, TrendPoint(day, now.organisations, now.compliant, now.findings)]

    async def standings(
        self,
        principal: Principal,
        territory_id: UUID | None,
        *,
        clause: str | None,
        kind: str | None,
        sort: StandingSort,
        paging: Paging,
    ) -> Page[OrganisationStanding]:
        """The active organisations under the territory, each with its findings, worst first."""
        reach, territory_id = await self.place(principal, territory_id)
        findings = (
            ComplianceCheckRun.findings
            if clause is None
            else func.coalesce(ComplianceCheckRun.by_clause[clause].astext.cast(Integer), 0)
        )
        below = bindparam("places", list(reach.tree.descendants(territory_id)), type_=ARRAY(PG_UUID(as_uuid=True)))
        where: list[Any] = [Organisation.territory_id == any_(below), Organisation.status == OrgStatus.ACTIVE]
        if kind is not None:
            where.append(Organisation.kind == kind)
        order = (
            (Organisation.name_ru, Organisation.id)
            if sort == StandingSort.NAME
            else (func.coalesce(findings, -1).desc(), Organisation.name_ru, Organisation.id)
        )
        query = (
            select(Organisation, ComplianceCheckRun.checked_on, findings, ComplianceCheckRun.by_clause)
            .outerjoin(
                ComplianceCheckRun,
                and_(ComplianceCheckRun.organisation_id == Organisation.id, ComplianceCheckRun.counted),
            )
            .where(*where)
            .order_by(*order)
        )
        rows, total = await paged(self.session, query, paging, rows=True)
        return Page.of(
            [
                OrganisationStanding(
                    o.id, o.name_kk, o.name_ru, o.name_en, o.kind, o.territory_id, checked_on, n or 0, dict(by or {})
                )
                for o, checked_on, n, by in rows
            ],
            total,
            paging,
        )


def _figures_tuple(f: Figures) -> tuple[int, int, int]:
    return f.organisations, f.compliant, f.findings
