"""The trend chart's geometry, worked out on the server: the share of compliant organisations day
by day as an inline SVG line (the template draws it), so the chart needs no script, no network
and no library, and reads the same in every browser and in a printout."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from web.compliance.board import TrendPoint

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 10, 26  # room for the axis labels
TICKS = (0, 50, 100)


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    point: TrendPoint
    share: int | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float  # the plot's right edge
    top: int
    bottom: float  # the plot's bottom edge (0 %)
    line: str  # the polyline's points
    dots: list[Dot]
    ticks: list[tuple[int, float]]  # (per cent, y)
    first: datetime.date
    last: datetime.date


def _share(p: TrendPoint) -> int | None:
    return round(100 * p.compliant / p.organisations) if p.organisations else None


def trend_chart(points: Sequence[TrendPoint]) -> Chart | None:
    """The chart of the points (oldest first); None without any."""
    if not points:
        return None
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)

    def y_of(share: float) -> float:
        return round(bottom - (bottom - TOP) * share / 100, 1)

    dots = []
    for p in points:
        # A single point (a territory's first day) stands at the right, where today is.
        x = right if len(points) == 1 else LEFT + (right - LEFT) * (p.day - first).days / span
        share = _share(p)
        dots.append(Dot(round(x, 1), y_of(share or 0), p, share))
    # Days with nothing checked have no share: the line skips them rather than dropping to 0 %.
    line = " ".join(f"{d.x},{d.y}" for d in dots if d.share is not None)
    return Chart(WIDTH, HEIGHT, LEFT, right, TOP, bottom, line, dots, [(t, y_of(t)) for t in TICKS], first, last)
