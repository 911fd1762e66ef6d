"""The audited life of a tenant's records: look up, create, change, archive.

Every entity kind inside an organisation's schema (units, subjects, staff, terms, bodies and
their members, meetings, plans...) is kept this one way: `Records(context, Model, "entity")`
finds rows (refusing a missing one with 404 and, where a live one is needed, an archived one
with 409, each naming the request's field), and each change is flushed and written to the
organisation's audit log with the state before and after, as the request's caller. Records are
archived, never deleted, so their history stays readable.

advanced-alchemy's repository was weighed for this and left: its `add` refreshes the row (a
second round trip per create), its `update` merges (a SELECT first), and neither writes the
audit entry, which needs the snapshot before the change anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar
from uuid import UUID

import msgspec

from api.audit import snapshot
from api.clock import utc_now
from api.context import TenantContext
from api.errors import Conflict, NotFound

M = TypeVar("M")


def changes(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a partial update sets (UNSET ones are left out)."""
    return {f: v for f in data.__struct_fields__ if (v := getattr(data, f)) is not msgspec.UNSET}


class Records(Generic[M]):
    """One entity kind's rows in the request's organisation. `entity` names it in the audit log
    (`unit` → `unit.create`); `what` in messages ("No unit with this id.")."""

    def __init__(self, context: TenantContext, model: type[M], entity: str, what: str | None = None) -> None:
        self.context = context
        self.session = context.session
        self.model = model
        self.entity = entity
        self.what = what or entity.replace("_", " ")

    async def get(self, id_: UUID | None, *, field: str = "id") -> M:
        """The row, archived or not; 404 naming `field` when there is none."""
        row = await self.session.get(self.model, id_) if id_ is not None else None
        if row is None:
            raise NotFound(f"No {self.what} with this id.", field=field)
        return row

    async def live(self, id_: UUID | None, *, field: str = "id") -> M:
        """The row, refused with `field` named when it is missing (404) or archived (409)."""
        row = await self.get(id_, field=field)
        if getattr(row, "archived_at", None) is not None:
            raise Conflict(f"The {self.what} is archived.", field=field)
        return row

    async def create(self, row: M) -> M:
        self.session.add(row)
        await self.session.flush()
        await self.context.audit.record(f"{self.entity}.create", self.entity, row.id, None, snapshot(row))  # type: ignore[attr-defined]
        return row

    async def change(self, row: M, values: Mapping[str, Any]) -> M:
        """Sets `values` on the row and records the change (nothing when nothing changed)."""
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await self.changed(row, before)

    async def changed(self, row: M, before: dict[str, Any], action: str = "update") -> M:
        """Records a change already made to the row since `before` (its snapshot)."""
        await self.session.flush()
        after = snapshot(row)
        if after != before:
            await self.context.audit.record(f"{self.entity}.{action}", self.entity, row.id, before, after)  # type: ignore[attr-defined]
        return row

    async def archive(self, row: M) -> M:
        """Archives the row once; archiving an archived row changes nothing."""
        if row.archived_at is not None:  # type: ignore[attr-defined]
            return row
        before = snapshot(row)
        row.archived_at = utc_now()  # type: ignore[attr-defined]
        return await self.changed(row, before, action="archive")
