"""The rules of the bodies of methodological work: associations (cl. 25, 26), their leaders
(cl. 30), councils (cl. 14, 32), commissions and departments, inter-school associations (cl. 25,
30) and sector unions (cl. 24). No HTTP here; every change goes to the tenant's audit log."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import snapshot
from api.clock import today
from api.db import escape_like
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
from api.domain.bodies.registry import BodyInfo, bodies_of_staff, get_body, leader_in_office
from api.domain.bodies.rules import (
    MIN_SUBJECT_TEACHERS,
    AssociationKind,
    BodyKind,
    CommissionKind,
    LeaderMethod,
    UnionMemberKind,
    last_day_of_one_year_term,
)
from api.domain.bodies.schemas import (
    AssociationCreate,
    AssociationUpdate,
    CommissionCreate,
    CommissionUpdate,
    CouncilCreate,
    CouncilUpdate,
    DistrictRead,
    DistrictSchoolRead,
    DistrictSubjectRead,
    DistrictTeacherRead,
    InterSchoolCreate,
    InterSchoolLeaderCreate,
    InterSchoolMemberCreate,
    InterSchoolUpdate,
    LeaderCreate,
    LeaderEnd,
    LeaderRead,
    MemberInput,
    MembershipEnd,
    MembershipRead,
    PedagogicalCouncilCreate,
    PedagogicalCouncilUpdate,
    UnionCreate,
    UnionMemberCreate,
    UnionUpdate,
)
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind, OrgStatus
from api.domain.structure.actors import Actor
from api.domain.structure.common import archived, changes, created, get_any, get_live, updated
from api.domain.structure.models import Staff, StaffSubject, Subject, Unit
from api.domain.structure.rules import UnitKind
from api.errors import Conflict, DomainError, Forbidden, NotFound
from api.i18n import N_
from api.paging import Paging, paged
from api.roles import Role
from api.tenancy import Tenant
from tenants.naming import validate_schema_name

# A district or a city has tens of schools; a page of them is enough to choose from.
MAX_DISTRICT_SCHOOLS = 200
LOCAL_KINDS = frozenset(
    {BodyKind.ASSOCIATION, BodyKind.COUNCIL, BodyKind.PEDAGOGICAL_COUNCIL, BodyKind.COMMISSION, BodyKind.DEPARTMENT}
)
ASSOCIATION_ORGS = frozenset({OrgKind.SCHOOL, OrgKind.COLLEGE})
# Cl. 25 names the associations of schools. A college forms associations of teachers of one
# subject and of its group curators (class teachers); grades 1-4, pre-school and boarding-school
# educators are a school's. Universities work in departments and councils: no associations.
ASSOCIATION_KINDS_BY_ORG: dict[OrgKind, tuple[AssociationKind, ...]] = {
    OrgKind.SCHOOL: tuple(AssociationKind),
    OrgKind.COLLEGE: (AssociationKind.SUBJECT, AssociationKind.CLASS_TEACHERS),
}
SCHOOL_KIND_AT_COLLEGE = N_(
    "A college forms associations of teachers of one subject and of group curators; associations of "
    "teachers of grades 1-4 and of pre-school and boarding-school educators are formed in schools (cl. 25)."
)


# Cl. 26: the refusal of a subject association in a school with too few teachers of the subject,
# pointing to the district's inter-school association (api.i18n.MESSAGE_TEMPLATES holds both).
TOO_FEW_FOR_SUBJECT_NEAR = (
    "An association is formed in a school that has at least {minimum} teachers of one subject (cl. 26); "
    "teachers of {subject} in this school: {count}. They can join the inter-school association of {cabinet} "
    "(organisation {organisation_id}) instead."
)
TOO_FEW_FOR_SUBJECT = (
    "An association is formed in a school that has at least {minimum} teachers of one subject (cl. 26); "
    "teachers of {subject} in this school: {count}. They can join an inter-school association of the district "
    "(city) methodological cabinet instead."
)


def association_kinds(org_kind: OrgKind) -> tuple[AssociationKind, ...]:
    """The kinds of association an organisation of this kind forms (none outside schools and colleges)."""
    return ASSOCIATION_KINDS_BY_ORG.get(org_kind, ())


INTER_SCHOOL_ORGS = frozenset({OrgKind.CABINET_DISTRICT, OrgKind.CABINET_CITY})
_COMMISSION_UNIT = {
    CommissionKind.SUBJECT_COMMISSION: UnitKind.SUBJECT_COMMISSION,
    CommissionKind.CYCLE_COMMISSION: UnitKind.CYCLE_COMMISSION,
    CommissionKind.DEPARTMENT: UnitKind.DEPARTMENT,
}


# One rule for local and inter-school leaders: the term starts on or after the day the leader's
# membership does (cl. 30 elects or appoints the leader from the association's teachers).
LEADER_BEFORE_MEMBERSHIP = N_(
    "A leader's term cannot start before their membership of the association: the leader is elected "
    "(appointed) from its teachers (cl. 30)."
)


def leader_read(term: LeaderTerm, on: datetime.date | None = None) -> LeaderRead:
    on = on or today()
    in_office = term.starts_on <= on <= term.ends_on and (term.ended_on is None or term.ended_on > on)
    return LeaderRead(
        id=term.id,
        body_kind=BodyKind(term.body_kind),
        body_id=term.body_id,
        staff_id=term.staff_id,
        member_organisation_id=term.member_organisation_id,
        member_staff_id=term.member_staff_id,
        full_name=term.full_name,
        method=LeaderMethod(term.method),
        starts_on=term.starts_on,
        ends_on=term.ends_on,
        ended_on=term.ended_on,
        appointed_by=term.appointed_by,
        in_office=in_office,
        days_left=(term.ends_on - on).days if in_office else None,
    )


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

    def __init__(self, session: AsyncSession, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant

    # --- who may see and keep what ---------------------------------------------------------------

    async def visible(self, actor: Actor, kind: BodyKind) -> set[UUID] | None:
        """None: every body of the kind; else the ids of the bodies the actor belongs to or keeps."""
        if actor.reads_everything:
            return None
        if actor.staff_id is None:
            return set()
        return {i for k, i in await bodies_of_staff(self.session, actor.staff_id) if k == kind}

    async def require_visible(self, actor: Actor, kind: BodyKind, body_id: UUID) -> None:
        ids = await self.visible(actor, kind)
        if ids is not None and body_id not in ids:
            raise NotFound(f"No {kind.value.replace('_', ' ')} with this id.", field="body_id")

    async def require_keeper(self, actor: Actor, info: BodyInfo) -> None:
        if actor.shapes_structure:
            return
        if actor.staff_id is not None and actor.staff_id in info.keepers:
            return
        raise Forbidden(
            "Only the organisation admin, the deputy head for academic work, or the body's leader, chair or "
            "secretary keep its membership."
        )

    # --- the generic view ------------------------------------------------------------------------

    async def body(self, kind: BodyKind, body_id: UUID, actor: Actor) -> BodyInfo:
        if kind not in LOCAL_KINDS:
            raise DomainError(f"A {kind.value.replace('_', ' ')} is read at its own address.", field="body_kind")
        await self.require_visible(actor, kind, body_id)
        return await get_body(self.session, kind, body_id)

    async def my_bodies(self, actor: Actor) -> list[tuple[BodyKind, UUID]]:
        if actor.staff_id is None:
            return []
        return sorted(await bodies_of_staff(self.session, actor.staff_id), key=lambda b: (b[0].value, str(b[1])))

    # --- membership ------------------------------------------------------------------------------

    async def _local_body(self, kind: BodyKind, body_id: UUID) -> BodyInfo:
        if kind not in LOCAL_KINDS:
            raise DomainError(
                f"Members of a {kind.value.replace('_', ' ')} are kept at its own address.", field="body_kind"
            )
        return await get_body(self.session, kind, body_id)

    async def _add_member(
        self, info: BodyInfo, data: MemberInput, actor: Actor, field: str = "staff_id"
    ) -> BodyMembership:
        person = await get_live(self.session, Staff, data.staff_id, field=field, what="staff member")
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
        return await created(self.session, actor.user_id, "body_membership", row)

    async def add_member(self, kind: BodyKind, body_id: UUID, data: MemberInput, actor: Actor) -> MembershipRead:
        info = await self._local_body(kind, body_id)
        if info.archived:
            raise Conflict("The body is archived.", field="body_id")
        await self.require_keeper(actor, info)
        row = await self._add_member(info, data, actor)
        return await self._membership_read(row)

    async def end_member(
        self, kind: BodyKind, body_id: UUID, membership_id: UUID, data: MembershipEnd, actor: Actor
    ) -> MembershipRead:
        info = await self._local_body(kind, body_id)
        await self.require_keeper(actor, info)
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
        await updated(self.session, actor.user_id, "body_membership", row, before, action="end")
        return await self._membership_read(row)

    async def members(
        self, kind: BodyKind, body_id: UUID, actor: Actor, *, include_past: bool, paging: Paging
    ) -> tuple[list[MembershipRead], int]:
        await self._local_body(kind, body_id)
        await self.require_visible(actor, kind, body_id)
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
        return MembershipRead(
            id=row.id,
            body_kind=BodyKind(row.body_kind),
            body_id=row.body_id,
            staff_id=row.staff_id,
            full_name=person.full_name if person else "",
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            left_on=row.left_on,
            current=current,
        )

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

    # --- associations (cl. 25, 26) ---------------------------------------------------------------

    async def subject_teachers(self, subject_id: UUID) -> int:
        return int(
            await self.session.scalar(
                select(func.count(func.distinct(Staff.id)))
                .join(StaffSubject, StaffSubject.staff_id == Staff.id)
                .where(StaffSubject.subject_id == subject_id, Staff.archived_at.is_(None))
            )
            or 0
        )

    async def _district_cabinet(self) -> Organisation | None:
        return await self.session.scalar(
            select(Organisation)
            .where(
                Organisation.kind.in_([OrgKind.CABINET_DISTRICT.value, OrgKind.CABINET_CITY.value]),
                Organisation.territory_id == self.tenant.territory_id,
                Organisation.status == OrgStatus.ACTIVE.value,
            )
            .limit(1)
        )

    async def list_associations(self, f: BodyFilter, paging: Paging, actor: Actor) -> tuple[list[Association], int]:
        query = select(Association).order_by(Association.name, Association.id)
        ids = await self.visible(actor, BodyKind.ASSOCIATION)
        if ids is not None:
            query = query.where(Association.id.in_(ids))
        if not f.include_archived:
            query = query.where(Association.archived_at.is_(None))
        if f.kind:
            query = query.where(Association.kind == f.kind)
        if f.subject_id:
            query = query.where(Association.subject_id == f.subject_id)
        if f.unit_id:
            query = query.where(Association.unit_id == f.unit_id)
        if f.q:
            query = query.where(Association.name.ilike(f"%{escape_like(f.q)}%"))
        return await paged(self.session, query, paging)

    async def get_association(self, association_id: UUID, actor: Actor) -> Association:
        row = await get_any(self.session, Association, association_id, what="association")
        await self.require_visible(actor, BodyKind.ASSOCIATION, row.id)
        return row

    async def create_association(self, data: AssociationCreate, actor: Actor) -> Association:
        actor.require_shaper("form associations")
        if self.tenant.kind not in ASSOCIATION_ORGS:
            where = (
                "a methodological cabinet forms inter-school associations instead"
                if self.tenant.kind.is_cabinet
                else "a university works in departments and councils"
            )
            raise DomainError(
                f"Methodological associations are formed in schools (cl. 25); {where}.", field="kind", clause="25"
            )
        if data.kind not in association_kinds(self.tenant.kind):
            raise DomainError(SCHOOL_KIND_AT_COLLEGE, field="kind", clause="25")
        if data.kind is AssociationKind.SUBJECT:
            if data.subject_id is None:
                raise DomainError(
                    "An association of teachers of one subject names the subject (cl. 25).",
                    field="subject_id",
                    clause="25",
                )
            subject = await get_live(self.session, Subject, data.subject_id, field="subject_id", what="subject")
            if self.tenant.kind is OrgKind.SCHOOL:
                await self._check_three_teachers(subject)
            duplicate = await self.session.scalar(
                select(Association.id).where(Association.subject_id == subject.id, Association.archived_at.is_(None))
            )
            if duplicate is not None:
                raise Conflict(f"The school has an association of {subject.name_ru} already.", field="subject_id")
        elif data.subject_id is not None:
            raise DomainError("Only an association of teachers of one subject names a subject.", field="subject_id")
        if data.unit_id is not None:
            unit = await get_live(self.session, Unit, data.unit_id, field="unit_id", what="unit")
            if unit.kind != UnitKind.ASSOCIATION:
                raise DomainError(
                    "The unit of an association is a unit of kind association.", field="unit_id", clause="10"
                )
        row = await created(
            self.session,
            actor.user_id,
            "association",
            Association(
                name=data.name.strip(),
                kind=data.kind,
                subject_id=data.subject_id,
                unit_id=data.unit_id,
                quorum_rule=data.quorum_rule,
                note=data.note,
            ),
        )
        info = BodyInfo(BodyKind.ASSOCIATION, row.id, row.name, (), data.quorum_rule)
        for i, member in enumerate(data.members):
            await self._add_member(info, member, actor, field=f"members[{i}].staff_id")
        return row

    async def _check_three_teachers(self, subject: Subject) -> None:
        """Cl. 26: a school forms a subject association when it has at least three teachers of it."""
        count = await self.subject_teachers(subject.id)
        if count >= MIN_SUBJECT_TEACHERS:
            return
        cabinet = await self._district_cabinet()
        values = {"minimum": MIN_SUBJECT_TEACHERS, "subject": subject.name_ru, "count": count}
        # Written from the templates of api.i18n, so the refusal reaches people in their language.
        message = (
            TOO_FEW_FOR_SUBJECT_NEAR.format(**values, cabinet=cabinet.name_ru, organisation_id=cabinet.id)
            if cabinet
            else TOO_FEW_FOR_SUBJECT.format(**values)
        )
        raise DomainError(
            message,
            field="subject_id",
            clause="26",
        )

    async def update_association(self, association_id: UUID, data: AssociationUpdate, actor: Actor) -> Association:
        actor.require_shaper("change associations")
        row = await get_live(self.session, Association, association_id, field="id", what="association")
        values = changes(data)
        if values.get("unit_id") is not None:
            unit = await get_live(self.session, Unit, values["unit_id"], field="unit_id", what="unit")
            if unit.kind != UnitKind.ASSOCIATION:
                raise DomainError(
                    "The unit of an association is a unit of kind association.", field="unit_id", clause="10"
                )
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await updated(self.session, actor.user_id, "association", row, before)

    async def archive_association(self, association_id: UUID, actor: Actor) -> Association:
        actor.require_shaper("archive associations")
        return await archived(
            self.session,
            actor.user_id,
            "association",
            await get_any(self.session, Association, association_id, what="association"),
        )

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

    async def add_leader(self, association_id: UUID, data: LeaderCreate, actor: Actor) -> LeaderTerm:
        actor.require_shaper("record association leaders")
        association = await get_live(self.session, Association, association_id, field="id", what="association")
        check_leader_term(data.starts_on, data.ends_on)
        person = await get_live(self.session, Staff, data.staff_id, field="staff_id", what="staff member")
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
            appointed_by=actor.user_id,
        )
        return await created(self.session, actor.user_id, "leader_term", row)

    async def leaders(self, kind: BodyKind, body_id: UUID) -> list[LeaderTerm]:
        rows = await self.session.scalars(
            select(LeaderTerm)
            .where(LeaderTerm.body_kind == kind.value, LeaderTerm.body_id == body_id)
            .order_by(LeaderTerm.starts_on.desc())
        )
        return list(rows.all())

    async def end_leader(
        self, kind: BodyKind, body_id: UUID, term_id: UUID, data: LeaderEnd, actor: Actor
    ) -> LeaderTerm:
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
        return await updated(self.session, actor.user_id, "leader_term", row, before, action="end")

    async def leader_now(self, kind: BodyKind, body_id: UUID) -> LeaderTerm | None:
        return await leader_in_office(self.session, kind, body_id, today())

    # --- councils (cl. 14, 32) -------------------------------------------------------------------

    async def _check_officers(self, info: BodyInfo | None, members: list[MemberInput], values: dict[str, Any]) -> None:
        current = set(info.staff_ids) if info else set()
        current |= {m.staff_id for m in members}
        for field in ("chair_staff_id", "secretary_staff_id"):
            staff_id = values.get(field)
            if staff_id is not None and staff_id not in current:
                role = "chair" if field == "chair_staff_id" else "secretary"
                raise DomainError(f"The {role} is one of the body's members: add them as a member first.", field=field)
        chair = values.get("chair_staff_id", info.chair_staff_id if info else None)
        secretary = values.get("secretary_staff_id", info.secretary_staff_id if info else None)
        if chair is not None and chair == secretary:
            raise DomainError("The chair and the secretary are two different people.", field="secretary_staff_id")

    async def _create_collegial(
        self, row: Council | Commission, kind: BodyKind, members: list[MemberInput], actor: Actor, entity: str
    ) -> Any:
        chair, secretary = row.chair_staff_id, row.secretary_staff_id
        await self._check_officers(None, members, {"chair_staff_id": chair, "secretary_staff_id": secretary})
        if len({m.staff_id for m in members}) != len(members):
            raise DomainError("A person is listed twice.", field="members")
        row.chair_staff_id = row.secretary_staff_id = None
        await created(self.session, actor.user_id, entity, row)
        info = BodyInfo(kind, row.id, row.name, (), row.quorum_rule)  # type: ignore[arg-type]
        for i, member in enumerate(members):
            await self._add_member(info, member, actor, field=f"members[{i}].staff_id")
        if chair or secretary:
            before = snapshot(row)
            row.chair_staff_id, row.secretary_staff_id = chair, secretary
            await updated(self.session, actor.user_id, entity, row, before)
        return row

    async def list_councils(
        self, kind: BodyKind, f: BodyFilter, paging: Paging, actor: Actor
    ) -> tuple[list[Council], int]:
        query = select(Council).where(
            Council.kind == ("pedagogical" if kind is BodyKind.PEDAGOGICAL_COUNCIL else "methodological")
        )
        query = query.order_by(Council.unit_id.is_not(None), Council.name, Council.id)
        ids = await self.visible(actor, kind)
        if ids is not None:
            query = query.where(Council.id.in_(ids))
        if not f.include_archived:
            query = query.where(Council.archived_at.is_(None))
        if f.unit_id:
            query = query.where(Council.unit_id == f.unit_id)
        if f.q:
            query = query.where(Council.name.ilike(f"%{escape_like(f.q)}%"))
        return await paged(self.session, query, paging)

    async def _council(self, kind: BodyKind, council_id: UUID) -> Council:
        row = await self.session.get(Council, council_id)
        wanted = "pedagogical" if kind is BodyKind.PEDAGOGICAL_COUNCIL else "methodological"
        if row is None or row.kind != wanted:
            raise NotFound(f"No {kind.value.replace('_', ' ')} with this id.", field="id")
        return row

    async def get_council(self, kind: BodyKind, council_id: UUID, actor: Actor) -> Council:
        row = await self._council(kind, council_id)
        await self.require_visible(actor, kind, row.id)
        return row

    @staticmethod
    def _refuse_pedagogical_double(flag: object) -> None:
        if flag:
            raise DomainError(
                "The methodological council must not duplicate the pedagogical council (cl. 32): the pedagogical "
                "council is a body of its own (/pedagogical-council).",
                field="acts_as_pedagogical_council",
                clause="32",
            )

    async def create_council(self, data: CouncilCreate, actor: Actor) -> Council:
        actor.require_shaper("form councils")
        self._refuse_pedagogical_double(data.acts_as_pedagogical_council)
        organisation_council = await self.session.scalar(
            select(Council).where(
                Council.kind == "methodological", Council.unit_id.is_(None), Council.archived_at.is_(None)
            )
        )
        if data.unit_id is None:
            if organisation_council is not None:
                raise Conflict("The organisation has a methodological council already.", field="unit_id")
        else:
            await get_live(self.session, Unit, data.unit_id, field="unit_id", what="unit")
            if organisation_council is None:
                raise DomainError(
                    "A unit's council is formed as the organisation's methodological council decides (cl. 14): "
                    "form the organisation's council first.",
                    field="unit_id",
                    clause="14",
                )
            taken = await self.session.scalar(
                select(Council.id).where(Council.unit_id == data.unit_id, Council.archived_at.is_(None))
            )
            if taken is not None:
                raise Conflict("The unit has a methodological council already.", field="unit_id")
        for i, member in enumerate(data.members):
            if member.ends_on is None:
                raise DomainError(
                    "Members of a methodological council are elected for a term (cl. 14): give ends_on.",
                    field=f"members[{i}].ends_on",
                    clause="14",
                )
        row = Council(
            name=data.name.strip(),
            kind="methodological",
            unit_id=data.unit_id,
            quorum_rule=data.quorum_rule,
            chair_staff_id=data.chair_staff_id,
            secretary_staff_id=data.secretary_staff_id,
        )
        return await self._create_collegial(row, BodyKind.COUNCIL, data.members, actor, "council")

    async def create_pedagogical_council(self, data: PedagogicalCouncilCreate, actor: Actor) -> Council:
        actor.require_shaper("form the pedagogical council")
        taken = await self.session.scalar(
            select(Council.id).where(Council.kind == "pedagogical", Council.archived_at.is_(None))
        )
        if taken is not None:
            raise Conflict("The organisation has a pedagogical council already.", field="name")
        row = Council(
            name=data.name.strip(),
            kind="pedagogical",
            unit_id=None,
            quorum_rule=data.quorum_rule,
            chair_staff_id=data.chair_staff_id,
            secretary_staff_id=data.secretary_staff_id,
        )
        return await self._create_collegial(row, BodyKind.PEDAGOGICAL_COUNCIL, data.members, actor, "council")

    async def update_council(
        self, kind: BodyKind, council_id: UUID, data: CouncilUpdate | PedagogicalCouncilUpdate, actor: Actor
    ) -> Council:
        values = changes(data)
        self._refuse_pedagogical_double(values.pop("acts_as_pedagogical_council", False))
        actor.require_shaper("change councils")
        row = await self._council(kind, council_id)
        if row.archived_at is not None:
            raise Conflict("The council is archived.", field="id")
        info = await get_body(self.session, kind, row.id)
        await self._check_officers(info, [], values)
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await updated(self.session, actor.user_id, "council", row, before)

    async def archive_council(self, kind: BodyKind, council_id: UUID, actor: Actor) -> Council:
        actor.require_shaper("archive councils")
        row = await self._council(kind, council_id)
        if kind is BodyKind.COUNCIL and row.unit_id is None and row.archived_at is None:
            live_unit_council = await self.session.scalar(
                select(Council.id)
                .where(Council.kind == "methodological", Council.unit_id.is_not(None), Council.archived_at.is_(None))
                .limit(1)
            )
            if live_unit_council is not None:
                raise Conflict(
                    "Units' councils depend on the organisation's council (cl. 14): archive them first.",
                    field="id",
                    clause="14",
                )
        return await archived(self.session, actor.user_id, "council", row)

    # --- commissions and departments -------------------------------------------------------------

    async def list_commissions(self, f: BodyFilter, paging: Paging, actor: Actor) -> tuple[list[Commission], int]:
        """Subject and cycle commissions and departments (filter with `kind`)."""
        query = select(Commission).order_by(Commission.name, Commission.id)
        commissions = await self.visible(actor, BodyKind.COMMISSION)
        departments = await self.visible(actor, BodyKind.DEPARTMENT)
        if commissions is not None and departments is not None:
            query = query.where(Commission.id.in_(commissions | departments))
        if not f.include_archived:
            query = query.where(Commission.archived_at.is_(None))
        if f.kind:
            query = query.where(Commission.kind == f.kind)
        if f.unit_id:
            query = query.where(Commission.unit_id == f.unit_id)
        if f.q:
            query = query.where(Commission.name.ilike(f"%{escape_like(f.q)}%"))
        return await paged(self.session, query, paging)

    async def get_commission(self, commission_id: UUID, actor: Actor) -> Commission:
        row = await get_any(self.session, Commission, commission_id, what="commission or department")
        kind = BodyKind.DEPARTMENT if row.kind == "department" else BodyKind.COMMISSION
        await self.require_visible(actor, kind, row.id)
        return row

    async def create_commission(self, data: CommissionCreate, actor: Actor) -> Commission:
        actor.require_shaper("form commissions and departments")
        unit = await get_live(self.session, Unit, data.unit_id, field="unit_id", what="unit")
        if unit.kind != _COMMISSION_UNIT[data.kind]:
            raise DomainError(
                f"A {data.kind.value.replace('_', ' ')} is the body of a unit of kind "
                f"{_COMMISSION_UNIT[data.kind].value} "
                f"(cl. 10); this unit is a {unit.kind}.",
                field="unit_id",
                clause="10",
            )
        taken = await self.session.scalar(
            select(Commission.id).where(Commission.unit_id == unit.id, Commission.archived_at.is_(None))
        )
        if taken is not None:
            raise Conflict("This unit has its body already.", field="unit_id")
        kind = BodyKind.DEPARTMENT if data.kind is CommissionKind.DEPARTMENT else BodyKind.COMMISSION
        row = Commission(
            name=data.name.strip(),
            kind=data.kind,
            unit_id=unit.id,
            quorum_rule=data.quorum_rule,
            chair_staff_id=data.chair_staff_id,
            secretary_staff_id=data.secretary_staff_id,
        )
        return await self._create_collegial(row, kind, data.members, actor, "commission")

    async def update_commission(self, commission_id: UUID, data: CommissionUpdate, actor: Actor) -> Commission:
        actor.require_shaper("change commissions and departments")
        row = await get_live(self.session, Commission, commission_id, field="id", what="commission or department")
        kind = BodyKind.DEPARTMENT if row.kind == "department" else BodyKind.COMMISSION
        values = changes(data)
        await self._check_officers(await get_body(self.session, kind, row.id), [], values)
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await updated(self.session, actor.user_id, "commission", row, before)

    async def archive_commission(self, commission_id: UUID, actor: Actor) -> Commission:
        actor.require_shaper("archive commissions and departments")
        return await archived(
            self.session,
            actor.user_id,
            "commission",
            await get_any(self.session, Commission, commission_id, what="commission or department"),
        )


# --- inter-school associations (a district cabinet's schema) -----------------------------------


class InterSchoolService:
    """Inter-school associations of a district (city) methodological cabinet (cl. 25, 30).

    Members are teachers of the schools of the cabinet's district, referred to by
    (organisation_id, staff_id); they are checked against the control plane and the school's own
    schema when they join, with no foreign key across schemas.
    """

    def __init__(self, session: AsyncSession, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant

    def _require_cabinet(self) -> None:
        if self.tenant.kind not in INTER_SCHOOL_ORGS:
            raise DomainError(
                "Inter-school associations belong to a district (city) methodological cabinet (cl. 25, 30).",
                field="organisation_id",
                clause="25",
            )

    def _require_cabinet_staff(self, actor: Actor) -> None:
        if not (actor.shapes_structure or self._is_district_level(actor)):
            raise Forbidden(
                "The cabinet's admin, its deputy head, or a district methodist keep inter-school associations."
            )

    def _is_district_level(self, actor: Actor) -> bool:
        return any(
            g.role == Role.DISTRICT_METHODIST and g.territory_id == self.tenant.territory_id for g in actor.grants
        )

    async def list(self, f: BodyFilter, paging: Paging) -> tuple[list[InterSchoolAssociation], int]:
        query = select(InterSchoolAssociation).order_by(InterSchoolAssociation.name, InterSchoolAssociation.id)
        if not f.include_archived:
            query = query.where(InterSchoolAssociation.archived_at.is_(None))
        if f.kind:
            query = query.where(InterSchoolAssociation.kind == f.kind)
        if f.q:
            query = query.where(InterSchoolAssociation.name.ilike(f"%{escape_like(f.q)}%"))
        return await paged(self.session, query, paging)

    async def get(self, association_id: UUID) -> InterSchoolAssociation:
        return await get_any(self.session, InterSchoolAssociation, association_id, what="inter-school association")

    async def create(self, data: InterSchoolCreate, actor: Actor) -> InterSchoolAssociation:
        self._require_cabinet()
        self._require_cabinet_staff(actor)
        if data.kind is AssociationKind.SUBJECT and not (data.subject_code and data.subject_name):
            raise DomainError(
                "An association of teachers of one subject names the subject (cl. 25).",
                field="subject_code",
                clause="25",
            )
        if data.kind is not AssociationKind.SUBJECT and (data.subject_code or data.subject_name):
            raise DomainError("Only an association of teachers of one subject names a subject.", field="subject_code")
        row = InterSchoolAssociation(
            name=data.name.strip(),
            kind=data.kind,
            subject_code=data.subject_code,
            subject_name=data.subject_name,
            territory_id=self.tenant.territory_id,
            quorum_rule=data.quorum_rule,
        )
        return await created(self.session, actor.user_id, "inter_school_association", row)

    async def update(self, association_id: UUID, data: InterSchoolUpdate, actor: Actor) -> InterSchoolAssociation:
        self._require_cabinet_staff(actor)
        row = await get_live(
            self.session, InterSchoolAssociation, association_id, field="id", what="inter-school association"
        )
        before = snapshot(row)
        for key, value in changes(data).items():
            setattr(row, key, value)
        return await updated(self.session, actor.user_id, "inter_school_association", row, before)

    async def archive(self, association_id: UUID, actor: Actor) -> InterSchoolAssociation:
        self._require_cabinet_staff(actor)
        return await archived(self.session, actor.user_id, "inter_school_association", await self.get(association_id))

    async def _district_school(self, organisation_id: UUID) -> Organisation:
        from api.identity.reach import territory_tree

        org = await self.session.get(Organisation, organisation_id)
        if org is None or org.kind != OrgKind.SCHOOL or org.status != OrgStatus.ACTIVE:
            raise DomainError(
                "Members of an inter-school association are teachers of active schools.",
                field="organisation_id",
                clause="25",
            )
        tree = await territory_tree(self.session, must_know=[org.territory_id, self.tenant.territory_id])
        if org.territory_id not in tree.descendants(self.tenant.territory_id):
            raise DomainError(
                "An inter-school association gathers teachers of the schools of its own district (cl. 25).",
                field="organisation_id",
                clause="25",
            )
        return org

    async def _school_teacher(self, org: Organisation, staff_id: UUID) -> str:
        schema = validate_schema_name(org.schema_name)
        row = (
            await self.session.execute(
                text(f"SELECT full_name, archived_at FROM {schema}.staff WHERE id = :id"), {"id": staff_id}
            )
        ).first()
        if row is None or row.archived_at is not None:
            raise NotFound("The school has no such staff member.", field="staff_id")
        return str(row.full_name)

    async def district(self, actor: Actor) -> DistrictRead:
        """The active schools of the cabinet's district with their staff — whom an inter-school
        association can gather (cl. 25) — and the subjects they teach. Read from each school's own
        schema, as members are."""
        from api.identity.reach import territory_tree

        self._require_cabinet()
        self._require_cabinet_staff(actor)
        tree = await territory_tree(self.session, must_know=[self.tenant.territory_id])
        schools = await self.session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == OrgKind.SCHOOL.value,
                Organisation.status == OrgStatus.ACTIVE.value,
                Organisation.territory_id.in_(tree.descendants(self.tenant.territory_id)),
            )
            .order_by(Organisation.name_ru, Organisation.id)
            .limit(MAX_DISTRICT_SCHOOLS)
        )
        found: list[DistrictSchoolRead] = []
        subjects: dict[str, DistrictSubjectRead] = {}
        for org in schools:
            schema = validate_schema_name(org.schema_name)
            rows = await self.session.execute(
                text(
                    f"SELECT id, full_name FROM {schema}.staff WHERE archived_at IS NULL ORDER BY full_name, id "
                    "LIMIT 1000"
                )
            )
            teachers = [DistrictTeacherRead(staff_id=r.id, full_name=str(r.full_name)) for r in rows]
            found.append(DistrictSchoolRead(org.id, org.name_kk, org.name_ru, org.name_en, teachers))
            taught = await self.session.execute(
                text(
                    f"SELECT code, name_kk, name_ru, name_en FROM {schema}.subject WHERE archived_at IS NULL ORDER "
                    "BY code LIMIT 500"
                )
            )
            for r in taught:
                subjects.setdefault(r.code, DistrictSubjectRead(r.code, r.name_kk, r.name_ru, r.name_en))
        return DistrictRead(found, sorted(subjects.values(), key=lambda s: s.name_ru))

    async def add_member(self, association_id: UUID, data: InterSchoolMemberCreate, actor: Actor) -> InterSchoolMember:
        self._require_cabinet_staff(actor)
        association = await get_live(
            self.session, InterSchoolAssociation, association_id, field="id", what="inter-school association"
        )
        school = await self._district_school(data.organisation_id)
        full_name = await self._school_teacher(school, data.staff_id)
        taken = await self.session.scalar(
            select(InterSchoolMember.id).where(
                InterSchoolMember.association_id == association.id,
                InterSchoolMember.organisation_id == school.id,
                InterSchoolMember.staff_id == data.staff_id,
                InterSchoolMember.left_on.is_(None),
            )
        )
        if taken is not None:
            raise Conflict(f"{full_name} is a member already.", field="staff_id")
        row = InterSchoolMember(
            association_id=association.id,
            organisation_id=school.id,
            staff_id=data.staff_id,
            full_name=full_name,
            starts_on=data.starts_on or today(),
        )
        return await created(self.session, actor.user_id, "inter_school_member", row)

    async def end_member(
        self, association_id: UUID, member_id: UUID, data: MembershipEnd, actor: Actor
    ) -> InterSchoolMember:
        self._require_cabinet_staff(actor)
        row = await self.session.get(InterSchoolMember, member_id)
        if row is None or row.association_id != association_id:
            raise NotFound("No such member of this association.", field="member_id")
        return await end_external_membership(self.session, actor, "inter_school_member", row, data)

    async def members(
        self, association_id: UUID, *, include_past: bool, paging: Paging
    ) -> tuple[list[InterSchoolMember], int]:
        await self.get(association_id)
        return await external_members(
            self.session, InterSchoolMember, InterSchoolMember.association_id, association_id, include_past, paging
        )

    async def member_counts(self, ids: list[UUID]) -> dict[UUID, int]:
        return await live_member_counts(self.session, InterSchoolMember, InterSchoolMember.association_id, ids)

    async def appoint_leader(self, association_id: UUID, data: InterSchoolLeaderCreate, actor: Actor) -> LeaderTerm:
        """Cl. 30: leaders of inter-school associations are appointed by the district (city)
        education department: a district-level role held at this cabinet's own district."""
        if not self._is_district_level(actor):
            raise Forbidden(
                "Leaders of inter-school associations are appointed by the district (city) education department "
                "(cl. 30): this needs the district methodist role of this district.",
                field="organisation_id",
                clause="30",
            )
        association = await get_live(
            self.session, InterSchoolAssociation, association_id, field="id", what="inter-school association"
        )
        check_leader_term(data.starts_on, data.ends_on)
        member = await self.session.scalar(
            select(InterSchoolMember).where(
                InterSchoolMember.association_id == association.id,
                InterSchoolMember.organisation_id == data.organisation_id,
                InterSchoolMember.staff_id == data.staff_id,
                InterSchoolMember.left_on.is_(None),
            )
        )
        if member is None:
            raise DomainError(
                "The leader is appointed from the association's teachers (cl. 30): add them as a member first.",
                field="staff_id",
                clause="30",
            )
        if member.starts_on > data.starts_on:
            raise DomainError(LEADER_BEFORE_MEMBERSHIP, field="starts_on", clause="30")
        clash = await BodiesService(self.session, self.tenant)._overlapping_leader(
            BodyKind.INTER_SCHOOL_ASSOCIATION, association.id, data.starts_on, data.ends_on
        )
        if clash is not None:
            raise Conflict(
                f"{clash.full_name} leads the association until {clash.ends_on.isoformat()}: end that term first.",
                field="starts_on",
            )
        row = LeaderTerm(
            body_kind=BodyKind.INTER_SCHOOL_ASSOCIATION,
            body_id=association.id,
            member_organisation_id=data.organisation_id,
            member_staff_id=data.staff_id,
            full_name=member.full_name,
            method=LeaderMethod.APPOINTED,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            appointed_by=actor.user_id,
        )
        return await created(self.session, actor.user_id, "leader_term", row)

    async def end_leader(self, association_id: UUID, term_id: UUID, data: LeaderEnd, actor: Actor) -> LeaderTerm:
        if not self._is_district_level(actor):
            raise Forbidden(
                "Only the district education department ends an inter-school leader's term (cl. 30).", clause="30"
            )
        return await BodiesService(self.session, self.tenant).end_leader(
            BodyKind.INTER_SCHOOL_ASSOCIATION, association_id, term_id, data, actor
        )


