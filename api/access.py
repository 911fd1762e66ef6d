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

PRINCIPAL_KEY = "metodist.principal"
# The caller's grants that reach the organisation named in the path, as the guard found them:
# `(organisation_id, grants)`, so the request's dependencies need not work them out again.
GRANTS_HERE_KEY = "metodist.grants_here"


class Scope(enum.StrEnum):
    PUBLIC = "public"  # no identity needed: health, readiness, the API's own description
    SHARED = "shared"  # control plane data, filtered by the caller's place in the hierarchy
    TENANT = "tenant"  # one organisation's schema, named by the path's organisation_id


def access(scope: Scope, role: str | tuple[str, ...] | None = None) -> dict[str, Any]:
    """`role`: one role name, a tuple of role names (any of them), `"any"` (any signed-in
    principal holding some role), `"self"` (any signed-in principal, even without a role: routes
    about the caller only) or None for public routes. Roles are `api.roles.Role` values."""
    return {"scope": scope.value, "role": role}


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

    @property
    def is_anonymous(self) -> bool:
        return self.via == "anonymous"


ANONYMOUS = Principal()


def principal(request: Any) -> Principal:
    return request.scope.get(PRINCIPAL_KEY) or ANONYMOUS
