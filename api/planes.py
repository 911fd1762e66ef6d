"""The two planes every model belongs to.

Control-plane models live in the shared `public` schema. Tenant-plane models are declared
without a schema and are routed to one organisation's schema at execution time through
`schema_translate_map` (see `api.db`). Each plane has its own metadata so that each Alembic
track sees exactly its own tables, and an architecture test checks that every model subclasses
exactly one of the two bases.
"""

from __future__ import annotations

from advanced_alchemy.base import (
    AdvancedDeclarativeBase,
    CommonTableAttributes,
    convention,
    metadata_registry,
)
from advanced_alchemy.mixins import AuditColumns, UUIDv7PrimaryKey
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncAttrs

CONTROL_SCHEMA = "public"

metadata_registry.set("control", MetaData(schema=CONTROL_SCHEMA, naming_convention=convention))
metadata_registry.set("tenant", MetaData(naming_convention=convention))


class ControlBase(CommonTableAttributes, UUIDv7PrimaryKey, AuditColumns, AdvancedDeclarativeBase, AsyncAttrs):
    """A shared table in `public`: territories, organisations, users, role assignments."""

    __abstract__ = True
    __bind_key__ = "control"


class TenantBase(CommonTableAttributes, UUIDv7PrimaryKey, AuditColumns, AdvancedDeclarativeBase, AsyncAttrs):
    """A table that exists once in every organisation's schema."""

    __abstract__ = True
    __bind_key__ = "tenant"


control_metadata = metadata_registry.get("control")
tenant_metadata = metadata_registry.get("tenant")
