"""One way to address any body of the tenant: `(body_kind, body_id)`.

Meetings, plans and events point at a body with these two columns (no foreign key, since the
body may live in any of several tables) and read it through this module:

    info = await get_body(session, BodyKind.ASSOCIATION, association_id)
    info.name, info.staff_ids, info.chair_staff_id, info.secretary_staff_id
    info.quorum_rule.is_met(present=5, members=len(info.members))

- `get_body(session, kind, id, on=None) -> BodyInfo` raises `NotFound` (field `body_id`)
  for an unknown body; an archived one is returned with `archived=True`, so its history stays
  readable (callers refuse new meetings for it themselves).
- `members` are the members on `on` (default today): local staff for local bodies;
  `(organisation_id, staff_id)` pairs of district schools for an inter-school association;
  union members (`member_id`, possibly without an account) for a sector union.
- `chair` / `secretary`: a council's or commission's chair and secretary; an association's
  (or inter-school association's) chair is its leader in office (cl. 30, 31). `keepers` are
  the staff who keep the body's records (leader, chair, secretary).
- `bodies_of_staff(session, staff_id)` — the local bodies a person belongs to or keeps (for a
  teacher's own view and calendar).
- `list_bodies(session, kinds=None)` — every live body, without members (for pickers).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import today
from api.domain.bodies.models import (
    Association,
    BodyMembership,
    Commission,
    Council,
    InterSchoolAssociation,
    InterSchoolMember,
    LeaderTerm,
    SectorUnion,
    UnionMember,
)
from api.domain.bodies.rules import BodyKind, QuorumRule
from api.domain.structure.models import Staff
from api.errors import DomainError, NotFound

__all__ = [
    "BodyInfo",
    "BodyKind",
    "BodyMember",
    "QuorumRule",
    "bodies_of_staff",
    "get_body",
    "list_bodies",
    "resolve_model",
]


@dataclass(frozen=True)
class BodyMember:
    """A member of a body. Local bodies: `staff_id`. Inter-school: `organisation_id` +
    `staff_id` of the member's school. Unions: `member_id` (the union member row)."""

    full_name: str
    staff_id: UUID | None = None
    organisation_id: UUID | None = None
    member_id: UUID | None = None
    user_id: UUID | None = None
    term_ends_on: datetime.date | None = None


@dataclass(frozen=True)
class BodyInfo:
    kind: BodyKind
    id: UUID
    name: str
    members: tuple[BodyMember, ...]
    quorum_rule: QuorumRule
    chair: BodyMember | None = None
    secretary: BodyMember | None = None
    unit_id: UUID | None = None
    archived: bool = False
    subkind: str | None = None  # association kind, commission kind …
    leader_term_ends_on: datetime.date | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def staff_ids(self) -> tuple[UUID, ...]:
        """Members who are staff of this tenant (empty for inter-school associations and unions)."""
        if self.kind in (BodyKind.INTER_SCHOOL_ASSOCIATION, BodyKind.UNION):
            return ()
        return tuple(m.staff_id for m in self.members if m.staff_id is not None)

    @property
    def chair_staff_id(self) -> UUID | None:
        return self.chair.staff_id if self.chair and self.kind not in _REMOTE else None

    @property
    def secretary_staff_id(self) -> UUID | None:
        return self.secretary.staff_id if self.secretary and self.kind not in _REMOTE else None

    @property
    def keepers(self) -> tuple[UUID, ...]:
        """Local staff who keep the body's records: leader or chair, and secretary."""
        return tuple(s for s in (self.chair_staff_id, self.secretary_staff_id) if s is not None)

    def quorum_met(self, present: int) -> bool:
        return self.quorum_rule.is_met(present, len(self.members))


_REMOTE = (BodyKind.INTER_SCHOOL_ASSOCIATION, BodyKind.UNION)

_MODELS: dict[BodyKind, type] = {
    BodyKind.ASSOCIATION: Association,
    BodyKind.COUNCIL: Council,
    BodyKind.PEDAGOGICAL_COUNCIL: Council,
    BodyKind.COMMISSION: Commission,
    BodyKind.DEPARTMENT: Commission,
    BodyKind.INTER_SCHOOL_ASSOCIATION: InterSchoolAssociation,
    BodyKind.UNION: SectorUnion,
}


