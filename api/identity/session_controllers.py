"""HTTP of people's sessions as their administrators see and end them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access
from api.i18n import N_
from api.identity.authz import IDENTITY_ADMINS, current_principal, require_user_admin
from api.identity.models import UserSession
from api.identity.schemas import RevokedCount, SessionRead
from api.identity.sessions import SessionManager
from api.responses import response_of


def session_read(row: UserSession, current_index: UUID | None) -> SessionRead:
    return response_of(SessionRead, row, current=row.id == current_index)


# API tokens cannot see or end people's sessions: sessions decide who is signed in, which stays
# with a person who signs in (docs/operations.md, "API tokens").
SESSION_ADMIN = access(
    Scope.SHARED,
    IDENTITY_ADMINS,
    person_only=N_("API tokens cannot see or end people's sessions; an administrator signs in to do it."),
)


class UserSessionController(Controller):
    """An administrator's view of one user's sessions."""

    path = "/api/users/{user_id:uuid}/sessions"
    tags = ["identity"]

    @get("/", name="users:sessions", operation_id="ListUserSessions", opt=SESSION_ADMIN)
    async def list_sessions(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        session_manager: NamedDependency[SessionManager],
        user_id: FromPath[UUID],
    ) -> list[SessionRead]:
        await require_user_admin(session, await current_principal(request), user_id)
        return [session_read(row, None) for row in await session_manager.live_sessions(session, user_id)]

    @delete("/", name="users:revoke-sessions", operation_id="RevokeUserSessions", opt=SESSION_ADMIN, status_code=200)
    async def revoke_sessions(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        session_manager: NamedDependency[SessionManager],
        user_id: FromPath[UUID],
    ) -> RevokedCount:
        await require_user_admin(session, await current_principal(request), user_id)
        return RevokedCount(await session_manager.revoke_all(session, user_id, "revoked_by_admin"))
