"""What a review route needs from the organisation's structure: the authors' units, the bodies
above them, and who keeps each body's records. Read through the structure and bodies domains."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.bodies import registry
from api.domain.bodies.models import Association, Commission, Council
from api.domain.bodies.rules import BodyKind
from api.domain.documents.models import Document
from api.domain.organisations.rules import OrgKind
from api.domain.reviews.aggregate import Member
from api.domain.reviews.rules import Selector, StageKind, StageTemplate
from api.domain.structure.models import Staff, Unit
from api.domain.structure.rules import UnitKind
from api.errors import DomainError, NotFound
from api.i18n import N_
from api.roles import Role

UNIT = "unit"  # a member that is a unit decided by its head (the educational-methodological office)
_UNIT_COUNCIL_KINDS = frozenset({UnitKind.INSTITUTE, UnitKind.FACULTY, UnitKind.DIVISION})

# A stage's label is stored in English as the words below (a body's own name after a colon); they are
# marked for the catalogues so that pages show them in the reader's language (web/reviews/pages.py).
APPROVER_LABELS = {
    Role.HEAD.value: N_("the head of the organisation"),
    Role.DEPUTY_HEAD.value: N_("the deputy head for academic work"),
}
UNIT_COUNCIL_LABELS = {
    UnitKind.INSTITUTE: N_("Council of the institute"),
    UnitKind.FACULTY: N_("Council of the faculty"),
    UnitKind.DIVISION: N_("Council of the division"),
}
BODY_LABELS = {
    BodyKind.ASSOCIATION: N_("Methodological association"),
    BodyKind.COUNCIL: N_("Methodological council"),
    BodyKind.PEDAGOGICAL_COUNCIL: N_("Pedagogical council"),
    BodyKind.COMMISSION: N_("Commission"),
    BodyKind.DEPARTMENT: N_("Department"),
    BodyKind.INTER_SCHOOL_ASSOCIATION: N_("Inter-school association"),
    BodyKind.UNION: N_("Sector methodological union"),
}


@dataclass(frozen=True)
class PlannedStage:
    kind: StageKind
    selector: Selector
    clause: str
    label: str
    members: tuple[Member, ...]
    approver_roles: tuple[str, ...]
    due_days: int


async def unit_chain(session: AsyncSession, document: Document) -> list[Unit]:
    """The authors' unit and every unit above it, nearest first."""
    start = document.unit_id
    if start is None and document.association_id is not None:
        start = await session.scalar(select(Association.unit_id).where(Association.id == document.association_id))
    if start is None and document.author_staff_ids:
        start = await session.scalar(
            select(Staff.unit_id).where(Staff.id == document.author_staff_ids[0], Staff.unit_id.is_not(None))
        )
    chain: list[Unit] = []
    seen: set[UUID] = set()
    current = start
    while current is not None and current not in seen:
        seen.add(current)
        unit = await session.get(Unit, current)
        if unit is None:
            break
        if unit.archived_at is None:
            chain.append(unit)
        current = unit.parent_id
    return chain


def _nearest(rows: list, chain: list[Unit]) -> list:  # type: ignore[type-arg]
    order = {u.id: i for i, u in enumerate(chain)}
    return sorted((r for r in rows if r.unit_id in order), key=lambda r: order[r.unit_id])


async def _commissions(session: AsyncSession, chain: list[Unit], kinds: tuple[str, ...]) -> list[Commission]:
    if not chain:
        return []
    rows = (
        await session.scalars(
            select(Commission).where(
                Commission.unit_id.in_([u.id for u in chain]),
                Commission.kind.in_(kinds),
                Commission.archived_at.is_(None),
            )
        )
    ).all()
    return _nearest(list(rows), chain)


async def _unit_councils(session: AsyncSession, chain: list[Unit]) -> list[Council]:
    if not chain:
        return []
    rows = (
        await session.scalars(
            select(Council).where(
                Council.unit_id.in_([u.id for u in chain]),
                Council.kind == "methodological",
                Council.archived_at.is_(None),
            )
        )
    ).all()
    return _nearest(list(rows), chain)


async def _organisation_council(session: AsyncSession) -> Council | None:
    return await session.scalar(
        select(Council).where(
            Council.unit_id.is_(None), Council.kind == "methodological", Council.archived_at.is_(None)
        )
    )


def _member(kind: BodyKind | str, row: object, *, collegial: bool = True) -> Member:
    return Member(str(kind), row.id, row.name, collegial=collegial)  # type: ignore[attr-defined]


