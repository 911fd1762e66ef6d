"""What the work domains (meetings, plans, events) need from the rest of the tenant.

Bodies come from the body registry, staff and the academic calendar from the structure domain,
the audit log from `tenants.audit`, and the caller as the structure domain's `Actor`. Meetings, plans
and events go through this one object, so each of those look-ups is written once.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.clock import school_year_of
from api.domain.bodies import registry
from api.domain.bodies.registry import BodyInfo, BodyKind, BodyMember, BodyRef, QuorumRule
from api.domain.structure.actors import Actor
from api.domain.structure.models import AcademicTerm, Staff
from api.domain.structure.rules import default_terms, term_kind_for
from api.errors import DomainError, Forbidden, NotFound
from api.identity.reach import IMPLIED_ROLES
from api.roles import Role

# Roles that keep every body's meetings and plans in the organisation.
ORGANISATION_KEEPERS = frozenset({Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD})
# Roles that keep the meetings and plans of the body they are granted at (or lead, per registry).
BODY_KEEPERS = frozenset(
    {Role.ASSOCIATION_LEADER, Role.COUNCIL_SECRETARY, Role.COUNCIL_CHAIR, Role.UNIT_HEAD, Role.DEPUTY_HEAD}
)
# Roles that read everything of the organisation's work.
ORGANISATION_READERS = ORGANISATION_KEEPERS | {Role.HEAD}


# Messages with values; the same templates are in api.i18n.MESSAGE_TEMPLATES, so they are translated.
UNKNOWN_BODY_KIND = "Unknown body kind; one of: {kinds}."
NOT_STAFF = "Not a member of staff of this organisation: {ids}."


@dataclass(frozen=True)
class Quarter:
    """A term of the academic calendar: a quarter in schools, a semester elsewhere."""

    school_year: int
    kind: str
    number: int
    starts_on: datetime.date
    ends_on: datetime.date
    calendar: str = "organisation"  # or "default": the school year is not in the organisation's calendar


class WorkContext:
    def __init__(self, session: AsyncSession, actor: Actor, org_kind: str | None = None) -> None:
        self.session = session
        self.actor = actor
        self.org_kind = org_kind  # picks the default calendar (quarters or semesters) when none is entered

    # --- the caller ---------------------------------------------------------------------------

    @property
    def actor_id(self) -> UUID | None:
        return self.actor.user_id

    def has_org_role(self, roles: Iterable[str]) -> bool:
        """A role held for the whole organisation (at it, or implied from a territory above it)."""
        wanted = set(roles)
        for grant in self.actor.grants:
            if grant.unit_id is not None:
                continue
            held = {str(grant.role), *(str(r) for r in IMPLIED_ROLES.get(str(grant.role), ()))}
            if held & wanted:
                return True
        return False

    def granted_units(self) -> set[UUID]:
        """Units (bodies) the caller holds a keeping role at."""
        return {g.unit_id for g in self.actor.grants if g.unit_id is not None and str(g.role) in BODY_KEEPERS}

    def _keeps_any_body(self) -> bool:
        return any(str(g.role) in BODY_KEEPERS for g in self.actor.grants)

    async def my_staff_id(self) -> UUID | None:
        return self.actor.staff_id

    async def can_keep(self, body: BodyInfo | None) -> bool:
        if self.has_org_role(ORGANISATION_KEEPERS):
            return True
        if body is None:
            return False
        if self.granted_units() & body_units(body):
            return True
        # A leader, chair or secretary on record keeps the body's records, given a keeping role.
        return self.actor.staff_id in body_keeper_staff(body) and self._keeps_any_body()

    async def can_read(self, body: BodyInfo | None) -> bool:
        if self.reads_everything() or await self.can_keep(body):
            return True
        return body is not None and self.actor.staff_id is not None and self.actor.staff_id in body_member_staff(body)

    async def require_keeper(self, body: BodyInfo | None) -> None:
        if not await self.can_keep(body):
            raise Forbidden(
                "Only the body's leader or secretary, the deputy head or the administrator keep its records."
            )

    async def require_reader(self, body: BodyInfo | None) -> None:
        if not await self.can_read(body):
            raise Forbidden("You are not a member of this body.")

    def reads_everything(self) -> bool:
        return self.actor.reads_everything or self.has_org_role(ORGANISATION_READERS)

    # --- bodies, staff, calendar ----------------------------------------------------------------

    async def body(
        self, kind: str, body_id: UUID, *, field: str = "body_id", kind_field: str = "body_kind"
    ) -> BodyInfo:
        """A body named in a request: unknown or archived ones are refused (422)."""
        try:
            body_kind = BodyKind(kind)
        except ValueError:
            known = ", ".join(k.value for k in BodyKind)
            raise DomainError(UNKNOWN_BODY_KIND.format(kinds=known), field=kind_field) from None
        try:
            found = await registry.get_body(self.session, body_kind, body_id)
        except NotFound:
            raise DomainError("No body of this kind with this id in the organisation.", field=field) from None
        if found.archived:
            raise DomainError("The body is archived.", field=field)
        return found

    async def find_body(self, kind: str, body_id: UUID, *, on: datetime.date | None = None) -> BodyInfo | None:
        """The body a stored row points at, archived or not; None if it is gone."""
        try:
            return await registry.get_body(self.session, kind, body_id, on=on)
        except (NotFound, DomainError):
            return None

    async def check_staff(self, ids: Iterable[UUID], *, field: str) -> None:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        known = await existing_staff(self.session, wanted)
        missing = [str(i) for i in wanted if i not in known]
        if missing:
            raise DomainError(NOT_STAFF.format(ids=", ".join(missing)), field=field)

    async def quarter(self, on: datetime.date) -> Quarter:
        return await quarter_of(self.session, on, self.org_kind)

    async def bodies_of_staff(self, staff_id: UUID) -> list[tuple[str, UUID]]:
        return [(kind.value, body_id) for kind, body_id in await registry.bodies_of_staff(self.session, staff_id)]

    # --- audit ----------------------------------------------------------------------------------

    async def audit(
        self,
        action: str,
        entity: str,
        entity_id: Any,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        await audit.record(
            self.session,
            actor_id=self.actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )


snapshot = audit.snapshot


# --- adapters onto the structure and bodies domains ------------------------------------------------


def body_units(body: BodyInfo) -> set[UUID]:
    """The nodes a unit-level grant may name for this body: the body itself or its unit."""
    return {u for u in (body.id, body.unit_id) if u is not None}


def body_member_staff(body: BodyInfo) -> set[UUID]:
    return set(body.staff_ids)


# What identifies a member of a body across its membership rows: a local body's members are staff
# of this organisation; an inter-school association's, teachers of the district's schools (one
# may leave and join again under a new member row, still the same teacher of the same school); a
# sector union's, its member rows (a member may have no staff record anywhere).
MemberKey = tuple[UUID | None, ...]


def is_remote(kind: BodyKind | str) -> bool:
    return BodyKind(kind) in (BodyKind.INTER_SCHOOL_ASSOCIATION, BodyKind.UNION)


def member_key(
    kind: BodyKind | str, *, staff_id: UUID | None, organisation_id: UUID | None, member_id: UUID | None
) -> MemberKey:
    kind = BodyKind(kind)
    if kind is BodyKind.INTER_SCHOOL_ASSOCIATION:
        return (organisation_id, staff_id)
    if kind is BodyKind.UNION:
        return (member_id,)
    return (staff_id,)


def body_member_keys(body: BodyInfo) -> dict[MemberKey, BodyMember]:
    return {
        member_key(body.kind, staff_id=m.staff_id, organisation_id=m.organisation_id, member_id=m.member_id): m
        for m in body.members
    }


def body_keeper_staff(body: BodyInfo) -> set[UUID]:
    return set(body.keepers)


def required_present(rule: QuorumRule, members: int) -> int:
    """How many members must be present for `rule` to hold with `members` members."""
    if members <= 0:
        return 1
    if rule is QuorumRule.MORE_THAN_HALF:
        return members // 2 + 1
    return math.ceil(rule.share * members)


async def list_bodies(session: AsyncSession, kind: BodyKind) -> list[BodyRef]:
    return await registry.list_bodies(session, kinds=(kind,))


async def staff_id_of_user(session: AsyncSession, user_id: UUID) -> UUID | None:
    return await session.scalar(select(Staff.id).where(Staff.user_id == user_id, Staff.archived_at.is_(None)))


async def existing_staff(session: AsyncSession, ids: list[UUID]) -> set[UUID]:
    rows = await session.scalars(select(Staff.id).where(Staff.id.in_(ids), Staff.archived_at.is_(None)))
    return set(rows)


async def quarter_of(session: AsyncSession, on: datetime.date, org_kind: str | None = None) -> Quarter:
    """The term of the academic calendar that `on` falls in.

    Holidays between terms belong to the term they follow, so a meeting held in the autumn
    holidays counts for the first quarter: the window of a term runs to the day before the next
    term starts. A school year the organisation has not entered is taken from the default
    calendar of Kazakhstan's school year (`api.domain.structure.rules.default_terms`), quarters or
    semesters by the kind of organisation; the term says which calendar it came from.
    """
    return _term_at(await calendar_terms(session, on, org_kind), on)


async def calendar_terms(session: AsyncSession, on: datetime.date, org_kind: str | None) -> list[Quarter]:
    """The terms of the school years around `on`: the organisation's own, else the default ones."""
    year = school_year_of(on)
    years = (year - 1, year, year + 1)
    own = (
        await session.scalars(
            select(AcademicTerm)
            .where(AcademicTerm.archived_at.is_(None), AcademicTerm.school_year.in_(years))
            .order_by(AcademicTerm.starts_on)
        )
    ).all()
    entered = {t.school_year for t in own}
    terms = [Quarter(t.school_year, t.kind, t.number, t.starts_on, t.ends_on) for t in own]
    kind = term_kind_for(org_kind)
    for y in years:
        if y not in entered:
            terms += [
                Quarter(y, kind, n, starts, ends, calendar="default") for n, starts, ends in default_terms(kind, y)
            ]
    return sorted(terms, key=lambda t: t.starts_on)


