"""Reading an organisation's audit log: its entries, filtered and paged, and the walk of its chain.
Entries are written by `api.context.AuditRecorder`, never here."""

from __future__ import annotations

from uuid import UUID

from api.context import TenantContext
from api.paging import Paging, paged
from tenants.audit import ChainReport, verify
from tenants.models import AuditEntry


class AuditLogService:
    def __init__(self, context: TenantContext) -> None:
        self.session = context.session

    async def entries(
        self, paging: Paging, *, entity: str | None = None, entity_id: str | None = None, actor_id: UUID | None = None
    ) -> tuple[list[AuditEntry], int]:
        """Newest first."""
        query = AuditEntry.__table__.select().order_by(AuditEntry.seq.desc())
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if entity_id:
            query = query.where(AuditEntry.entity_id == entity_id)
        if actor_id:
            query = query.where(AuditEntry.actor_id == actor_id)
        return await paged(self.session, query, paging, rows=True)

    async def verify(self) -> ChainReport:
        """Walks the hash chain (through a server-side cursor: the route declares a transaction)."""
        return await verify(self.session)
