"""The work done in the demo's bodies, through the work and review services: a held meeting in
every closed term, annual plans submitted to and approved by the head, documents carried through
their review routes, and the inter-school associations of the district cabinets.

Dates follow the day the demo is loaded: the terms already closed get their meetings, the next
one is planned. What an organisation's `Gap`s leave out is what compliance then finds.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from sqlalchemy import select

from api.access import Grant
from api.clock import KZ_TIME
from api.context import Caller, TenantContext
from api.demo.facts import Body, Furnished, Place
from api.demo.region import Gap
from api.domain.bodies.inter_school import InterSchoolService
from api.domain.bodies.rules import AssociationKind, last_day_of_one_year_term
from api.domain.bodies.schemas import InterSchoolCreate, InterSchoolLeaderCreate, InterSchoolMemberCreate
from api.domain.documents.models import Document
from api.domain.documents.rules import DocumentKind
from api.domain.documents.schemas import DocumentCreate
from api.domain.documents.services import DocumentService
from api.domain.documents.storage import FileStore
from api.domain.meetings.schemas import AgendaItemCreate, AttendanceEntry, MeetingCreate, MeetingUpdate
from api.domain.meetings.services import MeetingService
from api.domain.meetings.terms import calendar_terms, closed_terms
from api.domain.organisations.rules import OrgKind
from api.domain.plans.rules import Direction
from api.domain.plans.schemas import PlanCreate, PlanItemWrite
from api.domain.plans.services import PlanService
from api.domain.reviews import queries
from api.domain.reviews.models import ReviewStage, ReviewStageMember
from api.domain.reviews.rules import Outcome, Selector, StageTemplate
from api.domain.reviews.schemas import DecisionRequest
from api.domain.reviews.services import ReviewService
from api.domain.structure.models import Staff
from api.roles import Role

MAX_BYTES = 1024 * 1024

# One item per direction of cl. 7, in the directions' order.
PLAN_ITEMS = {
    Direction.THEORY_AND_METHODS: "Белсенді оқыту әдістері бойынша семинар-практикум",
    Direction.NORMATIVE_DOCUMENTS: "Жаңартылған нормативтік құжаттарды зерделеу",
    Direction.FORMS_AND_METHODS: "Ашық сабақтар мен сыныптан тыс іс-шаралар апталығы",
    Direction.BEST_EXPERIENCE: "Озат тәжірибені тарату: тәжірибе алмасу сабақтары",
    Direction.METHODOLOGICAL_FORMS: "Пән олимпиадасының мектепішілік кезеңін өткізу",
    Direction.TEACHING_QUALITY: "Тоқсандық жиынтық бағалау нәтижелерін талдау",
    Direction.CERTIFICATION: "Педагогтерді аттестаттауға дайындық",
    Direction.METHODOLOGICAL_PRODUCTS: "Әдістемелік құралдар жинағын әзірлеу",
}
BASIS = (
    "Өткен оқу жылының диагностикасы мен талдауы, ішкі бақылау нәтижелері және педагогтердің "
    "кәсіби дамуының сараланған мақсаттары."
)
MINUTES = "Күн тәртібіндегі мәселелер талқыланды; шешімдер қабылданды, орындалу мерзімдері белгіленді."

# A school's own review route for working programmes and lesson plans (cl. 20, within the
# clause): it has no councils of units, so its association reviews them before the council.
SCHOOL_ROUTE = [
    StageTemplate(Selector.COMMISSION),
    StageTemplate(Selector.ORGANISATION_COUNCIL),
    StageTemplate(Selector.APPROVAL, approver_roles=[Role.DEPUTY_HEAD.value]),
]
# The document a route gap leaves with a missing stage, by the clause it is reported under.
GAP_DOCUMENTS = {
    Gap.ROUTE_18: (DocumentKind.OTHER, "Ішкі бақылау жоспары"),
    Gap.ROUTE_19: (DocumentKind.WORKING_CURRICULUM, "Жұмыс оқу жоспары"),
    Gap.ROUTE_20: (DocumentKind.WORKING_PROGRAMME, "Жұмыс оқу бағдарламасы"),
    Gap.ROUTE_21: (DocumentKind.GUIDELINES, "Әдістемелік ұсынымдар"),
}


def pdf(text: str) -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% " + text.encode() + b"\n%%EOF\n"


def at(day: datetime.date, hour: int = 15) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=KZ_TIME)


def attendance(members: list[UUID]) -> list[AttendanceEntry]:
    """Everyone came, but for one away on a course where there are four or more: a quorum either way."""
    away = members[-1] if len(members) >= 4 else None
    return [
        AttendanceEntry(
            staff_id=s, present=s != away, absence_reason="Біліктілікті арттыру курсында" if s == away else None
        )
        for s in members
    ]


class Work:
    def __init__(self, place: Place, furnished: Furnished, store: FileStore) -> None:
        self.place, self.f, self.store = place, furnished, store
        self.session = place.session
        self.kind = place.tenant.kind
        self.as_admin = self.acting(Role.ORGANISATION_ADMIN)
        self.meetings = MeetingService(self.as_admin)
        self.review_meetings: dict[UUID, tuple[UUID, list[UUID]]] = {}

    async def run(self) -> None:
        await self.terms()
        await self.plans()
        await self.documents()

    # --- meetings (cl. 25) -----------------------------------------------------------------------

    async def meeting(
        self,
        body: Body,
        day: datetime.date,
        title: str,
        *,
        held: bool = True,
        minutes: bool = False,
        documents: list[UUID] = (),
    ) -> tuple[UUID, list[UUID]]:  # type: ignore[assignment]
        """A meeting of `body` at 15:00 on `day`; a held one has its attendance recorded, which is
        what makes it count for cl. 25, and its minutes where asked."""
        agenda = [AgendaItemCreate(title)] + [AgendaItemCreate("Құжатты қарау", document_id=d) for d in documents]
        meeting = await self.meetings.create(MeetingCreate(body.kind, body.id, at(day), title=title, agenda=agenda))
        if held:
            await self.meetings.set_attendance(meeting.id, attendance(body.members))
        if held and minutes:
            await self.meetings.update(meeting.id, MeetingUpdate(minutes=MINUTES))
        return meeting.id, [a.id for a in sorted(meeting.agenda, key=lambda a: a.position)]

    async def terms(self) -> None:
        today = self.place.today
        closed = closed_terms(await calendar_terms(self.session, today, self.kind.value), today)
        for body in self.f.associations:
            for term in closed:
                if body.id == self.f.missed and self.place.lacks(Gap.MISSED_MEETING) and term == closed[-1]:
                    continue  # it skipped the last term: nobody recorded a meeting (cl. 25)
                await self.meeting(
                    body, term.starts_on + datetime.timedelta(days=20), f"{term.number}-кезеңнің отырысы"
                )
            if body is self.f.associations[0]:  # one planned ahead is enough to show what "planned" means
                await self.meeting(body, today + datetime.timedelta(days=10), "Кезекті отырыс", held=False)
        if self.f.council is not None:
            for term in closed:
                await self.meeting(
                    self.f.council,
                    term.starts_on + datetime.timedelta(days=25),
                    "Әдістемелік кеңес отырысы",
                    minutes=True,
                )
        if self.f.pedagogical is not None:
            await self.meeting(self.f.pedagogical, self.place.leader_starts, "Тамыз педагогикалық кеңесі")

    # --- annual plans (cl. 7, 29) ----------------------------------------------------------------

    async def plans(self) -> None:
        year = self.place.school_year
        directions = [
            d
            for d in Direction
            if not (d is Direction.METHODOLOGICAL_PRODUCTS and self.place.lacks(Gap.PLAN_DIRECTIONS))
        ]
        head = PlanService(self.acting(Role.HEAD))
        for index, body in enumerate(self.f.associations):
            items = [
                PlanItemWrite(
                    PLAN_ITEMS[d],
                    d,
                    datetime.date(year, 9, 10) + datetime.timedelta(days=28 * n),
                    responsible_ids=[body.members[0]],
                )
                for n, d in enumerate(directions)
            ]
            plans = PlanService(self.as_admin)
            plan = await plans.create(
                PlanCreate(
                    body.id,
                    year,
                    title=f"{body.name}: {year}/{year + 1} оқу жылының жұмыс жоспары",
                    basis=BASIS,
                    items=items,
                )
            )
            await plans.submit(plan.id)
            if index == 0 and self.place.lacks(Gap.PLAN_UNAPPROVED):
                continue  # still with the head (cl. 29)
            await head.approve(plan.id)

    def acting(self, role: Role) -> TenantContext:
        """The organisation's context as someone holding `role` there (the demo has no signed-in user)."""
        caller = Caller(None, (Grant(role, organisation_id=self.place.tenant.organisation_id),))
        return TenantContext.of(self.place.tenant, self.session, caller)

    # --- documents through their review routes (cl. 18-21) ---------------------------------------

    async def caller(self, staff_id: UUID | None, *roles: Role) -> Caller:
        """Who acts in the review work: a member of staff, or the holder of `roles` at the organisation."""
        name = (await self.session.get(Staff, staff_id)).full_name if staff_id else "Демо"  # type: ignore[union-attr]
        organisation_id = self.place.tenant.organisation_id
        return Caller(None, tuple(Grant(role, organisation_id=organisation_id) for role in roles), staff_id, name)

    def reviews(self, who: Caller) -> tuple[DocumentService, ReviewService]:
        context = TenantContext.of(self.place.tenant, self.session, who)
        return DocumentService(context, self.store, max_bytes=MAX_BYTES, reviews=queries), ReviewService(context)

    async def documents(self) -> None:
        f, place = self.f, self.place
        if not f.authors:
            return
        if self.kind is OrgKind.SCHOOL and not place.lacks(Gap.ROUTE_20):
            _, routes = self.reviews(await self.caller(None, Role.ORGANISATION_ADMIN))
            for kind in (DocumentKind.WORKING_PROGRAMME, DocumentKind.LESSON_PLAN):
                await routes.set_route(kind, list(SCHOOL_ROUTE))
        author, subject = f.authors[0]
        # The deputy head approves working programmes (cl. 20): where there is none, it waits.
        await self.document(
            author, subject, DocumentKind.WORKING_PROGRAMME, "Жұмыс оқу бағдарламасы", approve="deputy" in f.staff
        )
        second, subject = f.authors[1 % len(f.authors)]
        if not (self.kind is OrgKind.SCHOOL and place.lacks(Gap.ROUTE_20)):
            await self.document(second, subject, DocumentKind.LESSON_PLAN, "Ашық сабақтың қысқа мерзімді жоспары")
        last, subject = f.authors[-1]
        for gap, (kind, title) in GAP_DOCUMENTS.items():
            if place.lacks(gap):
                await self.document(last, subject, kind, title)

    async def document(
        self, author: UUID, subject: UUID | None, kind: DocumentKind, title: str, *, approve: bool = False
    ) -> None:
        year = self.place.school_year
        documents, reviews = self.reviews(await self.caller(author, Role.TEACHER))
        doc = await documents.create(
            DocumentCreate(kind, f"{title} ({year}/{year + 1})", [author], subject_id=subject, school_year=year)
        )
        version = await documents.add_version(
            doc.id, pdf(f"{self.place.org.serial} {doc.title}"), "document.pdf", None, None
        )
        round_ = await reviews.submit(doc, version)
        if not approve:
            return
        stages = (
            await self.session.scalars(
                select(ReviewStage).where(ReviewStage.round_id == round_.id).order_by(ReviewStage.position)
            )
        ).all()
        for stage in stages:
            if stage.kind == "approval":
                who = await self.caller(None, Role(stage.approver_roles[0]))
                await self.decide(who, doc.id, DecisionRequest(stage.id, version.id, Outcome.POSITIVE))
                continue
            for member in (
                await self.session.scalars(select(ReviewStageMember).where(ReviewStageMember.stage_id == stage.id))
            ).all():
                body = self.body(member.body_id)
                meeting, agenda = await self.review_meeting(body, doc.id)
                request = DecisionRequest(
                    stage.id,
                    version.id,
                    Outcome.POSITIVE,
                    body_id=member.body_id,
                    meeting_id=meeting,
                    agenda_item_id=agenda,
                )
                await self.decide(await self.caller(body.keeper), doc.id, request)

    async def decide(self, who: Caller, document_id: UUID, request: DecisionRequest) -> None:
        _, reviews = self.reviews(who)
        document = await self.session.get(Document, document_id)
        await reviews.decide(document, request)  # type: ignore[arg-type]

    def body(self, body_id: UUID) -> Body:
        f = self.f
        known = [*f.associations, *f.reviewers.values(), *f.unit_councils.values(), *([f.council] if f.council else [])]
        return next(b for b in known if b.id == body_id)

    async def review_meeting(self, body: Body, document_id: UUID) -> tuple[UUID, UUID]:
        """The body's meeting of two days ago, with an agenda item for the document."""
        if body.id not in self.review_meetings:
            day = self.place.today - datetime.timedelta(days=2)
            self.review_meetings[body.id] = await self.meeting(
                body, day, "Құжаттарды қарау", minutes=True, documents=[document_id]
            )
            return self.review_meetings[body.id][0], self.review_meetings[body.id][1][1]
        meeting, _ = self.review_meetings[body.id]
        item = await self.meetings.add_agenda_item(meeting, AgendaItemCreate("Құжатты қарау", document_id=document_id))
        return meeting, item.id


