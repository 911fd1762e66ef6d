"""The academic calendar: a school year's quarters (semesters outside schools), "this quarter",
and the default terms of Kazakhstan's school year where an organisation has entered none."""

from __future__ import annotations

import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import today
from api.context import TenantContext
from api.domain.structure.models import AcademicTerm
from api.domain.structure.rules import (
    TERMS_PER_YEAR,
    TermKind,
    default_terms,
    term_kind_for,
)
from api.domain.structure.schemas import (
    CalendarCreate,
    TermInput,
    TermUpdate,
)
from api.errors import Conflict, DomainError
from api.records import Records, changes

# --- academic calendar -------------------------------------------------------------------------


async def current_term(session: AsyncSession, on: datetime.date | None = None) -> AcademicTerm | None:
    """ "This quarter" (or semester): the live term that contains `on` (default today)."""
    on = on or today()
    return await session.scalar(
        select(AcademicTerm)
        .where(AcademicTerm.archived_at.is_(None), AcademicTerm.starts_on <= on, AcademicTerm.ends_on >= on)
        .limit(1)
    )


async def next_term(session: AsyncSession, on: datetime.date) -> AcademicTerm | None:
    return await session.scalar(
        select(AcademicTerm)
        .where(AcademicTerm.archived_at.is_(None), AcademicTerm.starts_on > on)
        .order_by(AcademicTerm.starts_on)
        .limit(1)
    )


def _year_bounds(school_year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(school_year, 8, 1), datetime.date(school_year + 1, 7, 31)


def check_terms(kind: TermKind, school_year: int, terms: list[TermInput]) -> None:
    count = TERMS_PER_YEAR[kind]
    numbers = sorted(t.number for t in terms)
    if numbers != list(range(1, count + 1)):
        raise DomainError(f"A school year has {count} {kind.value}s numbered 1-{count}.", field="terms")
    first, last = _year_bounds(school_year)
    ordered = sorted(terms, key=lambda t: t.number)
    for i, term in enumerate(ordered):
        field = f"terms[{i}]"
        if term.ends_on < term.starts_on:
            raise DomainError(f"{kind.value.capitalize()} {term.number} ends before it starts.", field=field)
        if term.starts_on < first or term.ends_on > last:
            raise DomainError(
                f"{kind.value.capitalize()} {term.number} must lie within {first.isoformat()} - {last.isoformat()}.",
                field=field,
            )
        if i and term.starts_on <= ordered[i - 1].ends_on:
            raise DomainError(f"{kind.value.capitalize()} {term.number} overlaps the one before it.", field=field)


class CalendarService:
    def __init__(self, context: TenantContext) -> None:
        self.session = context.session
        self.kind = term_kind_for(context.tenant.kind)
        self.caller = context.caller
        self.terms = Records(context, AcademicTerm, "academic_term", "term")

    async def year(self, school_year: int, *, include_archived: bool = False) -> list[AcademicTerm]:
        query = (
            select(AcademicTerm)
            .where(AcademicTerm.school_year == school_year)
            .order_by(AcademicTerm.number, AcademicTerm.created_at)
        )
        if not include_archived:
            query = query.where(AcademicTerm.archived_at.is_(None))
        return list((await self.session.scalars(query)).all())

    async def years(self) -> list[int]:
        rows = await self.session.scalars(
            select(AcademicTerm.school_year)
            .where(AcademicTerm.archived_at.is_(None))
            .distinct()
            .order_by(AcademicTerm.school_year)
        )
        return list(rows.all())

    async def current_and_next(self, on: datetime.date) -> tuple[AcademicTerm | None, AcademicTerm | None]:
        """The term containing `on`, and the one after it."""
        return await current_term(self.session, on), await next_term(self.session, on)

    async def create(self, data: CalendarCreate) -> list[AcademicTerm]:
        self.caller.require_shaper("set the academic calendar")
        if await self.year(data.school_year):
            raise Conflict(
                f"The calendar of {data.school_year}/{data.school_year + 1} exists; edit its terms.",
                field="school_year",
            )
        terms = data.terms
        if terms is None:
            terms = [TermInput(n, s, e) for n, s, e in default_terms(self.kind, data.school_year)]
        check_terms(self.kind, data.school_year, terms)
        out = []
        for t in sorted(terms, key=lambda t: t.number):
            row = AcademicTerm(
                school_year=data.school_year, kind=self.kind, number=t.number, starts_on=t.starts_on, ends_on=t.ends_on
            )
            out.append(await self.terms.create(row))
        return out

    async def get(self, term_id: UUID) -> AcademicTerm:
        return await self.terms.get(term_id)

    async def update(self, term_id: UUID, data: TermUpdate) -> AcademicTerm:
        self.caller.require_shaper("set the academic calendar")
        term = await self.terms.live(term_id)
        values = changes(data)
        siblings = [t for t in await self.year(term.school_year) if t.id != term.id]
        proposed = TermInput(term.number, values.get("starts_on", term.starts_on), values.get("ends_on", term.ends_on))
        try:
            check_terms(
                TermKind(term.kind),
                term.school_year,
                [*(TermInput(t.number, t.starts_on, t.ends_on) for t in siblings), proposed],
            )
        except DomainError as exc:
            # Name the date the caller changed, not a position in a list they did not send.
            exc.field = "ends_on" if "ends_on" in values else "starts_on"
            raise
        return await self.terms.change(term, values)

    async def archive(self, term_id: UUID) -> AcademicTerm:
        """Archiving a term archives its whole school year: a year with a missing quarter is no calendar."""
        self.caller.require_shaper("set the academic calendar")
        term = await self.get(term_id)
        for sibling in await self.year(term.school_year):
            await self.terms.archive(sibling)
        return term
