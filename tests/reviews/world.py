"""Organisations with a structure to review in: made the real way (provisioned schemas, rows of
the structure and bodies domains), with users and role assignments in the control plane."""

from __future__ import annotations

import datetime
import io
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select

from api.access import Grant
from api.context import TenantContext, caller_of
from api.domain.accounts.models import RoleAssignment, User
from api.domain.bodies.models import Association, BodyMembership, Commission, Council, LeaderTerm
from api.domain.meetings.models import AgendaItem, Attendance, Meeting
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import EducationLevel, OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.structure.models import Staff, Subject, Unit
from api.domain.territories.models import Territory
from api.domain.territories.services import TerritoryService
from api.tenancy import Tenant
from tests.support import fresh_bin

LEVELS = {
    OrgKind.SCHOOL: [EducationLevel.PRIMARY, EducationLevel.BASIC_SECONDARY, EducationLevel.GENERAL_SECONDARY],
    OrgKind.COLLEGE: [EducationLevel.TECHNICAL_VOCATIONAL],
    OrgKind.UNIVERSITY: [EducationLevel.HIGHER],
}


# --- files ------------------------------------------------------------------------------------


def pdf(text: str = "curriculum") -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% " + text.encode() + b"\n%%EOF\n"


# Entries carry this time, not the clock's: the same content makes the same bytes whenever it is
# made (a file compared with one made again later differed by the archive's timestamps).
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


def _put(z: zipfile.ZipFile, name: str, data: str) -> None:
    z.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), data, compress_type=z.compression)


