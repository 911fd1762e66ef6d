"""Providers of the territories package (merged into api.dependencies)."""

from __future__ import annotations

from api.domain.territories.services import TerritoryService
from api.providers import on_session

territories_dependencies = {"territories": on_session(TerritoryService)}
