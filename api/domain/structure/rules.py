"""What the structure of an organisation may look like (cl. 10, 11, 14, 31)."""

from __future__ import annotations

import datetime
import enum

from api.domain.organisations.rules import OrgKind


class UnitKind(enum.StrEnum):
    """Cl. 10: the structural units that implement or coordinate teaching, and the
    educational-methodological offices. Methodological cabinets are organisations, not units."""

    ASSOCIATION = "association"
    SUBJECT_COMMISSION = "subject_commission"
    CYCLE_COMMISSION = "cycle_commission"
    DEPARTMENT = "department"  # кафедра
    DIVISION = "division"  # отделение (also a cabinet's section)
    FACULTY = "faculty"
    INSTITUTE = "institute"
    UM_OFFICE = "um_office"  # учебно-методический отдел / управление / центр / кабинет


_U = UnitKind

# Which unit kinds each kind of organisation has (cl. 10). Schools work in associations;
# colleges in subject and cycle commissions and divisions; universities in departments,
# faculties and institutes; cabinets have sections and offices (their associations are
# inter-school bodies, not units).
UNIT_KINDS: dict[OrgKind, frozenset[UnitKind]] = {
    OrgKind.SCHOOL: frozenset({_U.ASSOCIATION, _U.SUBJECT_COMMISSION, _U.UM_OFFICE}),
    OrgKind.COLLEGE: frozenset(
        {_U.ASSOCIATION, _U.SUBJECT_COMMISSION, _U.CYCLE_COMMISSION, _U.DEPARTMENT, _U.DIVISION, _U.UM_OFFICE}
    ),
    OrgKind.UNIVERSITY: frozenset(
        {_U.DEPARTMENT, _U.DIVISION, _U.FACULTY, _U.INSTITUTE, _U.CYCLE_COMMISSION, _U.UM_OFFICE}
    ),
    OrgKind.CABINET_REPUBLIC: frozenset({_U.DIVISION, _U.UM_OFFICE}),
    OrgKind.CABINET_REGION: frozenset({_U.DIVISION, _U.UM_OFFICE}),
    OrgKind.CABINET_CITY: frozenset({_U.DIVISION, _U.UM_OFFICE}),
    OrgKind.CABINET_DISTRICT: frozenset({_U.DIVISION, _U.UM_OFFICE}),
}

# Where a unit may sit in the tree: the kinds its parent may have (None: at the top).
PARENT_KINDS: dict[UnitKind, frozenset[UnitKind | None]] = {
    _U.INSTITUTE: frozenset({None}),
    _U.FACULTY: frozenset({None, _U.INSTITUTE}),
    _U.DIVISION: frozenset({None, _U.INSTITUTE, _U.FACULTY}),
    _U.DEPARTMENT: frozenset({None, _U.INSTITUTE, _U.FACULTY, _U.DIVISION}),
    _U.SUBJECT_COMMISSION: frozenset({None, _U.DIVISION, _U.DEPARTMENT, _U.UM_OFFICE}),
    _U.CYCLE_COMMISSION: frozenset({None, _U.DIVISION, _U.DEPARTMENT, _U.UM_OFFICE}),
    _U.ASSOCIATION: frozenset({None, _U.DIVISION, _U.UM_OFFICE}),
    _U.UM_OFFICE: frozenset({None}),
}


class Position(enum.StrEnum):
    TEACHER = "teacher"
    PRIMARY_TEACHER = "primary_teacher"  # grades 1-4
    CLASS_TEACHER = "class_teacher"
    PRESCHOOL_EDUCATOR = "preschool_educator"
    BOARDING_EDUCATOR = "boarding_educator"
    HEAD = "head"
    DEPUTY_HEAD = "deputy_head"  # for academic work (cl. 14, 31)
    UNIT_HEAD = "unit_head"
    METHODIST = "methodist"
    LECTURER = "lecturer"  # colleges and universities


class QualificationCategory(enum.StrEnum):
    """Teacher qualification categories (the current ones, and the older ones still held)."""

    NONE = "none"
    PEDAGOGUE = "pedagogue"
    MODERATOR = "moderator"
    EXPERT = "expert"
    RESEARCHER = "researcher"
    MASTER = "master"
    SECOND = "second"
    FIRST = "first"
    HIGHEST = "highest"


