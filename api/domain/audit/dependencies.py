"""Providers of the audit log's reading service (merged into api.dependencies)."""

from __future__ import annotations

from api.domain.audit.services import AuditLogService
from api.providers import on_context

audit_dependencies = {"audit_log": on_context(AuditLogService)}
