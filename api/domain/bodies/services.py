"""The bodies of methodological work as one organisation keeps them: who sees and keeps a body, its
members, its leaders (cl. 30). The kinds have services of their own beside it: associations
(api.domain.bodies.associations), councils, commissions and departments (councils), inter-school
associations (inter_school) and sector unions (unions). No HTTP here; every change goes to the
tenant's audit log."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, or_, select

from api.audit import snapshot
from api.clock import today
from api.context import TenantContext
from api.domain.bodies.models import (
    Association,
    BodyMembership,
    LeaderTerm,
)
from api.domain.bodies.registry import BodyInfo, BodyRef, bodies_of_staff, get_body, leader_in_office, list_bodies
from api.domain.bodies.rules import (
    BodyKind,
    last_day_of_one_year_term,
)
from api.domain.bodies.schemas import (
    LeaderCreate,
    LeaderEnd,
    LeaderRead,
    MemberInput,
    MembershipEnd,
    MembershipRead,
)
from api.domain.structure.models import Staff
from api.errors import Conflict, DomainError, Forbidden, NotFound
from api.i18n import N_
from api.paging import Paging, paged
from api.records import Records
from api.responses import response_of

LOCAL_KINDS = frozenset(
    {BodyKind.ASSOCIATION, BodyKind.COUNCIL, BodyKind.PEDAGOGICAL_COUNCIL, BodyKind.COMMISSION, BodyKind.DEPARTMENT}
)

# One rule for local and inter-school leaders: the term starts on or after the day the leader's
# membership does (cl. 30 elects or appoints the leader from the association's teachers).
LEADER_BEFORE_MEMBERSHIP = N_(
    "A leader's term cannot start before their membership of the association: the leader is elected "
    "(appointed) from its teachers (cl. 30)."
)


def leader_read(term: LeaderTerm, on: datetime.date | None = None) -> LeaderRead:
    on = on or today()
    in_office = term.starts_on <= on <= term.ends_on and (term.ended_on is None or term.ended_on > on)
    days_left = (term.ends_on - on).days if in_office else None
    return response_of(LeaderRead, term, in_office=in_office, days_left=days_left)


def check_leader_term(starts_on: datetime.date, ends_on: datetime.date) -> None:
    """Cl. 30: a leader is elected (appointed) for one year."""
    if ends_on < starts_on:
        raise DomainError("The term ends before it starts.", field="ends_on")
    last = last_day_of_one_year_term(starts_on)
    if ends_on > last:
        raise DomainError(
            f"An association leader is elected (appointed) for at most one year (cl. 30): "
            f"a term starting {starts_on.isoformat()} ends on {last.isoformat()} at the latest.",
            field="ends_on",
            clause="30",
        )


@dataclass(frozen=True)
class BodyFilter:
    q: str | None = None
    include_archived: bool = False
    kind: str | None = None
    unit_id: UUID | None = None
    subject_id: UUID | None = None


class BodiesService:
    """Local bodies of one organisation, their members and leaders."""

    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session = context.session
        self.tenant = context.tenant
        self.caller = context.caller
        self.staff = Records(context, Staff, "staff", "staff member")
        self.memberships = Records(context, BodyMembership, "body_membership", "membership")
        self.associations = Records(context, Association, "association")
        self.leader_terms = Records(context, LeaderTerm, "leader_term", "leader's term")

    # --- who may see and keep what ---------------------------------------------------------------

    async def visible(self, kind: BodyKind) -> set[UUID] | None:
        """None: every body of the kind; else the ids of the bodies the actor belongs to or keeps."""
        if self.caller.reads_everything:
            return None
        if self.caller.staff_id is None:
            return set()
        return {i for k, i in await bodies_of_staff(self.session, self.caller.staff_id) if k == kind}

    async def require_visible(self, kind: BodyKind, body_id: UUID) -> None:
        ids = await self.visible(kind)
        if ids is not None and body_id not in ids:
            raise NotFound(f"No {kind.value.replace('_', ' ')} with this id.", field="body_id")

    async def require_keeper(self, info: BodyInfo) -> None:
        if self.caller.shapes_structure:
            return
        if self.caller.staff_id is not None and self.caller.staff_id in info.keepers:
            return
        raise Forbidden(
            "Only the organisation admin, the deputy head for academic work, or the body's leader, chair or "
            "secretary keep its membership."
        )

    # --- the generic view ------------------------------------------------------------------------

    async def body(self, kind: BodyKind, body_id: UUID) -> BodyInfo:
        if kind not in LOCAL_KINDS:
            raise DomainError(f"A {kind.value.replace('_', ' ')} is read at its own address.", field="body_kind")
        await self.require_visible(kind, body_id)
        return await get_body(self.session, kind, body_id)

    async def list_visible(self, kind: BodyKind | None = None) -> list[BodyRef]:
        """Every live body of the organisation (of `kind`); a teacher's, the ones they belong to or keep."""
        refs = await list_bodies(self.session, kinds=(kind,) if kind else None)
        if not self.caller.reads_everything:
            mine = set(await self.my_bodies())
            refs = [r for r in refs if (r.kind, r.id) in mine]
        return refs

    async def my_bodies(self) -> list[tuple[BodyKind, UUID]]:
        if self.caller.staff_id is None:
            return []
        return sorted(await bodies_of_staff(self.session, self.caller.staff_id), key=lambda b: (b[0].value, str(b[1])))

    # --- membership ------------------------------------------------------------------------------

    async def _local_body(self, kind: BodyKind, body_id: UUID) -> BodyInfo:
        if kind not in LOCAL_KINDS:
            raise DomainError(
                f"Members of a {kind.value.replace('_', ' ')} are kept at its own address.", field="body_kind"
            )
        return await get_body(self.session, kind, body_id)

    async def add_member_row(self, info: BodyInfo, data: MemberInput, field: str = "staff_id") -> BodyMembership:
        person = await self.staff.live(data.staff_id, field=field)
        starts_on = data.starts_on or today()
        if info.kind is BodyKind.COUNCIL and data.ends_on is None:
            raise DomainError(
                "Members of a methodological council are elected for a term (cl. 14): give ends_on.",
                field="ends_on",
                clause="14",
            )
        if data.ends_on is not None and data.ends_on < starts_on:
            raise DomainError("The term ends before it starts.", field="ends_on")
        taken = await self.session.scalar(
            select(BodyMembership.id).where(
                BodyMembership.body_kind == info.kind.value,
                BodyMembership.body_id == info.id,
                BodyMembership.staff_id == person.id,
                BodyMembership.left_on.is_(None),
            )
        )
        if taken is not None:
            raise Conflict(f"{person.full_name} is a member already.", field=field)
        row = BodyMembership(
            body_kind=info.kind.value, body_id=info.id, staff_id=person.id, starts_on=starts_on, ends_on=data.ends_on
        )
        return await self.memberships.create(row)

    async def add_member(self, kind: BodyKind, body_id: UUID, data: MemberInput) -> MembershipRead:
        info = await self._local_body(kind, body_id)
        if info.archived:
            raise Conflict("The body is archived.", field="body_id")
        await self.require_keeper(info)
        row = await self.add_member_row(info, data)
        return await self._membership_read(row)

    async def end_member(
        self, kind: BodyKind, body_id: UUID, membership_id: UUID, data: MembershipEnd
    ) -> MembershipRead:
        info = await self._local_body(kind, body_id)
        await self.require_keeper(info)
        row = await self.session.get(BodyMembership, membership_id)
        if row is None or row.body_kind != kind.value or row.body_id != body_id:
            raise NotFound("No such membership of this body.", field="membership_id")
        if row.left_on is not None:
            raise Conflict("The membership has ended already.", field="membership_id")
        left_on = data.left_on or today()
        if left_on < row.starts_on:
            raise DomainError("A membership cannot end before it starts.", field="left_on")
        if row.staff_id in (info.chair_staff_id, info.secretary_staff_id) and kind is not BodyKind.ASSOCIATION:
            raise Conflict("This member is the chair or the secretary: name another one first.", field="membership_id")
        before = snapshot(row)
        row.left_on = left_on
        await self.memberships.changed(row, before, action="end")
        return await self._membership_read(row)

    async def members(
        self, kind: BodyKind, body_id: UUID, *, include_past: bool, paging: Paging
    ) -> tuple[list[MembershipRead], int]:
        await self._local_body(kind, body_id)
        await self.require_visible(kind, body_id)
        query = (
            select(BodyMembership)
            .join(Staff, Staff.id == BodyMembership.staff_id)
            .where(BodyMembership.body_kind == kind.value, BodyMembership.body_id == body_id)
            .order_by(Staff.full_name, BodyMembership.starts_on)
        )
        if not include_past:
            query = query.where(BodyMembership.left_on.is_(None))
        rows, total = await paged(self.session, query, paging)
        return [await self._membership_read(r) for r in rows], total

    async def _membership_read(self, row: BodyMembership) -> MembershipRead:
        person = await self.session.get(Staff, row.staff_id)
        on = today()
        current = (
            row.starts_on <= on
            and (row.left_on is None or row.left_on > on)
            and (row.ends_on is None or row.ends_on >= on)
        )
        return response_of(MembershipRead, row, full_name=person.full_name if person else "", current=current)

    async def member_counts(self, kind: BodyKind, ids: list[UUID]) -> dict[UUID, int]:
        if not ids:
            return {}
        on = today()
        rows = await self.session.execute(
            select(BodyMembership.body_id, func.count())
            .where(
                BodyMembership.body_kind == kind.value,
                BodyMembership.body_id.in_(ids),
                BodyMembership.starts_on <= on,
                or_(BodyMembership.left_on.is_(None), BodyMembership.left_on > on),
                or_(BodyMembership.ends_on.is_(None), BodyMembership.ends_on >= on),
            )
            .group_by(BodyMembership.body_id)
        )
        counts = dict(rows.all())
        return {i: int(counts.get(i, 0)) for i in ids}

    async def _is_current_member(self, kind: BodyKind, body_id: UUID, staff_id: UUID) -> bool:
        info = await get_body(self.session, kind, body_id)
        return staff_id in info.staff_ids

    # --- leaders (cl. 30) ------------------------------------------------------------------------

    async def _overlapping_leader(
        self, kind: BodyKind, body_id: UUID, starts_on: datetime.date, ends_on: datetime.date
    ) -> LeaderTerm | None:
        terms = await self.session.scalars(
            select(LeaderTerm).where(LeaderTerm.body_kind == kind.value, LeaderTerm.body_id == body_id)
        )
        for term in terms:
            last = (
                term.ends_on if term.ended_on is None else min(term.ends_on, term.ended_on - datetime.timedelta(days=1))
            )
            if term.starts_on <= ends_on and starts_on <= last and last >= term.starts_on:
                return term
        return None

    async def add_leader(self, association_id: UUID, data: LeaderCreate) -> LeaderTerm:
        self.caller.require_shaper("record association leaders")
        association = await self.associations.live(association_id)
        check_leader_term(data.starts_on, data.ends_on)
        person = await self.staff.live(data.staff_id, field="staff_id")
        if not await self._is_current_member(BodyKind.ASSOCIATION, association.id, person.id):
            raise DomainError(
                "The leader is elected (appointed) from the association's teachers (cl. 30): add them as a member "
                "first.",
                field="staff_id",
                clause="30",
            )
        # Cl. 30: elected from the association's teachers, so a member on the day the term starts.
        on_start = await get_body(self.session, BodyKind.ASSOCIATION, association.id, on=data.starts_on)
        if person.id not in on_start.staff_ids:
            raise DomainError(LEADER_BEFORE_MEMBERSHIP, field="starts_on", clause="30")
        clash = await self._overlapping_leader(BodyKind.ASSOCIATION, association.id, data.starts_on, data.ends_on)
        if clash is not None:
            raise Conflict(
                f"{clash.full_name} leads the association until {clash.ends_on.isoformat()}: end that term first.",
                field="starts_on",
            )
        row = LeaderTerm(
            body_kind=BodyKind.ASSOCIATION,
            body_id=association.id,
            staff_id=person.id,
            full_name=person.full_name,
            method=data.method,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            appointed_by=self.caller.user_id,
        )
        return await self.leader_terms.create(row)

    async def leaders(self, kind: BodyKind, body_id: UUID) -> list[LeaderTerm]:
        rows = await self.session.scalars(
            select(LeaderTerm)
            .where(LeaderTerm.body_kind == kind.value, LeaderTerm.body_id == body_id)
            .order_by(LeaderTerm.starts_on.desc())
        )
        return list(rows.all())

    async def end_association_leader(self, association_id: UUID, term_id: UUID, data: LeaderEnd) -> LeaderTerm:
        self.caller.require_shaper("end a leader's term")
        return await self.end_leader(BodyKind.ASSOCIATION, association_id, term_id, data)

    async def end_leader(self, kind: BodyKind, body_id: UUID, term_id: UUID, data: LeaderEnd) -> LeaderTerm:
        row = await self.session.get(LeaderTerm, term_id)
        if row is None or row.body_kind != kind.value or row.body_id != body_id:
            raise NotFound("No such leader term of this association.", field="term_id")
        if row.ended_on is not None:
            raise Conflict("The term has ended already.", field="term_id")
        ended_on = data.ended_on or today()
        if not row.starts_on <= ended_on <= row.ends_on:
            raise DomainError(
                f"A term is ended between its start ({row.starts_on.isoformat()}) and its end "
                f"({row.ends_on.isoformat()}).",
                field="ended_on",
            )
        before = snapshot(row)
        row.ended_on = ended_on
        return await self.leader_terms.changed(row, before, action="end")

    async def leader_now(self, kind: BodyKind, body_id: UUID) -> LeaderTerm | None:
        return await leader_in_office(self.session, kind, body_id, today())
