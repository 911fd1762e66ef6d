"""The collegial bodies that behave alike — methodological councils (of the organisation and of
its units, cl. 14, 32), the pedagogical council (a body of its own, cl. 32), subject and cycle
commissions and departments (cl. 10, 15) — described once, so one set of pages serves them all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from api.i18n import N_

QUORUM_RULES: Mapping[str, str] = {
    "more_than_half": N_("More than half of the members"),
    "two_thirds": N_("Two thirds of the members"),
    "all": N_("All the members"),
}
LEADER_METHODS: Mapping[str, str] = {"elected": N_("Elected"), "appointed": N_("Appointed")}
COMMISSION_KINDS: Mapping[str, str] = {
    "subject_commission": N_("Subject commission"),
    "cycle_commission": N_("Cycle commission"),
}


@dataclass(frozen=True)
class CollegialKind:
    body_kind: str  # the API's body kind, and the pages' path segment
    api: str  # where the API keeps bodies of this kind
    title: str  # the list page's heading
    one: str  # one body of the kind
    new: str  # the create form's heading
    empty: str  # the list page without bodies
    unit_kinds: tuple[str, ...] | None = None  # units a body may belong to; None: no unit
    unit_required: bool = False
    subkinds: Mapping[str, str] = field(default_factory=dict)  # commission kinds to choose from
    term_required: bool = False  # members are elected for a term (cl. 14)
    single: bool = False  # one per organisation (the pedagogical council)
    quorum: str = "more_than_half"
    officers: bool = True  # a chair and a secretary (an association has a leader instead)
    leaders: bool = False  # leaders elected (appointed) for at most one year (cl. 30)
    new_page: str | None = None  # formed on a page of its own (an association names its kind and subject)

    def list_params(self) -> dict[str, Any]:
        return {"kind": "department"} if self.body_kind == "department" else {}

    def owns(self, row: Mapping[str, Any]) -> bool:
        """Commissions and departments share the API's address: a row is this kind's by its own kind."""
        if self.body_kind == "department":
            return row.get("kind") == "department"
        if self.body_kind == "commission":
            return row.get("kind") in COMMISSION_KINDS
        return True

    def edit_payload(self, values: Mapping[str, str]) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": values["name"], "quorum_rule": values["quorum_rule"]}
        if self.officers:
            payload |= {
                "chair_staff_id": values["chair_staff_id"] or None,
                "secretary_staff_id": values["secretary_staff_id"] or None,
            }
        return payload

    def create_payload(self, values: Mapping[str, str]) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": values["name"], "quorum_rule": values["quorum_rule"] or self.quorum}
        if self.unit_kinds is not None and (values["unit_id"] or self.unit_required):
            payload["unit_id"] = values["unit_id"] or None
        if self.subkinds:
            payload["kind"] = values["kind"]
        elif self.body_kind == "department":
            payload["kind"] = "department"
        return payload


KINDS: Mapping[str, CollegialKind] = {
    "association": CollegialKind(
        "association",
        "/associations",
        N_("Methodological associations"),
        N_("Methodological association"),
        N_("New methodological association"),
        N_(
            "No associations yet. A school forms them for teachers of one subject, of grades 1-4, class teachers "
            "and educators (cl. 25)."
        ),
        officers=False,
        leaders=True,
        new_page="/associations/new",
    ),
    "council": CollegialKind(
        "council",
        "/councils",
        N_("Methodological councils"),
        N_("Methodological council"),
        N_("New methodological council"),
        N_(
            "No methodological council yet. A school forms one to lead and coordinate its associations (cl. 32); "
            "a unit's council follows the organisation's (cl. 14)."
        ),
        unit_kinds=(),
        term_required=True,
    ),
    "pedagogical_council": CollegialKind(
        "pedagogical_council",
        "/pedagogical-council",
        N_("Pedagogical council"),
        N_("Pedagogical council"),
        N_("Record the pedagogical council"),
        N_(
            "The pedagogical council is not recorded yet. It is a body of its own; the methodological council "
            "never doubles as it (cl. 32)."
        ),
        single=True,
        quorum="two_thirds",
    ),
    "commission": CollegialKind(
        "commission",
        "/commissions",
        N_("Subject and cycle commissions"),
        N_("Commission"),
        N_("New commission"),
        N_(
            "No commissions yet. A commission is the collegial body of a subject or cycle commission unit (cl. 10, 15)."
        ),
        unit_kinds=tuple(COMMISSION_KINDS),
        unit_required=True,
        subkinds=COMMISSION_KINDS,
    ),
    "department": CollegialKind(
        "department",
        "/commissions",
        N_("Departments"),
        N_("Department"),
        N_("New department"),
        N_("No departments yet. A department as a body is the collegial face of a department unit (cl. 10)."),
        unit_kinds=("department",),
        unit_required=True,
    ),
}
