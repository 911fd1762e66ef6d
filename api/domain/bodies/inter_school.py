"""Inter-school associations (cl. 25, 30): kept in a district (city) cabinet's schema, their members
teachers of the district's schools, their leaders appointed by the district's methodist."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, text

from api.audit import snapshot
from api.clock import today
from api.context import TenantContext
from api.db import escape_like
from api.domain.bodies.external import end_external_membership, external_members, live_member_counts
from api.domain.bodies.models import (
    InterSchoolAssociation,
    InterSchoolMember,
    LeaderTerm,
)
from api.domain.bodies.rules import (
    AssociationKind,
    BodyKind,
    LeaderMethod,
)
from api.domain.bodies.schemas import (
    DistrictRead,
    DistrictSchoolRead,
    DistrictSubjectRead,
    DistrictTeacherRead,
    InterSchoolCreate,
    InterSchoolLeaderCreate,
    InterSchoolMemberCreate,
    InterSchoolUpdate,
    LeaderEnd,
    MembershipEnd,
)
from api.domain.bodies.services import LEADER_BEFORE_MEMBERSHIP, BodiesService, BodyFilter, check_leader_term
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind, OrgStatus
from api.domain.structure.models import Staff
from api.errors import Conflict, DomainError, Forbidden, NotFound
from api.paging import Paging, paged
from api.records import Records, changes
from api.responses import response_of
from api.roles import Role
from tenants.naming import validate_schema_name

# A district or a city has tens of schools; a page of them is enough to choose from.
MAX_DISTRICT_SCHOOLS = 200

INTER_SCHOOL_ORGS = frozenset({OrgKind.CABINET_DISTRICT, OrgKind.CABINET_CITY})
# --- inter-school associations (a district cabinet's schema) -----------------------------------


class InterSchoolService:
    """Inter-school associations of a district (city) methodological cabinet (cl. 25, 30).

    Members are teachers of the schools of the cabinet's district, referred to by
    (organisation_id, staff_id); they are checked against the control plane and the school's own
    schema when they join, with no foreign key across schemas.
    """

    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session = context.session
        self.tenant = context.tenant
        self.caller = context.caller
        self.staff = Records(context, Staff, "staff", "staff member")
        self.associations = Records(
            context, InterSchoolAssociation, "inter_school_association", "inter-school association"
        )
        self.member_rows = Records(context, InterSchoolMember, "inter_school_member", "member")
        self.leader_terms = Records(context, LeaderTerm, "leader_term", "leader's term")

    def _require_cabinet(self) -> None:
        if self.tenant.kind not in INTER_SCHOOL_ORGS:
            raise DomainError(
                "Inter-school associations belong to a district (city) methodological cabinet (cl. 25, 30).",
                field="organisation_id",
                clause="25",
            )

    def _require_cabinet_staff(self) -> None:
        if not (self.caller.shapes_structure or self._is_district_level()):
            raise Forbidden(
                "The cabinet's admin, its deputy head, or a district methodist keep inter-school associations."
            )

    def _is_district_level(self) -> bool:
        return any(
            g.role == Role.DISTRICT_METHODIST and g.territory_id == self.tenant.territory_id for g in self.caller.grants
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
        return await self.associations.get(association_id)

    async def create(self, data: InterSchoolCreate) -> InterSchoolAssociation:
        self._require_cabinet()
        self._require_cabinet_staff()
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
        return await self.associations.create(row)

    async def update(self, association_id: UUID, data: InterSchoolUpdate) -> InterSchoolAssociation:
        self._require_cabinet_staff()
        row = await self.associations.live(association_id)
        before = snapshot(row)
        for key, value in changes(data).items():
            setattr(row, key, value)
        return await self.associations.changed(row, before)

    async def archive(self, association_id: UUID) -> InterSchoolAssociation:
        self._require_cabinet_staff()
        return await self.associations.archive(await self.get(association_id))

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

    async def district(self) -> DistrictRead:
        """The active schools of the cabinet's district with their staff — whom an inter-school
        association can gather (cl. 25) — and the subjects they teach. Read from each school's own
        schema, as members are."""
        from api.identity.reach import territory_tree

        self._require_cabinet()
        self._require_cabinet_staff()
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
            teachers = [response_of(DistrictTeacherRead, r, staff_id=r.id) for r in rows]
            found.append(response_of(DistrictSchoolRead, org, organisation_id=org.id, teachers=teachers))
            taught = await self.session.execute(
                text(
                    f"SELECT code, name_kk, name_ru, name_en FROM {schema}.subject WHERE archived_at IS NULL ORDER "
                    "BY code LIMIT 500"
                )
            )
            for r in taught:
                subjects.setdefault(r.code, response_of(DistrictSubjectRead, r))
        # Gathered from every school's schema, not one row: built here.
        return DistrictRead(schools=found, subjects=sorted(subjects.values(), key=lambda s: s.name_ru))

    async def add_member(self, association_id: UUID, data: InterSchoolMemberCreate) -> InterSchoolMember:
        self._require_cabinet_staff()
        association = await self.associations.live(association_id)
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
        return await self.member_rows.create(row)

    async def end_member(self, association_id: UUID, member_id: UUID, data: MembershipEnd) -> InterSchoolMember:
        self._require_cabinet_staff()
        row = await self.session.get(InterSchoolMember, member_id)
        if row is None or row.association_id != association_id:
            raise NotFound("No such member of this association.", field="member_id")
        return await end_external_membership(self.member_rows, row, data)

    async def members(
        self, association_id: UUID, *, include_past: bool, paging: Paging
    ) -> tuple[list[InterSchoolMember], int]:
        await self.get(association_id)
        return await external_members(
            self.session, InterSchoolMember, InterSchoolMember.association_id, association_id, include_past, paging
        )

    async def member_counts(self, ids: list[UUID]) -> dict[UUID, int]:
        return await live_member_counts(self.session, InterSchoolMember, InterSchoolMember.association_id, ids)

    async def appoint_leader(self, association_id: UUID, data: InterSchoolLeaderCreate) -> LeaderTerm:
        """Cl. 30: leaders of inter-school associations are appointed by the district (city)
        education department: a district-level role held at this cabinet's own district."""
        if not self._is_district_level():
            raise Forbidden(
                "Leaders of inter-school associations are appointed by the district (city) education department "
                "(cl. 30): this needs the district methodist role of this district.",
                field="organisation_id",
                clause="30",
            )
        association = await self.associations.live(association_id)
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
        clash = await BodiesService(self.context)._overlapping_leader(
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
            appointed_by=self.caller.user_id,
        )
        return await self.leader_terms.create(row)

    async def end_leader(self, association_id: UUID, term_id: UUID, data: LeaderEnd) -> LeaderTerm:
        if not self._is_district_level():
            raise Forbidden(
                "Only the district education department ends an inter-school leader's term (cl. 30).", clause="30"
            )
        return await BodiesService(self.context).end_leader(
            BodyKind.INTER_SCHOOL_ASSOCIATION, association_id, term_id, data
        )
