from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from api.text import single_line


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A machine client's token: one role at one node (a territory_id, or an organisation_id and
    optionally a unit_id), until `expires_at` (at most a year ahead)."""

    name: Annotated[str, single_line(max_length=200, description="Who uses it, e.g. the regional information system")]
    role: str
    expires_at: datetime.datetime
    territory_id: UUID | None = None
    organisation_id: UUID | None = None
    unit_id: UUID | None = None


class TokenRead(msgspec.Struct):
    id: UUID
    name: str
    display_prefix: str
    role: str
    territory_id: UUID | None
    organisation_id: UUID | None
    unit_id: UUID | None
    expires_at: datetime.datetime
    created_at: datetime.datetime
    created_by: UUID | None
    revoked_at: datetime.datetime | None
    last_used_at: datetime.datetime | None
    status: str  # active, expired, revoked


class TokenIssued(msgspec.Struct):
    """The token and, this once, its secret: store it now, it cannot be shown again."""

    token: TokenRead
    secret: str
