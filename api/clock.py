"""Kazakhstan's clock: the one time zone the product keeps, and the school year.

Kazakhstan keeps one time zone for the whole country, UTC+5, since 1 March 2024, without daylight
saving: meetings, terms, memberships and deadlines run by its dates, and pages show its time. A
fixed offset, not a zone name, so that no system's time-zone data (an old one still puts Almaty at
UTC+6) can move a date.
"""

from __future__ import annotations

import datetime

KZ_TIME = datetime.timezone(datetime.timedelta(hours=5), "UTC+5")


def now() -> datetime.datetime:
    return datetime.datetime.now(KZ_TIME)


def utc_now() -> datetime.datetime:
    """The moment to store: timestamps are kept in UTC (timestamptz) and shown in Kazakhstan time."""
    return datetime.datetime.now(datetime.UTC)


def today() -> datetime.date:
    return now().date()


def date_of(moment: datetime.datetime) -> datetime.date:
    """The day a moment falls on in Kazakhstan: a moment stored in UTC is on the day before until 05:00."""
    return moment.astimezone(KZ_TIME).date()


def school_year_of(day: datetime.date) -> int:
    """The school year a day belongs to (1 August to 31 July; 2025 means 2025/2026)."""
    return day.year if day.month >= 8 else day.year - 1