async def resolve(
    session: AsyncSession, template: StageTemplate, document: Document, chain: list[Unit], org_kind: OrgKind
) -> list[PlannedStage]:
    """The stages one template becomes in this organisation: none when it lacks the body."""
    s = template.selector
    units = {u.id: u for u in chain}

    def review(member: Member, what: str) -> PlannedStage:
        return PlannedStage(
            StageKind.REVIEW, s, template.clause, f"{what}: {member.name}", (member,), (), template.due_days
        )

    if s is Selector.APPROVAL:
        roles = tuple(template.approver_roles)
        label = "Approval by " + " or ".join(APPROVER_LABELS.get(r, r) for r in roles)
        return [PlannedStage(StageKind.APPROVAL, s, template.clause, label, (), roles, template.due_days)]
    if s is Selector.COMMISSION:
        found = await _commissions(session, chain, ("subject_commission", "cycle_commission"))
        if found:
            return [review(_member(BodyKind.COMMISSION, found[0]), N_("Commission"))]
        if org_kind is OrgKind.SCHOOL:
            # Schools discuss their teachers' documents in the subject association (cl. 25).
            association = None
            if chain:
                association = await session.scalar(
                    select(Association)
                    .where(Association.unit_id.in_(list(units)), Association.archived_at.is_(None))
                    .order_by(Association.name)
                    .limit(1)
                )
            if association is None and document.subject_id is not None:
                association = await session.scalar(
                    select(Association)
                    .where(Association.subject_id == document.subject_id, Association.archived_at.is_(None))
                    .order_by(Association.name)
                    .limit(1)
                )
            if association is not None:
                return [review(_member(BodyKind.ASSOCIATION, association), N_("Methodological association"))]
        return []
    if s is Selector.DEPARTMENT:
        found = await _commissions(session, chain, ("department",))
        return [review(_member(BodyKind.DEPARTMENT, found[0]), N_("Department"))] if found else []
    if s is Selector.UNIT_COUNCILS:
        councils = [c for c in await _unit_councils(session, chain) if units[c.unit_id].kind in _UNIT_COUNCIL_KINDS]
        return [
            review(_member(BodyKind.COUNCIL, c), UNIT_COUNCIL_LABELS[UnitKind(units[c.unit_id].kind)]) for c in councils
        ]
    if s is Selector.UNIT_COUNCIL:
        councils = await _unit_councils(session, chain)
        return [review(_member(BodyKind.COUNCIL, councils[0]), N_("Council of the unit"))] if councils else []
    if s is Selector.ORGANISATION_COUNCIL:
        council = await _organisation_council(session)
        return (
            [review(_member(BodyKind.COUNCIL, council), N_("Methodological council of the organisation"))]
            if council
            else []
        )
    if s is Selector.UM_OFFICE:
        office = await session.scalar(
            select(Unit)
            .where(Unit.kind == UnitKind.UM_OFFICE.value, Unit.archived_at.is_(None))
            .order_by(Unit.name)
            .limit(1)
        )
        return (
            [review(Member(UNIT, office.id, office.name, collegial=False), N_("Educational-methodological office"))]
            if office
            else []
        )
    if s is Selector.ALL_COUNCILS:
        councils: list[Council] = []
        organisation_council = await _organisation_council(session)
        if organisation_council is not None:
            councils.append(organisation_council)
        councils.extend(await _unit_councils(session, chain))
        members = tuple(_member(BodyKind.COUNCIL, c) for c in councils)
        # Kept even when empty: the round refuses to start without a council (cl. 19).
        return [
            PlannedStage(
                StageKind.ALL_COUNCILS,
                s,
                template.clause,
                N_("All relevant methodological councils (each must give a positive conclusion)"),
                members,
                (),
                template.due_days,
            )
        ]
    if s is Selector.ASSOCIATION:
        if document.association_id is None:
            return []
        association = await session.get(Association, document.association_id)
        if association is None or association.archived_at is not None:
            return []
        return [review(_member(BodyKind.ASSOCIATION, association), N_("Methodological association"))]
    if s is Selector.BODY:
        assert template.body_kind is not None and template.body_id is not None
        try:
            body = await registry.get_body(session, template.body_kind, template.body_id)
        except (NotFound, DomainError):
            return []
        if body.archived:
            return []
        return [review(Member(body.kind.value, body.id, body.name), BODY_LABELS[body.kind])]
    raise AssertionError(s)


# What a stage is, named for the author and the approver when the organisation lacks its body.
MISSING_LABELS = {
    Selector.COMMISSION: N_("Subject or cycle commission (in a school: the methodological association) of the authors"),
    Selector.DEPARTMENT: N_("Department of the authors"),
    Selector.UNIT_COUNCILS: N_("Councils of the institute, faculty or division above the authors"),
    Selector.UNIT_COUNCIL: N_("Methodological council of the authors' unit"),
    Selector.UM_OFFICE: N_("Educational-methodological office"),
    Selector.ORGANISATION_COUNCIL: N_("Methodological council of the organisation"),
    Selector.ASSOCIATION: N_("The methodological association whose plan it is"),
    Selector.BODY: N_("A body named in the organisation's route"),
}


def missing_label(template: StageTemplate) -> str:
    return MISSING_LABELS[template.selector]


async def keepers_of(session: AsyncSession, member: Member) -> frozenset[UUID]:
    """The staff who record this body's conclusions today: chair and secretary (an association's
    leader in office), or an office's head."""
    if member.body_kind == UNIT:
        rows = await session.scalars(
            select(Staff.id).where(Staff.heads_unit_id == member.body_id, Staff.archived_at.is_(None))
        )
        return frozenset(rows)
    try:
        body = await registry.get_body(session, member.body_kind, member.body_id)
    except (NotFound, DomainError):
        return frozenset()
    return frozenset(body.keepers)


async def check_named_body(session: AsyncSession, body_kind: str, body_id: UUID, field: str) -> None:
    try:
        body = await registry.get_body(session, body_kind, body_id)
    except (NotFound, DomainError):
        raise DomainError("No body of this kind with this id in the organisation.", field=field) from None
    if body.archived:
        raise DomainError("The body is archived.", field=field)
