from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

import msgspec

from api.paging import Page


class Localised(msgspec.Struct):
    kk: str
    ru: str
    en: str


class FindingRead(msgspec.Struct):
    """One clause of the rule set in force not met, about one subject, with what to do."""

    id: UUID
    organisation_id: UUID
    rule_set: str
    clause: str
    check: str
    subject_kind: str  # organisation, association, inter_school_association, subject, document, unit
    subject_id: UUID | None
    subject_name: str
    since: datetime.date | None
    problem: Localised
    todo: Localised
    evidence: dict[str, Any]
    web_path: str | None  # the record in the web app
    api_path: str | None  # the record in the API


class CheckRunRead(msgspec.Struct):
    rule_set: str | None
    checked_on: datetime.date
    checked_at: datetime.datetime
    findings: int
    clauses_checked: list[str]
    note: str | None


class OrganisationFindings(Page[FindingRead]):
    """A page of the organisation's findings, and the check they come from."""

    items: list[FindingRead]  # again: the OpenAPI document does not resolve a subclass's type parameter
    organisation_id: UUID
    checked: CheckRunRead | None  # None until the first check has run


class FindingListItem(msgspec.Struct):
    finding: FindingRead
    organisation_name_kk: str
    organisation_name_ru: str
    organisation_name_en: str | None
    organisation_kind: str
    territory_id: UUID


# --- dashboards ---------------------------------------------------------------------------------


class Figures(msgspec.Struct):
    """Organisations checked, the compliant among them, and findings. Under a clause filter:
    compliant means without findings under that clause, and findings are that clause's."""

    organisations: int
    compliant: int
    findings: int


class TerritoryRef(msgspec.Struct):
    id: UUID
    kind: str
    level: str | None  # republic, region, district
    name_kk: str
    name_ru: str
    name_en: str
    code: str | None  # KATO


class TerritoryFigures(msgspec.Struct):
    territory: TerritoryRef
    figures: Figures


class ClauseFigures(msgspec.Struct):
    clause: str
    statement: Localised | None  # in the rule set in force; None for a clause it no longer has
    organisations: int  # with findings under the clause
    findings: int


class KindFigures(msgspec.Struct):
    kind: str
    figures: Figures


class TrendPoint(msgspec.Struct):
    day: datetime.date
    organisations: int
    compliant: int
    findings: int


class Dashboard(msgspec.Struct):
    """One territory's compliance, from the rollups: totals, its territories one level down (each
    a drill-down), the organisations placed at it directly, by clause, by kind, and the trend."""

    territory: TerritoryRef
    path: list[TerritoryRef]  # from the republic down to this territory
    rule_set: str | None  # in force today: its code
    rule_set_title: Localised | None  # and its title
    clause: str | None  # the filters applied
    kind: str | None
    totals: Figures
    placed_here: Figures  # organisations placed at this territory itself, not below it
    children: list[TerritoryFigures]
    by_clause: list[ClauseFigures]
    by_kind: list[KindFigures]
    trend: list[TrendPoint]  # one point a day: the nightly snapshots, then today's figures


class OrganisationStanding(msgspec.Struct):
    organisation_id: UUID
    name_kk: str
    name_ru: str
    name_en: str | None
    kind: str
    territory_id: UUID
    checked_on: datetime.date | None  # None: not checked yet
    findings: int  # under the clause filter, that clause's
    by_clause: dict[str, int]