class TermKind(enum.StrEnum):
    QUARTER = "quarter"
    SEMESTER = "semester"


def term_kind_for(org: OrgKind) -> TermKind:
    """Schools (and the cabinets that guide them) work in quarters; colleges and universities in semesters."""
    return TermKind.SEMESTER if org in (OrgKind.COLLEGE, OrgKind.UNIVERSITY) else TermKind.QUARTER


TERMS_PER_YEAR = {TermKind.QUARTER: 4, TermKind.SEMESTER: 2}


def default_terms(kind: TermKind, school_year: int) -> list[tuple[int, datetime.date, datetime.date]]:
    """The default calendar of Kazakhstan's school year beginning in `school_year`: the start of an
    organisation's own, which it edits, and what an organisation that has entered none is held to
    (api.domain.meetings.terms.calendar_terms)."""
    y, n = school_year, school_year + 1
    d = datetime.date
    if kind is TermKind.QUARTER:
        return [
            (1, d(y, 9, 1), d(y, 10, 26)),
            (2, d(y, 11, 3), d(y, 12, 28)),
            (3, d(n, 1, 8), d(n, 3, 18)),
            (4, d(n, 3, 30), d(n, 5, 25)),
        ]
    return [(1, d(y, 9, 1), d(y, 12, 31)), (2, d(n, 1, 12), d(n, 6, 30))]


# The general-education subjects a school's catalogue starts with: (code, kk, ru, en).
SCHOOL_SUBJECTS: tuple[tuple[str, str, str, str], ...] = (
    ("kazakh_language", "Қазақ тілі", "Казахский язык", "Kazakh language"),
    ("kazakh_literature", "Қазақ әдебиеті", "Казахская литература", "Kazakh literature"),
    ("russian_language", "Орыс тілі", "Русский язык", "Russian language"),
    ("russian_literature", "Орыс әдебиеті", "Русская литература", "Russian literature"),
    ("english", "Ағылшын тілі", "Английский язык", "English"),
    ("literary_reading", "Әдебиеттік оқу", "Литературное чтение", "Literary reading"),
    ("mathematics", "Математика", "Математика", "Mathematics"),
    ("algebra", "Алгебра", "Алгебра", "Algebra"),
    ("geometry", "Геометрия", "Геометрия", "Geometry"),
    ("informatics", "Информатика", "Информатика", "Informatics"),
    ("digital_literacy", "Цифрлық сауаттылық", "Цифровая грамотность", "Digital literacy"),
    ("natural_science", "Жаратылыстану", "Естествознание", "Natural science"),
    ("physics", "Физика", "Физика", "Physics"),
    ("chemistry", "Химия", "Химия", "Chemistry"),
    ("biology", "Биология", "Биология", "Biology"),
    ("geography", "География", "География", "Geography"),
    ("history_of_kazakhstan", "Қазақстан тарихы", "История Казахстана", "History of Kazakhstan"),
    ("world_history", "Дүниежүзі тарихы", "Всемирная история", "World history"),
    ("law_basics", "Құқық негіздері", "Основы права", "Fundamentals of law"),
    ("cognition_of_the_world", "Дүниетану", "Познание мира", "Cognition of the world"),
    ("self_knowledge", "Өзін-өзі тану", "Самопознание", "Self-knowledge"),
    ("music", "Музыка", "Музыка", "Music"),
    ("visual_arts", "Бейнелеу өнері", "Изобразительное искусство", "Visual arts"),
    ("artistic_work", "Көркем еңбек", "Художественный труд", "Artistic work"),
    ("physical_education", "Дене шынықтыру", "Физическая культура", "Physical education"),
    (
        "military_training",
        "Алғашқы әскери және технологиялық дайындық",
        "Начальная военная и технологическая подготовка",
        "Basic military and technological training",
    ),
    ("graphics_and_design", "Графика және жобалау", "Графика и проектирование", "Graphics and design"),
)
