"""What goes inside each organisation of the demo: its staff, subjects, units, bodies and calendar,
made through the structure and bodies services as an administrator would make them.

The work done in those bodies (meetings, plans, documents under review) is `api.demo.work`. The
organisation's `Gap`s decide what is left out, so compliance has something to find.

Long because each kind of organisation (school, college, university, cabinet) is furnished by one
function here, side by side, so what sets the kinds apart in the demo reads in one place.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Grant
from api.clock import school_year_of
from api.context import Caller, TenantContext
from api.demo.people import Names
from api.demo.region import DemoOrg, Gap
from api.domain.bodies.associations import AssociationService
from api.domain.bodies.councils import CouncilService
from api.domain.bodies.rules import AssociationKind, BodyKind, CommissionKind, LeaderMethod, last_day_of_one_year_term
from api.domain.bodies.schemas import (
    AssociationCreate,
    CommissionCreate,
    CouncilCreate,
    LeaderCreate,
    MemberInput,
    PedagogicalCouncilCreate,
)
from api.domain.bodies.services import BodiesService
from api.domain.organisations.rules import OrgKind
from api.domain.structure.calendar import CalendarService
from api.domain.structure.models import Subject
from api.domain.structure.rules import Position, UnitKind
from api.domain.structure.schemas import CalendarCreate, StaffCreate, SubjectCreate, UnitCreate
from api.domain.structure.services import SubjectService, UnitService, ensure_subjects_seeded
from api.domain.structure.staff import StaffService
from api.roles import Role
from api.tenancy import Tenant

P = Position

# Subjects whose teachers form an association, taken in this order by school size.
ASSOCIATION_SUBJECTS = ["mathematics", "kazakh_language", "russian_language", "history_of_kazakhstan"]
# Subjects a school has one teacher of; an inter-school association gathers them (cl. 25, 26).
SINGLE_SUBJECTS = [
    "physics",
    "biology",
    "chemistry",
    "geography",
    "informatics",
    "music",
    "physical_education",
    "visual_arts",
    "self_knowledge",
]
LONELY = "english"  # two teachers, or three and no association where the school has that gap (cl. 26)


@dataclass
class Body:
    kind: BodyKind
    id: UUID
    name: str
    members: list[UUID]
    keeper: UUID | None  # who records its conclusions: the leader, or the chair


@dataclass
class Furnished:
    """What the work in an organisation needs from its structure."""

    tenant: Tenant
    staff: dict[str, UUID] = field(default_factory=dict)  # by post
    associations: list[Body] = field(default_factory=list)
    council: Body | None = None  # the organisation's methodological council
    pedagogical: Body | None = None
    reviewers: dict[UUID, Body] = field(default_factory=dict)  # an author's commission or association
    unit_councils: dict[UUID, Body] = field(default_factory=dict)  # by the author's first unit
    authors: list[tuple[UUID, UUID | None]] = field(default_factory=list)  # (staff, subject)
    subject_teachers: dict[str, list[UUID]] = field(default_factory=dict)  # by subject code
    lapsed: UUID | None = None  # the association whose leader's term ran out
    missed: UUID | None = None  # the association that skipped a term


class Place:
    """One organisation being furnished: its tenant session, the day, and who acts in it."""

    def __init__(
        self,
        session: AsyncSession,
        tenant: Tenant,
        org: DemoOrg,
        today: datetime.date,
        posts: dict[str, tuple[str, str]],
    ) -> None:
        self.session, self.tenant, self.org, self.today, self.posts = session, tenant, org, today, posts
        self.rng = random.Random(f"demo:{org.serial}")
        self.names = Names(org.serial)
        # The demo sets the organisation up as its admin would.
        self.admin = Caller(None, (Grant(Role.ORGANISATION_ADMIN, organisation_id=tenant.organisation_id),))
        self.context = TenantContext.of(tenant, session, self.admin)
        self.bodies = BodiesService(self.context)
        self.associations = AssociationService(self.context)
        self.councils = CouncilService(self.context)
        self.school_year = school_year_of(today)
        # The demo's bodies have worked since the summer before last: a year of history, so every
        # term of this school year is one they are held to (cl. 25).
        self.since = datetime.date(self.school_year - 1, 8, 25)
        self.term_ends = datetime.date(self.school_year + 1, 7, 31)  # councils are elected to this day
        self.leader_starts = min(datetime.date(self.school_year, 8, 28), today)

    def lacks(self, gap: Gap) -> bool:
        return gap in self.org.gaps

    async def person(self, post: str | None, positions: list[Position], **fields: object) -> UUID:
        """A member of staff; a demo user's post gets that user's name and email."""
        name, email = self.posts.get(post or "", (self.names.next(), None))
        data = StaffCreate(full_name=name, positions=positions, email=email, **fields)  # type: ignore[arg-type]
        return (await StaffService(self.context).create(data)).id

    async def unit(self, name: str, kind: UnitKind, parent: UUID | None = None) -> UUID:
        return (await UnitService(self.context).create(UnitCreate(name, kind, parent))).id

    def members(self, ids: list[UUID], *, elected: bool = False) -> list[MemberInput]:
        ends = self.term_ends if elected else None
        return [MemberInput(i, starts_on=self.since, ends_on=ends) for i in dict.fromkeys(ids)]

    async def association(
        self,
        name: str,
        kind: AssociationKind,
        members: list[UUID],
        *,
        subject: UUID | None = None,
        unit: UUID | None = None,
        lapsed: bool = False,
    ) -> Body:
        row = await self.associations.create(
            AssociationCreate(name=name, kind=kind, subject_id=subject, unit_id=unit, members=self.members(members))
        )
        # Recorded when it was formed, the summer before last, not today (cl. 25 holds an
        # association to the terms it existed in).
        row.created_at = datetime.datetime.combine(self.since, datetime.time(10), tzinfo=datetime.UTC)
        leader = members[0]
        if lapsed:  # last year's leader; nobody elected since (cl. 30)
            start, end = datetime.date(self.school_year - 1, 8, 28), datetime.date(self.school_year, 5, 31)
        else:
            start = self.leader_starts
            end = last_day_of_one_year_term(start)
        await self.bodies.add_leader(row.id, LeaderCreate(leader, LeaderMethod.ELECTED, start, end))
        return Body(BodyKind.ASSOCIATION, row.id, name, members, None if lapsed else leader)

    async def council(
        self, name: str, chair: UUID, secretary: UUID, members: list[UUID], unit: UUID | None = None
    ) -> Body:
        data = CouncilCreate(
            name=name,
            unit_id=unit,
            chair_staff_id=chair,
            secretary_staff_id=secretary,
            members=self.members([chair, secretary, *members], elected=True),
        )
        row = await self.councils.create_council(data)
        return Body(BodyKind.COUNCIL, row.id, name, list(dict.fromkeys([chair, secretary, *members])), chair)

    async def pedagogical_council(self, chair: UUID, secretary: UUID, members: list[UUID]) -> Body:
        everyone = list(dict.fromkeys([chair, secretary, *members]))
        data = PedagogicalCouncilCreate(
            name="Педагогикалық кеңес",
            chair_staff_id=chair,
            secretary_staff_id=secretary,
            members=self.members(everyone),
        )
        row = await self.councils.create_pedagogical_council(data)
        return Body(BodyKind.PEDAGOGICAL_COUNCIL, row.id, data.name, everyone, chair)

    async def commission(self, name: str, kind: CommissionKind, unit: UUID, members: list[UUID]) -> Body:
        data = CommissionCreate(
            name=name,
            kind=kind,
            unit_id=unit,
            chair_staff_id=members[0],
            secretary_staff_id=members[1],
            members=self.members(members),
        )
        row = await self.councils.create_commission(data)
        body_kind = BodyKind.DEPARTMENT if kind is CommissionKind.DEPARTMENT else BodyKind.COMMISSION
        return Body(body_kind, row.id, name, members, members[0])

    async def calendar(self) -> None:
        """The organisation's own calendar of this school year (the usual dates; others keep the default)."""
        await CalendarService(self.context).create(CalendarCreate(self.school_year))


