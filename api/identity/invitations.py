"""Invitations: an admin offers a role at their organisation to an e-mail address.

The link in the e-mail carries a random token (only its hash is stored). The role is bound when
the invitee first signs in, either through the link or because their provider vouches for the
invited address. An invitation expires, and can be revoked while it is pending.
"""

from __future__ import annotations

import asyncio
import datetime
import smtplib
from email.message import EmailMessage
from typing import Literal
from uuid import UUID

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import utc_now
from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.domain.territories.models import Territory
from api.errors import Conflict, DomainError, NotFound
from api.identity import audit
from api.identity.crypto import new_token, token_hash
from api.identity.models import Invitation
from api.identity.schemas import InvitationCreate, InvitationRead, WaitingInvitation
from api.responses import response_of
from api.roles import ROLE_LEVELS, NodeLevel, Role
from api.settings import Settings

log = structlog.get_logger()

Status = Literal["pending", "accepted", "revoked", "expired"]


def status_of(row: Invitation, now: datetime.datetime | None = None) -> Status:
    if row.accepted_at is not None:
        return "accepted"
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= (now or utc_now()):
        return "expired"
    return "pending"


def to_read(row: Invitation) -> InvitationRead:
    return response_of(InvitationRead, row, status=status_of(row))


def invitation_link(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/sign-in?invitation={token}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(1, len(local) - 1)}@{domain}"


class InvitationService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def create(
        self, org: Organisation, data: InvitationCreate, invited_by: UUID | None
    ) -> tuple[Invitation, str]:
        try:
            role = Role(data.role)
        except ValueError:
            raise DomainError(f"Unknown role {data.role!r}.", field="role", status=400) from None
        level = NodeLevel.UNIT if data.unit_id else NodeLevel.ORGANISATION
        if level not in ROLE_LEVELS[role]:
            where = "a unit" if data.unit_id else "an organisation"
            raise DomainError(f"The role {role.value} cannot be granted at {where}.", field="role", status=400)
        return await self.offer(data.email, role, organisation_id=org.id, unit_id=data.unit_id, invited_by=invited_by)

    async def offer(
        self,
        email: str,
        role: Role,
        *,
        organisation_id: UUID | None = None,
        territory_id: UUID | None = None,
        unit_id: UUID | None = None,
        invited_by: UUID | None = None,
    ) -> tuple[Invitation, str]:
        """Stores an invitation for a role at an organisation (or a unit of it) or a territory; the
        caller has checked that the role may be held there. Returns it with the link's token."""
        email = email.strip().lower()
        pending = await self.session.scalar(
            select(Invitation).where(
                func.lower(Invitation.email) == email,
                Invitation.organisation_id.is_not_distinct_from(organisation_id),
                Invitation.territory_id.is_not_distinct_from(territory_id),
                Invitation.role == role.value,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utc_now(),
            )
        )
        if pending is not None:
            raise Conflict("This address already has a pending invitation for this role.", field="email")
        token = new_token()
        row = Invitation(
            email=email,
            role=role.value,
            organisation_id=organisation_id,
            territory_id=territory_id,
            unit_id=unit_id,
            token_hash=token_hash(token),
            expires_at=utc_now() + datetime.timedelta(days=self.settings.invitation_ttl_days),
            invited_by=invited_by,
        )
        self.session.add(row)
        await self.session.flush()
        return row, token

    async def list_for(self, organisation_id: UUID) -> list[Invitation]:
        rows = await self.session.scalars(
            select(Invitation)
            .where(Invitation.organisation_id == organisation_id)
            .order_by(Invitation.created_at.desc())
        )
        return list(rows.all())

    async def get_for(self, organisation_id: UUID, invitation_id: UUID) -> Invitation:
        row = await self.session.get(Invitation, invitation_id)
        if row is None or row.organisation_id != organisation_id:
            raise NotFound("No such invitation in this organisation.", field="invitation_id")
        return row

    async def revoke(self, row: Invitation) -> Invitation:
        status = status_of(row)
        if status == "accepted":
            raise Conflict("The invitation has been accepted already; remove the role instead.", field="invitation_id")
        if status == "pending":
            row.revoked_at = utc_now()
            await self.session.flush()
        return row

    async def by_token(self, token: str) -> Invitation | None:
        return await self.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))

    async def pending_for_email(self, email: str) -> list[Invitation]:
        rows = await self.session.scalars(
            select(Invitation).where(
                func.lower(Invitation.email) == email.lower(),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utc_now(),
            )
        )
        return list(rows.all())

    async def accept(self, row: Invitation, user_id: UUID) -> None:
        """Binds the invitation's role to the user (once) and marks it accepted."""
        existing = await self.session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == user_id,
                RoleAssignment.role == row.role,
                RoleAssignment.organisation_id.is_not_distinct_from(row.organisation_id),
                RoleAssignment.territory_id.is_not_distinct_from(row.territory_id),
                RoleAssignment.unit_id.is_not_distinct_from(row.unit_id),
            )
        )
        if existing is None:
            granted = RoleAssignment(
                user_id=user_id,
                role=row.role,
                organisation_id=row.organisation_id,
                territory_id=row.territory_id,
                unit_id=row.unit_id,
                granted_by=row.invited_by,
            )
            self.session.add(granted)
            await self.session.flush()
            # The grant is the inviter's act, completed when the invitation is accepted.
            await audit.record(
                self.session,
                None,
                action="role.grant",
                entity="role_assignment",
                entity_id=granted.id,
                subject_user_id=user_id,
                actor_id=row.invited_by,
                after={**audit.snapshot(granted), "invitation_id": row.id},
            )
        row.accepted_at = utc_now()
        row.accepted_by = user_id
        await self.session.flush()

    async def deliver(self, row: Invitation, place: Organisation | Territory, link: str) -> str | None:
        """Mails the invitation to `place` and records whether it went; the mail error, or None."""
        error = await send_mail(self.settings, invitation_message(self.settings, row, place, link))
        await self.record_delivery(row, error)
        return error

    async def record_delivery(self, row: Invitation, error: str | None) -> None:
        if error is None:
            row.mail_sent_at, row.mail_error = utc_now(), None
        else:
            row.mail_error = error[:1000]
        await self.session.flush()


