"""The checks of the compliance engine: each reads one organisation's schema and names the clause
of order No. 583 it was written for; the rule set in force says which of its clauses each check
enforces (`rulesets/*.toml`).

A check answers `Found` items: the subject (which association, plan, document, council …, with
its id and links to its record in the web app and the API), since when, evidence, and the values
that fill the check's problem and "what to do" texts, which it carries in kk/ru/en.

Long because it is the table of checks: one short `@check` per clause, each beside its texts, read
and reviewed against the order clause by clause; split across modules, the table would no longer
read as one list beside the rule sets that name its entries.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import date_of, school_year_of
from api.domain.bodies.models import Association, Council, InterSchoolAssociation, LeaderTerm
from api.domain.documents.models import Document
from api.domain.meetings.terms import Quarter, calendar_terms, closed_terms
from api.domain.plans.models import PlanItem, WorkPlan
from api.domain.plans.rules import Direction
from api.domain.reviews.models import ReviewMissingStage, ReviewRound
from api.domain.structure.models import Staff, StaffSubject, Subject, Unit

SCHOOL = frozenset({"school"})
TEACHING = frozenset({"school", "college", "university"})
DISTRICT_CABINETS = frozenset({"cabinet_district", "cabinet_city"})


@dataclass(frozen=True)
class Found:
    clause: str  # the clause of order No. 583 this is about (a check may serve several: cl. 18–21)
    subject_kind: str  # organisation, association, inter_school_association, subject, document, unit, plan
    subject_id: UUID | None
    subject_name: str
    since: datetime.date | None
    evidence: dict[str, Any]
    web_path: str | None
    api_path: str | None
    values: dict[str, Any] = field(default_factory=dict)  # fills the texts' {placeholders}
    key_extra: str = ""  # tells apart findings about one subject (cl. 25: the term)


@dataclass(frozen=True)
class CheckContext:
    session: AsyncSession
    organisation_id: UUID
    org_kind: str
    on: datetime.date

    def web(self, path: str) -> str:
        return f"/organisations/{self.organisation_id}{path}"

    def api(self, path: str) -> str:
        return f"/api/organisations/{self.organisation_id}{path}"

    @property
    def school_year(self) -> int:
        return school_year_of(self.on)

    @property
    def year_starts(self) -> datetime.date:
        return datetime.date(self.school_year, 9, 1)


CheckFn = Callable[[CheckContext], Awaitable[list[Found]]]


@dataclass(frozen=True)
class Check:
    name: str
    clauses: tuple[str, ...]  # of order No. 583, the clauses it was written for
    org_kinds: frozenset[str]  # the kinds of organisation it applies to
    problem: dict[str, str]  # kk/ru/en, with {placeholders} from Found.values (and {subject})
    todo: dict[str, str]
    run: CheckFn


CHECKS: dict[str, Check] = {}


def check(
    name: str, *, clauses: tuple[str, ...], org_kinds: frozenset[str], problem: dict[str, str], todo: dict[str, str]
) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS[name] = Check(name, clauses, org_kinds, problem, todo, fn)
        return fn

    return register


def render(template: dict[str, str], found: Found) -> dict[str, str]:
    values = {"subject": found.subject_name, **found.values}
    return {lang: text.format(**values) for lang, text in template.items()}


def _live(model: Any) -> Any:
    return model.archived_at.is_(None)


def _one_year_after(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# --- cl. 7: the eight directions -------------------------------------------------------------------


@check(
    "plan_directions",
    clauses=("7",),
    org_kinds=SCHOOL,
    problem={
        "kk": "Бекітілген жоспарлар әдістемелік жұмыстың барлық сегіз бағытын қамтымайды: жоқ — {missing}.",
        "ru": "Утверждённые планы не охватывают все восемь направлений методической работы: нет — {missing}.",
        "en": "The approved plans do not cover all eight directions of methodological work: missing {missing}.",
    },
    todo={
        "kk": "Бірлестіктердің жылдық жоспарларына жетіспейтін бағыттар бойынша іс-шаралар қосып, бекітіңіз.",
        "ru": "Добавьте в годовые планы объединений мероприятия по недостающим направлениям и утвердите их.",
        "en": "Add items for the missing directions to the associations' annual plans and have them approved.",
    },
)
async def plan_directions(ctx: CheckContext) -> list[Found]:
    covered = set(
        (
            await ctx.session.scalars(
                select(PlanItem.direction)
                .join(WorkPlan, PlanItem.plan_id == WorkPlan.id)
                .where(
                    WorkPlan.status == "approved",
                    WorkPlan.archived_at.is_(None),
                    WorkPlan.school_year == ctx.school_year,
                )
                .distinct()
            )
        ).all()
    )
    missing = [d.value for d in Direction if d.value not in covered]
    if not missing:
        return []
    numbers = ", ".join(str(list(Direction).index(Direction(d)) + 1) for d in missing)
    return [
        Found(
            "7",
            "organisation",
            ctx.organisation_id,
            "",
            ctx.year_starts,
            {"school_year": ctx.school_year, "missing_directions": missing, "covered_directions": sorted(covered)},
            ctx.web("/structure"),
            ctx.api(f"/plans?school_year={ctx.school_year}"),
            {"missing": numbers},
        )
    ]


# --- cl. 14: the deputy head, and units' councils ------------------------------------------------


@check(
    "deputy_head",
    clauses=("14",),
    org_kinds=TEACHING,
    problem={
        "kk": "Оқу ісі жөніндегі басшы орынбасары тағайындалмаған.",
        "ru": "Не назначен заместитель руководителя по учебной работе.",
        "en": "No deputy head for academic work is assigned.",
    },
    todo={
        "kk": "Қызметкерлер тізімінде оқу ісі жөніндегі орынбасарды «deputy_head» лауазымымен белгілеңіз.",
        "ru": "Отметьте в списке сотрудников заместителя по учебной работе должностью «deputy_head».",
        "en": "Mark the deputy head for academic work in the staff list with the position deputy_head.",
    },
)
async def deputy_head(ctx: CheckContext) -> list[Found]:
    assigned = await ctx.session.scalar(
        select(func.count()).select_from(Staff).where(_live(Staff), Staff.positions.any("deputy_head"))
    )
    if assigned:
        return []
    return [
        Found(
            "14",
            "organisation",
            ctx.organisation_id,
            "",
            None,
            {"deputy_heads": 0},
            ctx.web("/structure"),
            ctx.api("/staff"),
        )
    ]


# Units the Rules give a methodological council of their own (cl. 14: "the methodological councils
# of the units" lead faculties and institutes).
UNITS_WITH_COUNCILS = ("faculty", "institute")


@check(
    "unit_councils",
    clauses=("14",),
    org_kinds=frozenset({"university"}),
    problem={
        "kk": "«{subject}» бөлімшесінің әдістемелік кеңесі жоқ.",
        "ru": "У подразделения «{subject}» нет методического совета.",
        "en": "The unit {subject} has no methodological council.",
    },
    todo={
        "kk": "Бөлімшенің әдістемелік кеңесін құрып, мүшелерін енгізіңіз.",
        "ru": "Создайте методический совет подразделения и внесите его членов.",
        "en": "Form the unit's methodological council and add its members.",
    },
)
async def unit_councils(ctx: CheckContext) -> list[Found]:
    with_council = select(Council.unit_id).where(_live(Council), Council.unit_id.is_not(None))
    units = (
        await ctx.session.scalars(
            select(Unit)
            .where(_live(Unit), Unit.kind.in_(UNITS_WITH_COUNCILS), Unit.id.not_in(with_council))
            .order_by(Unit.name)
        )
    ).all()
    return [
        Found(
            "14",
            "unit",
            u.id,
            u.name,
            date_of(u.created_at),
            {"unit_kind": u.kind},
            ctx.web("/structure"),
            ctx.api(f"/units/{u.id}"),
        )
        for u in units
    ]


# --- cl. 18–21: review routes ---------------------------------------------------------------------


@check(
    "review_route_complete",
    clauses=("18", "19", "20", "21"),
    org_kinds=TEACHING,
    problem={
        "kk": "«{subject}» құжаты толық емес бағыттан өтті: «{stage}» кезеңі өткізілмеді, себебі мұндай орган жоқ.",
        "ru": "Документ «{subject}» прошёл неполный маршрут: этап «{stage}» пропущен, потому что такого органа нет.",
        "en": "The document {subject} went through an incomplete route: the stage {stage} was dropped because the "
        "body does not exist.",
    },
    todo={
        "kk": "Жетіспейтін органды құрыңыз; құжаттың келесі нұсқасы толық бағыттан өтеді.",
        "ru": "Создайте недостающий орган; следующая версия документа пройдёт полный маршрут.",
        "en": "Form the missing body; the document's next version then goes through the whole route.",
    },
)
async def review_route_complete(ctx: CheckContext) -> list[Found]:
    latest = (
        select(ReviewRound.document_id, func.max(ReviewRound.number).label("number"))
        .group_by(ReviewRound.document_id)
        .subquery()
    )
    rows = (
        await ctx.session.execute(
            select(Document, ReviewRound, ReviewMissingStage)
            .join(ReviewRound, ReviewRound.document_id == Document.id)
            .join(latest, (latest.c.document_id == ReviewRound.document_id) & (latest.c.number == ReviewRound.number))
            .join(ReviewMissingStage, ReviewMissingStage.round_id == ReviewRound.id)
            .where(Document.status.in_(("approved", "in_review")))
            .order_by(Document.title, ReviewMissingStage.position)
        )
    ).all()
    return [
        Found(
            stage.clause,
            "document",
            doc.id,
            doc.title,
            date_of(rnd.created_at),
            {
                "document_status": doc.status,
                "round": rnd.number,
                "round_status": rnd.status,
                "selector": stage.selector,
                "stage": stage.label,
                "document_kind": doc.kind,
            },
            ctx.web(f"/documents/{doc.id}"),
            ctx.api(f"/documents/{doc.id}"),
            {"stage": stage.label},
            key_extra=f"{rnd.id}:{stage.selector}:{stage.position}",
        )
        for doc, rnd, stage in rows
    ]


# --- cl. 25: a meeting every term ---------------------------------------------------------------


@check(
    "quarterly_meetings",
    clauses=("25",),
    org_kinds=TEACHING,
    problem={
        "kk": "«{subject}» бірлестігі {school_year}/{next_year} оқу жылының {term}-{term_kind_kk} отырыс өткізбеді.",
        "ru": "Объединение «{subject}» не провело ни одного заседания в {term}-й {term_kind_ru} "
        "{school_year}/{next_year} учебного года.",
        "en": "The association {subject} held no meeting in {term_kind_en} {term} of the school year "
        "{school_year}/{next_year}.",
    },
    todo={
        "kk": "Өткізілген отырыстың хаттамасын немесе қатысуын тіркеңіз; алдағы тоқсанда отырыс жоспарлаңыз.",
        "ru": "Внесите протокол или явку проведённого заседания; запланируйте заседание в текущей четверти.",
        "en": "Record the minutes or attendance of a meeting that was held; plan a meeting in the current term.",
    },
)
async def quarterly_meetings(ctx: CheckContext) -> list[Found]:
    from api.domain.meetings.term_report import term_rows

    terms = await calendar_terms(ctx.session, ctx.on, ctx.org_kind)
    out: list[Found] = []
    for term in closed_terms(terms, ctx.on):
        for row in await term_rows(ctx.session, term):
            if row.compliant:
                continue
            out.append(_missed_meeting(ctx, term, row))
    return out


_TERM_WORDS = {
    "quarter": {"kk": "тоқсанында", "ru": "четверти", "en": "quarter"},
    "semester": {"kk": "семестрінде", "ru": "семестре", "en": "semester"},
}


def _missed_meeting(ctx: CheckContext, term: Quarter, row: Any) -> Found:
    words = _TERM_WORDS.get(term.kind, _TERM_WORDS["quarter"])
    return Found(
        "25",
        "association",
        row.association_id,
        row.association_name,
        term.ends_on + datetime.timedelta(days=1),
        {
            "school_year": term.school_year,
            "term_kind": term.kind,
            "term": term.number,
            "term_starts_on": term.starts_on.isoformat(),
            "term_ends_on": term.ends_on.isoformat(),
            "calendar": term.calendar,
            "held_meetings": row.meetings,
            "planned_meetings": row.planned_meetings,
            "recorded_on": row.recorded_on.isoformat() if row.recorded_on else None,
        },
        ctx.web(f"/associations/{row.association_id}"),
        ctx.api(f"/associations/{row.association_id}"),
        {
            "term": term.number,
            "school_year": term.school_year,
            "next_year": term.school_year + 1,
            "term_kind_kk": words["kk"],
            "term_kind_ru": words["ru"],
            "term_kind_en": words["en"],
        },
        key_extra=f"{term.school_year}:{term.kind}:{term.number}",
    )


# --- cl. 26: an association for every subject of three teachers ------------------------------------


@check(
    "subject_associations",
    clauses=("26",),
    org_kinds=SCHOOL,
    problem={
        "kk": "«{subject}» пәнінің {teachers} мұғалімі бар, бірақ әдістемелік бірлестігі жоқ.",
        "ru": "По предмету «{subject}» {teachers} учителей, но методического объединения нет.",
        "en": "The subject {subject} has {teachers} teachers but no methodological association.",
    },
    todo={
        "kk": "Осы пән мұғалімдерінің әдістемелік бірлестігін құрыңыз.",
        "ru": "Создайте методическое объединение учителей этого предмета.",
        "en": "Form a methodological association of this subject's teachers.",
    },
)
async def subject_associations(ctx: CheckContext) -> list[Found]:
    teachers = func.count(func.distinct(StaffSubject.staff_id))
    counted = (
        select(StaffSubject.subject_id, teachers.label("teachers"))
        .join(Staff, Staff.id == StaffSubject.staff_id)
        .where(_live(Staff))
        .group_by(StaffSubject.subject_id)
        .having(teachers >= 3)
        .subquery()
    )
    covered = select(Association.subject_id).where(_live(Association), Association.subject_id.is_not(None))
    rows = (
        await ctx.session.execute(
            select(Subject, counted.c.teachers)
            .join(counted, counted.c.subject_id == Subject.id)
            .where(_live(Subject), Subject.id.not_in(covered))
            .order_by(Subject.name_ru)
        )
    ).all()
    return [
        Found(
            "26",
            "subject",
            s.id,
            s.name_ru,
            None,
            {"teachers": n, "subject_code": s.code},
            ctx.web("/structure"),
            ctx.api(f"/subjects/{s.id}"),
            {"teachers": n},
        )
        for s, n in rows
    ]


# --- cl. 29: an approved annual plan -------------------------------------------------------------


@check(
    "annual_plans",
    clauses=("29",),
    org_kinds=TEACHING,
    problem={
        "kk": "«{subject}» бірлестігінің {school_year}/{next_year} оқу жылына бекітілген жұмыс жоспары жоқ.",
        "ru": "У объединения «{subject}» нет утверждённого плана работы на {school_year}/{next_year} учебный год.",
        "en": "The association {subject} has no approved work plan for the school year {school_year}/{next_year}.",
    },
    todo={
        "kk": "Жылдық жоспарды құрып, басшыға бекітуге жіберіңіз.",
        "ru": "Составьте годовой план и направьте его на утверждение руководителю.",
        "en": "Draw up the annual plan and submit it to the head for approval.",
    },
)
async def annual_plans(ctx: CheckContext) -> list[Found]:
    approved = select(WorkPlan.association_id).where(
        WorkPlan.status == "approved", WorkPlan.archived_at.is_(None), WorkPlan.school_year == ctx.school_year
    )
    associations = (
        await ctx.session.scalars(
            select(Association).where(_live(Association), Association.id.not_in(approved)).order_by(Association.name)
        )
    ).all()
    statuses = {
        a_id: status
        for a_id, status in (
            await ctx.session.execute(
                select(WorkPlan.association_id, WorkPlan.status).where(
                    WorkPlan.archived_at.is_(None), WorkPlan.school_year == ctx.school_year
                )
            )
        ).all()
    }
    return [
        Found(
            "29",
            "association",
            a.id,
            a.name,
            max(ctx.year_starts, date_of(a.created_at)),
            {"school_year": ctx.school_year, "plan_status": statuses.get(a.id)},
            ctx.web(f"/associations/{a.id}"),
            ctx.api(f"/plans?association_id={a.id}&school_year={ctx.school_year}"),
            {"school_year": ctx.school_year, "next_year": ctx.school_year + 1},
        )
        for a in associations
    ]


# --- cl. 30: leaders' terms ---------------------------------------------------------------------


@check(
    "leader_terms",
    clauses=("30",),
    org_kinds=TEACHING | DISTRICT_CABINETS,
    problem={
        "kk": "«{subject}» бірлестігі: {issue_kk}.",
        "ru": "Объединение «{subject}»: {issue_ru}.",
        "en": "The association {subject}: {issue_en}.",
    },
    todo={
        "kk": "Жетекшіні бір жылдан аспайтын мерзімге сайлаңыз (тағайындаңыз); мектепаралық бірлестікте — аудандық "
        "әдіскер тағайындайды.",
        "ru": "Изберите (назначьте) руководителя на срок не более года; в межшкольном объединении его назначает "
        "районный методист.",
        "en": "Elect (appoint) a leader for at most one year; an inter-school association's leader is appointed by "
        "the district methodist.",
    },
)
async def leader_terms(ctx: CheckContext) -> list[Found]:
    bodies: list[tuple[str, UUID, str, datetime.date]] = [
        ("association", a.id, a.name, date_of(a.created_at))
        for a in (await ctx.session.scalars(select(Association).where(_live(Association)))).all()
    ] + [
        ("inter_school_association", a.id, a.name, date_of(a.created_at))
        for a in (await ctx.session.scalars(select(InterSchoolAssociation).where(_live(InterSchoolAssociation)))).all()
    ]
    terms: dict[tuple[str, UUID], list[LeaderTerm]] = {}
    for t in (await ctx.session.scalars(select(LeaderTerm).order_by(LeaderTerm.starts_on))).all():
        terms.setdefault((t.body_kind, t.body_id), []).append(t)
    out: list[Found] = []
    for kind, body_id, name, created in sorted(bodies, key=lambda b: b[2]):
        web = ctx.web(f"/associations/{body_id}") if kind == "association" else None
        api = ctx.api(
            f"/associations/{body_id}/leaders"
            if kind == "association"
            else f"/inter-school-associations/{body_id}/leaders"
        )
        held = terms.get((kind, body_id), [])
        current = [
            t for t in held if t.starts_on <= ctx.on <= t.ends_on and (t.ended_on is None or t.ended_on > ctx.on)
        ]
        if not current:
            ended = [min(t.ends_on, t.ended_on or t.ends_on) for t in held if t.starts_on <= ctx.on]
            since = max(ended) + datetime.timedelta(days=1) if ended else created
            out.append(_leader_finding(ctx, kind, body_id, name, since, web, api, "no_leader", {}))
            continue
        for t in current:
            # The database refuses such a term (leader_term_at_most_one_year); kept for rows older than it.
            if t.ends_on >= _one_year_after(t.starts_on):
                out.append(
                    _leader_finding(
                        ctx,
                        kind,
                        body_id,
                        name,
                        t.starts_on,
                        web,
                        api,
                        "term_over_a_year",
                        {"term_id": str(t.id), "starts_on": t.starts_on.isoformat(), "ends_on": t.ends_on.isoformat()},
                    )
                )
            if kind == "inter_school_association" and t.method != "appointed":
                out.append(
                    _leader_finding(
                        ctx,
                        kind,
                        body_id,
                        name,
                        t.starts_on,
                        web,
                        api,
                        "not_appointed",
                        {"term_id": str(t.id), "method": t.method},
                    )
                )
    return out


_LEADER_ISSUES = {
    "no_leader": {
        "kk": "жетекшінің өкілеттік мерзімі жоқ",
        "ru": "нет руководителя с действующим сроком полномочий",
        "en": "no leader's term is in force",
    },
    "term_over_a_year": {
        "kk": "жетекшінің мерзімі бір жылдан асады",
        "ru": "срок полномочий руководителя больше года",
        "en": "the leader's term is longer than one year",
    },
    "not_appointed": {
        "kk": "мектепаралық бірлестік жетекшісі аудан деңгейінде тағайындалмаған",
        "ru": "руководитель межшкольного объединения не назначен на уровне района",
        "en": "the inter-school leader was not appointed at district level",
    },
}


def _leader_finding(
    ctx: CheckContext,
    kind: str,
    body_id: UUID,
    name: str,
    since: datetime.date,
    web: str | None,
    api: str,
    issue: str,
    evidence: dict[str, Any],
) -> Found:
    words = _LEADER_ISSUES[issue]
    return Found(
        "30",
        kind,
        body_id,
        name,
        since,
        {"issue": issue, **evidence},
        web,
        api,
        {"issue_kk": words["kk"], "issue_ru": words["ru"], "issue_en": words["en"]},
        key_extra=issue,
    )


# --- cl. 32: a methodological council --------------------------------------------------------------


@check(
    "methodological_council",
    clauses=("32",),
    org_kinds=TEACHING,
    problem={
        "kk": "Ұйымда педагогикалық кеңестен бөлек әдістемелік кеңес жоқ.",
        "ru": "В организации нет методического совета, отдельного от педагогического совета.",
        "en": "The organisation has no methodological council distinct from its pedagogical council.",
    },
    todo={
        "kk": "Ұйымның әдістемелік кеңесін құрып, мүшелерін, төрағасы мен хатшысын енгізіңіз.",
        "ru": "Создайте методический совет организации, внесите членов, председателя и секретаря.",
        "en": "Form the organisation's methodological council with its members, chair and secretary.",
    },
)
async def methodological_council(ctx: CheckContext) -> list[Found]:
    found = await ctx.session.scalar(
        select(func.count())
        .select_from(Council)
        .where(_live(Council), Council.kind == "methodological", Council.unit_id.is_(None))
    )
    if found:
        return []
    pedagogical = await ctx.session.scalar(
        select(func.count()).select_from(Council).where(_live(Council), Council.kind == "pedagogical")
    )
    return [
        Found(
            "32",
            "organisation",
            ctx.organisation_id,
            "",
            None,
            {"pedagogical_council": bool(pedagogical)},
            ctx.web("/structure"),
            ctx.api("/councils"),
        )
    ]
