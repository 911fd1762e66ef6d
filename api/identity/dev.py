"""Development sign-in: choose one of the demo users, without an identity provider.

It exists only when the settings say development AND no provider is configured (neither the
platform's nor any organisation's); everywhere else its routes answer 404. Only accounts of the
development issuer can be chosen, never a real provider's.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.accounts.models import User
from api.errors import NotFound
from api.identity.providers import ProviderService
from api.settings import Settings

DEV_ISSUER = "urn:metodist:development"
DEV_PROVIDER = "development"


async def dev_sign_in_available(settings: Settings, providers: ProviderService) -> bool:
    return settings.is_development and not await providers.any_configured()


async def require_dev_sign_in(settings: Settings, providers: ProviderService) -> None:
    if not await dev_sign_in_available(settings, providers):
        raise NotFound("Not Found")


async def dev_users(session: AsyncSession) -> list[User]:
    rows = await session.scalars(select(User).where(User.issuer == DEV_ISSUER, User.is_active).order_by(User.full_name))
    return list(rows.all())


async def dev_user(session: AsyncSession, user_id: UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or user.issuer != DEV_ISSUER or not user.is_active:
        raise NotFound("No such demo user.", field="user_id")
    return user
