"""Control-plane tables of identity: organisations' identity providers, invitations, sessions."""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import ControlBase


class IdentityProvider(ControlBase):
    """An organisation's own OpenID provider (a university's SSO, for example).

    The client secret is stored encrypted (api.identity.crypto); the provider's endpoints come from
    its discovery document at sign-in time, so only the issuer is kept.
    """

    __tablename__ = "identity_provider"
    __table_args__ = (UniqueConstraint("organisation_id", "issuer", "client_id"),)

    # No index of its own: the unique constraint it leads serves lookups by it.
    organisation_id: Mapped[UUID] = mapped_column(ForeignKey("public.organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(300), default="openid email profile")
    use_userinfo: Mapped[bool] = mapped_column(default=True)
    # Lower-case e-mail domains this provider vouches for; a domain belongs to one active provider.
    allowed_domains: Mapped[list[str]] = mapped_column(ARRAY(String(255)), default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))


class Invitation(ControlBase):
    """A role offered to an e-mail address; bound when the invitee first signs in."""

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint(
            "(territory_id IS NOT NULL)::int + (organisation_id IS NOT NULL)::int = 1",
            name="invitation_one_node",
        ),
    )

    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.organisation.id"), index=True)
    territory_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.territory.id"), index=True)
    unit_id: Mapped[UUID | None] = mapped_column()
    # Only the SHA-256 of the link's token is kept: the link itself is the secret.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))
    invited_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    accepted_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    accepted_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))
    mail_sent_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    mail_error: Mapped[str | None] = mapped_column(Text)


class UserSession(ControlBase):
    """The index of a user's browser sessions; the session itself lives in the session store.

    `key_hash` is the store key (SHA-256 of the cookie's token), so the index can end a session
    without ever holding the cookie's value.
    """

    __tablename__ = "user_session"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("public.user_account.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))
    ended_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(20))


class AccessRequest(ControlBase):
    """A signed-in person asking for a role at an organisation or a territory (their district,
    their region); the administrators whose reach covers that place answer it."""

    __tablename__ = "access_request"
    __table_args__ = (
        CheckConstraint(
            "(territory_id IS NOT NULL)::int + (organisation_id IS NOT NULL)::int = 1",
            name="access_request_one_node",
        ),
        CheckConstraint("status IN ('pending', 'approved', 'declined', 'withdrawn')", name="access_request_status"),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("public.user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.organisation.id"), index=True)
    territory_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.territory.id"), index=True)
    # The role the person asks for, if they know it; the administrator chooses the one granted.
    role: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    answered_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    granted_role: Mapped[str | None] = mapped_column(String(40))
    answer_note: Mapped[str | None] = mapped_column(Text)


class IdentityAuditEntry(ControlBase):
    """Who changed access, when, how: the control plane's one audit log of acts on who may do
    what — role grants and revocations (by an admin, an invitation, the command line's first
    administrator, an answered access request), invitations, API tokens issued and revoked.
    Grants may sit at a territory with no tenant schema, so they are recorded here, not in an
    organisation's own log. Append-only and hash-chained like the tenants' log (api.audit):
    see api.identity.audit."""

    __tablename__ = "identity_audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    # The person who acted, by id only (the log outlives accounts); for an API token, the person
    # who issued it, and the token in token_id. None for the command line.
    actor_id: Mapped[UUID | None] = mapped_column(index=True)
    # "person", "token", "command" (the CLI) or "sign_in" (an organisation's sign-in set-up).
    actor_kind: Mapped[str] = mapped_column(String(20))
    token_id: Mapped[UUID | None] = mapped_column()
    # Whom the act concerns (the person granted or refused a role), so a person's history is one query.
    subject_user_id: Mapped[UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


IDENTITY_AUDIT_APPEND_ONLY_DDL = (
    "CREATE FUNCTION public.identity_audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = 'identity_audit_log is append-only: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER identity_audit_log_append_only BEFORE UPDATE OR DELETE ON public.identity_audit_log "
    "FOR EACH ROW EXECUTE FUNCTION public.identity_audit_log_refuse_change()",
    "CREATE TRIGGER identity_audit_log_no_truncate BEFORE TRUNCATE ON public.identity_audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION public.identity_audit_log_refuse_change()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON public.identity_audit_log FROM PUBLIC",
)
for _statement in IDENTITY_AUDIT_APPEND_ONLY_DDL:
    event.listen(IdentityAuditEntry.__table__, "after_create", DDL(_statement))


class OrganisationDomain(ControlBase):
    """An e-mail domain an organisation claims for sign-in (api.identity.domains).

    `pending` until proved — a DNS TXT record, a mail confirmed at the domain's postmaster-type
    address, or a regional or national administrator's approval — then `verified`. Only a verified
    domain routes sign-in to the organisation's provider, makes its provider's addresses trusted,
    and makes new people of that domain members. A domain is verified for one organisation at most
    (a partial unique index); pending claims of several may wait, the first proof wins.
    """

    __tablename__ = "organisation_domain"
    __table_args__ = (
        UniqueConstraint("organisation_id", "domain"),
        CheckConstraint("status IN ('pending', 'verified')", name="organisation_domain_status"),
        Index("uq_organisation_domain_verified", "domain", unique=True, postgresql_where=text("status = 'verified'")),
    )

    organisation_id: Mapped[UUID] = mapped_column(ForeignKey("public.organisation.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # How it was proved: "dns", "mailbox" or "approval"; None while pending.
    method: Mapped[str | None] = mapped_column(String(20))
    # The value the TXT record must hold (public: it is published in DNS).
    challenge: Mapped[str] = mapped_column(String(64))
    # A confirmation mail's address, the SHA-256 of its code (the code is the secret) and its expiry.
    mailbox: Mapped[str | None] = mapped_column(String(320))
    mailbox_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    mailbox_expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    requested_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))
    verified_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
