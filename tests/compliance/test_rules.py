"""The Rules as data: the rule set of order No. 583, the loader's refusals, a later rule set."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api.domain.compliance.checks import CHECKS
from api.domain.compliance.engine import DEFAULT_RULESET, load_rule_set, recompute, rule_set_in_force
from api.domain.compliance.models import ComplianceFinding, ComplianceRuleSet
from api.domain.compliance.rules import RuleSet, RuleSetError, parse, resolve
from api.domain.structure.models import Staff, StaffSubject, Subject

TEXT = DEFAULT_RULESET.read_text(encoding="utf-8")

# A fictitious later order: from 2030 it restates cl. 25 (a meeting every term, its own wording),
# repeals cl. 26 and adds a clause with no check.
LATER = """
code = "order-900-test"
extends = "order-583"
title = { kk = "Сынақ бұйрығы", ru = "Тестовый приказ", en = "A test order" }
order = "Order No. 900 (fictitious, for tests)"
in_force_from = 2030-01-01
repeals = ["26"]

[[clause]]
number = "25"
statement = { kk = "Отырыс әр тоқсан сайын.", ru = "Заседание каждую четверть.", en = "A meeting every term." }
in_force_from = 2030-01-01
checks = ["quarterly_meetings"]

[[clause]]
number = "40"
statement = { kk = "Жаңа тармақ.", ru = "Новый пункт.", en = "A new clause." }
in_force_from = 2030-01-01
"""


def test_order_583_holds_every_clause_with_its_amendment() -> None:
    document = resolve(parse(TEXT), None)
    clauses = {c["number"]: c for c in document["clauses"]}
    assert sorted(clauses, key=int) == [
        "2",
        "7",
        "10",
        "11",
        "13",
        "14",
        "15",
        "18",
        "19",
        "20",
        "21",
        "23",
        "24",
        "25",
        "26",
        "29",
        "30",
        "31",
        "32",
    ]
    assert {n for n, c in clauses.items() if c.get("amended_by") == "order-488-2015"} == {"7", "11", "13", "14", "19"}
    assert clauses["10"]["amended_by"] == "order-40-2016"
    assert {a["code"] for a in document["amendments"]} == {"order-488-2015", "order-40-2016", "order-78-2022"}
    for c in clauses.values():
        assert set(c["statement"]) == {"kk", "ru", "en"} and all(c["statement"].values())
    # The clauses the issue names each have a check, and every check of the code serves a clause.
    for number in ("7", "14", "18", "19", "20", "21", "25", "26", "29", "30", "32"):
        assert clauses[number]["checks"], number
    assert {name for c in clauses.values() for name in c.get("checks", [])} == set(CHECKS)
    # Each check names the clause of order No. 583 it enforces, and the rule set lists it there.
    for name, check in CHECKS.items():
        assert any(name in clauses[c].get("checks", []) for c in check.clauses), name


def _bad(old: str, new: str) -> RuleSetError:
    assert old in TEXT, old
    with pytest.raises(RuleSetError) as refused:
        parse(TEXT.replace(old, new, 1))
    return refused.value


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ('number = "14"', "number = 14", "$.clause[5].number", "Expected `str`, got `int`"),
        ('number = "26"', 'number = "twenty-six"', "$.clause[14].number", "Expected `str` matching regex"),
        ('checks = ["leader_terms"]', 'checks = ["leader_termz"]', "$.clause[16].checks", "the check 'leader_termz'"),
        (
            'statement.ru = "Заседания',
            'statement.rux = "Заседания',
            "$.clause[13].statement.rux",
            "unknown field `rux`",
        ),
        (
            'amended_by = "order-40-2016"',
            'amended_by = "order-41-2016"',
            "$.clause[2].amended_by",
            "names the amendment",
        ),
        (
            'in_force_from = 2015-07-27\nchecks = ["plan_directions"]',
            'in_force_from = "soon"\nchecks = ["plan_directions"]',
            "$.clause[1].in_force_from",
            "Invalid RFC3339 encoded date",
        ),
        ('number = "29"', 'number = "25"', "$.clause[15].number", "listed twice"),
    ],
)
def test_a_bad_rule_set_is_refused_naming_the_key_and_its_line(old: str, new: str, key: str, message: str) -> None:
    error = _bad(old, new)
    assert error.key == key and message in error.message, (error.key, error.message)
    bad_text = TEXT.replace(old, new, 1)
    # The line named is the line of the key at fault (or of its clause's table).
    assert error.line is not None
    assert new.splitlines()[0] in bad_text.splitlines()[error.line - 1], (
        error.line,
        bad_text.splitlines()[error.line - 1],
    )


def test_bad_toml_names_its_line() -> None:
    with pytest.raises(RuleSetError) as refused:
        parse('code = "x-y"\n[[clause]\nnumber = "1"\n')
    assert refused.value.line == 2 and "Not valid TOML" in refused.value.message


def test_incoherent_rule_sets_are_refused() -> None:
    with pytest.raises(RuleSetError, match="Only a rule set that extends"):
        parse(
            TEXT.replace(
                "in_force_from = 2007-12-13\n\n[[amendment]]",
                'in_force_from = 2007-12-13\nrepeals = ["26"]\n\n[[amendment]]',
                1,
            )
        )
    with pytest.raises(RuleSetError, match="before in_force_from"):
        parse(
            TEXT.replace(
                "in_force_from = 2007-12-13\n\n[[amendment]]",
                "in_force_from = 2007-12-13\nin_force_until = 2001-01-01\n\n[[amendment]]",
                1,
            )
        )
    with pytest.raises(RuleSetError, match="both repealed and restated"):
        parse(LATER.replace('repeals = ["26"]', 'repeals = ["25"]'))
    # Extending a rule set that is not loaded is refused at resolution.
    with pytest.raises(RuleSetError, match="not loaded"):
        resolve(parse(LATER), None)


async def test_a_refused_file_writes_nothing(app: object, db: Any) -> None:
    async with db.session() as session:
        before = await session.scalar(select(func.count()).select_from(ComplianceRuleSet))
        with pytest.raises(RuleSetError):
            await load_rule_set(session, LATER.replace('"quarterly_meetings"', '"no_such_check"'), "bad.toml")
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(ComplianceRuleSet)) == before


async def test_the_rule_set_in_force_on_the_day_checked(app: object, db: Any, bare_school: Any) -> None:
    """A later order replaces cl. 25 and repeals cl. 26 from 2030: an organisation is checked
    against 583 before that day and against the later order from it, without a code change."""
    async with db.session() as session, session.begin():
        await load_rule_set(session, LATER, "order-900-test.toml")
    from api.identity.models import IdentityAuditEntry

    async with db.session() as session:
        logged = (
            await session.scalars(select(IdentityAuditEntry).where(IdentityAuditEntry.action == "rule_set.load"))
        ).all()
        assert any(e.after and e.after.get("code") == "order-900-test" and e.actor_kind == "command" for e in logged)
        assert (await rule_set_in_force(session, datetime.date(2029, 12, 31))).code == "order-583"  # type: ignore[union-attr]
        later = await rule_set_in_force(session, datetime.date(2030, 1, 2))
    assert later is not None and later.code == "order-900-test"
    numbers = {c.number for c in later.clauses}
    assert "26" not in numbers and "40" in numbers and "32" in numbers
    assert (
        later.clause("25").statement["en"] == "A meeting every term." and later.clause("25").source == "order-900-test"
    )  # type: ignore[union-attr]
    assert later.clause("7").amended_by == "order-488-2015"  # type: ignore[union-attr]
    # The same facts: three teachers of one subject without an association (cl. 26 of 583).
    async with db.tenant_context(bare_school.schema_name) as tenant:
        subject = Subject(code="cmp-rules-bio", name_kk="Биология", name_ru="Биология", name_en="Biology")
        tenant.add(subject)
        await tenant.flush()
        for n in range(3):
            person = Staff(full_name=f"Biology teacher {n}", positions=["teacher"])
            tenant.add(person)
            await tenant.flush()
            tenant.add(StaffSubject(staff_id=person.id, subject_id=subject.id))
    before = await recompute(db, bare_school.id, datetime.date(2029, 12, 20))
    async with db.session() as session:
        clauses = set(
            (
                await session.scalars(
                    select(ComplianceFinding.clause).where(ComplianceFinding.organisation_id == bare_school.id)
                )
            ).all()
        )
    assert before.rule_set == "order-583" and "26" in clauses
    after = await recompute(db, bare_school.id, datetime.date(2030, 2, 1))
    async with db.session() as session:
        rows = (
            await session.scalars(select(ComplianceFinding).where(ComplianceFinding.organisation_id == bare_school.id))
        ).all()
    assert after.rule_set == "order-900-test" and rows
    assert {r.rule_set for r in rows} == {"order-900-test"} and "26" not in {r.clause for r in rows}


def test_clauses_in_force_follow_their_own_dates() -> None:
    document = resolve(parse(TEXT), None)
    # Before order No. 488 took effect, the clauses it restated were not yet in their present wording.
    early = RuleSet.of(document, datetime.date(2010, 1, 1))
    assert early.clause("7") is None and early.clause("25") is not None
    assert RuleSet.of(document, datetime.date(2020, 1, 1)).clause("7") is not None


def test_the_file_is_where_the_docs_say() -> None:
    assert DEFAULT_RULESET == Path(__file__).resolve().parents[2] / "api/domain/compliance/rulesets/order-583.toml"


def test_metodist_rules_load_on_the_command_line(database_url: str, tmp_path: Path) -> None:
    """`metodist rules load FILE`: a good file is stored, a bad one refused with its line and key, exit 2."""
    from tests.tenancy.helpers import metodist, psql

    good = metodist(database_url, "rules", "load", str(DEFAULT_RULESET), data_dir=tmp_path)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip().splitlines()[-1].startswith("Loaded rule set order-583: 19 clauses (11 with checks)")
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text(TEXT.replace('checks = ["leader_terms"]', 'checks = ["leader_termz"]', 1), encoding="utf-8")
    bad = metodist(database_url, "rules", "load", str(bad_file), data_dir=tmp_path)
    assert bad.returncode == 2
    assert "the check 'leader_termz'" in bad.stderr and "key $.clause[16].checks" in bad.stderr
    line = next(
        n for n, text in enumerate(bad_file.read_text(encoding="utf-8").splitlines(), 1) if "leader_termz" in text
    )
    assert f"line {line}" in bad.stderr
    assert psql(database_url, "SELECT count(*) FROM public.compliance_rule_set WHERE code = 'order-583'") == [(1,)]
    # The operator's load is in the identity audit log, as the command's act.
    assert psql(
        database_url,
        "SELECT count(*) > 0 FROM public.identity_audit_log WHERE action = 'rule_set.load' AND actor_kind = 'command'",
    ) == [(True,)]
