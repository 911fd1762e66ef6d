"""Imports every model module so that both planes' metadata are complete.

Alembic, provisioning and the architecture tests import this module; a new domain package adds
its models here.
"""

from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.domain.territories.models import Territory
from api.planes import ControlBase, TenantBase, control_metadata, tenant_metadata
from tenants.models import AuditEntry, Setting

__all__ = [
    "AuditEntry",
    "ControlBase",
    "Organisation",
    "RoleAssignment",
    "Setting",
    "TenantBase",
    "Territory",
    "User",
    "control_metadata",
    "tenant_metadata",
]
