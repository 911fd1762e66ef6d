"""Control-plane tables of identity: organisations' identity providers, invitations, sessions."""

from __future__ import annotations

import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
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
