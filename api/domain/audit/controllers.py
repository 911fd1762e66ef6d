"""HTTP for an organisation's audit log: its entries, newest first, and the walk of its hash chain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from api.access import IN_TRANSACTION, Scope, access
from api.domain.audit.services import AuditLogService
from api.domain.structure.controllers import BASE
from api.paging import Page, Paging, paging_by
from api.responses import response_of
from api.roles import Role

# Who reads an organisation's audit log.
AUDIT = (Role.ORGANISATION_ADMIN, Role.HEAD, Role.DEPUTY_HEAD)


class AuditEntryRead(msgspec.Struct):
    seq: int
    id: UUID
    actor_id: UUID | None  # the person; for a change made with an API token, the person who issued it
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: Any
    prev_hash: str
    hash: str
    token_id: UUID | None = None  # the API token the change was made with


class ChainRead(msgspec.Struct):
    ok: bool
    entries: int
    broken_seq: int | None
    reason: str | None


class AuditController(Controller):
    path = f"{BASE}/audit-log"
    tags = ["audit"]

    @get(
        "/",
        name="audit:list",
        operation_id="ListAuditEntries",
        opt=access(Scope.TENANT, AUDIT),
        dependencies={"paging": paging_by(50)},
    )
    async def list_entries(
        self,
        paging: NamedDependency[Paging],
        audit_log: NamedDependency[AuditLogService],
        entity: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        actor_id: FromQuery[UUID | None] = None,
    ) -> Page[AuditEntryRead]:
        """The organisation's audit log, newest first."""
        rows, total = await audit_log.entries(paging, entity=entity, entity_id=entity_id, actor_id=actor_id)
        return Page.of([response_of(AuditEntryRead, r) for r in rows], total, paging)

    # The walk streams the chain through a server-side cursor, which lives in a transaction.
    @get(
        "/verify",
        name="audit:verify",
        operation_id="VerifyAuditLog",
        opt={**access(Scope.TENANT, AUDIT), IN_TRANSACTION: True},
    )
    async def verify_chain(self, audit_log: NamedDependency[AuditLogService]) -> ChainRead:
        """Walks the hash chain: `ok` false names the first broken entry."""
        report = await audit_log.verify()
        return response_of(ChainRead, report)
