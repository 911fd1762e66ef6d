"""Who is asking, and what each route declares about access.

Every route handler carries `opt=access(scope, role)`: whether it is public, shared (control
plane, filtered by the caller's place in the hierarchy) or tenant-scoped (one organisation's
schema), and the role it needs. An architecture test fails on a route that does not declare both.

The authentication middleware puts a `Principal` in the ASGI scope; handlers and services read it
with `principal(request)`. Without one the caller is anonymous.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from api.i18n import N_

PRINCIPAL_KEY = "metodist.principal"
# What the guard found about the organisation the path names (`Here`), taken by the `here`
# dependency only (api.tenancy.provide_here): nothing reads the organisation or the grants again.
HERE_KEY = "metodist.here"


class Scope(enum.StrEnum):
    PUBLIC = "public"  # no identity needed: health, readiness, the API's own description
    SHARED = "shared"  # control plane data, filtered by the caller's place in the hierarchy
    TENANT = "tenant"  # one organisation's schema, named by the path's organisation_id


# Declared on the routes whose act is a person's: a body's conclusion, an approval, a decision
# recorded in a body's minutes. API tokens stand for regional systems, which read and register but
# never decide or approve; the guard refuses them on these routes, whatever role they hold.
PERSON_ONLY = "person_only"
# The clause a route's role comes from, so the guard's refusal cites it as the service would.
CLAUSE = "clause"
# Declared (`opt={..., IN_TRANSACTION: True}`) on a read of an organisation's data that needs a
# transaction all the same: a server-side cursor, one snapshot over several statements. Other
# tenant reads run in autocommit (api.db.RequestConnection).
IN_TRANSACTION = "in_transaction"
# The OpenAPI extension that marks a person-only operation.
PERSON_ONLY_EXTENSION = "x-metodist-person-only"
TOKEN_MAY_NOT_DECIDE = N_(
    "Approvals and conclusions are acts of a person: an API token may read and register, never decide or "
    "approve. Sign in as the person who decides."
)


def access(
    scope: Scope,
    role: str | tuple[str, ...] | None = None,
    *,
    person_only: bool | str = False,
    clause: str | None = None,
) -> dict[str, Any]:
    """`role`: one role name, a tuple of role names (any of them), `"any"` (any signed-in
    principal holding some role), `"self"` (any signed-in principal, even without a role: routes
    about the caller only) or None for public routes. Roles are `api.roles.Role` values.

    `person_only`: only a signed-in person may call the route; an API token is refused with 403.
    True for the acts the Rules give a person (a conclusion, an approval, a body's decision), with
    `TOKEN_MAY_NOT_DECIDE` as the reason; a string gives the reason for the management routes
    closed to tokens (sign-in services, sessions, tokens, role grants, access requests; the list is
    in docs/operations.md). `clause`: the clause of the Rules that names the role, cited by
    the guard when it refuses a caller without it."""
    declared: dict[str, Any] = {"scope": scope.value, "role": role}
    if person_only:
        declared[PERSON_ONLY] = TOKEN_MAY_NOT_DECIDE if person_only is True else person_only
    if clause is not None:
        declared[CLAUSE] = clause
    return declared


def is_person_only(opt: dict[str, Any] | None) -> bool:
    return bool((opt or {}).get(PERSON_ONLY))


def tokens_refused_because(opt: dict[str, Any] | None) -> str | None:
    """Why the route refuses API tokens, or None when it takes them."""
    return (opt or {}).get(PERSON_ONLY) or None


@dataclass(frozen=True)
class Grant:
    """One role held at one node: a territory, an organisation, or a unit of an organisation."""

    role: str
    territory_id: UUID | None = None
    organisation_id: UUID | None = None
    unit_id: UUID | None = None


@dataclass(frozen=True)
class Principal:
    user_id: UUID | None = None
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    via: str = "anonymous"  # "session", "token" or "anonymous"
    # Why a caller who presented credentials is anonymous ("The API token expired."), so the
    # guard can say so in its 401; None when no credentials were presented.
    reason: str | None = None
    # The session or API token that authenticated the caller (for audit and revocation).
    credential_id: UUID | None = None
    # For an API token: the person who issued it, named in the audit log beside the token.
    issued_by: UUID | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.via == "anonymous"


ANONYMOUS = Principal()


@dataclass(frozen=True)
class Placement:
    """An organisation as the request path needs it: where it is, what it is, whether it serves."""

    id: UUID
    territory_id: UUID
    status: str
    schema_name: str
    kind: str


@dataclass(frozen=True)
class Here:
    """The organisation named in the path (None when there is no such organisation) and the
    caller's grants that reach it."""

    organisation_id: UUID
    organisation: Placement | None
    grants: tuple[Grant, ...]


def principal(request: Any) -> Principal:
    return request.scope.get(PRINCIPAL_KEY) or ANONYMOUS