def resolve_model(kind: BodyKind) -> type:
    return _MODELS[kind]


def _matches(kind: BodyKind, row: object) -> bool:
    if kind is BodyKind.COUNCIL:
        return row.kind == "methodological"  # type: ignore[attr-defined]
    if kind is BodyKind.PEDAGOGICAL_COUNCIL:
        return row.kind == "pedagogical"  # type: ignore[attr-defined]
    if kind is BodyKind.DEPARTMENT:
        return row.kind == "department"  # type: ignore[attr-defined]
    if kind is BodyKind.COMMISSION:
        return row.kind in ("subject_commission", "cycle_commission")  # type: ignore[attr-defined]
    return True


def _live_on(on: datetime.date):  # type: ignore[no-untyped-def]
    return (
        (BodyMembership.starts_on <= on)
        & ((BodyMembership.left_on.is_(None)) | (BodyMembership.left_on > on))
        & ((BodyMembership.ends_on.is_(None)) | (BodyMembership.ends_on >= on))
    )


async def _staff_member(session: AsyncSession, staff_id: UUID | None) -> BodyMember | None:
    if staff_id is None:
        return None
    person = await session.get(Staff, staff_id)
    return BodyMember(
        full_name=person.full_name if person else "", staff_id=staff_id, user_id=person.user_id if person else None
    )


async def leader_in_office(
    session: AsyncSession, kind: BodyKind, body_id: UUID, on: datetime.date
) -> LeaderTerm | None:
    return await session.scalar(
        select(LeaderTerm)
        .where(
            LeaderTerm.body_kind == kind.value,
            LeaderTerm.body_id == body_id,
            LeaderTerm.starts_on <= on,
            LeaderTerm.ends_on >= on,
            or_(LeaderTerm.ended_on.is_(None), LeaderTerm.ended_on > on),
        )
        .order_by(LeaderTerm.starts_on.desc())
        .limit(1)
    )


async def get_body(
    session: AsyncSession, kind: BodyKind | str, body_id: UUID, *, on: datetime.date | None = None
) -> BodyInfo:
    try:
        kind = BodyKind(kind)
    except ValueError as exc:
        raise DomainError(f"Unknown body kind {kind!r}.", field="body_kind") from exc
    on = on or today()
    row = await session.get(_MODELS[kind], body_id)
    if row is None or not _matches(kind, row):
        raise NotFound(f"No {kind.value.replace('_', ' ')} with this id.", field="body_id")
    archived = row.archived_at is not None
    quorum = QuorumRule(row.quorum_rule)

    if kind is BodyKind.INTER_SCHOOL_ASSOCIATION:
        rows = await session.scalars(
            select(InterSchoolMember)
            .where(
                InterSchoolMember.association_id == body_id,
                InterSchoolMember.starts_on <= on,
                or_(InterSchoolMember.left_on.is_(None), InterSchoolMember.left_on > on),
            )
            .order_by(InterSchoolMember.full_name)
        )
        members = tuple(
            BodyMember(m.full_name, staff_id=m.staff_id, organisation_id=m.organisation_id, member_id=m.id)
            for m in rows
        )
        leader = await leader_in_office(session, kind, body_id, on)
        chair = (
            BodyMember(leader.full_name, staff_id=leader.member_staff_id, organisation_id=leader.member_organisation_id)
            if leader
            else None
        )
        return BodyInfo(
            kind,
            body_id,
            row.name,
            members,
            quorum,
            chair=chair,
            archived=archived,
            subkind=row.kind,
            leader_term_ends_on=leader.ends_on if leader else None,
        )

    if kind is BodyKind.UNION:
        rows = await session.scalars(
            select(UnionMember)
            .where(
                UnionMember.union_id == body_id,
                UnionMember.starts_on <= on,
                or_(UnionMember.left_on.is_(None), UnionMember.left_on > on),
            )
            .order_by(UnionMember.full_name)
        )
        members = tuple(
            BodyMember(m.full_name, organisation_id=m.organisation_id, member_id=m.id, user_id=m.user_id) for m in rows
        )
        by_id = {m.member_id: m for m in members}
        return BodyInfo(
            kind,
            body_id,
            row.name,
            members,
            quorum,
            chair=by_id.get(row.chair_member_id),
            secretary=by_id.get(row.secretary_member_id),
            archived=archived,
            subkind=row.sector,
        )

    result = await session.execute(
        select(BodyMembership, Staff)
        .join(Staff, Staff.id == BodyMembership.staff_id)
        .where(BodyMembership.body_kind == kind.value, BodyMembership.body_id == body_id, _live_on(on))
        .order_by(Staff.full_name)
    )
    members = tuple(
        BodyMember(person.full_name, staff_id=person.id, user_id=person.user_id, term_ends_on=membership.ends_on)
        for membership, person in result.all()
    )
    if kind is BodyKind.ASSOCIATION:
        leader = await leader_in_office(session, kind, body_id, on)
        chair = await _staff_member(session, leader.staff_id) if leader else None
        return BodyInfo(
            kind,
            body_id,
            row.name,
            members,
            quorum,
            chair=chair,
            unit_id=row.unit_id,
            archived=archived,
            subkind=row.kind,
            leader_term_ends_on=leader.ends_on if leader else None,
            extra={"subject_id": row.subject_id},
        )
    return BodyInfo(
        kind,
        body_id,
        row.name,
        members,
        quorum,
        chair=await _staff_member(session, row.chair_staff_id),
        secretary=await _staff_member(session, row.secretary_staff_id),
        unit_id=row.unit_id,
        archived=archived,
        subkind=row.kind,
    )


