"""The demo users: one or more for every role of `api.roles`, for development sign-in.

A user whose role is work inside an organisation (head, deputy head, teacher, council officers,
association leader, unit head) is a member of its staff too: the demo furnishes the organisation
with a staff record of that name and email in the post the user's role stands for (`post`), and
links the account to it when the user is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.roles import Role

BOTAKARA = "07014000404"  # the school the demo users work in
BUKETOV = "07014000808"  # the university

# Roles that act through a staff record of the organisation (documents, bodies, meetings).
STAFF_ROLES = frozenset(
    {
        Role.HEAD,
        Role.DEPUTY_HEAD,
        Role.UNIT_HEAD,
        Role.COUNCIL_CHAIR,
        Role.COUNCIL_SECRETARY,
        Role.ASSOCIATION_LEADER,
        Role.TEACHER,
    }
)


@dataclass(frozen=True)
class DemoUser:
    subject: str
    full_name: str
    email: str
    role: Role
    territory: str | None = None  # a territory slug, or
    organisation: str | None = None  # a DemoOrg serial
    post: str | None = None  # the staff post the organisation furnishes for this user (api.demo.facts)


# Development sign-in offers these accounts (api.identity.dev), one per kind of work.
DEMO_USERS = [
    DemoUser(
        "national-admin", "Айгүл Сәрсенова", "national.admin@demo.metodist.kz", Role.NATIONAL_ADMIN, territory="kz"
    ),
    DemoUser(
        "district-methodist",
        "Нұрлан Ахметов",
        "methodist@demo.metodist.kz",
        Role.DISTRICT_METHODIST,
        territory="karaganda-bukhar-zhyrau",
    ),
    DemoUser(
        "school-admin",
        "Дана Қасымова",
        "admin@botakara.demo.metodist.kz",
        Role.ORGANISATION_ADMIN,
        organisation=BOTAKARA,
    ),
    DemoUser(
        "deputy-head",
        "Ерлан Жұмабеков",
        "deputy@botakara.demo.metodist.kz",
        Role.DEPUTY_HEAD,
        organisation=BOTAKARA,
        post="deputy",
    ),
    DemoUser(
        "teacher",
        "Мәдина Оспанова",
        "teacher@botakara.demo.metodist.kz",
        Role.TEACHER,
        organisation=BOTAKARA,
        post="teacher",
    ),
    DemoUser(
        "national-methodist",
        "Ғалым Тоқтаров",
        "national.methodist@demo.metodist.kz",
        Role.NATIONAL_METHODIST,
        territory="kz",
    ),
    DemoUser(
        "regional-admin", "Әсел Ермекова", "regional.admin@demo.metodist.kz", Role.REGIONAL_ADMIN, territory="karaganda"
    ),
    DemoUser(
        "regional-methodist",
        "Бауыржан Смағұлов",
        "regional.methodist@demo.metodist.kz",
        Role.REGIONAL_METHODIST,
        territory="karaganda",
    ),
    DemoUser(
        "head", "Серік Бекмұхамбетов", "head@botakara.demo.metodist.kz", Role.HEAD, organisation=BOTAKARA, post="head"
    ),
    DemoUser(
        "council-chair",
        "Гүлнар Исаева",
        "council.chair@botakara.demo.metodist.kz",
        Role.COUNCIL_CHAIR,
        organisation=BOTAKARA,
        post="council_chair",
    ),
    DemoUser(
        "council-secretary",
        "Айжан Мусина",
        "council.secretary@botakara.demo.metodist.kz",
        Role.COUNCIL_SECRETARY,
        organisation=BOTAKARA,
        post="council_secretary",
    ),
    DemoUser(
        "association-leader",
        "Жанар Қалиева",
        "leader@botakara.demo.metodist.kz",
        Role.ASSOCIATION_LEADER,
        organisation=BOTAKARA,
        post="association_leader",
    ),
    DemoUser(
        "university-deputy-head",
        "Талғат Мұқанов",
        "vice.rector@buketov.demo.metodist.kz",
        Role.DEPUTY_HEAD,
        organisation=BUKETOV,
        post="deputy",
    ),
    DemoUser(
        "university-dean",
        "Динара Омарова",
        "dean@buketov.demo.metodist.kz",
        Role.UNIT_HEAD,
        organisation=BUKETOV,
        post="dean",
    ),
    DemoUser(
        "university-department-head",
        "Марат Байжанов",
        "department.head@buketov.demo.metodist.kz",
        Role.UNIT_HEAD,
        organisation=BUKETOV,
        post="department_head",
    ),
    DemoUser(
        "university-teacher",
        "Ольга Ким",
        "lecturer@buketov.demo.metodist.kz",
        Role.TEACHER,
        organisation=BUKETOV,
        post="teacher",
    ),
]


def posts_of(serial: str) -> dict[str, tuple[str, str]]:
    """The staff posts of an organisation held by demo users: post -> (full name, email)."""
    return {u.post: (u.full_name, u.email) for u in DEMO_USERS if u.organisation == serial and u.post}
