"""Who keeps a body's meetings and plans, and who reads them: rules of the caller and the body.

The organisation admin and the deputy head keep every body's records; a keeping role granted at
a body or its unit keeps that body's; the body's own leader, chair or secretary on record keeps
them when they hold a keeping role. Full readers, keepers and the body's members read them.
"""

from __future__ import annotations

from uuid import UUID

from api.context import Caller
from api.domain.bodies.registry import BodyInfo
from api.errors import Forbidden
from api.roles import Role

# Roles that keep every body's meetings and plans in the organisation.
ORGANISATION_KEEPERS = frozenset({Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD})
# Roles that keep the meetings and plans of the body they are granted at (or lead, per registry).
BODY_KEEPERS = frozenset(
    {Role.ASSOCIATION_LEADER, Role.COUNCIL_SECRETARY, Role.COUNCIL_CHAIR, Role.UNIT_HEAD, Role.DEPUTY_HEAD}
)


def body_units(body: BodyInfo) -> set[UUID]:
    """The nodes a unit-level grant may name for this body: the body itself or its unit."""
    return {u for u in (body.id, body.unit_id) if u is not None}


def kept_units(caller: Caller) -> set[UUID]:
    """The units (bodies) the caller holds a keeping role at."""
    return caller.granted_units(BODY_KEEPERS)


def keeps_every_body(caller: Caller) -> bool:
    return caller.has_org_role(ORGANISATION_KEEPERS)


def _holds_a_keeping_role(caller: Caller) -> bool:
    # Granted anywhere: at the organisation, a unit or a body (a territory grant carries no such role).
    return any(str(g.role) in BODY_KEEPERS for g in caller.grants)


def can_keep(caller: Caller, body: BodyInfo | None) -> bool:
    if keeps_every_body(caller):
        return True
    if body is None:
        return False
    if kept_units(caller) & body_units(body):
        return True
    # A leader, chair or secretary on record keeps the body's records, given a keeping role.
    return caller.staff_id in set(body.keepers) and _holds_a_keeping_role(caller)


def can_read(caller: Caller, body: BodyInfo | None) -> bool:
    if caller.reads_everything or can_keep(caller, body):
        return True
    return body is not None and caller.staff_id is not None and caller.staff_id in set(body.staff_ids)


def require_keeper(caller: Caller, body: BodyInfo | None) -> None:
    if not can_keep(caller, body):
        raise Forbidden("Only the body's leader or secretary, the deputy head or the administrator keep its records.")


def require_reader(caller: Caller, body: BodyInfo | None) -> None:
    if not can_read(caller, body):
        raise Forbidden("You are not a member of this body.")
