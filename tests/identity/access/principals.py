"""Callers for the access tests: API tokens and browser sessions made directly in the database.

Tokens go through `api.identity.tokens.issue_token`, sessions through the session machinery of
`api.identity.sessions` (index row + store entry), exactly as a sign-in leaves them.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any
from uuid import UUID

from sqlalchemy import select

from api.access import Grant
from api.domain.accounts.models import RoleAssignment, User
from api.domain.territories.models import Territory
from api.identity.tokens import issue_token


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def republic_id(db: Any) -> UUID:
    async with db.session() as session:
        found = await session.scalar(select(Territory.id).where(Territory.slug == "kz"))
    assert found is not None, "territories are not loaded"
    return found


async def issue_at_republic(db: Any, role: str, *, name: str) -> str:
    return await token_secret(db, Grant(role, territory_id=await republic_id(db)), name=name)


async def token_secret(
    db: Any,
    grant: Grant,
    *,
    name: str = "access test",
    expires_at: datetime.datetime | None = None,
    revoked: bool = False,
) -> str:
    async with db.session() as session, session.begin():
        token, secret = await issue_token(
            session, name=name, grant=grant, expires_at=expires_at or _now() + datetime.timedelta(days=1)
        )
        if revoked:
            token.revoked_at = _now()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


async def new_user(db: Any, grants: list[Grant], *, name: str = "Access Test User") -> UUID:
    async with db.session() as session, session.begin():
        user = User(issuer="https://access-tests.invalid", subject=uuid.uuid4().hex, email=None, full_name=name)
        session.add(user)
        await session.flush()
        for g in grants:
            session.add(
                RoleAssignment(
                    user_id=user.id,
                    role=str(g.role),
                    territory_id=g.territory_id,
                    organisation_id=g.organisation_id,
                    unit_id=g.unit_id,
                )
            )
        return user.id


async def session_cookie(api_app: Any, db: Any, user_id: UUID, *, revoked: bool = False) -> dict[str, str]:
    """A browser session of the user, as sign-in leaves it; `revoked` ends it as an admin would."""
    from api.identity.models import UserSession
    from api.identity.sessions import SESSION_COOKIE, SessionManager

    manager = SessionManager.of(api_app)
    async with db.session() as session:
        token, payload = await manager.start(
            session, user_id=user_id, provider="access-tests", id_token=None, user_agent="pytest", ip_address=None
        )
        await session.commit()
    await manager.activate(token, payload)
    if revoked:
        async with db.session() as session:
            index = await session.get(UserSession, UUID(payload.index_id))
            assert index is not None
            await manager.end(session, index, "revoked")
            await session.commit()
    return {"cookie": f"{SESSION_COOKIE}={token}"}


async def session_for(api_app: Any, db: Any, grants: list[Grant], *, revoked: bool = False) -> dict[str, str]:
    return await session_cookie(api_app, db, await new_user(db, grants), revoked=revoked)