@dataclass(frozen=True)
class BodyRef:
    kind: BodyKind
    id: UUID
    name: str


async def list_bodies(session: AsyncSession, *, kinds: tuple[BodyKind, ...] | None = None) -> list[BodyRef]:
    """Every live body of the tenant, by kind then name."""
    out: list[BodyRef] = []
    for kind in kinds or tuple(BodyKind):
        model = _MODELS[kind]
        rows = await session.scalars(select(model).where(model.archived_at.is_(None)).order_by(model.name))
        out.extend(BodyRef(kind, r.id, r.name) for r in rows if _matches(kind, r))
    return out


def _kind_of(row: object) -> BodyKind:
    if isinstance(row, Council):
        return BodyKind.PEDAGOGICAL_COUNCIL if row.kind == "pedagogical" else BodyKind.COUNCIL
    if isinstance(row, Commission):
        return BodyKind.DEPARTMENT if row.kind == "department" else BodyKind.COMMISSION
    return BodyKind.ASSOCIATION


async def bodies_of_staff(
    session: AsyncSession, staff_id: UUID, *, on: datetime.date | None = None
) -> set[tuple[BodyKind, UUID]]:
    """The local bodies `staff_id` is a member of, leads, chairs or is secretary of, on `on`."""
    on = on or today()
    found: set[tuple[BodyKind, UUID]] = set()
    rows = await session.execute(
        select(BodyMembership.body_kind, BodyMembership.body_id).where(
            BodyMembership.staff_id == staff_id, _live_on(on)
        )
    )
    found.update((BodyKind(k), i) for k, i in rows.all())
    leads = await session.execute(
        select(LeaderTerm.body_kind, LeaderTerm.body_id).where(
            LeaderTerm.staff_id == staff_id,
            LeaderTerm.starts_on <= on,
            LeaderTerm.ends_on >= on,
            or_(LeaderTerm.ended_on.is_(None), LeaderTerm.ended_on > on),
        )
    )
    found.update((BodyKind(k), i) for k, i in leads.all())
    for model in (Council, Commission):
        kept = await session.scalars(
            select(model).where(or_(model.chair_staff_id == staff_id, model.secretary_staff_id == staff_id))
        )
        found.update((_kind_of(r), r.id) for r in kept)
    return found
