"""The compliance engine: load a rule set into the control plane; recompute one organisation.

`recompute` reads one tenant schema (the checks), then replaces the organisation's current
findings and its check run in the control plane in one transaction. It runs in the background
(`api.domain.compliance.jobs`): coalesced per organisation after a change, and nightly for all.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from api.clock import today, utc_now
from api.db import Database, advisory_key
from api.domain.compliance import rollups
from api.domain.compliance.checks import CHECKS, CheckContext, render
from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding, ComplianceRuleSet
from api.domain.compliance.rules import RuleSet, RuleSetError, parse, resolve
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from api.identity import audit as identity_audit

RULESETS_DIR = Path(__file__).parent / "rulesets"
DEFAULT_RULESET = RULESETS_DIR / "order-583.toml"


# --- rule sets ----------------------------------------------------------------------------------


async def load_rule_set(session: AsyncSession, text: str, source_name: str, *, audited: bool = True) -> dict[str, Any]:
    """Validate a rule set file and store it (replacing a rule set of the same code). Nothing is
    written when it is refused (RuleSetError, naming the line and the key). A load by an operator
    is recorded in the identity audit log; the server's own first load of order No. 583 at start is
    part of setting up the deployment, like the territory list, and is not."""
    ruleset = parse(text)
    base = None
    if ruleset.extends is not None:
        base_row = await session.scalar(select(ComplianceRuleSet).where(ComplianceRuleSet.code == ruleset.extends))
        base = base_row.document if base_row is not None else None
    document = resolve(ruleset, base)
    values = {
        "code": ruleset.code,
        "in_force_from": ruleset.in_force_from,
        "in_force_until": ruleset.in_force_until,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "source_name": source_name[:300],
        "document": document,
    }
    row = await session.scalar(select(ComplianceRuleSet).where(ComplianceRuleSet.code == ruleset.code))
    before = (
        None
        if row is None
        else {"code": row.code, "sha256": row.sha256, "in_force_from": row.in_force_from.isoformat()}
    )
    if row is None:
        row = ComplianceRuleSet(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    await session.flush()
    if not audited:
        return document
    # Which rules organisations are held to is a control-plane act: the identity audit log keeps it.
    await identity_audit.record(
        session,
        None,
        action="rule_set.load",
        entity="compliance_rule_set",
        entity_id=row.id,
        before=before,
        after={
            "code": row.code,
            "sha256": row.sha256,
            "in_force_from": ruleset.in_force_from.isoformat(),
            "source": row.source_name,
        },
        actor_kind="command",
    )
    return document


async def load_rule_set_file(db: Database, path: Path, *, audited: bool = True) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleSetError(f"Cannot read {path}: {error}") from None
    async with db.session() as session, session.begin():
        return await load_rule_set(session, text, path.name, audited=audited)


async def ensure_default_rule_set(db: Database) -> None:
    """The Rules of order No. 583 from the repository, when no rule set is loaded yet."""
    async with db.session() as session:
        if await session.scalar(select(ComplianceRuleSet.id).limit(1)) is not None:
            return
    await load_rule_set_file(db, DEFAULT_RULESET, audited=False)


async def rule_set_in_force(session: AsyncSession, on: datetime.date) -> RuleSet | None:
    """The rule set in force on `on`: the latest to come into force by then and not ended."""
    row = await session.scalar(
        select(ComplianceRuleSet)
        .where(
            ComplianceRuleSet.in_force_from <= on,
            or_(ComplianceRuleSet.in_force_until.is_(None), ComplianceRuleSet.in_force_until >= on),
        )
        .order_by(ComplianceRuleSet.in_force_from.desc())
        .limit(1)
    )
    return RuleSet.of(row.document, on) if row is not None else None


# --- recompute ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    organisation_id: UUID
    rule_set: str | None
    findings: int
    skipped: str | None = None


def _finding_key(check: str, clause: str, subject_kind: str, subject_id: UUID | None, extra: str) -> str:
    return f"{check}|{clause}|{subject_kind}|{subject_id or ''}|{extra}"[:300]


async def recompute(db: Database, organisation_id: UUID, on: datetime.date | None = None) -> Outcome:
    """Check one organisation against the rule set in force on `on` (today in Kazakhstan) and
    replace its current findings. An organisation not active has its findings cleared."""
    on = on or today()
    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        if org is None:
            return Outcome(organisation_id, None, 0, "unknown organisation")
        ruleset = await rule_set_in_force(session, on)
        previous = {
            f.key: f.since
            for f in (
                await session.scalars(
                    select(ComplianceFinding).where(ComplianceFinding.organisation_id == organisation_id)
                )
            ).all()
        }
        org_kind, schema, status, org_name, territory_id = (
            org.kind,
            org.schema_name,
            org.status,
            org.name_ru,
            org.territory_id,
        )
    rows: list[dict[str, Any]] = []
    note = None
    clauses_checked: list[str] = []
    if status != OrgStatus.ACTIVE:
        note = f"not checked: the organisation is {status}"
    elif ruleset is None:
        note = "not checked: no rule set is in force on this day"
    else:
        by_check = ruleset.clauses_of_check()
        async with db.tenant_context(schema) as tenant:
            ctx = CheckContext(tenant, organisation_id, org_kind, on)
            for name, clauses in by_check.items():
                check = CHECKS.get(name)
                if check is None or org_kind not in check.org_kinds:
                    continue
                clauses_checked += clauses
                for found in await check.run(ctx):
                    clause = _clause_for(found.clause, clauses)
                    if clause is None:
                        continue  # this rule set keeps the check for other clauses only
                    subject_name = found.subject_name or org_name
                    found_named = found if found.subject_name else _renamed(found, subject_name)
                    key = _finding_key(name, clause, found.subject_kind, found.subject_id, found.key_extra)
                    rows.append(
                        {
                            "organisation_id": organisation_id,
                            "rule_set": ruleset.code,
                            "clause": clause,
                            "check": name,
                            "key": key,
                            "subject_kind": found.subject_kind,
                            "subject_id": found.subject_id,
                            "subject_name": subject_name[:500],
                            "since": found.since or previous.get(key) or on,
                            "problem": render(check.problem, found_named),
                            "todo": render(check.todo, found_named),
                            "evidence": found.evidence,
                            "web_path": found.web_path,
                            "api_path": found.api_path,
                        }
                    )
    now = utc_now()
    async with db.session() as session, session.begin():
        # One writer per organisation at a time (a change's job and the nightly pass may meet): the
        # second waits, then replaces what the first wrote instead of adding to it.
        await session.execute(select(func.pg_advisory_xact_lock(advisory_key(f"compliance:{organisation_id}"))))
        before = rollups.Contribution.of(
            await session.scalar(
                select(ComplianceCheckRun).where(ComplianceCheckRun.organisation_id == organisation_id)
            )
        )
        after = rollups.Contribution(
            ruleset is not None and status == OrgStatus.ACTIVE,
            territory_id,
            org_kind,
            rollups.by_clause([r["clause"] for r in rows]),
        )
        await session.execute(delete(ComplianceFinding).where(ComplianceFinding.organisation_id == organisation_id))
        if rows:
            session.add_all([ComplianceFinding(**r) for r in rows])
        run = {
            "rule_set": ruleset.code if ruleset else None,
            "checked_on": on,
            "checked_at": now,
            "findings": len(rows),
            "clauses_checked": sorted(set(clauses_checked), key=lambda c: tuple(int(p) for p in c.split("."))),
            "note": note,
            "counted": after.counted,
            "territory_id": territory_id,
            "kind": org_kind,
            "by_clause": after.by_clause,
        }
        await session.execute(
            insert(ComplianceCheckRun)
            .values(id=uuid7(), organisation_id=organisation_id, created_at=now, updated_at=now, **run)
            .on_conflict_do_update(index_elements=[ComplianceCheckRun.organisation_id], set_={**run, "updated_at": now})
        )
        await rollups.apply(session, rollups.delta(before, after))
    return Outcome(organisation_id, ruleset.code if ruleset else None, len(rows), note)


def _clause_for(source_clause: str, clauses: list[str]) -> str | None:
    """The rule set's clause a finding falls under: the check's only clause, else its own."""
    if len(clauses) == 1:
        return clauses[0]
    return source_clause if source_clause in clauses else None


def _renamed(found: Any, name: str) -> Any:
    return replace(found, subject_name=name)


async def organisations_to_check(db: Database) -> list[UUID]:
    async with db.session() as session:
        return list(
            (
                await session.scalars(
                    select(Organisation.id).where(Organisation.status == OrgStatus.ACTIVE).order_by(Organisation.id)
                )
            ).all()
        )
