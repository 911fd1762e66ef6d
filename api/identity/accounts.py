"""From a verified identity to an account: just-in-time creation, organisation links, invitations.

A user is (issuer, subject). What a provider says about e-mail is trusted only where it may speak:
an organisation's provider for its own e-mail domains, the platform provider when it marks the
address verified. An organisation's provider never signs anyone into another organisation: an
address outside its domains is refused, and so is an invitation of another organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import utc_now
from api.domain.accounts.models import RoleAssignment, User
from api.identity import audit
from api.identity.invitations import InvitationService, status_of
from api.identity.oidc import LoginError, ProviderConfig
from api.identity.providers import ProviderService, email_domain
from api.roles import Role


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    full_name: str | None

    @classmethod
    def from_claims(cls, issuer: str, claims: dict[str, Any]) -> Identity:
        email = claims.get("email")
        email = email.strip().lower() if isinstance(email, str) and "@" in email else None
        name = claims.get("name") or " ".join(
            part for part in (claims.get("given_name"), claims.get("family_name")) if isinstance(part, str)
        )
        verified = claims.get("email_verified")
        return cls(
            issuer=issuer,
            subject=str(claims["sub"]),
            email=email,
            email_verified=verified is True or verified == "true",
            full_name=(name.strip()[:300] or None) if isinstance(name, str) else None,
        )


class AccountService:
    def __init__(self, session: AsyncSession, invitations: InvitationService, providers: ProviderService) -> None:
        self.session = session
        self.invitations = invitations
        self.providers = providers

    def _trusted_email(self, provider: ProviderConfig, identity: Identity) -> str | None:
        if provider.is_platform:
            return identity.email if identity.email_verified else None
        domain = email_domain(identity.email)
        if domain is None or domain not in provider.allowed_domains:
            raise LoginError(
                "domain_not_allowed",
                "This organisation's sign-in service may only sign in addresses of its own domains "
                f"({', '.join(provider.allowed_domains)}); it sent {identity.email or 'no address'}.",
                403,
            )
        # A domain the organisation has not proved vouches for nothing (api.identity.domains).
        return identity.email if domain in provider.verified_domains else None

    async def sign_in(self, provider: ProviderConfig, identity: Identity, invitation_token: str | None) -> User:
        trusted_email = self._trusted_email(provider, identity)
        invitation = None
        if invitation_token:
            invitation = await self.invitations.by_token(invitation_token)
            if invitation is None or status_of(invitation) != "pending":
                raise LoginError(
                    "invitation_invalid", "The invitation has expired, was revoked or has been used already.", 400
                )
            if not provider.is_platform and invitation.organisation_id != provider.organisation_id:
                raise LoginError(
                    "wrong_organisation",
                    "This sign-in service belongs to another organisation and cannot sign you into this one.",
                    403,
                )

        user = await self.session.scalar(
            select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
        )
        created = user is None
        if user is None:
            user = User(issuer=identity.issuer, subject=identity.subject)
            self.session.add(user)
        elif not user.is_active:
            raise LoginError("account_disabled", "This account has been deactivated. Ask your administrator.", 403)
        user.email = identity.email or user.email
        user.email_verified = trusted_email is not None
        user.full_name = identity.full_name or user.full_name
        user.last_sign_in_at = utc_now()
        await self.session.flush()

        if invitation is not None:
            await self.invitations.accept(invitation, user.id)
        if trusted_email:
            for pending in await self.invitations.pending_for_email(trusted_email):
                if provider.is_platform or pending.organisation_id == provider.organisation_id:
                    await self.invitations.accept(pending, user.id)
        if created:
            await self._link_organisations(user.id, provider, trusted_email)
        return user

    async def _link_organisations(self, user_id: UUID, provider: ProviderConfig, trusted_email: str | None) -> None:
        """A new account joins the organisations its provider or e-mail domain belongs to, as a
        teacher unless an invitation already gave it a role there."""
        organisations: set[UUID] = set()
        if provider.organisation_id is not None:
            # Only through a domain the organisation has proved.
            if trusted_email:
                organisations.add(provider.organisation_id)
        elif trusted_email:
            domain = email_domain(trusted_email)
            if domain:
                organisations.update(row.organisation_id for row in await self.providers.for_domain(domain))
        for organisation_id in organisations:
            has_role = await self.session.scalar(
                select(RoleAssignment.id).where(
                    RoleAssignment.user_id == user_id, RoleAssignment.organisation_id == organisation_id
                )
            )
            if has_role is None:
                joined = RoleAssignment(user_id=user_id, role=Role.TEACHER.value, organisation_id=organisation_id)
                self.session.add(joined)
                await self.session.flush()
                # Granted by the organisation's sign-in set-up, not by a person: no actor.
                await audit.record(
                    self.session,
                    None,
                    actor_kind="sign_in",
                    action="role.grant",
                    entity="role_assignment",
                    entity_id=joined.id,
                    subject_user_id=user_id,
                    after=audit.snapshot(joined),
                )
        await self.session.flush()
