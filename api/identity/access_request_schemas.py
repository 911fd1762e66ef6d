"""API schemas of access requests: a person without the role they need asks the administrators."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

Note = Annotated[str, msgspec.Meta(max_length=1000)]
Status = Literal["pending", "approved", "declined", "withdrawn"]


class AccessRequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Where the person asks for access: an organisation (its id or BIN) or a territory (a district,
    a town, a region), exactly one; the role they ask for if they know it; a message."""

    organisation: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="Organisation id or BIN")] | None
    ) = None
    territory_id: UUID | None = None
    role: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    message: Note | None = None


class AccessRequestAnswer(msgspec.Struct, forbid_unknown_fields=True):
    """`approve` grants `role` at the request's place (a unit of the organisation with `unit_id`);
    `decline` grants nothing. `note` is shown to the person."""

    decision: Literal["approve", "decline"]
    role: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    unit_id: UUID | None = None
    note: Note | None = None


class InvitationMatch(msgspec.Struct):
    """A pending invitation for the person's e-mail address at the request's place, which did not
    bind by itself because their sign-in service did not confirm the address (email_verified)."""

    invitation_id: UUID
    role: str
    unit_id: UUID | None


class AccessRequestRead(msgspec.Struct):
    id: UUID
    user_id: UUID
    full_name: str | None
    email: str | None
    # Whether the person's sign-in service confirmed the address (`email_verified: true`).
    email_verified: bool
    organisation_id: UUID | None
    territory_id: UUID | None
    # The level of the place (organisation, district, region, republic): the roles held there.
    place_level: str
    place_name_kk: str
    place_name_ru: str
    place_name_en: str | None
    role: str | None
    message: str | None
    status: Status
    created_at: datetime.datetime
    answered_at: datetime.datetime | None
    answered_by: UUID | None
    granted_role: str | None
    answer_note: str | None
    matching_invitations: list[InvitationMatch]
