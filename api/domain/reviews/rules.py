"""Default review routes, written from the clauses, and what an organisation may change in them.

A route is a list of stage templates. Each names a *selector* — which body of the organisation
reviews at that point, resolved against the organisation's structure when a round starts — and
the clause it comes from. Selectors that find nothing (a school has no faculty) are left out when
the route is instantiated; the final approval and, for working curricula, the stage of all the
relevant methodological councils (cl. 19) are never left out and cannot be removed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec

from api.domain.documents.rules import CLAUSE_OF_KIND, DocumentKind
from api.errors import DomainError
from api.roles import Role


class StageKind(enum.StrEnum):
    REVIEW = "review"  # one body gives its conclusion
    ALL_COUNCILS = "all_councils"  # parallel: passes only when every member council is positive
    APPROVAL = "approval"  # the holder of a role approves


class Selector(enum.StrEnum):
    COMMISSION = "commission"  # the subject / cycle commission of the authors (in schools: their association)
    DEPARTMENT = "department"  # the department (кафедра) of the authors
    UNIT_COUNCILS = "unit_councils"  # councils of every institute, faculty, division above the authors (cl. 19)
    UNIT_COUNCIL = "unit_council"  # the nearest unit council above the authors
    UM_OFFICE = "um_office"  # the educational-methodological office, decided by its head
    ORGANISATION_COUNCIL = "organisation_council"  # the organisation's methodological council
    ALL_COUNCILS = "all_councils"  # cl. 19: all relevant methodological councils, in parallel
    ASSOCIATION = "association"  # the association whose annual plan it is (cl. 29)
    BODY = "body"  # one named body the organisation added
    APPROVAL = "approval"


class Outcome(enum.StrEnum):
    POSITIVE = "positive"  # positive conclusion; at an approval stage: approved
    NEGATIVE = "negative"  # negative conclusion: back to the authors
    RETURN = "return"  # returned for revision: back to the authors


DEFAULT_DUE_DAYS = 14
MAX_STAGES = 12

H, D = Role.HEAD.value, Role.DEPUTY_HEAD.value

# Who may hold the final approval, by clause. Cl. 18 lets the organisation choose between the
# head and the deputy head; cl. 19 and 29 name the head, cl. 20 and 21 the deputy head.
APPROVERS_ALLOWED: dict[DocumentKind, frozenset[str]] = {
    DocumentKind.WORKING_CURRICULUM: frozenset({H}),
    DocumentKind.WORKING_PROGRAMME: frozenset({D}),
    DocumentKind.LESSON_PLAN: frozenset({D}),
    DocumentKind.GUIDELINES: frozenset({D}),
    DocumentKind.OTHER: frozenset({H, D}),
    DocumentKind.METHODOLOGICAL_PRODUCT: frozenset({H, D}),
    DocumentKind.NORMATIVE_DOCUMENT: frozenset({H, D}),
    DocumentKind.ASSOCIATION_PLAN: frozenset({H}),
}

# The bodies each clause names; an organisation may add only these (or a named body of a kind
# the clause names) to its route.
SELECTORS_ALLOWED: dict[DocumentKind, frozenset[Selector]] = {
    DocumentKind.WORKING_CURRICULUM: frozenset(
        {
            Selector.COMMISSION,
            Selector.DEPARTMENT,
            Selector.UNIT_COUNCILS,
            Selector.UNIT_COUNCIL,
            Selector.UM_OFFICE,
            Selector.ALL_COUNCILS,
            Selector.BODY,
        }
    ),
    DocumentKind.WORKING_PROGRAMME: frozenset(
        {Selector.COMMISSION, Selector.UNIT_COUNCIL, Selector.ORGANISATION_COUNCIL, Selector.BODY}
    ),
    DocumentKind.LESSON_PLAN: frozenset(
        {Selector.COMMISSION, Selector.UNIT_COUNCIL, Selector.ORGANISATION_COUNCIL, Selector.BODY}
    ),
    DocumentKind.GUIDELINES: frozenset(
        {Selector.COMMISSION, Selector.DEPARTMENT, Selector.UNIT_COUNCIL, Selector.ORGANISATION_COUNCIL, Selector.BODY}
    ),
    DocumentKind.OTHER: frozenset(
        {
            Selector.COMMISSION,
            Selector.DEPARTMENT,
            Selector.UNIT_COUNCIL,
            Selector.ORGANISATION_COUNCIL,
            Selector.UM_OFFICE,
            Selector.BODY,
        }
    ),
    DocumentKind.METHODOLOGICAL_PRODUCT: frozenset(
        {
            Selector.COMMISSION,
            Selector.DEPARTMENT,
            Selector.UNIT_COUNCIL,
            Selector.ORGANISATION_COUNCIL,
            Selector.UM_OFFICE,
            Selector.BODY,
        }
    ),
    DocumentKind.NORMATIVE_DOCUMENT: frozenset(
        {
            Selector.COMMISSION,
            Selector.DEPARTMENT,
            Selector.UNIT_COUNCIL,
            Selector.ORGANISATION_COUNCIL,
            Selector.UM_OFFICE,
            Selector.BODY,
        }
    ),
    DocumentKind.ASSOCIATION_PLAN: frozenset({Selector.ASSOCIATION, Selector.ORGANISATION_COUNCIL, Selector.BODY}),
}

# Body kinds (api.domain.bodies.rules.BodyKind values) a `body` stage may name.
NAMED_BODY_KINDS = frozenset({"commission", "department", "council", "association"})


class StageTemplate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    selector: Selector
    clause: str = ""
    approver_roles: list[str] = msgspec.field(default_factory=list)  # approval stages only
    body_kind: str | None = None  # `body` stages only
    body_id: UUID | None = None
    due_days: int = DEFAULT_DUE_DAYS

    @property
    def kind(self) -> StageKind:
        if self.selector is Selector.APPROVAL:
            return StageKind.APPROVAL
        if self.selector is Selector.ALL_COUNCILS:
            return StageKind.ALL_COUNCILS
        return StageKind.REVIEW


def _t(selector: Selector, clause: str, *approvers: str) -> StageTemplate:
    return StageTemplate(selector=selector, clause=clause, approver_roles=list(approvers))


S = Selector

DEFAULT_ROUTES: dict[DocumentKind, tuple[StageTemplate, ...]] = {
    # Cl. 19: commissions, departments, councils of units (institutes, faculties, divisions), the
    # educational-methodological offices, then a positive conclusion in ALL relevant
    # methodological councils, then the head.
    DocumentKind.WORKING_CURRICULUM: (
        _t(S.COMMISSION, "19"),
        _t(S.DEPARTMENT, "19"),
        _t(S.UNIT_COUNCILS, "19"),
        _t(S.UM_OFFICE, "19"),
        _t(S.ALL_COUNCILS, "19"),
        _t(S.APPROVAL, "19", H),
    ),
    # Cl. 20: the council of the unit, the council of the organisation, the deputy head.
    DocumentKind.WORKING_PROGRAMME: (
        _t(S.UNIT_COUNCIL, "20"),
        _t(S.ORGANISATION_COUNCIL, "20"),
        _t(S.APPROVAL, "20", D),
    ),
    DocumentKind.LESSON_PLAN: (_t(S.UNIT_COUNCIL, "20"), _t(S.ORGANISATION_COUNCIL, "20"), _t(S.APPROVAL, "20", D)),
    # Cl. 21: commissions, departments, the council of the unit and of the organisation, the deputy head.
    DocumentKind.GUIDELINES: (
        _t(S.COMMISSION, "21"),
        _t(S.DEPARTMENT, "21"),
        _t(S.UNIT_COUNCIL, "21"),
        _t(S.ORGANISATION_COUNCIL, "21"),
        _t(S.APPROVAL, "21", D),
    ),
    # Cl. 18: commissions, departments, unit councils, the organisation's council; the head or the deputy head.
    DocumentKind.OTHER: (
        _t(S.COMMISSION, "18"),
        _t(S.DEPARTMENT, "18"),
        _t(S.UNIT_COUNCIL, "18"),
        _t(S.ORGANISATION_COUNCIL, "18"),
        _t(S.APPROVAL, "18", H, D),
    ),
    # Cl. 13.4: units analyse methodological products and recommend them for publication; as
    # methodological documentation (cl. 18) it is then approved by the head or the deputy head.
    DocumentKind.METHODOLOGICAL_PRODUCT: (
        _t(S.COMMISSION, "13.4"),
        _t(S.DEPARTMENT, "13.4"),
        _t(S.UNIT_COUNCIL, "13.4"),
        _t(S.ORGANISATION_COUNCIL, "13.4"),
        _t(S.APPROVAL, "18", H, D),
    ),
    # Cl. 13.2: units examine normative documents and recommend them to the methodological council.
    DocumentKind.NORMATIVE_DOCUMENT: (
        _t(S.COMMISSION, "13.2"),
        _t(S.DEPARTMENT, "13.2"),
        _t(S.ORGANISATION_COUNCIL, "13.2"),
        _t(S.APPROVAL, "18", H, D),
    ),
    # Cl. 29: the association's annual plan, approved by the head of the organisation.
    DocumentKind.ASSOCIATION_PLAN: (_t(S.ASSOCIATION, "29"), _t(S.APPROVAL, "29", H)),
}


def default_route(kind: DocumentKind) -> list[StageTemplate]:
    return [msgspec.structs.replace(t) for t in DEFAULT_ROUTES[kind]]


def check_route(kind: DocumentKind, stages: list[StageTemplate]) -> list[StageTemplate]:
    """An organisation's route for `kind`, checked against its clause; returns it with clauses filled.

    Refused: no final approval, an approval not last or twice, an approver the clause does not
    name, a body the clause does not name, the same selector twice, and for cl. 19 a route
    without the all-councils stage.
    """
    clause = CLAUSE_OF_KIND[kind]
    if not stages:
        raise DomainError("A route needs at least its final approval.", field="stages", clause=clause)
    if len(stages) > MAX_STAGES:
        raise DomainError(f"A route has at most {MAX_STAGES} stages.", field="stages")
    approvals = [i for i, s in enumerate(stages) if s.selector is Selector.APPROVAL]
    final_clause = DEFAULT_ROUTES[kind][-1].clause
    if approvals != [len(stages) - 1]:
        raise DomainError(
            "The route must end with exactly one approval stage: the final approval cannot be removed or moved.",
            field="stages",
            clause=final_clause,
        )
    if kind is DocumentKind.WORKING_CURRICULUM and not any(s.selector is Selector.ALL_COUNCILS for s in stages):
        raise DomainError(
            "A working curriculum is approved only after a positive conclusion of all relevant methodological "
            "councils: that stage cannot be removed.",
            field="stages",
            clause="19",
        )
    seen: set[tuple[Any, ...]] = set()
    checked: list[StageTemplate] = []
    for index, stage in enumerate(stages):
        where = f"stages[{index}]"
        key: tuple[Any, ...] = (stage.selector, stage.body_kind, stage.body_id)
        if key in seen:
            raise DomainError("The same stage is in the route twice.", field=where)
        seen.add(key)
        if not 1 <= stage.due_days <= 180:
            raise DomainError("A stage's due time is 1 to 180 days.", field=f"{where}.due_days")
        if stage.selector is Selector.APPROVAL:
            roles = list(dict.fromkeys(stage.approver_roles)) or sorted(APPROVERS_ALLOWED[kind])
            wrong = [r for r in roles if r not in APPROVERS_ALLOWED[kind]]
            if wrong:
                allowed = " or ".join(sorted(APPROVERS_ALLOWED[kind]))
                raise DomainError(
                    f"This document is approved by the {allowed.replace('_', ' ')}; not by {', '.join(wrong)}.",
                    field=f"{where}.approver_roles",
                    clause=final_clause,
                )
            checked.append(
                msgspec.structs.replace(stage, approver_roles=roles, clause=final_clause, body_kind=None, body_id=None)
            )
            continue
        if stage.approver_roles:
            raise DomainError("Only the approval stage names approver roles.", field=f"{where}.approver_roles")
        if stage.selector not in SELECTORS_ALLOWED[kind]:
            raise DomainError(
                f"Clause {clause} does not name a {stage.selector.value.replace('_', ' ')} stage for this document.",
                field=f"{where}.selector",
                clause=clause,
            )
        if stage.selector is Selector.BODY:
            if stage.body_kind not in NAMED_BODY_KINDS or stage.body_id is None:
                raise DomainError(
                    "A named body stage needs body_kind (commission, department, council or association) and body_id.",
                    field=f"{where}.body_id",
                )
        elif stage.body_kind is not None or stage.body_id is not None:
            raise DomainError("Only a named body stage names a body.", field=f"{where}.body_id")
        checked.append(msgspec.structs.replace(stage, clause=clause))
    return checked


@dataclass(frozen=True)
class RouteDescription:
    kind: DocumentKind
    clause: str
    stages: list[StageTemplate]
    customised: bool
    approvers_allowed: list[str] = field(default_factory=list)
