"""Associations of teachers (cl. 25, 26): formed in schools and colleges, of the kinds the
organisation's kind has, a subject association only where the school has enough teachers of it."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select

from api.audit import snapshot
from api.context import TenantContext
from api.db import escape_like
from api.domain.bodies.models import (
    Association,
)
from api.domain.bodies.registry import BodyInfo
from api.domain.bodies.rules import (
    MIN_SUBJECT_TEACHERS,
    AssociationKind,
    BodyKind,
)
from api.domain.bodies.schemas import (
    AssociationCreate,
    AssociationUpdate,
)
from api.domain.bodies.services import BodiesService, BodyFilter
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgKind, OrgStatus
from api.domain.structure.models import Staff, StaffSubject, Subject, Unit
from api.domain.structure.rules import UnitKind
from api.errors import Conflict, DomainError
from api.i18n import N_
from api.paging import Paging, paged
from api.records import Records, changes

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


class AssociationService:
    """An organisation's associations."""

    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self.session = context.session
        self.tenant = context.tenant
        self.caller = context.caller
        self.bodies = BodiesService(context)  # who sees and keeps bodies, and their members
        self.associations = Records(context, Association, "association")
        self.subjects = Records(context, Subject, "subject")
        self.units = Records(context, Unit, "unit")

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

    async def list(self, f: BodyFilter, paging: Paging) -> tuple[list[Association], int]:
        query = select(Association).order_by(Association.name, Association.id)
        ids = await self.bodies.visible(BodyKind.ASSOCIATION)
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

    async def get(self, association_id: UUID) -> Association:
        row = await self.associations.get(association_id)
        await self.bodies.require_visible(BodyKind.ASSOCIATION, row.id)
        return row

    async def create(self, data: AssociationCreate) -> Association:
        self.caller.require_shaper("form associations")
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
            subject = await self.subjects.live(data.subject_id, field="subject_id")
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
            unit = await self.units.live(data.unit_id, field="unit_id")
            if unit.kind != UnitKind.ASSOCIATION:
                raise DomainError(
                    "The unit of an association is a unit of kind association.", field="unit_id", clause="10"
                )
        row = await self.associations.create(
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
            await self.bodies.add_member_row(info, member, field=f"members[{i}].staff_id")
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

    async def update(self, association_id: UUID, data: AssociationUpdate) -> Association:
        self.caller.require_shaper("change associations")
        row = await self.associations.live(association_id)
        values = changes(data)
        if values.get("unit_id") is not None:
            unit = await self.units.live(values["unit_id"], field="unit_id")
            if unit.kind != UnitKind.ASSOCIATION:
                raise DomainError(
                    "The unit of an association is a unit of kind association.", field="unit_id", clause="10"
                )
        before = snapshot(row)
        for key, value in values.items():
            setattr(row, key, value)
        return await self.associations.changed(row, before)

    async def archive(self, association_id: UUID) -> Association:
        self.caller.require_shaper("archive associations")
        return await self.associations.archive(await self.associations.get(association_id))
