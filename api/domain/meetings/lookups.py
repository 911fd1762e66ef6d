"""The bodies and staff a meeting, plan or event names, looked up in the organisation's session.

Bodies come from the body registry, staff from the structure domain; each look-up is written once
here for meetings, plans and events.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.bodies import registry
from api.domain.bodies.registry import BodyInfo, BodyKind
from api.domain.structure.models import Staff
from api.errors import DomainError, NotFound

# Messages with values; the same templates are in api.i18n.MESSAGE_TEMPLATES, so they are translated.
UNKNOWN_BODY_KIND = "Unknown body kind; one of: {kinds}."
NOT_STAFF = "Not a member of staff of this organisation: {ids}."


async def named_body(
    session: AsyncSession, kind: str, body_id: UUID, *, field: str = "body_id", kind_field: str = "body_kind"
) -> BodyInfo:
    """A body named in a request: unknown or archived ones are refused (422)."""
    try:
        body_kind = BodyKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in BodyKind)
        raise DomainError(UNKNOWN_BODY_KIND.format(kinds=known), field=kind_field) from None
    try:
        found = await registry.get_body(session, body_kind, body_id)
    except NotFound:
        raise DomainError("No body of this kind with this id in the organisation.", field=field) from None
    if found.archived:
        raise DomainError("The body is archived.", field=field)
    return found


async def find_body(
    session: AsyncSession, kind: str, body_id: UUID, *, on: datetime.date | None = None
) -> BodyInfo | None:
    """The body a stored row points at, archived or not; None if it is gone."""
    try:
        return await registry.get_body(session, kind, body_id, on=on)
    except (NotFound, DomainError):
        return None


async def bodies_of_staff(session: AsyncSession, staff_id: UUID) -> list[tuple[str, UUID]]:
    return [(kind.value, body_id) for kind, body_id in await registry.bodies_of_staff(session, staff_id)]


async def check_staff(session: AsyncSession, ids: Iterable[UUID], *, field: str) -> None:
    """Refuses ids that are not live staff of the organisation."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return
    known = set(await session.scalars(select(Staff.id).where(Staff.id.in_(wanted), Staff.archived_at.is_(None))))
    missing = [str(i) for i in wanted if i not in known]
    if missing:
        raise DomainError(NOT_STAFF.format(ids=", ".join(missing)), field=field)
