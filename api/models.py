"""Imports every model module so that both planes' metadata are complete.

Alembic, provisioning and the architecture tests import this module; a new domain package adds
its models here.
"""

from api.audit import AuditEntry
from api.audit_anchor import AuditAnchor
from api.domain.accounts.models import RoleAssignment, User
from api.domain.bodies.models import (
    Association,
    BodyMembership,
    Commission,
    Council,
    InterSchoolAssociation,
    InterSchoolMember,
    LeaderTerm,
    SectorUnion,
    UnionMember,
)
from api.domain.compliance.models import ComplianceCheckRun, ComplianceFinding, ComplianceRuleSet
from api.domain.documents.models import Document, DocumentVersion
from api.domain.events.models import EventMaterial, EventParticipant, MethodologicalEvent
from api.domain.meetings.models import AgendaItem, Attendance, Decision, Meeting
from api.domain.onboarding.models import ImportJob, ImportRow
from api.domain.organisations.models import Organisation, SpareSchema
from api.domain.plans.models import PlanItem, WorkPlan
from api.domain.reviews.models import (
    Notification,
    NotificationPreference,
    ReviewDecision,
    ReviewMissingStage,
    ReviewRound,
    ReviewRoute,
    ReviewStage,
    ReviewStageMember,
)
from api.domain.structure.models import AcademicTerm, Staff, StaffSubject, Subject, Unit
from api.domain.territories.models import Territory
from api.idempotency import IdempotencyRecord
from api.identity.models import (
    AccessRequest,
    IdentityAuditEntry,
    IdentityProvider,
    Invitation,
    OrganisationDomain,
    UserSession,
)
from api.identity.tokens import ApiToken
from api.planes import ControlBase, TenantBase, control_metadata, tenant_metadata
from api.tenant_settings import Setting

__all__ = [
    "ComplianceCheckRun",
    "ComplianceFinding",
    "ComplianceRuleSet",
    "AuditAnchor",
    "IdempotencyRecord",
    "OrganisationDomain",
    "Document",
    "DocumentVersion",
    "Notification",
    "NotificationPreference",
    "ReviewDecision",
    "ReviewMissingStage",
    "ReviewRound",
    "ReviewRoute",
    "ReviewStage",
    "ReviewStageMember",
    "AgendaItem",
    "Attendance",
    "Decision",
    "EventMaterial",
    "EventParticipant",
    "Meeting",
    "MethodologicalEvent",
    "PlanItem",
    "WorkPlan",
    "ApiToken",
    "ImportJob",
    "ImportRow",
    "AcademicTerm",
    "Association",
    "BodyMembership",
    "Commission",
    "Council",
    "InterSchoolAssociation",
    "InterSchoolMember",
    "LeaderTerm",
    "SectorUnion",
    "Staff",
    "StaffSubject",
    "Subject",
    "UnionMember",
    "Unit",
    "AuditEntry",
    "ControlBase",
    "AccessRequest",
    "IdentityAuditEntry",
    "IdentityProvider",
    "Invitation",
    "Organisation",
    "RoleAssignment",
    "Setting",
    "SpareSchema",
    "TenantBase",
    "Territory",
    "User",
    "UserSession",
    "control_metadata",
    "tenant_metadata",
]
