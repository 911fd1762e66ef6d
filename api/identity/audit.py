"""The control plane's one audit log of access: role grants and revocations (by an admin, an
accepted invitation, sign-in joining, the command line's first administrator, an answered access
request), access requests, invitations, API tokens issued and revoked. Grants may sit at a
territory that has no tenant schema, so these acts are recorded here, not in an organisation's
own log: one place answers "who gave this person this role, and when", whatever the node.

Each entry names the person who acted, or for an API token the token and the person who issued
it, as the tenants' log does; the command line is `actor_kind="command"`.

Entries are chained and anchored by the same code as a tenant's log (`api.audit.append`: each
stores the previous entry's hash and its own over a canonical JSON form; appends are serialised by
an advisory lock)
and the database refuses UPDATE, DELETE and TRUNCATE (`api.identity.models`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from api import audit_anchor
from api.access import Principal
from api.audit import ChainReport, append, snapshot, to_json, verify_chain
from api.clock import utc_now
from api.db import advisory_key
from api.identity.models import IdentityAuditEntry

# "sign_in": a role an organisation's sign-in set-up gave a person on their first sign-in.
# "mailbox": a domain proved by the link mailed to its administrative mailbox (api.identity.domains).
ActorKind = Literal["person", "token", "command", "sign_in", "mailbox"]
_LOCK_KEY = advisory_key("identity_audit_log")


def actor_of(principal: Principal) -> tuple[UUID | None, ActorKind, UUID | None]:
    """Who acts: (the person, the kind, the token): a token acts for the person who issued it."""
    if principal.via == "token":
        return principal.issued_by, "token", principal.credential_id
    return principal.user_id, "person", None


def _hashed_fields(row: IdentityAuditEntry) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "actor_id": str(row.actor_id) if row.actor_id else None,
        "actor_kind": row.actor_kind,
        "token_id": str(row.token_id) if row.token_id else None,
        "subject_user_id": str(row.subject_user_id) if row.subject_user_id else None,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "created_at": row.created_at.astimezone(datetime.UTC).isoformat(),
    }


async def record(
    session: AsyncSession,
    principal: Principal | None,
    *,
    action: str,
    entity: str,
    entity_id: Any,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    subject_user_id: UUID | None = None,
    actor_id: UUID | None = None,
    actor_kind: ActorKind = "person",
) -> IdentityAuditEntry:
    """Appends one entry in the caller's transaction (`action` a dotted verb: `role.grant`). The
    actor is the principal's; without one, `actor_id`/`actor_kind` say who (the person who
    invited, for an accepted invitation; the command line)."""
    token_id = None
    if principal is not None:
        actor_id, actor_kind, token_id = actor_of(principal)
    row = IdentityAuditEntry(
        id=uuid7(),
        actor_id=actor_id,
        actor_kind=actor_kind,
        token_id=token_id,
        subject_user_id=subject_user_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=to_json(before),
        after=to_json(after),
        created_at=utc_now(),
    )
    await append(session, IdentityAuditEntry, _LOCK_KEY, audit_anchor.IDENTITY_CHAIN, [row], _hashed_fields)
    return row


async def verify(session: AsyncSession) -> ChainReport:
    """Walks the chain in `seq` order against its anchors (api.audit_anchor); reports the first
    entry whose links, hash or anchor do not hold, and deleted last entries."""
    rows = await session.stream_scalars(select(IdentityAuditEntry).order_by(IdentityAuditEntry.seq))
    return await verify_chain(session, audit_anchor.IDENTITY_CHAIN, rows, _hashed_fields)


__all__ = ["actor_of", "record", "snapshot", "verify"]
