"""The default academic calendar of Kazakhstan's school year, for organisations without their own.

An organisation that has not entered its calendar is checked against this one rather than refused:
four quarters in schools (and in methodological cabinets, whose inter-school associations serve
schools), two semesters in colleges and universities. The dates are the usual ones of the
ministry's yearly orders on the school year; an organisation's own calendar, where it has one for a
school year, always wins for that year.
"""

from __future__ import annotations

import datetime

# (number, (month, day) start, (month, day) end, whether the date falls in the next calendar year)
_QUARTERS = (
    (1, (9, 1), (10, 26), False),
    (2, (11, 3), (12, 28), False),
    (3, (1, 8), (3, 19), True),
    (4, (3, 30), (5, 25), True),
)
_SEMESTERS = (
    (1, (9, 1), (12, 31), False),
    (2, (1, 15), (6, 30), True),
)
SEMESTER_KINDS = frozenset({"college", "university"})


def school_year_of(day: datetime.date) -> int:
    """The school year a date belongs to (1 August to 31 July; 2025 means 2025/2026)."""
    return day.year if day.month >= 8 else day.year - 1


def term_kind_for(org_kind: str | None) -> str:
    return "semester" if org_kind in SEMESTER_KINDS else "quarter"


def default_terms(org_kind: str | None, school_year: int) -> list[tuple[int, str, int, datetime.date, datetime.date]]:
    """The default terms of one school year: (school_year, kind, number, starts_on, ends_on)."""
    kind = term_kind_for(org_kind)
    table = _SEMESTERS if kind == "semester" else _QUARTERS
    out = []
    for number, (sm, sd), (em, ed), next_year in table:
        year = school_year + 1 if next_year else school_year
        out.append((school_year, kind, number, datetime.date(year, sm, sd), datetime.date(year, em, ed)))
    return out
