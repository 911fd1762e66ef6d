"""Reading an organisation's audit log: its entries, filtered and paged, and the walk of its chain.
Entries are written by `api.context.AuditRecorder`, never here."""

from __future__ import annotations

from uuid import UUID

from api import audit
from api.audit import AuditEntry, ChainReport
from api.context import TenantContext
from api.paging import Paging


class AuditLogService:
    def __init__(self, context: TenantContext) -> None:
        self.session = context.session

    async def entries(
        self, paging: Paging, *, entity: str | None = None, entity_id: str | None = None, actor_id: UUID | None = None
    ) -> tuple[list[AuditEntry], int]:
        """Newest first."""
        return await audit.entries(self.session, paging, entity=entity, entity_id=entity_id, actor_id=actor_id)

    async def verify(self) -> ChainReport:
        """Walks the hash chain (through a server-side cursor: the route declares a transaction)."""
        return await audit.verify(self.session)
