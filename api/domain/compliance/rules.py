"""A rule set as data: the file's shape, its validation, and the rule set in force on a day.

A rule set file is TOML (`rulesets/order-583.toml` is the Rules of order No. 583). It is parsed
by the standard library's tomllib through msgspec, which checks every key's type; a bad file is
refused with the line and the key at fault (`RuleSetError`). A later order may `extends` another
rule set: its clauses replace the same-numbered ones, `repeals` removes clauses, and what is not
named is kept, so the stored rule set is always complete.

Each clause names the checks (`checks.CHECKS`) that enforce it; a check unknown to the code is
refused at load, so a rule set never promises a check the engine cannot run.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,78}$"
CLAUSE_PATTERN = r"^[0-9]{1,3}(\.[0-9]{1,3})?$"
Code = Annotated[str, msgspec.Meta(pattern=CODE_PATTERN)]
ClauseNo = Annotated[str, msgspec.Meta(pattern=CLAUSE_PATTERN)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class Translations(msgspec.Struct, forbid_unknown_fields=True):
    kk: Text
    ru: Text
    en: Text


class Amendment(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    order: Text
    signed_on: datetime.date
    in_force_from: datetime.date
    note: Text | None = None


class Clause(msgspec.Struct, forbid_unknown_fields=True):
    number: ClauseNo
    statement: Translations
    in_force_from: datetime.date
    amended_by: Code | None = None
    in_force_until: datetime.date | None = None
    checks: list[Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{2,60}$")]] = []


class RuleSetFile(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    title: Translations
    order: Text
    in_force_from: datetime.date
    in_force_until: datetime.date | None = None
    extends: Code | None = None
    repeals: list[ClauseNo] = []
    amendment: list[Amendment] = []
    clause: list[Clause] = []


class RuleSetError(ValueError):
    """A rule set file that cannot be loaded: the reason, the key (`$.clause[3].number`) and the line."""

    def __init__(self, message: str, *, key: str | None = None, line: int | None = None) -> None:
        self.message, self.key, self.line = message, key, line
        where = ", ".join(p for p in (f"line {line}" if line else None, f"key {key}" if key else None) if p)
        super().__init__(f"{message} ({where})" if where else message)


# --- parsing and validation -----------------------------------------------------------------------

_PATH = re.compile(r"at `(\$[^`]*)`")
_TABLE_HEADER = re.compile(r"^\s*\[\[\s*([a-z_]+)\s*\]\]\s*(#.*)?$")


def _line_of(text: str, path: str) -> int | None:
    """The line of the key a msgspec path names (`$.clause[3].statement.ru`), as well as it can be found."""
    parts = re.findall(r"\.([a-z_]+)|\[(\d+)\]", path)
    lines = text.splitlines()
    start, end = 0, len(lines)
    keys: list[str] = []
    i = 0
    while i < len(parts):
        name, index = parts[i]
        nxt = parts[i + 1][1] if i + 1 < len(parts) else ""
        if name and nxt:  # an array of tables: find the (index+1)-th header
            wanted, seen = int(nxt), -1
            for n in range(start, end):
                m = _TABLE_HEADER.match(lines[n])
                if m and m.group(1) == name:
                    seen += 1
                    if seen == wanted:
                        start = n
                        following = [k for k in range(n + 1, end) if lines[k].lstrip().startswith("[")]
                        end = following[0] if following else end
                        break
            else:
                return None
            i += 2
            continue
        if name:
            keys.append(name)
        i += 1
    if not keys:
        return start + 1 if start else None
    for k in range(len(keys), 0, -1):  # the most precise key first
        candidate = ".".join(keys[:k])
        for n in range(start, end):
            if re.match(rf"{re.escape(candidate)}\s*[.=]", lines[n].lstrip()):
                return n + 1
    return start + 1 if start else None


def parse(text: str) -> RuleSetFile:
    """The file's content as a rule set, or RuleSetError naming the line and the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise RuleSetError(f"Not valid TOML: {error}", line=int(line.group(1)) if line else None) from None
    try:
        ruleset = msgspec.convert(raw, RuleSetFile)
    except msgspec.ValidationError as error:
        found = _PATH.search(str(error))
        key = found.group(1) if found else None
        unknown = re.search(r"unknown field `([a-z_]+)`", str(error))
        if key is not None and unknown:
            key = f"{key}.{unknown.group(1)}"  # the line of the unknown key itself
        raise RuleSetError(str(error).split(" - at ")[0], key=key, line=_line_of(text, key) if key else None) from None
    _check_coherent(ruleset, text)
    return ruleset


def _clause_line(text: str, index: int) -> int | None:
    return _line_of(text, f"$.clause[{index}].number")


