"""Providers of the audit log's reading service (merged into api.dependencies)."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.audit.services import AuditLogService


def provide_audit_log(context: NamedDependency[TenantContext]) -> AuditLogService:
    return AuditLogService(context)


audit_dependencies = {"audit_log": Provide(provide_audit_log, sync_to_thread=False)}
