"""Server-side browser sessions in the Litestar store, with an index in the control plane.

The cookie holds a random token; the store keeps the session under the token's SHA-256, so neither
the store nor the index (`user_session`) holds a value that would let someone present the cookie.
A session ends when it is idle for `session_idle_s` (the store entry's time to live, renewed on
use), when it reaches `session_absolute_s` after sign-in, or when it is revoked (the store entry is
deleted and the index row marked). The index lets a user list their sessions and an admin revoke
a user's.

`principal_from_session(request)` is what the authentication middleware calls.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from litestar.datastructures import Cookie
from litestar.stores.base import Store
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from api.access import Grant, Principal
from api.clock import utc_now
from api.db import REQUEST_CONNECTION_KEY, Database
from api.domain.accounts.models import RoleAssignment, User
from api.i18n import N_
from api.identity.crypto import new_token, token_hash
from api.identity.models import UserSession
from api.identity.stores import SESSION_STORE
from api.redis_state import RedisUnavailable
from api.settings import Settings

SESSION_COOKIE = "metodist_session"
LOGIN_COOKIE = "metodist_login"
# The scope key under which the session read for this request is kept (read once per request).
SESSION_SCOPE_KEY = "metodist.session"
# The index's last-seen time is written at most this often per session.
TOUCH_EVERY_S = 60
SESSION_ENDED = N_("Your session has ended (signed out, timed out or revoked). Sign in again.")
ACCOUNT_DEACTIVATED = N_("This account has been deactivated.")


class SessionPayload(msgspec.Struct):
    user_id: str
    index_id: str
    provider: str
    created_at: float
    expires_at: float  # the absolute end
    last_seen: float
    id_token: str | None = None  # kept for the provider's end-session request


@dataclass(frozen=True)
class CurrentSession:
    key: str
    payload: SessionPayload
    # Read from the index because the store (Redis) could not be reached: the session is used,
    # its store entry is left for when Redis is back.
    from_index: bool = False

    @property
    def user_id(self) -> UUID:
        return UUID(self.payload.user_id)

    @property
    def index_id(self) -> UUID:
        return UUID(self.payload.index_id)


def _utc(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC)


def session_cookie(settings: Settings, token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not settings.is_development,
        max_age=settings.session_absolute_s,
    )


def expired_cookie(settings: Settings, key: str, path: str = "/") -> Cookie:
    return Cookie(
        key=key,
        value="",
        path=path,
        httponly=True,
        samesite="lax",
        secure=not settings.is_development,
        max_age=0,
        expires=0,
    )


class SessionManager:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @classmethod
    def of(cls, app: Any) -> SessionManager:
        return cls(app.stores.get(SESSION_STORE), app.state.settings)

    def _ttl(self, payload: SessionPayload, now: float) -> int:
        return max(1, int(min(self.settings.session_idle_s, payload.expires_at - now)))

    async def start(
        self,
        db: AsyncSession,
        *,
        user_id: UUID,
        provider: str,
        id_token: str | None,
        user_agent: str | None,
        ip_address: str | None,
    ) -> tuple[str, SessionPayload]:
        """Writes the index row (the caller commits) and returns the cookie's token and the payload
        to `activate` once the transaction is committed."""
        token = new_token()
        now = time.time()
        index = UserSession(
            id=uuid7(),
            user_id=user_id,
            key_hash=token_hash(token),
            provider=provider,
            user_agent=(user_agent or "")[:300] or None,
            ip_address=(ip_address or "")[:64] or None,
            last_seen_at=_utc(now),
            expires_at=_utc(now + self.settings.session_absolute_s),
        )
        db.add(index)
        await db.flush()
        payload = SessionPayload(
            user_id=str(user_id),
            index_id=str(index.id),
            provider=provider,
            created_at=now,
            expires_at=now + self.settings.session_absolute_s,
            last_seen=now,
            id_token=id_token,
        )
        return token, payload

    async def activate(self, token: str, payload: SessionPayload) -> None:
        await self.store.set(
            token_hash(token), msgspec.json.encode(payload), expires_in=self._ttl(payload, time.time())
        )

    async def load(self, token: str, database: Database | None = None) -> CurrentSession | None:
        """The session of the cookie's token. While the store (Redis) cannot be reached, with a
        `database`, the session is read from its index instead, so that a signed-in person keeps
        reading; without one, `RedisUnavailable` (503)."""
        key = token_hash(token)
        try:
            raw = await self.store.get(key, renew_for=self.settings.session_idle_s)
        except RedisUnavailable:
            if database is None:
                raise
            async with database.session() as db:
                return await self._from_index(db, key)
        if raw is None:
            return None
        try:
            payload = msgspec.json.decode(raw, type=SessionPayload)
        except msgspec.DecodeError:
            await self.store.delete(key)
            return None
        if time.time() >= payload.expires_at:
            await self.store.delete(key)
            return None
        return CurrentSession(key, payload)

    async def _from_index(self, db: AsyncSession, key: str) -> CurrentSession | None:
        """The same rules as the store's: not ended, within its absolute end, and not idle longer
        than `session_idle_s` (the index's last-seen time lags use by at most TOUCH_EVERY_S)."""
        now = utc_now()
        index = await db.scalar(
            select(UserSession).where(
                UserSession.key_hash == key,
                UserSession.ended_at.is_(None),
                UserSession.expires_at > now,
                UserSession.last_seen_at
                > now - datetime.timedelta(seconds=self.settings.session_idle_s + TOUCH_EVERY_S),
            )
        )
        if index is None:
            return None
        payload = SessionPayload(
            user_id=str(index.user_id),
            index_id=str(index.id),
            provider=index.provider,
            created_at=index.created_at.timestamp(),
            expires_at=index.expires_at.timestamp(),
            last_seen=index.last_seen_at.timestamp(),
        )
        return CurrentSession(key, payload, from_index=True)

    async def touch(self, db: AsyncSession, current: CurrentSession) -> None:
        now = time.time()
        if now - current.payload.last_seen < TOUCH_EVERY_S:
            return
        current.payload.last_seen = now
        if not current.from_index:
            await self.store.set(
                current.key, msgspec.json.encode(current.payload), expires_in=self._ttl(current.payload, now)
            )
        index = await db.get(UserSession, current.index_id)
        if index is not None:
            index.last_seen_at = _utc(now)

    async def end(self, db: AsyncSession, index: UserSession, reason: str) -> None:
        await self.store.delete(index.key_hash)
        if index.ended_at is None:
            index.ended_at = utc_now()
            index.end_reason = reason

    async def end_by_key(self, db: AsyncSession, key: str, reason: str) -> None:
        index = await db.scalar(select(UserSession).where(UserSession.key_hash == key))
        if index is not None:
            await self.end(db, index, reason)
        else:
            await self.store.delete(key)

    async def live_sessions(self, db: AsyncSession, user_id: UUID) -> list[UserSession]:
        """The user's sessions that still work; ones found idle-expired are marked ended."""
        now = utc_now()
        rows = (
            await db.scalars(
                select(UserSession)
                .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                .order_by(UserSession.created_at.desc())
            )
        ).all()
        live = []
        for row in rows:
            if row.expires_at <= now:
                row.ended_at, row.end_reason = now, "expired"
            elif not await self.store.exists(row.key_hash):
                row.ended_at, row.end_reason = now, "idle"
            else:
                live.append(row)
        return live

    async def revoke_all(self, db: AsyncSession, user_id: UUID, reason: str) -> int:
        rows = (
            await db.scalars(select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None)))
        ).all()
        for row in rows:
            await self.end(db, row, reason)
        return len(rows)


