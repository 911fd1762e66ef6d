from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

import msgspec


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


class OrganisationFindings(msgspec.Struct):
    organisation_id: UUID
    checked: CheckRunRead | None  # None until the first check has run
    items: list[FindingRead]
    total: int
    page: int
    page_size: int


class FindingListItem(msgspec.Struct):
    finding: FindingRead
    organisation_name_kk: str
    organisation_name_ru: str
    organisation_name_en: str | None
    organisation_kind: str
    territory_id: UUID


class FindingPage(msgspec.Struct):
    items: list[FindingListItem]
    total: int
    page: int
    page_size: int
