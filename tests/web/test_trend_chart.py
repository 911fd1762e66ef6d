"""The dashboard's trend chart (web/compliance/chart.py): points placed by day and share."""

from __future__ import annotations

import datetime

from web.compliance.board import TrendPoint
from web.compliance.chart import LEFT, trend_chart

DAY = datetime.date(2026, 12, 1)


def test_points_are_placed_by_day_and_share() -> None:
    chart = trend_chart(
        [
            TrendPoint(DAY, 4, 1, 9),
            TrendPoint(DAY + datetime.timedelta(days=1), 0, 0, 0),  # nothing checked that day
            TrendPoint(DAY + datetime.timedelta(days=4), 4, 4, 0),
        ]
    )
    assert chart is not None
    first, empty, last = chart.dots
    assert (first.x, last.x) == (LEFT, chart.right) and first.x < empty.x < last.x
    assert first.share == 25 and empty.share is None and last.share == 100
    assert last.y == chart.top and chart.bottom > first.y > last.y
    # The line joins the days that have a share and skips the day without one.
    assert chart.line == f"{first.x},{first.y} {last.x},{last.y}"
    assert [t for t, _y in chart.ticks] == [0, 50, 100] and (chart.first, chart.last) == (
        DAY,
        DAY + datetime.timedelta(days=4),
    )


def test_one_day_stands_at_today_and_no_day_draws_nothing() -> None:
    only = trend_chart([TrendPoint(DAY, 2, 1, 3)])
    assert only is not None and only.dots[0].x == only.right and only.dots[0].share == 50
    assert trend_chart([]) is None
