"""What each route declares about access: whether it is shared or tenant-scoped, and its role.

Every route handler carries `opt=access(...)`; an architecture test fails on one that does not.
"""

from __future__ import annotations

import enum
from typing import Any


class Scope(enum.StrEnum):
    PUBLIC = "public"  # no identity needed: health, readiness, the API's own description
    SHARED = "shared"  # control plane data, filtered by the caller's place in the hierarchy
    TENANT = "tenant"  # one organisation's schema


def access(scope: Scope, role: str | None = None) -> dict[str, Any]:
    return {"scope": scope.value, "role": role}
