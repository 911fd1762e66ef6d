"""Providers of the organisations package (merged into api.dependencies)."""

from __future__ import annotations

from api.domain.organisations.services import OrganisationService
from api.providers import on_session

organisations_dependencies = {"organisations": on_session(OrganisationService)}