def _term_at(terms: list[Quarter], on: datetime.date) -> Quarter:
    current = None
    for index, term in enumerate(terms):
        if term.starts_on <= on:
            current = index
    if current is None:
        raise DomainError(
            "The academic calendar has no term for this date: add the school year's quarters first.", field="on"
        )
    term = terms[current]
    following = terms[current + 1] if current + 1 < len(terms) else None
    window_end = following.starts_on - datetime.timedelta(days=1) if following is not None else term.ends_on
    if on > window_end:
        raise DomainError(
            "The academic calendar has no term for this date: add the school year's quarters first.", field="on"
        )
    return Quarter(term.school_year, term.kind, term.number, term.starts_on, window_end, term.calendar)


def closed_terms(terms: list[Quarter], on: datetime.date) -> list[Quarter]:
    """The terms of the school year of `on` whose window (holidays included) ended before `on`."""
    current = _term_at(terms, on)
    out = []
    for index, term in enumerate(terms):
        if term.school_year != current.school_year:
            continue
        following = terms[index + 1] if index + 1 < len(terms) else None
        window_end = following.starts_on - datetime.timedelta(days=1) if following is not None else term.ends_on
        if window_end < on:
            out.append(Quarter(term.school_year, term.kind, term.number, term.starts_on, window_end, term.calendar))
    return out


def school_year_span(school_year: int) -> tuple[datetime.date, datetime.date]:
    """The school year as the academic calendar bounds it: 1 August to 31 July of the next year."""
    return datetime.date(school_year, 8, 1), datetime.date(school_year + 1, 7, 31)