def docx(*paragraphs: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        _put(
            z,
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        _put(
            z,
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        _put(z, "[Content_Types].xml", "<Types/>")
        _put(z, "xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def odt(*paragraphs: str) -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        _put(z, "mimetype", "application/vnd.oasis.opendocument.text")
        _put(
            z,
            "content.xml",
            '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:'
            'opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
            f"<office:body><office:text>{body}</office:text></office:body></office:document-content>",
        )
    return buffer.getvalue()


# --- people -------------------------------------------------------------------------------------


@dataclass
class Person:
    name: str
    user_id: UUID
    staff_id: UUID
    email: str
    grants: tuple[Grant, ...] = ()


@dataclass
class World:
    """One organisation, its structure and its people."""

    org_id: UUID
    schema: str
    kind: OrgKind
    territory_id: UUID
    people: dict[str, Person] = field(default_factory=dict)
    units: dict[str, UUID] = field(default_factory=dict)
    bodies: dict[str, tuple[str, UUID]] = field(default_factory=dict)  # name -> (body_kind, id)
    meetings: dict[str, tuple[UUID, UUID]] = field(default_factory=dict)  # body name -> (meeting, agenda item)
    subject_id: UUID | None = None
    keeper: dict[UUID, str] = field(default_factory=dict)  # body or office id -> the person who records for it

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    async def context(self, session: Any, name: str) -> TenantContext:
        """The request context of `name` in this organisation, on `session` (bound to its schema);
        as the access guard would, it keeps the grants that reach the organisation."""
        person = self.people[name]
        grants = [g for g in person.grants if g.organisation_id == self.org_id or g.territory_id is not None]
        tenant = Tenant(self.org_id, self.schema, self.kind, self.territory_id)
        return TenantContext.of(tenant, session, await caller_of(session, person.user_id, grants))


async def district(db: Any) -> UUID:
    async with db.session() as session, session.begin():
        region = await TerritoryService(session).by_slug("karaganda")
        slug = f"test-district-{uuid.uuid4().hex[:8]}"
        row = Territory(slug=slug, kind="district", parent_id=region.id, name_kk=slug, name_ru=slug, name_en=slug)
        session.add(row)
        await session.flush()
        return row.id


async def make_organisation(db: Any, kind: OrgKind, territory_id: UUID) -> tuple[UUID, str]:
    from api.domain.organisations.provisioning import provision_organisation

    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=kind,
                territory_id=territory_id,
                bin=fresh_bin(),
                name_kk="Сынақ",
                name_ru="Тест",
                name_en=f"Test {kind.value}",
                levels=LEVELS[kind],
            )
        )
        org_id = org.id
    assert await provision_organisation(db, org_id) == "active"
    async with db.session() as session:
        org = await session.get(Organisation, org_id)
        return org_id, org.schema_name


async def add_person(
    db: Any,
    world: World,
    key: str,
    name: str,
    roles: list[tuple[str, UUID | None]] = (),  # type: ignore[assignment]
    unit: str | None = None,
    heads: str | None = None,
) -> Person:
    """A user with roles at the organisation (or at one of its units) and a staff record."""
    email = f"{key}.{uuid.uuid4().hex[:6]}@example.kz"
    async with db.session() as session, session.begin():
        user = User(issuer="https://test-idp.example", subject=uuid.uuid4().hex, email=email, full_name=name)
        session.add(user)
        await session.flush()
        grants = []
        for role, unit_id in roles:
            session.add(RoleAssignment(user_id=user.id, role=role, organisation_id=world.org_id, unit_id=unit_id))
            grants.append(Grant(role, organisation_id=world.org_id, unit_id=unit_id))
        user_id = user.id
    async with db.tenant_context(world.schema) as session:
        staff = Staff(
            full_name=name,
            user_id=user_id,
            email=email,
            positions=["teacher"],
            unit_id=world.units.get(unit) if unit else None,
            heads_unit_id=world.units.get(heads) if heads else None,
        )
        session.add(staff)
        await session.flush()
        staff_id = staff.id
    person = Person(name, user_id, staff_id, email, tuple(grants))
    world.people[key] = person
    return person


async def add_unit(db: Any, world: World, key: str, kind: str, parent: str | None = None) -> UUID:
    async with db.tenant_context(world.schema) as session:
        unit = Unit(
            name=key.replace("_", " ").title(), kind=kind, parent_id=world.units.get(parent) if parent else None
        )
        session.add(unit)
        await session.flush()
        world.units[key] = unit.id
        return unit.id


async def add_body(
    db: Any,
    world: World,
    key: str,
    body_kind: str,
    *,
    unit: str | None,
    chair: str,
    secretary: str | None = None,
    members: tuple[str, ...] = (),
) -> UUID:
    """A council (unit None: the organisation's), a commission or department, or an association,
    with a meeting and an agenda item to decide at."""
    async with db.tenant_context(world.schema) as session:
        unit_id = world.units.get(unit) if unit else None
        name = key.replace("_", " ").title()
        if body_kind == "council":
            row: Any = Council(
                name=name,
                kind="methodological",
                unit_id=unit_id,
                chair_staff_id=world[chair].staff_id,
                secretary_staff_id=world[secretary].staff_id if secretary else None,
            )
        elif body_kind in ("commission", "department"):
            row = Commission(
                name=name,
                kind="department" if body_kind == "department" else "cycle_commission",
                unit_id=unit_id,
                chair_staff_id=world[chair].staff_id,
                secretary_staff_id=world[secretary].staff_id if secretary else None,
            )
        elif body_kind == "association":
            row = Association(name=name, kind="subject", unit_id=unit_id, subject_id=world.subject_id)
        else:
            raise AssertionError(body_kind)
        session.add(row)
        await session.flush()
        today = datetime.date.today()
        if body_kind == "association":
            session.add(
                LeaderTerm(
                    body_kind="association",
                    body_id=row.id,
                    staff_id=world[chair].staff_id,
                    full_name=world[chair].name,
                    method="elected",
                    starts_on=today - datetime.timedelta(days=30),
                    ends_on=today + datetime.timedelta(days=300),
                )
            )
        # The chair and the secretary sit on the body; all its members attend its meeting, so the
        # meeting has a quorum and a conclusion taken there counts.
        seated = list(dict.fromkeys((chair, *((secretary,) if secretary else ()), *members)))
        for member in seated:
            session.add(
                BodyMembership(
                    body_kind=body_kind,
                    body_id=row.id,
                    staff_id=world[member].staff_id,
                    starts_on=today - datetime.timedelta(days=30),
                )
            )
        meeting = Meeting(
            body_kind=body_kind,
            body_id=row.id,
            title=f"Meeting of {name}",
            starts_at=datetime.datetime.now(datetime.UTC),
        )
        session.add(meeting)
        await session.flush()
        for member in seated:
            session.add(Attendance(meeting_id=meeting.id, staff_id=world[member].staff_id, present=True))
        item = AgendaItem(meeting_id=meeting.id, position=1, title="Documents under review")
        session.add(item)
        await session.flush()
        world.bodies[key] = (body_kind, row.id)
        world.keeper[row.id] = chair
        world.meetings[key] = (meeting.id, item.id)
        return row.id


async def university(db: Any, territory_id: UUID) -> World:
    """Institute → faculty → department → cycle commission, an educational-methodological office,
    councils of the institute, the faculty and the organisation."""
    org_id, schema = await make_organisation(db, OrgKind.UNIVERSITY, territory_id)
    w = World(org_id, schema, OrgKind.UNIVERSITY, territory_id)
    await add_unit(db, w, "institute", "institute")
    await add_unit(db, w, "faculty", "faculty", "institute")
    await add_unit(db, w, "department", "department", "faculty")
    await add_unit(db, w, "cycle", "cycle_commission", "department")
    await add_unit(db, w, "office", "um_office")
    await add_person(db, w, "author", "Aigerim Author", [("teacher", None)], unit="cycle")
    await add_person(db, w, "coauthor", "Bolat Coauthor", [("teacher", None)], unit="cycle")
    await add_person(db, w, "outsider", "Olzhas Outsider", [("teacher", None)], unit="department")
    await add_person(db, w, "head", "Hamit Head", [("head", None)])
    await add_person(db, w, "deputy", "Dana Deputy", [("deputy_head", None)])
    await add_person(db, w, "admin", "Asel Admin", [("organisation_admin", None)])
    await add_person(db, w, "office_head", "Oksana Office", [("unit_head", w.units["office"])], heads="office")
    w.keeper[w.units["office"]] = "office_head"
    for key in ("cc", "dep", "fac", "inst", "org"):
        await add_person(db, w, f"{key}_chair", f"{key.upper()} Chair", [("council_chair", None)])
        await add_person(db, w, f"{key}_secretary", f"{key.upper()} Secretary", [("council_secretary", None)])
    await add_body(db, w, "cycle_commission", "commission", unit="cycle", chair="cc_chair", secretary="cc_secretary")
    await add_body(
        db, w, "department_body", "department", unit="department", chair="dep_chair", secretary="dep_secretary"
    )
    await add_body(db, w, "faculty_council", "council", unit="faculty", chair="fac_chair", secretary="fac_secretary")
    await add_body(
        db, w, "institute_council", "council", unit="institute", chair="inst_chair", secretary="inst_secretary"
    )
    await add_body(db, w, "org_council", "council", unit=None, chair="org_chair", secretary="org_secretary")
    return w


async def school(db: Any, territory_id: UUID) -> World:
    """A school: a subject association, the organisation's council; no departments or faculties."""
    org_id, schema = await make_organisation(db, OrgKind.SCHOOL, territory_id)
    w = World(org_id, schema, OrgKind.SCHOOL, territory_id)
    async with db.tenant_context(schema) as session:
        subject = Subject(code="mathematics", name_kk="Математика", name_ru="Математика", name_en="Mathematics")
        session.add(subject)
        await session.flush()
        w.subject_id = subject.id
    await add_unit(db, w, "maths_association", "association")
    await add_person(db, w, "author", "Saule Teacher", [("teacher", None)], unit="maths_association")
    await add_person(
        db,
        w,
        "leader",
        "Leila Leader",
        [("association_leader", w.units["maths_association"])],
        unit="maths_association",
    )
    await add_person(db, w, "head", "Serik Head", [("head", None)])
    await add_person(db, w, "deputy", "Gulnar Deputy", [("deputy_head", None)])
    await add_person(db, w, "admin", "Arman Admin", [("organisation_admin", None)])
    await add_person(db, w, "org_chair", "Council Chair", [("council_chair", None)])
    await add_person(db, w, "org_secretary", "Council Secretary", [("council_secretary", None)])
    await add_body(db, w, "maths", "association", unit="maths_association", chair="leader", members=("author",))
    await add_body(db, w, "org_council", "council", unit=None, chair="org_chair", secretary="org_secretary")
    return w


async def count(db: Any, schema: str, model: Any, *where: Any) -> int:
    from sqlalchemy import func

    async with db.tenant_session(schema) as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
