"""Members named by their own rows (inter-school associations, unions): ending a membership,
listing and counting the members."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.clock import today
from api.domain.bodies.schemas import (
    MembershipEnd,
)
from api.errors import Conflict, DomainError
from api.paging import Paging, paged
from api.records import Records

# --- members named by their own rows (inter-school associations, unions) ------------------------


async def end_external_membership(members: Records[Any], row: Any, data: MembershipEnd) -> Any:
    """Ends a membership row that has `starts_on` and `left_on`; refused when it has ended."""
    if row.left_on is not None:
        raise Conflict("The membership has ended already.", field="member_id")
    left_on = data.left_on or today()
    if left_on < row.starts_on:
        raise DomainError("A membership cannot end before it starts.", field="left_on")
    before = snapshot(row)
    row.left_on = left_on
    return await members.changed(row, before, action="end")


async def external_members(
    session: AsyncSession, model: Any, body_column: Any, body_id: UUID, include_past: bool, paging: Paging
) -> tuple[list[Any], int]:
    query = select(model).where(body_column == body_id)
    if not include_past:
        query = query.where(model.left_on.is_(None))
    return await paged(session, query.order_by(model.full_name, model.id), paging)


async def live_member_counts(session: AsyncSession, model: Any, body_column: Any, ids: list[UUID]) -> dict[UUID, int]:
    """Current members per body, for list pages (one query for the page)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(body_column, func.count()).where(body_column.in_(ids), model.left_on.is_(None)).group_by(body_column)
    )
    counts = dict(rows.all())
    return {i: int(counts.get(i, 0)) for i in ids}
