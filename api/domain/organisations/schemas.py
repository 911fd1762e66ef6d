from __future__ import annotations

import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from api.domain.organisations.rules import EducationLevel, OrgKind, OrgStatus
from api.text import single_line

Name = Annotated[str, single_line(max_length=300, description="Name of the organisation")]


class OrganisationCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: OrgKind
    territory_id: UUID
    bin: Annotated[str, msgspec.Meta(description="Business identification number: 12 digits, the last a check digit")]
    name_kk: Name
    name_ru: Name
    name_en: Name | None = None
    levels: list[EducationLevel] = msgspec.field(default_factory=list)


class OrganisationUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given are changed. The BIN and the schema never change."""

    name_kk: Name | msgspec.UnsetType = msgspec.UNSET
    name_ru: Name | msgspec.UnsetType = msgspec.UNSET
    name_en: Name | None | msgspec.UnsetType = msgspec.UNSET
    territory_id: UUID | msgspec.UnsetType = msgspec.UNSET
    levels: list[EducationLevel] | msgspec.UnsetType = msgspec.UNSET


class OrganisationRead(msgspec.Struct):
    id: UUID
    kind: OrgKind
    levels: list[EducationLevel]
    territory_id: UUID
    bin: str
    name_kk: str
    name_ru: str
    name_en: str | None
    schema_name: str
    status: OrgStatus
    status_reason: str | None
    schema_version: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    provisioned_at: datetime.datetime | None
    archived_at: datetime.datetime | None


class ProvisioningStatus(msgspec.Struct):
    id: UUID
    status: OrgStatus
    status_reason: str | None
    schema_version: str | None
    provisioned_at: datetime.datetime | None
