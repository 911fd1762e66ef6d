"""Providers of the organisations package (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.organisations.services import OrganisationService


def provide_organisation_service(session: NamedDependency[AsyncSession]) -> OrganisationService:
    return OrganisationService(session)


organisations_dependencies = {"organisations": Provide(provide_organisation_service, sync_to_thread=False)}