async def furnish(place: Place) -> Furnished:
    kind = place.tenant.kind
    if kind is OrgKind.SCHOOL:
        return await _school(place)
    if kind is OrgKind.COLLEGE:
        return await _college(place)
    if kind is OrgKind.UNIVERSITY:
        return await _university(place)
    return await _cabinet(place)


async def _school(place: Place) -> Furnished:
    f, rng, size = Furnished(place.tenant), place.rng, place.org.size
    await ensure_subjects_seeded(place.session, OrgKind.SCHOOL)
    subjects = {s.code: s for s in (await place.session.scalars(select(Subject))).all()}
    if rng.random() < 0.4:
        await place.calendar()
    f.staff["head"] = await place.person("head", [P.HEAD])
    grouped = ASSOCIATION_SUBJECTS[: 2 + size]
    if not place.lacks(Gap.NO_DEPUTY):
        f.staff["deputy"] = await place.person(
            "deputy", [P.DEPUTY_HEAD], supervised_subject_ids=[subjects[c].id for c in grouped]
        )
    # Large schools record their associations as units of the structure too (cl. 10).
    units = (
        {c: await place.unit(f"{subjects[c].name_kk} бірлестігі", UnitKind.ASSOCIATION) for c in grouped}
        if size == 2
        else {}
    )
    groups: list[tuple[str, list[UUID]]] = []
    for i, code in enumerate(grouped):
        ids = []
        for k in range(3 + rng.randint(0, 2)):
            post = ("association_leader", "teacher")[k] if i == 0 and k < 2 else None
            ids.append(await place.person(post, [P.TEACHER], subject_ids=[subjects[code].id], unit_id=units.get(code)))
        groups.append((code, ids))
        f.subject_teachers[code] = ids
    for code in SINGLE_SUBJECTS[: 3 + size]:
        f.subject_teachers[code] = [await place.person(None, [P.TEACHER], subject_ids=[subjects[code].id])]
    lonely = [
        await place.person(None, [P.TEACHER], subject_ids=[subjects[LONELY].id])
        for _ in range(3 if place.lacks(Gap.LONELY_SUBJECT) else 2)
    ]
    primary = [await place.person(None, [P.PRIMARY_TEACHER]) for _ in range(3 + size)]
    # Class teachers are subject teachers too; they meet as an association of their own (cl. 25).
    class_teachers = [groups[0][1][-1], groups[1][1][-1], lonely[0], *(ids[-1] for _, ids in groups[2:])]
    chair = (
        await place.person("council_chair", [P.METHODIST, P.TEACHER])
        if "council_chair" in place.posts
        else f.staff.get("deputy", f.staff["head"])
    )
    secretary = (
        await place.person("council_secretary", [P.TEACHER]) if "council_secretary" in place.posts else groups[1][1][1]
    )
    for code, ids in groups:
        body = await place.association(
            f"{subjects[code].name_kk} пәні мұғалімдерінің әдістемелік бірлестігі",
            AssociationKind.SUBJECT,
            ids,
            subject=subjects[code].id,
            unit=units.get(code),
        )
        f.associations.append(body)
        f.reviewers[ids[1]] = body
        f.authors.append((ids[1], subjects[code].id))
    f.associations.append(
        await place.association(
            "Бастауыш сынып мұғалімдерінің әдістемелік бірлестігі", AssociationKind.PRIMARY_GRADES, primary
        )
    )
    f.associations.append(
        await place.association(
            "Сынып жетекшілерінің әдістемелік бірлестігі",
            AssociationKind.CLASS_TEACHERS,
            class_teachers,
            lapsed=place.lacks(Gap.LEADER_LAPSED),
        )
    )
    f.missed, f.lapsed = f.associations[-2].id, f.associations[-1].id if place.lacks(Gap.LEADER_LAPSED) else None
    leaders = [a.members[0] for a in f.associations]
    if not place.lacks(Gap.NO_COUNCIL):
        f.council = await place.council("Әдістемелік кеңес", chair, secretary, [f.staff["head"], *leaders])
    # The whole teaching staff sits on the pedagogical council; the demo records its officers and
    # the associations' leaders, which is what its meetings need, and keeps the first load quick.
    f.pedagogical = await place.pedagogical_council(f.staff["head"], secretary, [*f.staff.values(), chair, *leaders])
    return f


