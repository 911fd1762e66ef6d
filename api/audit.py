"""The tenant's audit log: every change written once, chained by hashes, checked by `verify`.

Domain services call `record(...)` in the same transaction as the change they describe, with the
actor passed in explicitly (controllers take it from `api.access.principal(request).user_id`).
A change made with an API token has no user of its own: the request's tenant session carries the
token (`RequestActor` in `session.info`, put there by `api.tenancy`), and the entry names the token
(`token_id`) and the person who issued it (`actor_id`).

Each entry stores `prev_hash` (the previous entry's hash, `GENESIS` for the first) and
`hash = sha256(prev_hash + canonical JSON of the entry)`. Appends are serialised per schema
with a transaction-level advisory lock, and `prev_hash` is unique, so the chain cannot fork.
The database refuses UPDATE, DELETE and TRUNCATE (the triggers below); an edit made by
someone who switched the trigger off, or a deleted row, breaks the chain at that entry, which
`verify` (and `metodist audit verify`) reports. Each entry is also anchored outside the schema,
signed with a key the database never holds (`api.audit_anchor`), so rewriting the whole chain
from an edited entry on, or deleting its last entries, is reported too.

Why here, beside `api.audit_anchor`, and not in `tenants/`: the log is what domain services write
and what the identity log (`api.identity.audit`) chains the same way; `tenants/` creates, migrates
and archives schemas and knows no domain. The log's table and the code that writes and checks it
live together, as the anchor's do.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import uuid_utils
from sqlalchemy import DDL, BigInteger, Identity, String, event, func, inspect, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from uuid_utils.compat import uuid7

from api import audit_anchor
from api.clock import utc_now
from api.db import advisory_key
from api.paging import Paging, paged
from api.planes import TenantBase
from tenants.naming import validate_schema_name


class AuditEntry(TenantBase):
    """Who did what, when, with the state before and after. Append-only and hash-chained.

    Rows are written only by `record` below; a trigger refuses UPDATE, DELETE and
    TRUNCATE. `prev_hash` is the previous entry's `hash` (64 zeros for the first), and it is
    unique, so two appends can never fork the chain.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    actor_id: Mapped[UUID | None] = mapped_column()  # a shared user, by id only
    # The API token the change was made with, by id only; `actor_id` is then the person who issued
    # it, so every entry names a person, or a token and the person answerable for it.
    token_id: Mapped[UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# The same statements are in the tenant migration that added them (audit log append-only);
# `%(schema)s` renders as the tenant's schema in provisioning DDL and as the search path's
# schema in create_all, so the function always lands next to its table.
AUDIT_APPEND_ONLY_DDL = (
    "CREATE FUNCTION %(schema)s.audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON %(fullname)s "
    "FOR EACH ROW EXECUTE FUNCTION %(schema)s.audit_log_refuse_change()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %(fullname)s "
    "FOR EACH STATEMENT EXECUTE FUNCTION %(schema)s.audit_log_refuse_change()",
    # Owners and superusers bypass privileges, so the trigger is the guard; this closes the door
    # for any other role that is ever granted access to the schema.
    "REVOKE UPDATE, DELETE, TRUNCATE ON %(fullname)s FROM PUBLIC",
)
for _statement in AUDIT_APPEND_ONLY_DDL:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement))


GENESIS = "0" * 64

# Columns that say nothing about the change itself.
_SKIPPED = frozenset({"sa_orm_sentinel", "_sentinel", "created_at", "updated_at"})


def _default(value: Any) -> Any:
    if isinstance(value, (UUID, uuid_utils.UUID)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"not JSON serialisable in the audit log: {type(value).__name__}")


def to_json(value: Any) -> Any:
    """The value as JSONB will give it back, so a hash computed now matches one computed later."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def snapshot(model: Any) -> dict[str, Any]:
    """A model instance's column values, ready for `before` / `after`."""
    mapper = inspect(model).mapper
    return to_json({c.key: getattr(model, c.key) for c in mapper.column_attrs if c.key not in _SKIPPED})


