"""API tokens for machine clients (regional information systems).

A token is created by an admin with one role held at one node of the hierarchy and an expiry. Its
secret is shown once: `mtd_` followed by 256 random bits (the prefix lets secret scanners and
people recognise a leaked token). Only the SHA-256 of the secret is stored — the secret has full
entropy, so a fast hash is enough and lookups stay one indexed query. Revocation takes effect on
the next request (nothing is cached); the last use is written at most once a minute per token, so
a busy client does not turn every read into a write.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, String, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.access import Grant, Principal
from api.clock import utc_now
from api.planes import ControlBase

TOKEN_PREFIX = "mtd_"
# What lists show to tell tokens apart: the prefix and the first characters of the secret.
DISPLAY_LENGTH = len(TOKEN_PREFIX) + 8
LAST_USE_WRITE_INTERVAL = datetime.timedelta(seconds=60)
MAX_LIFETIME = datetime.timedelta(days=366)


class ApiToken(ControlBase):
    """A machine client's credential: one role at one node, until it expires or is revoked."""

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint(
            "(territory_id IS NOT NULL)::int + (organisation_id IS NOT NULL)::int = 1",
            name="api_token_one_node",
        ),
        CheckConstraint("unit_id IS NULL OR organisation_id IS NOT NULL", name="api_token_unit_in_org"),
    )

    name: Mapped[str] = mapped_column(String(200))
    display_prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(40))
    territory_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.territory.id"), index=True)
    organisation_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.organisation.id"), index=True)
    unit_id: Mapped[UUID | None] = mapped_column()
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTimeUTC(timezone=True))
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_by: Mapped[UUID | None] = mapped_column(ForeignKey("public.user_account.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_used_ip: Mapped[str | None] = mapped_column(String(64))

    @property
    def grant(self) -> Grant:
        return Grant(self.role, self.territory_id, self.organisation_id, self.unit_id)


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and 20 <= len(value) <= 100


async def issue_token(
    session: AsyncSession,
    *,
    name: str,
    grant: Grant,
    expires_at: datetime.datetime,
    created_by: UUID | None = None,
) -> tuple[ApiToken, str]:
    """Stores a new token and returns it with its secret, which is never readable again.

    The caller (the token service, or a test's set-up) has checked that the grant may be made.
    """
    secret = new_secret()
    token = ApiToken(
        name=name,
        display_prefix=secret[:DISPLAY_LENGTH],
        secret_hash=hash_secret(secret),
        role=str(grant.role),
        territory_id=grant.territory_id,
        organisation_id=grant.organisation_id,
        unit_id=grant.unit_id,
        expires_at=expires_at,
        created_by=created_by,
    )
    session.add(token)
    await session.flush()
    return token, secret


_TOKEN = ApiToken.__table__.c
# What authentication needs of a token, read as one row (no ORM object on every bearer request).
_AUTHENTICATING = select(
    _TOKEN.id,
    _TOKEN.role,
    _TOKEN.territory_id,
    _TOKEN.organisation_id,
    _TOKEN.unit_id,
    _TOKEN.expires_at,
    _TOKEN.created_by,
    _TOKEN.revoked_at,
    _TOKEN.last_used_at,
).where(_TOKEN.secret_hash == bindparam("secret_hash"))


async def authenticate_token(
    session: AsyncSession | AsyncConnection, secret: str, *, client_ip: str | None = None
) -> Principal:
    """The principal a bearer secret stands for; anonymous with the reason when it is not usable.
    `session` is a session or a connection (the request's own, in autocommit)."""
    if not looks_like_token(secret):
        return Principal(reason="The API token is not valid.")
    token = (await session.execute(_AUTHENTICATING, {"secret_hash": hash_secret(secret)})).first()
    if token is None:
        return Principal(reason="The API token is not valid.")
    moment = utc_now()
    if token.revoked_at is not None:
        return Principal(reason="The API token was revoked.", credential_id=token.id)
    if token.expires_at <= moment:
        return Principal(reason="The API token expired.", credential_id=token.id)
    if token.last_used_at is None or moment - token.last_used_at >= LAST_USE_WRITE_INTERVAL:
        # Conditional, so that concurrent requests of one client write once.
        await session.execute(
            update(ApiToken.__table__)
            .where(
                _TOKEN.id == token.id,
                or_(_TOKEN.last_used_at.is_(None), _TOKEN.last_used_at < moment - LAST_USE_WRITE_INTERVAL),
            )
            .values(last_used_at=moment, last_used_ip=client_ip)
        )
        await session.commit()
    grant = Grant(token.role, token.territory_id, token.organisation_id, token.unit_id)
    return Principal(user_id=None, grants=(grant,), via="token", credential_id=token.id, issued_by=token.created_by)