# --- inter-school associations of a district cabinet (cl. 25, 30) ---------------------------------

INTER_SCHOOL = [("physics", "Физика"), ("biology", "Биология")]


async def inter_school(place: Place, schools: list[Furnished]) -> None:
    """Teachers a school has only one or two of meet across the district; the district methodist
    appoints their leaders (cl. 30). A cabinet with the gap leaves its second one without."""
    service = InterSchoolService(place.context)
    # The district's methodist appoints the leaders (cl. 30).
    methodist = Caller(None, (Grant(Role.DISTRICT_METHODIST, territory_id=place.tenant.territory_id),))
    appointing = InterSchoolService(TenantContext.of(place.tenant, place.session, methodist))
    for index, (code, name) in enumerate(INTER_SCHOOL):
        row = await service.create(
            InterSchoolCreate(
                f"{name} пәні мұғалімдерінің мектепаралық әдістемелік бірлестігі", AssociationKind.SUBJECT, code, name
            )
        )
        members = [
            (school.tenant.organisation_id, staff)
            for school in schools
            for staff in school.subject_teachers.get(code, [])
        ]
        for organisation_id, staff_id in members:
            await service.add_member(row.id, InterSchoolMemberCreate(organisation_id, staff_id, place.since))
        if not members or (index == 1 and place.lacks(Gap.LEADER_LAPSED)):
            continue
        start = place.leader_starts
        leader = InterSchoolLeaderCreate(members[0][0], members[0][1], start, last_day_of_one_year_term(start))
        await appointing.appoint_leader(row.id, leader)