COLLEGE_DISCIPLINES = [
    ("general_disciplines", "Жалпы білім беретін пәндер", "Общеобразовательные дисциплины"),
    ("special_disciplines", "Арнайы пәндер", "Специальные дисциплины"),
]


async def _college(place: Place) -> Furnished:
    f = Furnished(place.tenant)
    await place.calendar()
    division = await place.unit("Техникалық бөлім", UnitKind.DIVISION)
    office = await place.unit("Оқу-әдістемелік кабинет", UnitKind.UM_OFFICE)
    f.staff["head"] = await place.person("head", [P.HEAD])
    if not place.lacks(Gap.NO_DEPUTY):
        f.staff["deputy"] = await place.person("deputy", [P.DEPUTY_HEAD])
    f.staff["methodist"] = await place.person(None, [P.METHODIST, P.UNIT_HEAD], heads_unit_id=office, unit_id=office)
    lecturers: list[UUID] = []
    for code, kk, ru in COLLEGE_DISCIPLINES:
        subject = await SubjectService(place.context).create(SubjectCreate(code, kk, ru))
        unit = await place.unit(f"{kk} циклдік комиссиясы", UnitKind.CYCLE_COMMISSION, division)
        ids = [await place.person(None, [P.LECTURER], unit_id=unit, subject_ids=[subject.id]) for _ in range(4)]
        body = await place.commission(f"{kk} циклдік комиссиясы", CommissionKind.CYCLE_COMMISSION, unit, ids)
        f.reviewers[ids[2]] = body
        f.authors.append((ids[2], subject.id))
        lecturers += ids
    curators = [lecturers[3], lecturers[7], lecturers[1]]
    f.associations.append(
        await place.association(
            "Кураторлардың әдістемелік бірлестігі",
            AssociationKind.CLASS_TEACHERS,
            curators,
            lapsed=place.lacks(Gap.LEADER_LAPSED),
        )
    )
    f.lapsed = f.associations[0].id if place.lacks(Gap.LEADER_LAPSED) else None
    chair = f.staff.get("deputy", f.staff["head"])
    if not place.lacks(Gap.NO_COUNCIL):
        f.council = await place.council(
            "Әдістемелік кеңес", chair, f.staff["methodist"], [f.staff["head"], lecturers[0], lecturers[4]]
        )
        council = await place.council(
            "Техникалық бөлімнің әдістемелік кеңесі",
            lecturers[0],
            lecturers[4],
            [lecturers[5], lecturers[1]],
            unit=division,
        )
        f.unit_councils = {author: council for author, _ in f.authors}
    f.pedagogical = await place.pedagogical_council(
        f.staff["head"], f.staff["methodist"], [*f.staff.values(), *lecturers[::2]]
    )
    return f


