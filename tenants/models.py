"""Tables every tenant schema starts with. Domain packages add their own on `TenantBase`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import DDL, BigInteger, Identity, String, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import TenantBase


class AuditEntry(TenantBase):
    """Who did what, when, with the state before and after. Append-only and hash-chained.

    Rows are written only by `tenants.audit.record`; a trigger refuses UPDATE, DELETE and
    TRUNCATE. `prev_hash` is the previous entry's `hash` (64 zeros for the first), and it is
    unique, so two appends can never fork the chain.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    actor_id: Mapped[UUID | None] = mapped_column()  # a shared user, by id only
    # The API token the change was made with, by id only; `actor_id` is then the person who issued
    # it, so every entry names a person, or a token and the person answerable for it.
    token_id: Mapped[UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# The same statements are in the tenant migration that added them (audit log append-only);
# `%(schema)s` renders as the tenant's schema in provisioning DDL and as the search path's
# schema in create_all, so the function always lands next to its table.
AUDIT_APPEND_ONLY_DDL = (
    "CREATE FUNCTION %(schema)s.audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON %(fullname)s "
    "FOR EACH ROW EXECUTE FUNCTION %(schema)s.audit_log_refuse_change()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %(fullname)s "
    "FOR EACH STATEMENT EXECUTE FUNCTION %(schema)s.audit_log_refuse_change()",
    # Owners and superusers bypass privileges, so the trigger is the guard; this closes the door
    # for any other role that is ever granted access to the schema.
    "REVOKE UPDATE, DELETE, TRUNCATE ON %(fullname)s FROM PUBLIC",
)
for _statement in AUDIT_APPEND_ONLY_DDL:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement))


class Setting(TenantBase):
    """One named setting of the organisation (quorum defaults, notification choices…)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(120), unique=True)
    value: Mapped[Any] = mapped_column(JSONB)
