"""The rules of organisations (tenants): what may be created, changed, suspended, archived."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import escape_like
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import (
    ALLOWED_LEVELS,
    ALLOWED_TERRITORIES,
    EducationLevel,
    OrgKind,
    OrgStatus,
    is_valid_bin,
)
from api.domain.organisations.schemas import OrganisationCreate, OrganisationRead, OrganisationUpdate
from api.domain.territories.models import Territory, TerritoryKind
from api.domain.territories.services import TerritoryService
from api.errors import Conflict, DomainError, NotFound
from api.paging import Page, Paging, paged
from api.responses import response_of
from tenants.naming import schema_for_bin


class OrgSort(enum.StrEnum):
    NAME_KK = "name_kk"
    NAME_RU = "name_ru"
    NAME_EN = "name_en"
    CREATED = "created_at"
    NAME_KK_DESC = "-name_kk"
    NAME_RU_DESC = "-name_ru"
    NAME_EN_DESC = "-name_en"
    CREATED_DESC = "-created_at"


@dataclass(frozen=True)
class OrgFilter:
    territory_id: UUID | None = None
    kind: OrgKind | None = None
    status: OrgStatus | None = None
    q: str | None = None
    sort: OrgSort = OrgSort.NAME_RU


def to_read(org: Organisation) -> OrganisationRead:
    return response_of(OrganisationRead, org)


def _clean_name(value: str | None, field: str, *, required: bool) -> str | None:
    cleaned = " ".join(value.split()) if value is not None else None
    if not cleaned:
        if required:
            raise DomainError("The name must not be empty.", field=field)
        return None
    return cleaned


class OrganisationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.territories = TerritoryService(session)

    async def list(
        self, flt: OrgFilter, paging: Paging, within: ColumnElement[bool] | None = None
    ) -> Page[OrganisationRead]:
        """`within`: the caller's reach (api.identity.reach), None when it is everything."""
        query = select(Organisation)
        if within is not None:
            query = query.where(within)
        if flt.territory_id is not None:
            query = query.where(Organisation.territory_id.in_(await self.territories.descendant_ids(flt.territory_id)))
        if flt.kind is not None:
            query = query.where(Organisation.kind == flt.kind.value)
        if flt.status is not None:
            query = query.where(Organisation.status == flt.status.value)
        if flt.q:
            pattern = f"%{escape_like(flt.q.strip())}%"
            query = query.where(
                or_(
                    Organisation.name_kk.ilike(pattern),
                    Organisation.name_ru.ilike(pattern),
                    Organisation.name_en.ilike(pattern),
                    Organisation.bin.like(pattern),
                )
            )
        column = getattr(Organisation, flt.sort.value.lstrip("-"))
        order = column.desc() if flt.sort.value.startswith("-") else column.asc()
        rows, total = await paged(self.session, query.order_by(order, Organisation.id), paging)
        return Page.of([to_read(o) for o in rows], total, paging)

    async def get(self, organisation_id: UUID) -> Organisation:
        org = await self.session.get(Organisation, organisation_id)
        if org is None:
            raise NotFound("Organisation not found.", field="id")
        return org

    async def _check_placement(self, kind: OrgKind, territory_id: UUID, levels: list[EducationLevel]) -> None:
        territory = await self.session.get(Territory, territory_id)
        if territory is None:
            raise DomainError("Unknown territory.", field="territory_id")
        allowed = ALLOWED_TERRITORIES[kind]
        if TerritoryKind(territory.kind) not in allowed:
            places = ", ".join(sorted(k.value for k in allowed))
            raise DomainError(
                f"A {kind.value} is placed under a {places}, not under a {territory.kind}.", field="territory_id"
            )
        allowed_levels = ALLOWED_LEVELS[kind]
        wrong = [level.value for level in levels if level not in allowed_levels]
        if wrong:
            raise DomainError(
                f"A {kind.value} does not run {', '.join(wrong)} education (cl. 2).", field="levels", clause="2"
            )
        if allowed_levels and not levels:
            raise DomainError(f"Name the education levels this {kind.value} runs (cl. 2).", field="levels", clause="2")
        if len(set(levels)) != len(levels):
            raise DomainError("Each education level may be named once.", field="levels")

    async def create(self, data: OrganisationCreate) -> Organisation:
        bin_ = data.bin.strip()
        if not is_valid_bin(bin_):
            raise DomainError("The BIN must be 12 digits with a valid check digit.", field="bin")
        name_kk = _clean_name(data.name_kk, "name_kk", required=True)
        name_ru = _clean_name(data.name_ru, "name_ru", required=True)
        name_en = _clean_name(data.name_en, "name_en", required=False)
        await self._check_placement(data.kind, data.territory_id, data.levels)
        if await self.session.scalar(select(Organisation.id).where(Organisation.bin == bin_)):
            raise Conflict("An organisation with this BIN already exists.", field="bin")
        org = Organisation(
            kind=data.kind.value,
            levels=[level.value for level in data.levels],
            territory_id=data.territory_id,
            bin=bin_,
            name_kk=name_kk,
            name_ru=name_ru,
            name_en=name_en,
            schema_name=schema_for_bin(bin_),
            status=OrgStatus.PROVISIONING.value,
        )
        self.session.add(org)
        await self.session.flush()
        return org

    async def update(self, organisation_id: UUID, data: OrganisationUpdate) -> Organisation:
        org = await self.get(organisation_id)
        if org.status == OrgStatus.ARCHIVED:
            raise Conflict("An archived organisation cannot be changed.", field="status")
        changes: dict[str, Any] = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if not changes:
            raise DomainError("Nothing to change.", field=None)
        for field in ("name_kk", "name_ru"):
            if field in changes:
                changes[field] = _clean_name(changes[field], field, required=True)
        if "name_en" in changes:
            changes["name_en"] = _clean_name(changes["name_en"], "name_en", required=False)
        levels = changes.get("levels", [EducationLevel(level) for level in org.levels])
        await self._check_placement(OrgKind(org.kind), changes.get("territory_id", org.territory_id), levels)
        if "levels" in changes:
            changes["levels"] = [level.value for level in levels]
        for key, value in changes.items():
            setattr(org, key, value)
        await self.session.flush()
        return org

    async def suspend(self, organisation_id: UUID) -> Organisation:
        org = await self.get(organisation_id)
        if org.status != OrgStatus.ACTIVE:
            raise Conflict(f"Only an active organisation can be suspended; this one is {org.status}.", field="status")
        org.status = OrgStatus.SUSPENDED.value
        await self.session.flush()
        return org

    async def resume(self, organisation_id: UUID) -> Organisation:
        org = await self.get(organisation_id)
        if org.status != OrgStatus.SUSPENDED:
            raise Conflict(f"Only a suspended organisation can be resumed; this one is {org.status}.", field="status")
        org.status = OrgStatus.ACTIVE.value
        await self.session.flush()
        return org

    async def retry_provisioning(self, organisation_id: UUID) -> Organisation:
        org = await self.get(organisation_id)
        if org.status not in (OrgStatus.FAILED, OrgStatus.PROVISIONING):
            raise Conflict(
                f"Provisioning is for new or failed organisations; this one is {org.status}.", field="status"
            )
        org.status = OrgStatus.PROVISIONING.value
        org.status_reason = None
        await self.session.flush()
        return org

    async def check_archivable(self, organisation_id: UUID) -> Organisation:
        org = await self.get(organisation_id)
        if org.status == OrgStatus.ARCHIVED:
            raise Conflict("The organisation is already archived.", field="status")
        return org