def canonical(entry: Mapping[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


def _hashed_fields(row: AuditEntry) -> dict[str, Any]:
    fields = {
        "id": str(row.id),
        "actor_id": str(row.actor_id) if row.actor_id else None,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "created_at": row.created_at.astimezone(datetime.UTC).isoformat(),
    }
    # Hashed only when present, so entries written before the column existed verify unchanged.
    if row.token_id is not None:
        fields["token_id"] = str(row.token_id)
    return fields


ACTOR_KEY = "metodist.audit_actor"
# Set on a session that appended an entry: after it commits, the organisation's compliance
# findings are recomputed (api.tenancy enqueues the coalesced job).
CHANGED_KEY = "metodist.audited"


@dataclass(frozen=True)
class RequestActor:
    """Who a request acts as, beyond the user id the services pass: the API token, if any, and
    the person who issued it."""

    token_id: UUID | None = None
    issued_by: UUID | None = None


def bind_actor(session: AsyncSession, actor: RequestActor) -> None:
    session.info[ACTOR_KEY] = actor


def session_schema(session: AsyncSession) -> str:
    """The tenant schema a tenant session is routed to (its bind's schema_translate_map)."""
    # The sync side: an engine or, for a request's session, its connection (api.db.RequestConnection).
    bind = session.sync_session.bind
    options = bind.get_execution_options() if bind is not None else {}
    schema = (options.get("schema_translate_map") or {}).get(None)
    if not schema:
        raise RuntimeError("the audit log is written through a tenant session only")
    return validate_schema_name(schema)


def _lock_key(schema: str) -> int:
    return advisory_key(f"audit_log:{schema}")


async def record(
    session: AsyncSession,
    *,
    actor_id: UUID | None,
    action: str,
    entity: str,
    entity_id: Any,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AuditEntry:
    """Append one entry to the tenant's audit log, in the caller's transaction.

    `action` is a dotted verb (`association.create`), `entity` the kind of thing changed,
    `before` / `after` its state (use `snapshot(model)`); None where it did not exist.
    """
    [row] = await record_many(session, actor_id=actor_id, entries=[(action, entity, entity_id, before, after)])
    return row


async def append(session: AsyncSession, model: Any, lock_key: int, chain: str, rows: list[Any], hashed: Any) -> None:
    """Chains `rows` (entries of `model`'s log, in order) onto the log's last entry and anchors each
    one (api.audit_anchor), in the caller's transaction. Appends to one log are serialised by the
    transaction-level advisory lock `lock_key`, so the chain cannot fork. The tenants' logs and the
    control plane's identity log (api.identity.audit) are both written this one way."""
    await session.execute(select(func.pg_advisory_xact_lock(lock_key)))
    prev_hash = await session.scalar(select(model.hash).order_by(model.seq.desc()).limit(1)) or GENESIS
    for row in rows:
        row.prev_hash = prev_hash
        row.hash = prev_hash = entry_hash(prev_hash, hashed(row))
        session.add(row)
    await session.flush()
    for row in rows:
        await audit_anchor.anchor(session, chain, row.seq, row.hash)
    await session.flush()


async def record_many(
    session: AsyncSession,
    *,
    actor_id: UUID | None,
    entries: list[tuple[str, str, Any, Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> list[AuditEntry]:
    """Appends several entries — (action, entity, entity_id, before, after) each — in order, under
    one lock and one flush: the chain is the same as one `record` per entry (a bulk import writes
    thousands)."""
    if not entries:
        return []
    bound: RequestActor | None = session.info.get(ACTOR_KEY)
    token_id = bound.token_id if bound is not None else None
    if token_id is not None and actor_id is None:
        actor_id = bound.issued_by  # type: ignore[union-attr]
    rows = [
        AuditEntry(
            id=uuid7(),
            actor_id=actor_id,
            token_id=token_id,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=to_json(before),
            after=to_json(after),
            created_at=utc_now(),
        )
        for action, entity, entity_id, before, after in entries
    ]
    schema = session_schema(session)
    await append(session, AuditEntry, _lock_key(schema), schema, rows, _hashed_fields)
    session.info[CHANGED_KEY] = True  # the facts of compliance may have changed (api.tenancy enqueues a recompute)
    return rows


async def entries(
    session: AsyncSession,
    paging: Paging,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_id: UUID | None = None,
) -> tuple[list[AuditEntry], int]:
    """A page of the tenant's log, newest first, and how many entries match."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    return await paged(session, query, paging)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    broken_seq: int | None = None
    reason: str | None = None
    # The newest anchored seq (api.audit_anchor); None when the chain has no anchor yet.
    anchored_seq: int | None = None

    def describe(self) -> str:
        if self.ok:
            anchored = (
                f"anchored up to seq {self.anchored_seq}"
                if self.anchored_seq is not None
                else "no anchor (written before anchoring began)"
                if self.entries
                else "empty"
            )
            return f"OK: {self.entries} entries, chain intact, {anchored}"
        return f"BROKEN at seq {self.broken_seq}: {self.reason}"


async def verify_chain(session: AsyncSession, chain: str, rows: Any, hashed: Any) -> ChainReport:
    """Walk a chain in `seq` order against its anchors; report the first thing that does not hold.

    `rows`: the entries streamed in seq order; `hashed`: an entry's hashed fields."""
    anchors = await audit_anchor.load(session, chain, audit_anchor.session_keys(session))
    if anchors.unknown_key is not None:
        return ChainReport(
            False,
            0,
            None,
            f"an anchor is signed with key {anchors.unknown_key}, which is not configured (METODIST_SECRET_KEYS)",
        )
    if anchors.forged_seq is not None:
        return ChainReport(
            False, 0, anchors.forged_seq, "the anchor's signature does not hold (the anchor was forged or altered)"
        )
    head = anchors.head
    # Entries before the first anchor were written before anchoring began; after it, each has one.
    first_anchored = min(anchors.by_seq) if anchors.by_seq else None
    expected_prev = GENESIS
    count = 0
    last_seq: int | None = None
    async for row in rows:
        count += 1
        if row.prev_hash != expected_prev:
            return ChainReport(
                False,
                count,
                row.seq,
                "prev_hash does not match the previous entry (an entry is missing or was changed)",
            )
        if entry_hash(row.prev_hash, hashed(row)) != row.hash:
            return ChainReport(False, count, row.seq, "hash does not match the entry's content (the entry was edited)")
        anchored = anchors.by_seq.get(row.seq)
        if anchored is not None and anchored != row.hash:
            return ChainReport(
                False,
                count,
                row.seq,
                "the entry differs from its anchor (the chain was rewritten from here or earlier)",
            )
        if head is not None and row.seq > head:
            return ChainReport(
                False, count, row.seq, "the entry is past the anchored head (written around the application)"
            )
        if first_anchored is not None and anchored is None and row.seq > first_anchored:
            return ChainReport(False, count, row.seq, "the entry has no anchor (written around the application)")
        expected_prev = row.hash
        last_seq = row.seq
    if head is not None and (last_seq is None or last_seq < head):
        return ChainReport(
            False,
            count,
            head,
            f"the anchored head is seq {head} but the chain ends at {last_seq or 0} (entries were deleted)",
        )
    return ChainReport(True, count, anchored_seq=head)


async def verify(session: AsyncSession) -> ChainReport:
    """Walk the tenant's chain in `seq` order against its anchors (api.audit_anchor)."""
    rows = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=500))
    return await verify_chain(session, session_schema(session), rows, _hashed_fields)
