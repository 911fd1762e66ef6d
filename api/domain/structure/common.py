"""Small pieces every structure and bodies service uses: partial updates, archiving, lookups."""

from __future__ import annotations

import datetime
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import record, snapshot
from api.errors import Conflict, NotFound

M = TypeVar("M")


def changes(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a partial update sets (UNSET ones are left out)."""
    return {f: v for f in data.__struct_fields__ if (v := getattr(data, f)) is not msgspec.UNSET}


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def get_live(session: AsyncSession, model: type[M], id_: UUID | None, *, field: str, what: str) -> M:
    """The row, refused with the field named when it is missing or archived."""
    row = await session.get(model, id_) if id_ is not None else None
    if row is None:
        raise NotFound(f"No {what} with this id.", field=field)
    if getattr(row, "archived_at", None) is not None:
        raise Conflict(f"The {what} is archived.", field=field)
    return row


async def get_any(session: AsyncSession, model: type[M], id_: UUID, *, what: str, field: str = "id") -> M:
    row = await session.get(model, id_)
    if row is None:
        raise NotFound(f"No {what} with this id.", field=field)
    return row


async def created(session: AsyncSession, actor_id: UUID | None, entity: str, row: Any) -> Any:
    session.add(row)
    await session.flush()
    await record(
        session,
        actor_id=actor_id,
        action=f"{entity}.create",
        entity=entity,
        entity_id=row.id,
        before=None,
        after=snapshot(row),
    )
    return row


async def updated(
    session: AsyncSession, actor_id: UUID | None, entity: str, row: Any, before: dict[str, Any], action: str = "update"
) -> Any:
    await session.flush()
    after = snapshot(row)
    if after != before:
        await record(
            session,
            actor_id=actor_id,
            action=f"{entity}.{action}",
            entity=entity,
            entity_id=row.id,
            before=before,
            after=after,
        )
    return row


async def archived(session: AsyncSession, actor_id: UUID | None, entity: str, row: Any) -> Any:
    if row.archived_at is not None:
        return row
    before = snapshot(row)
    row.archived_at = now()
    return await updated(session, actor_id, entity, row, before, action="archive")