async def waiting_invitations(session: AsyncSession, user: User) -> list[WaitingInvitation]:
    """Pending invitations for the person's address: they bind by themselves only when the sign-in
    service vouches for the address (`email_verified: true`), else through the invitation link or
    an administrator who confirms the match (api.identity.access_requests)."""
    if not user.email:
        return []
    rows = list(
        (
            await session.scalars(
                select(Invitation)
                .where(
                    func.lower(Invitation.email) == user.email.lower(),
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > utc_now(),
                )
                .order_by(Invitation.created_at)
            )
        ).all()
    )
    out = []
    for row in rows:
        place: Organisation | Territory | None = (
            await session.get(Organisation, row.organisation_id)
            if row.organisation_id
            else await session.get(Territory, row.territory_id)
        )
        if place is not None:
            out.append(
                WaitingInvitation(
                    row.role, row.organisation_id, row.territory_id, place.name_kk, place.name_ru, place.name_en
                )
            )
    return out


def invitation_message(settings: Settings, row: Invitation, org: Organisation | Territory, link: str) -> EmailMessage:
    # The invitee's language is not known yet: the message speaks all three.
    message = EmailMessage()
    message["Subject"] = "Metodist: шақыру / приглашение / invitation"
    message["From"] = settings.smtp_sender
    message["To"] = row.email
    expires = row.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    message.set_content(
        f"Сізді Metodist жүйесіне «{org.name_kk}» ұйымына шақырды (рөлі: {row.role}).\n"
        f"Кіру үшін сілтемені ашыңыз: {link}\n"
        f"Шақыру {expires} дейін жарамды.\n\n"
        f"Вас пригласили в Metodist в организацию «{org.name_ru}» (роль: {row.role}).\n"
        f"Чтобы войти, откройте ссылку: {link}\n"
        f"Приглашение действует до {expires}.\n\n"
        f"You have been invited to Metodist at {org.name_en or org.name_ru} (role: {row.role}).\n"
        f"To sign in, open this link: {link}\n"
        f"The invitation is valid until {expires}.\n"
    )
    return message


def _deliver(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


async def send_mail(settings: Settings, message: EmailMessage) -> str | None:
    """Sends through the configured SMTP server; returns an error text instead of raising."""
    if not settings.smtp_host:
        return "No SMTP server is configured; pass the link on yourself."
    try:
        await asyncio.to_thread(_deliver, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("invitation mail failed", error=str(exc))
        return f"The mail server refused the message: {exc}"
    return None
