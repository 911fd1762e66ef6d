"""The isolation matrix's tally, printed in pytest's terminal summary (hook in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class IsolationTally:
    cases: int = 0
    leaks: int = 0
    ran: bool = False


TALLY = IsolationTally()


def write_summary(terminalreporter: Any) -> None:
    if TALLY.ran:
        terminalreporter.write_line(f"isolation: {TALLY.cases} cases, {TALLY.leaks} leaks")
