"""The control plane's audit log: acts on who may do what — role grants and revocations.

Role assignments live in the control plane (`public.role_assignment`), and a grant may sit at a
territory that has no tenant schema at all (a district methodist, a regional admin), so these acts
are recorded here, in `public.control_audit_log`, not in an organisation's own log: one place that
answers "who gave this person this role, and when", whatever the node. Each entry names the person
who acted, or the API token and the person who issued it (`token_id`, `actor_id`), like the
tenants' log. The table is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (created by
the control migration that adds it, and below for metadata-created schemas).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import DDL, String, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.access import Principal
from api.planes import ControlBase
from tenants.audit import snapshot, to_json


class ControlAuditEntry(ControlBase):
    __tablename__ = "control_audit_log"

    actor_id: Mapped[UUID | None] = mapped_column(index=True)  # a user, by id: the log outlives accounts
    token_id: Mapped[UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    # Whom the act concerns (the user granted or revoked a role), so a person's history is one query.
    subject_user_id: Mapped[UUID | None] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    recorded_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))


# The same statements are in the control migration that adds the table.
CONTROL_AUDIT_APPEND_ONLY_DDL = (
    "CREATE FUNCTION public.control_audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = 'control_audit_log is append-only: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER control_audit_log_append_only BEFORE UPDATE OR DELETE ON public.control_audit_log "
    "FOR EACH ROW EXECUTE FUNCTION public.control_audit_log_refuse_change()",
    "CREATE TRIGGER control_audit_log_no_truncate BEFORE TRUNCATE ON public.control_audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION public.control_audit_log_refuse_change()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON public.control_audit_log FROM PUBLIC",
)
for _statement in CONTROL_AUDIT_APPEND_ONLY_DDL:
    event.listen(ControlAuditEntry.__table__, "after_create", DDL(_statement))


async def record(
    session: AsyncSession,
    principal: Principal | None,
    *,
    action: str,
    entity: str,
    entity_id: Any,
    subject_user_id: UUID | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor_id: UUID | None = None,
) -> ControlAuditEntry:
    """Appends one entry in the caller's transaction. The actor is the principal's person, or for
    an API token the token and its issuer; `actor_id` names the person where no principal acts
    (an invitation accepted: the one who invited)."""
    token_id = None
    if principal is not None:
        if principal.via == "token":
            token_id, actor_id = principal.credential_id, principal.issued_by
        elif principal.user_id is not None:
            actor_id = principal.user_id
    row = ControlAuditEntry(
        actor_id=actor_id, token_id=token_id, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id), subject_user_id=subject_user_id,
        before=to_json(before), after=to_json(after), recorded_at=datetime.datetime.now(datetime.UTC),
    )
    session.add(row)
    await session.flush()
    return row


__all__ = ["ControlAuditEntry", "record", "snapshot"]
