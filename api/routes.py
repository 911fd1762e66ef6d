"""Every route handler of the API, in one list. A new domain package adds its controllers here."""

from __future__ import annotations

from api.domain.audit.controllers import AuditController
from api.domain.bodies.controllers import bodies_controllers
from api.domain.compliance.controllers import ComplianceController
from api.domain.documents.controllers import DocumentController
from api.domain.events.controllers import EventController, WorkCalendarController
from api.domain.meetings.controllers import MeetingController
from api.domain.onboarding.controllers import onboarding_controllers
from api.domain.organisations.controllers import OrganisationController
from api.domain.plans.controllers import PlanController
from api.domain.reviews.controllers import ReviewController
from api.domain.structure.controllers import structure_controllers
from api.domain.system.controllers import health, ready
from api.domain.territories.controllers import TerritoryController
from api.identity.access_request_controllers import AccessRequestController
from api.identity.assignment_controllers import RoleAssignmentController
from api.identity.controllers import identity_controllers
from api.identity.domain_controllers import DomainConfirmationController, OrganisationDomainController
from api.identity.token_controllers import TokenController

route_handlers: list[object] = [
    health,
    ready,
    TerritoryController,
    OrganisationController,
    MeetingController,
    WorkCalendarController,
    PlanController,
    EventController,
    TokenController,
    RoleAssignmentController,
    AccessRequestController,
    *identity_controllers,
    OrganisationDomainController,
    DomainConfirmationController,
    *structure_controllers,
    *bodies_controllers,
    AuditController,
    DocumentController,
    ReviewController,
    ComplianceController,
    *onboarding_controllers,
]
