"""Rollups of findings per territory, kind of organisation and clause, kept as findings change.

Each check run records what its organisation adds to the rollups (a `Contribution`: counted or
not, where, as what kind, findings by clause). `recompute` takes the previous contribution away
and adds the new one in the transaction that replaces the findings, so at every commit the rollup
rows are the sum of the counted check runs. The nightly pass rebuilds them from the check runs
anyway (`rebuild`), which also heals what no recompute saw (an organisation deleted outright), and
keeps the day's rows as a snapshot for trends (`snapshot`).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import delete, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from api.clock import utc_now
from api.domain.compliance.models import ComplianceCheckRun, ComplianceRollup, ComplianceSnapshot

ALL_CLAUSES = ""  # the clause of the row that counts organisations checked and compliant

Key = tuple[UUID, str, str]  # territory, kind, clause


@dataclass(frozen=True)
class Contribution:
    counted: bool = False
    territory_id: UUID | None = None
    kind: str | None = None
    by_clause: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, run: ComplianceCheckRun | None) -> Contribution:
        if run is None or not run.counted or run.territory_id is None or run.kind is None:
            return cls()
        return cls(True, run.territory_id, run.kind, dict(run.by_clause or {}))

    def rows(self) -> dict[Key, tuple[int, int, int]]:
        """The rollup rows this contribution adds to: (organisations, compliant, findings)."""
        if not self.counted or self.territory_id is None or self.kind is None:
            return {}
        total = sum(self.by_clause.values())
        out = {(self.territory_id, self.kind, ALL_CLAUSES): (1, int(total == 0), total)}
        for clause, n in self.by_clause.items():
            if n:
                out[(self.territory_id, self.kind, clause)] = (1, 0, n)
        return out


def delta(old: Contribution, new: Contribution) -> dict[Key, tuple[int, int, int]]:
    """What moving from `old` to `new` changes, row by row (rows that do not change left out)."""
    change: dict[Key, list[int]] = {}
    for sign, contribution in ((-1, old), (1, new)):
        for key, figures in contribution.rows().items():
            row = change.setdefault(key, [0, 0, 0])
            for i, value in enumerate(figures):
                row[i] += sign * value
    return {k: (v[0], v[1], v[2]) for k, v in change.items() if any(v)}


async def apply(session: AsyncSession, change: dict[Key, tuple[int, int, int]]) -> None:
    """Adds a delta to the rollup rows, in one order for everyone so that two organisations of one
    territory recomputed at once wait for each other instead of deadlocking."""
    if not change:
        return
    now = utc_now()
    values = [
        {
            "id": uuid7(),
            "territory_id": t,
            "kind": k,
            "clause": c,
            "organisations": o,
            "compliant": ok,
            "findings": f,
            "created_at": now,
            "updated_at": now,
        }
        for (t, k, c), (o, ok, f) in sorted(change.items(), key=lambda item: (str(item[0][0]), item[0][1], item[0][2]))
    ]
    statement = insert(ComplianceRollup).values(values)
    table = ComplianceRollup.__table__
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.territory_id, table.c.kind, table.c.clause],
            set_={
                "organisations": table.c.organisations + statement.excluded.organisations,
                "compliant": table.c.compliant + statement.excluded.compliant,
                "findings": table.c.findings + statement.excluded.findings,
                "updated_at": now,
            },
        )
    )


def by_clause(clauses: list[str]) -> dict[str, int]:
    return dict(Counter(clauses))


_REBUILD = text("""
    INSERT INTO public.compliance_rollup
           (id, territory_id, kind, clause, organisations, compliant, findings, created_at, updated_at)
    SELECT gen_random_uuid(), territory_id, kind, clause,
           sum(organisations), sum(compliant), sum(findings), now(), now()
      FROM (SELECT territory_id, kind, '' AS clause, 1 AS organisations, (findings = 0)::int AS compliant, findings
              FROM public.compliance_check_run WHERE counted
            UNION ALL
            SELECT r.territory_id, r.kind, c.key, 1, 0, c.value::int
              FROM public.compliance_check_run r, jsonb_each_text(r.by_clause) c WHERE r.counted AND c.value::int > 0) x
     WHERE territory_id IN (SELECT id FROM public.territory)
     GROUP BY territory_id, kind, clause
""")


async def rebuild(session: AsyncSession) -> None:
    """The rollups recomputed from the check runs. The table lock makes a recompute that commits
    meanwhile wait, and then move the rebuilt rows from exactly the contribution they counted."""
    await session.execute(text("LOCK TABLE public.compliance_rollup IN EXCLUSIVE MODE"))
    await session.execute(delete(ComplianceRollup))
    await session.execute(_REBUILD)


async def snapshot(session: AsyncSession, day: datetime.date) -> int:
    """Keeps today's rollups (rows with something in them) as the snapshot of `day`, replacing one
    taken earlier the same day."""
    await session.execute(delete(ComplianceSnapshot).where(ComplianceSnapshot.day == day))
    rows = select(
        func.gen_random_uuid(),
        literal(day),
        ComplianceRollup.territory_id,
        ComplianceRollup.kind,
        ComplianceRollup.clause,
        ComplianceRollup.organisations,
        ComplianceRollup.compliant,
        ComplianceRollup.findings,
        func.now(),
        func.now(),
    ).where((ComplianceRollup.organisations != 0) | (ComplianceRollup.findings != 0))
    table = ComplianceSnapshot.__table__
    result = await session.execute(
        insert(ComplianceSnapshot).from_select(
            [
                table.c.id,
                table.c.day,
                table.c.territory_id,
                table.c.kind,
                table.c.clause,
                table.c.organisations,
                table.c.compliant,
                table.c.findings,
                table.c.created_at,
                table.c.updated_at,
            ],
            rows,
        )
    )
    return result.rowcount or 0
