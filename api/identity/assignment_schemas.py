from __future__ import annotations

import datetime
from uuid import UUID

import msgspec


class RoleGrant(msgspec.Struct, forbid_unknown_fields=True):
    """A role for a user at one node: a territory_id, or an organisation_id (and a unit_id in it)."""

    user_id: UUID
    role: str
    territory_id: UUID | None = None
    organisation_id: UUID | None = None
    unit_id: UUID | None = None


class RoleAssignmentRead(msgspec.Struct):
    id: UUID
    user_id: UUID
    role: str
    territory_id: UUID | None
    organisation_id: UUID | None
    unit_id: UUID | None
    granted_by: UUID | None
    created_at: datetime.datetime


class OrganisationPerson(msgspec.Struct):
    """A person holding at least one role at the organisation (or one of its units), with those roles."""

    user_id: UUID
    email: str | None
    full_name: str | None
    is_active: bool
    last_sign_in_at: datetime.datetime | None
    roles: list[RoleAssignmentRead]
