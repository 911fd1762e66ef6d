"""Every route handler of the API, in one list. A new domain package adds its controllers here."""

from __future__ import annotations

from api.domain.organisations.controllers import OrganisationController
from api.domain.system.controllers import health, ready
from api.domain.territories.controllers import TerritoryController

route_handlers: list[object] = [
    health,
    ready,
    TerritoryController,
    OrganisationController,
]
