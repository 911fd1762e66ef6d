from __future__ import annotations

import datetime
from typing import Literal
from uuid import UUID

import msgspec


class ImportRead(msgspec.Struct):
    """An import and its progress, counted from its rows: `done + failed` of `valid` is the bar."""

    id: UUID
    kind: Literal["organisations", "staff"]
    status: Literal["checked", "queued", "running", "done", "failed"]
    organisation_id: UUID | None
    filename: str
    total: int
    valid: int
    invalid: int
    pending: int
    registered: int
    done: int
    failed: int
    created: int
    updated: int
    unchanged: int
    invited: int
    percent: int
    notes: list[str]
    error: str | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class IssueRead(msgspec.Struct):
    column: str | None
    level: Literal["error", "warning"]
    message: str


class ImportRowRead(msgspec.Struct):
    line: int
    key: str | None
    name: str | None
    state: Literal["invalid", "pending", "registered", "done", "failed"]
    # Before the run: what the row will do (`create`, `update`, `unchanged`); after: what it did.
    plan: str | None
    outcome: str | None
    organisation_id: UUID | None
    invited: bool
    issues: list[IssueRead]
    message: str | None