FACULTIES = [
    ("Физика-техникалық факультеті", ["Радиофизика және электроника кафедрасы", "Инженерлік жылуфизика кафедрасы"]),
    ("Тарих факультеті", ["Қазақстан тарихы кафедрасы"]),
]


async def _university(place: Place) -> Furnished:
    f = Furnished(place.tenant)
    await place.calendar()
    office = await place.unit("Оқу-әдістемелік басқармасы", UnitKind.UM_OFFICE)
    f.staff["head"] = await place.person("head", [P.HEAD])
    f.staff["deputy"] = await place.person("deputy", [P.DEPUTY_HEAD])
    f.staff["office"] = await place.person(None, [P.UNIT_HEAD, P.METHODIST], heads_unit_id=office, unit_id=office)
    councillors: list[UUID] = []
    for index, (faculty_name, departments) in enumerate(FACULTIES):
        faculty = await place.unit(faculty_name, UnitKind.FACULTY)
        dean = await place.person(
            "dean" if index == 0 else None, [P.UNIT_HEAD, P.LECTURER], heads_unit_id=faculty, unit_id=faculty
        )
        heads: list[UUID] = []
        authors: list[UUID] = []
        for number, name in enumerate(departments):
            unit = await place.unit(name, UnitKind.DEPARTMENT, faculty)
            first = index == 0 and number == 0
            head = await place.person(
                "department_head" if first else None, [P.UNIT_HEAD, P.LECTURER], heads_unit_id=unit, unit_id=unit
            )
            ids = [
                head,
                *[
                    await place.person("teacher" if first and k == 0 else None, [P.LECTURER], unit_id=unit)
                    for k in range(3)
                ],
            ]
            body = await place.commission(name, CommissionKind.DEPARTMENT, unit, ids)
            heads.append(head)
            authors.append(ids[1])
            f.reviewers[ids[1]] = body
            f.authors.append((ids[1], None))
        councillors += [dean, *heads]
        if index == 0 or not place.lacks(Gap.FACULTY_WITHOUT_COUNCIL):
            if f.council is None:
                f.council = await place.council(
                    "Ғылыми-әдістемелік кеңес", f.staff["deputy"], f.staff["office"], [f.staff["head"]]
                )
            council = await place.council(
                f"{faculty_name} әдістемелік кеңесі", dean, heads[0], heads[1:] + authors[:1], unit=faculty
            )
            f.unit_councils.update({a: council for a in authors})
    return f


async def _cabinet(place: Place) -> Furnished:
    """A methodological cabinet: its head, methodists and sections; a district's cabinet keeps the
    inter-school associations too (`api.demo.work.inter_school`, once the district's schools exist)."""
    f = Furnished(place.tenant)
    f.staff["head"] = await place.person("head", [P.HEAD])
    for name in ("Мектепке дейінгі және бастауыш білім бөлімі", "Жалпы орта білім бөлімі"):
        section = await place.unit(name, UnitKind.DIVISION)
        for _ in range(2):
            await place.person(None, [P.METHODIST], unit_id=section)
    return f
