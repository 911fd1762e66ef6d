"""Set-up through the services, as the API would do it."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from api.audit import AuditEntry
from api.context import Caller
from api.domain.structure.rules import Position
from api.domain.structure.schemas import StaffCreate, SubjectCreate
from api.domain.structure.services import SubjectService
from api.domain.structure.staff import StaffService
from tests.structure.conftest import Place, context_of


async def new_subject(db: Any, place: Place, caller: Caller, name: str = "Subject") -> UUID:
    code = f"s_{uuid.uuid4().hex[:10]}"
    async with db.tenant_context(place.schema) as session:
        subject = await SubjectService(context_of(place, session, caller)).create(
            SubjectCreate(code, f"{name} kk", f"{name} {code}", name)
        )
        return subject.id


async def new_staff(
    db: Any,
    place: Place,
    caller: Caller,
    *,
    name: str | None = None,
    subject_ids: list[UUID] | None = None,
    positions: list[Position] | None = None,
    user_id: UUID | None = None,
) -> UUID:
    async with db.tenant_context(place.schema) as session:
        person = await StaffService(context_of(place, session, caller)).create(
            StaffCreate(
                full_name=name or f"Teacher {uuid.uuid4().hex[:6]}",
                positions=positions or [Position.TEACHER],
                subject_ids=subject_ids or [],
                user_id=user_id,
            )
        )
        return person.id


async def audit_count(db: Any, place: Place) -> int:
    async with db.tenant_context(place.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def count(db: Any, place: Place, model: type) -> int:
    async with db.tenant_context(place.schema) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