def _check_coherent(ruleset: RuleSetFile, text: str) -> None:
    from api.domain.compliance.checks import CHECKS

    if ruleset.in_force_until is not None and ruleset.in_force_until < ruleset.in_force_from:
        raise RuleSetError(
            "in_force_until comes before in_force_from.",
            key="$.in_force_until",
            line=_line_of(text, "$.in_force_until"),
        )
    amendments = {a.code for a in ruleset.amendment}
    seen: set[str] = set()
    for index, clause in enumerate(ruleset.clause):
        key = f"$.clause[{index}]"
        if clause.number in seen:
            raise RuleSetError(
                f"Clause {clause.number} is listed twice.", key=f"{key}.number", line=_clause_line(text, index)
            )
        seen.add(clause.number)
        if clause.amended_by is not None and clause.amended_by not in amendments:
            raise RuleSetError(
                f"Clause {clause.number} names the amendment {clause.amended_by!r}, which the file does not list.",
                key=f"{key}.amended_by",
                line=_line_of(text, f"{key}.amended_by"),
            )
        if clause.in_force_until is not None and clause.in_force_until < clause.in_force_from:
            raise RuleSetError(
                f"Clause {clause.number}: in_force_until comes before in_force_from.",
                key=f"{key}.in_force_until",
                line=_line_of(text, f"{key}.in_force_until"),
            )
        for name in clause.checks:
            if name not in CHECKS:
                raise RuleSetError(
                    f"Clause {clause.number} names the check {name!r}, which the engine does not have "
                    f"(known: {', '.join(sorted(CHECKS))}).",
                    key=f"{key}.checks",
                    line=_line_of(text, f"{key}.checks"),
                )
            if len(set(clause.checks)) != len(clause.checks):
                raise RuleSetError(
                    f"Clause {clause.number} names a check twice.",
                    key=f"{key}.checks",
                    line=_line_of(text, f"{key}.checks"),
                )
    if ruleset.repeals and ruleset.extends is None:
        raise RuleSetError(
            "Only a rule set that extends another may repeal clauses.",
            key="$.repeals",
            line=_line_of(text, "$.repeals"),
        )
    for number in ruleset.repeals:
        if number in seen:
            raise RuleSetError(
                f"Clause {number} is both repealed and restated.", key="$.repeals", line=_line_of(text, "$.repeals")
            )
    if ruleset.extends == ruleset.code:
        raise RuleSetError("A rule set cannot extend itself.", key="$.extends", line=_line_of(text, "$.extends"))


def resolve(ruleset: RuleSetFile, base: dict[str, Any] | None) -> dict[str, Any]:
    """The complete rule set as stored: a base's clauses, replaced and repealed by this one's."""
    own = msgspec.to_builtins(ruleset)
    clauses: dict[str, dict[str, Any]] = {}
    amendments: list[dict[str, Any]] = []
    if ruleset.extends is not None:
        if base is None:
            raise RuleSetError(
                f"The rule set extends {ruleset.extends!r}, which is not loaded: load it first.", key="$.extends"
            )
        for c in base["clauses"]:
            clauses[c["number"]] = c | {"source": c.get("source", base["code"])}
        amendments = list(base.get("amendments", []))
        for number in ruleset.repeals:
            if number not in clauses:
                raise RuleSetError(
                    f"Clause {number} is not in {ruleset.extends!r}, so it cannot be repealed.", key="$.repeals"
                )
            del clauses[number]
    for c in own["clause"]:
        clauses[c["number"]] = c | {"source": ruleset.code}
    return {
        "code": ruleset.code,
        "title": own["title"],
        "order": ruleset.order,
        "in_force_from": own["in_force_from"],
        "in_force_until": own["in_force_until"],
        "extends": ruleset.extends,
        "repeals": list(ruleset.repeals),
        "amendments": amendments + own["amendment"],
        "clauses": sorted(clauses.values(), key=lambda c: tuple(int(p) for p in c["number"].split("."))),
    }


# --- the rule set as the engine reads it -----------------------------------------------------------


@dataclass(frozen=True)
class ClauseInForce:
    number: str
    statement: dict[str, str]
    amended_by: str | None
    checks: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class RuleSet:
    code: str
    title: dict[str, str]
    clauses: tuple[ClauseInForce, ...]

    @classmethod
    def of(cls, document: dict[str, Any], on: datetime.date) -> RuleSet:
        """The clauses of a stored rule set that are in force on `on`."""
        kept = []
        for c in document["clauses"]:
            starts = datetime.date.fromisoformat(c["in_force_from"])
            until = datetime.date.fromisoformat(c["in_force_until"]) if c.get("in_force_until") else None
            if starts <= on and (until is None or on <= until):
                kept.append(
                    ClauseInForce(
                        c["number"], c["statement"], c.get("amended_by"), tuple(c.get("checks", [])), c["source"]
                    )
                )
        return cls(document["code"], document["title"], tuple(kept))

    def clauses_of_check(self) -> dict[str, list[str]]:
        """Each check with the clauses of this rule set it enforces."""
        out: dict[str, list[str]] = {}
        for c in self.clauses:
            for name in c.checks:
                out.setdefault(name, []).append(c.number)
        return out

    def clause(self, number: str) -> ClauseInForce | None:
        return next((c for c in self.clauses if c.number == number), None)