# --- sector methodological unions (the republic cabinet's schema) -------------------------------


class UnionService:
    """Sector methodological unions (cl. 24): voluntary, by sector, kept by the republic
    methodological cabinet; members come from education organisations, employers and social
    partners and need no account."""

    def __init__(self, session: AsyncSession, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant

    def _require_republic(self) -> None:
        if self.tenant.kind is not OrgKind.CABINET_REPUBLIC:
            raise DomainError(
                "Sector methodological unions are republic-level (cl. 24): they are kept by the republic "
                "methodological cabinet.",
                field="organisation_id",
                clause="24",
            )

    async def list(self, f: BodyFilter, paging: Paging) -> tuple[list[SectorUnion], int]:
        query = select(SectorUnion).order_by(SectorUnion.name, SectorUnion.id)
        if not f.include_archived:
            query = query.where(SectorUnion.archived_at.is_(None))
        if f.q:
            like = f"%{escape_like(f.q)}%"
            query = query.where(or_(SectorUnion.name.ilike(like), SectorUnion.sector.ilike(like)))
        return await paged(self.session, query, paging)

    async def get(self, union_id: UUID) -> SectorUnion:
        return await get_any(self.session, SectorUnion, union_id, what="sector union")

    async def create(self, data: UnionCreate, actor: Actor) -> SectorUnion:
        self._require_republic()
        actor.require_shaper("form sector unions")
        row = SectorUnion(
            name=data.name.strip(),
            sector=data.sector.strip(),
            description=data.description,
            quorum_rule=data.quorum_rule,
        )
        return await created(self.session, actor.user_id, "sector_union", row)

    async def update(self, union_id: UUID, data: UnionUpdate, actor: Actor) -> SectorUnion:
        actor.require_shaper("change sector unions")
        row = await get_live(self.session, SectorUnion, union_id, field="id", what="sector union")
        values = changes(data)
        for field in ("chair_member_id", "secretary_member_id"):
            member_id = values.get(field)
            if member_id is not None:
                member = await self.session.get(UnionMember, member_id)
                if member is None or member.union_id != row.id or member.left_on is not None:
                    raise DomainError("The chair and the secretary are current members of the union.", field=field)
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await updated(self.session, actor.user_id, "sector_union", row, before)

    async def archive(self, union_id: UUID, actor: Actor) -> SectorUnion:
        actor.require_shaper("archive sector unions")
        return await archived(self.session, actor.user_id, "sector_union", await self.get(union_id))

    async def add_member(self, union_id: UUID, data: UnionMemberCreate, actor: Actor) -> UnionMember:
        actor.require_shaper("keep the union's membership")
        union = await get_live(self.session, SectorUnion, union_id, field="id", what="sector union")
        if data.member_kind is UnionMemberKind.EDUCATION_ORGANISATION:
            if data.organisation_id is None:
                raise DomainError(
                    "A member from an education organisation names it (cl. 24).", field="organisation_id", clause="24"
                )
            org = await self.session.get(Organisation, data.organisation_id)
            if org is None or org.kind.startswith("cabinet_"):
                raise NotFound("No education organisation with this id.", field="organisation_id")
        elif data.organisation_id is not None:
            raise DomainError(
                "Employers and social partners are named by `represents`, not by an organisation id.",
                field="organisation_id",
            )
        row = UnionMember(
            union_id=union.id,
            member_kind=data.member_kind,
            full_name=data.full_name.strip(),
            represents=data.represents,
            organisation_id=data.organisation_id,
            user_id=data.user_id,
            email=data.email,
            starts_on=data.starts_on or today(),
        )
        return await created(self.session, actor.user_id, "union_member", row)

    async def end_member(self, union_id: UUID, member_id: UUID, data: MembershipEnd, actor: Actor) -> UnionMember:
        actor.require_shaper("keep the union's membership")
        union = await self.get(union_id)
        row = await self.session.get(UnionMember, member_id)
        if row is None or row.union_id != union_id:
            raise NotFound("No such member of this union.", field="member_id")
        if row.left_on is None and member_id in (union.chair_member_id, union.secretary_member_id):
            raise Conflict("This member is the chair or the secretary: name another one first.", field="member_id")
        return await end_external_membership(self.session, actor, "union_member", row, data)

    async def members(self, union_id: UUID, *, include_past: bool, paging: Paging) -> tuple[list[UnionMember], int]:
        await self.get(union_id)
        return await external_members(self.session, UnionMember, UnionMember.union_id, union_id, include_past, paging)

    async def member_counts(self, ids: list[UUID]) -> dict[UUID, int]:
        return await live_member_counts(self.session, UnionMember, UnionMember.union_id, ids)


# --- members named by their own rows (inter-school associations, unions) ------------------------


async def end_external_membership(
    session: AsyncSession, actor: Actor, entity: str, row: Any, data: MembershipEnd
) -> Any:
    """Ends a membership row that has `starts_on` and `left_on`; refused when it has ended."""
    if row.left_on is not None:
        raise Conflict("The membership has ended already.", field="member_id")
    left_on = data.left_on or today()
    if left_on < row.starts_on:
        raise DomainError("A membership cannot end before it starts.", field="left_on")
    before = snapshot(row)
    row.left_on = left_on
    return await updated(session, actor.user_id, entity, row, before, action="end")


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
