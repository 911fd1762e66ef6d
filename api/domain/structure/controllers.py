"""HTTP for the organisation's structure: units, subjects, staff, academic calendar."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Literal
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from api.access import Scope, access
from api.clock import today
from api.crud import PlainKind, Search, plain_controller
from api.domain.structure.calendar import CalendarService
from api.domain.structure.rules import Position, TermKind, UnitKind
from api.domain.structure.schemas import (
    CalendarCreate,
    CalendarRead,
    CurrentTerm,
    StaffCreate,
    StaffRead,
    StaffUpdate,
    SubjectCreate,
    SubjectRead,
    SubjectUpdate,
    TermRead,
    TermUpdate,
    UnitCreate,
    UnitKindRead,
    UnitNode,
    UnitRead,
    UnitUpdate,
)
from api.domain.structure.services import SubjectService, UnitFilter, UnitService
from api.domain.structure.staff import StaffFilter, StaffService
from api.paging import Page, Paging, paging_by
from api.responses import response_of
from api.roles import ANY_SIGNED_IN, Role

# The organisation admin and the deputy head for academic work shape the structure.
SHAPE = (Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD)
READ = ANY_SIGNED_IN

BASE = "/api/organisations/{organisation_id:uuid}"


def to_unit(row: object) -> UnitRead:
    return response_of(UnitRead, row)


def to_term(row: object) -> TermRead:
    return response_of(TermRead, row)


def to_calendar(school_year: int, kind: TermKind, terms: Iterable[object]) -> CalendarRead:
    # A calendar is a school year's terms, not a row of its own: its year and kind are given here.
    return CalendarRead(school_year=school_year, kind=kind, terms=[to_term(t) for t in terms])


class UnitController(Controller):
    path = f"{BASE}/units"
    tags = ["structure"]

    @get(
        "/",
        name="units:list",
        operation_id="ListUnits",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(50)},
    )
    async def list_units(
        self,
        units: NamedDependency[UnitService],
        paging: NamedDependency[Paging],
        kind: FromQuery[UnitKind | None] = None,
        parent_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[UnitRead]:
        rows, total = await units.list(UnitFilter(kind, parent_id, q, include_archived), paging)
        return Page.of([to_unit(r) for r in rows], total, paging)

    @get("/tree", name="units:tree", operation_id="GetUnitTree", opt=access(Scope.TENANT, READ))
    async def tree(self, units: NamedDependency[UnitService]) -> list[UnitNode]:
        """The live units as a tree (cl. 10)."""
        return await units.tree()

    @get("/kinds", name="units:kinds", operation_id="ListUnitKinds", opt=access(Scope.TENANT, READ))
    async def kinds(self, units: NamedDependency[UnitService]) -> list[UnitKindRead]:
        """The kinds of unit this organisation may create (cl. 10: a university's faculties,
        departments and institutes, a school's associations), each with the kinds it may sit inside."""
        return units.kinds()

    @post("/", name="units:create", operation_id="CreateUnit", opt=access(Scope.TENANT, SHAPE))
    async def create(self, units: NamedDependency[UnitService], data: JSONBody[UnitCreate]) -> UnitRead:
        return to_unit(await units.create(data))

    @get("/{unit_id:uuid}", name="units:detail", operation_id="GetUnit", opt=access(Scope.TENANT, READ))
    async def detail(self, units: NamedDependency[UnitService], unit_id: FromPath[UUID]) -> UnitRead:
        return to_unit(await units.get(unit_id))

    @patch("/{unit_id:uuid}", name="units:update", operation_id="UpdateUnit", opt=access(Scope.TENANT, SHAPE))
    async def update(
        self,
        units: NamedDependency[UnitService],
        unit_id: FromPath[UUID],
        data: JSONBody[UnitUpdate],
    ) -> UnitRead:
        return to_unit(await units.update(unit_id, data))

    @post(
        "/{unit_id:uuid}/archive",
        name="units:archive",
        operation_id="ArchiveUnit",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(self, units: NamedDependency[UnitService], unit_id: FromPath[UUID]) -> UnitRead:
        return to_unit(await units.archive(unit_id))


SubjectController = plain_controller(
    PlainKind(
        SubjectService,
        SubjectRead,
        SubjectCreate,
        SubjectUpdate,
        path=f"{BASE}/subjects",
        tag="structure",
        singular="Subject",
        plural="Subjects",
        read_role=READ,
        change_role=SHAPE,
        page_size=100,
        list_description=(
            "The organisation's subjects; a school's catalogue starts with the general-education subjects."
        ),
    )
)


class StaffController(Controller):
    path = f"{BASE}/staff"
    tags = ["structure"]

    @get(
        "/",
        name="staff:list",
        operation_id="ListStaff",
        opt=access(Scope.TENANT, READ),
        dependencies={"paging": paging_by(50)},
    )
    async def list_staff(
        self,
        staff_service: NamedDependency[StaffService],
        paging: NamedDependency[Paging],
        unit_id: FromQuery[UUID | None] = None,
        subject_id: FromQuery[UUID | None] = None,
        position: FromQuery[Position | None] = None,
        user_id: FromQuery[UUID | None] = None,
        q: Search = None,
        include_archived: FromQuery[bool] = False,
        sort: FromQuery[Literal["full_name", "-full_name"]] = "full_name",
    ) -> Page[StaffRead]:
        """The staff by full name (`-full_name`: the other way round)."""
        items, total = await staff_service.list(
            StaffFilter(unit_id, subject_id, position, user_id, q, include_archived, sort == "-full_name"), paging
        )
        return Page.of(items, total, paging)

    @post("/", name="staff:create", operation_id="CreateStaff", opt=access(Scope.TENANT, SHAPE))
    async def create(self, staff_service: NamedDependency[StaffService], data: JSONBody[StaffCreate]) -> StaffRead:
        return await staff_service.create(data)

    @get("/{staff_id:uuid}", name="staff:detail", operation_id="GetStaff", opt=access(Scope.TENANT, READ))
    async def detail(self, staff_service: NamedDependency[StaffService], staff_id: FromPath[UUID]) -> StaffRead:
        return await staff_service.get(staff_id)

    @patch("/{staff_id:uuid}", name="staff:update", operation_id="UpdateStaff", opt=access(Scope.TENANT, SHAPE))
    async def update(
        self,
        staff_service: NamedDependency[StaffService],
        staff_id: FromPath[UUID],
        data: JSONBody[StaffUpdate],
    ) -> StaffRead:
        return await staff_service.update(staff_id, data)

    @post(
        "/{staff_id:uuid}/archive",
        name="staff:archive",
        operation_id="ArchiveStaff",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(self, staff_service: NamedDependency[StaffService], staff_id: FromPath[UUID]) -> StaffRead:
        return await staff_service.archive(staff_id)


class CalendarController(Controller):
    path = f"{BASE}/calendar"
    tags = ["structure"]

    @get("/", name="calendar:list", operation_id="ListCalendarYears", opt=access(Scope.TENANT, READ))
    async def years(self, calendar: NamedDependency[CalendarService]) -> list[CalendarRead]:
        """Every school year with a calendar, with its quarters (schools) or semesters (colleges, universities)."""
        out = []
        for year in await calendar.years():
            out.append(to_calendar(year, calendar.kind, await calendar.year(year)))
        return out

    @post("/", name="calendar:create", operation_id="CreateCalendarYear", opt=access(Scope.TENANT, SHAPE))
    async def create(self, calendar: NamedDependency[CalendarService], data: JSONBody[CalendarCreate]) -> CalendarRead:
        terms = await calendar.create(data)
        return to_calendar(data.school_year, calendar.kind, terms)

    @get("/current", name="calendar:current", operation_id="GetCurrentTerm", opt=access(Scope.TENANT, READ))
    async def current(
        self, calendar: NamedDependency[CalendarService], on: FromQuery[datetime.date | None] = None
    ) -> CurrentTerm:
        """ "This quarter" (semester): the term containing `on` (default today), and the next one."""
        day = on or today()
        term, upcoming = await calendar.current_and_next(day)
        return CurrentTerm(day, to_term(term) if term else None, to_term(upcoming) if upcoming else None)

    @get("/{school_year:int}", name="calendar:year", operation_id="GetCalendarYear", opt=access(Scope.TENANT, READ))
    async def year(
        self,
        calendar: NamedDependency[CalendarService],
        school_year: FromPath[int],
        include_archived: FromQuery[bool] = False,
    ) -> CalendarRead:
        terms = await calendar.year(school_year, include_archived=include_archived)
        return to_calendar(school_year, TermKind(terms[0].kind) if terms else calendar.kind, terms)

    @get("/terms/{term_id:uuid}", name="calendar:term", operation_id="GetTerm", opt=access(Scope.TENANT, READ))
    async def term(self, calendar: NamedDependency[CalendarService], term_id: FromPath[UUID]) -> TermRead:
        return to_term(await calendar.get(term_id))

    @patch(
        "/terms/{term_id:uuid}", name="calendar:term-update", operation_id="UpdateTerm", opt=access(Scope.TENANT, SHAPE)
    )
    async def update_term(
        self,
        calendar: NamedDependency[CalendarService],
        term_id: FromPath[UUID],
        data: JSONBody[TermUpdate],
    ) -> TermRead:
        return to_term(await calendar.update(term_id, data))

    @post(
        "/terms/{term_id:uuid}/archive",
        name="calendar:archive",
        operation_id="ArchiveCalendarYear",
        status_code=200,
        opt=access(Scope.TENANT, SHAPE),
    )
    async def archive(self, calendar: NamedDependency[CalendarService], term_id: FromPath[UUID]) -> CalendarRead:
        """Archives the term's whole school year (a year with a missing term is no calendar)."""
        term = await calendar.archive(term_id)
        terms = await calendar.year(term.school_year, include_archived=True)
        return to_calendar(term.school_year, TermKind(term.kind), terms)


structure_controllers = [UnitController, SubjectController, StaffController, CalendarController]
