"""The terms of the academic calendar that meetings and plans are counted in (cl. 25, 29).

A term is a quarter in schools and a semester elsewhere; its window runs to the day before the
next term starts, so the holidays belong to the term they follow.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import school_year_of
from api.domain.structure.models import AcademicTerm
from api.domain.structure.rules import default_terms, term_kind_for
from api.errors import DomainError


@dataclass(frozen=True)
class Quarter:
    """A term of the academic calendar: a quarter in schools, a semester elsewhere."""

    school_year: int
    kind: str
    number: int
    starts_on: datetime.date
    ends_on: datetime.date
    calendar: str = "organisation"  # or "default": the school year is not in the organisation's calendar


async def quarter_of(session: AsyncSession, on: datetime.date, org_kind: str | None = None) -> Quarter:
    """The term of the academic calendar that `on` falls in.

    Holidays between terms belong to the term they follow, so a meeting held in the autumn
    holidays counts for the first quarter: the window of a term runs to the day before the next
    term starts. A school year the organisation has not entered is taken from the default
    calendar of Kazakhstan's school year (`api.domain.structure.rules.default_terms`), quarters or
    semesters by the kind of organisation; the term says which calendar it came from.
    """
    return _term_at(await calendar_terms(session, on, org_kind), on)


async def calendar_terms(session: AsyncSession, on: datetime.date, org_kind: str | None) -> list[Quarter]:
    """The terms of the school years around `on`: the organisation's own, else the default ones."""
    year = school_year_of(on)
    years = (year - 1, year, year + 1)
    own = (
        await session.scalars(
            select(AcademicTerm)
            .where(AcademicTerm.archived_at.is_(None), AcademicTerm.school_year.in_(years))
            .order_by(AcademicTerm.starts_on)
        )
    ).all()
    entered = {t.school_year for t in own}
    terms = [Quarter(t.school_year, t.kind, t.number, t.starts_on, t.ends_on) for t in own]
    kind = term_kind_for(org_kind)
    for y in years:
        if y not in entered:
            terms += [
                Quarter(y, kind, n, starts, ends, calendar="default") for n, starts, ends in default_terms(kind, y)
            ]
    return sorted(terms, key=lambda t: t.starts_on)


def _term_at(terms: list[Quarter], on: datetime.date) -> Quarter:
    current = None
    for index, term in enumerate(terms):
        if term.starts_on <= on:
            current = index
    if current is None:
        raise DomainError(
            "The academic calendar has no term for this date: add the school year's quarters first.", field="on"
        )
    term = terms[current]
    following = terms[current + 1] if current + 1 < len(terms) else None
    window_end = following.starts_on - datetime.timedelta(days=1) if following is not None else term.ends_on
    if on > window_end:
        raise DomainError(
            "The academic calendar has no term for this date: add the school year's quarters first.", field="on"
        )
    return Quarter(term.school_year, term.kind, term.number, term.starts_on, window_end, term.calendar)


def closed_terms(terms: list[Quarter], on: datetime.date) -> list[Quarter]:
    """The terms of the school year of `on` whose window (holidays included) ended before `on`."""
    current = _term_at(terms, on)
    out = []
    for index, term in enumerate(terms):
        if term.school_year != current.school_year:
            continue
        following = terms[index + 1] if index + 1 < len(terms) else None
        window_end = following.starts_on - datetime.timedelta(days=1) if following is not None else term.ends_on
        if window_end < on:
            out.append(Quarter(term.school_year, term.kind, term.number, term.starts_on, window_end, term.calendar))
    return out


def school_year_span(school_year: int) -> tuple[datetime.date, datetime.date]:
    """The school year as the academic calendar bounds it: 1 August to 31 July of the next year."""
    return datetime.date(school_year, 8, 1), datetime.date(school_year + 1, 7, 31)