async def grants_of(db: AsyncSession, user_id: UUID) -> tuple[Grant, ...]:
    rows = await db.scalars(
        select(RoleAssignment).where(RoleAssignment.user_id == user_id).order_by(RoleAssignment.created_at)
    )
    return tuple(
        Grant(role=r.role, territory_id=r.territory_id, organisation_id=r.organisation_id, unit_id=r.unit_id)
        for r in rows.all()
    )


async def current_session(request: Any) -> CurrentSession | None:
    """The session this request's cookie names, read from the store once per request."""
    if SESSION_SCOPE_KEY in request.scope:
        return request.scope[SESSION_SCOPE_KEY]
    token = request.cookies.get(SESSION_COOKIE)
    current = await SessionManager.of(request.app).load(token, request.app.state.db) if token else None
    request.scope[SESSION_SCOPE_KEY] = current
    return current


async def principal_from_session(request: Any) -> Principal | None:
    """The signed-in user of this request's session cookie, with their grants; None without one.

    A cookie whose session was revoked or timed out, or whose user was deactivated, gives an
    anonymous principal that says why (the guard's 401 shows it).
    """
    if not request.cookies.get(SESSION_COOKIE):
        return None
    current = await current_session(request)
    if current is None:
        return Principal(reason=SESSION_ENDED)
    manager = SessionManager.of(request.app)
    held = request.scope.get(REQUEST_CONNECTION_KEY)  # the request's own connection, in autocommit
    async with await held.reading_session() if held else request.app.state.db.session() as db:
        user = await db.get(User, current.user_id)
        if user is None or not user.is_active:
            await manager.end_by_key(db, current.key, "deactivated")
            await db.commit()
            request.scope[SESSION_SCOPE_KEY] = None
            return Principal(reason=ACCOUNT_DEACTIVATED)
        grants = await grants_of(db, user.id)
        await manager.touch(db, current)
        await db.commit()
    return Principal(user_id=user.id, grants=grants, via="session", credential_id=current.index_id)
