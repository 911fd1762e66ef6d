"""HTTP of organisations' sign-in domains (api.identity.domains). Thin: the service decides."""

from __future__ import annotations

import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access
from api.i18n import N_
from api.identity.authz import current_principal, require_organisation_admin
from api.identity.domains import MAILBOXES, DomainService, txt_name, txt_value
from api.identity.models import OrganisationDomain
from api.identity.reach import require_organisation
from api.responses import response_of
from api.roles import Role

_NO_TOKENS = N_("API tokens cannot manage sign-in domains; an administrator signs in to do it.")
DOMAIN_ADMIN = access(Scope.TENANT, Role.ORGANISATION_ADMIN, person_only=_NO_TOKENS)
DOMAIN_APPROVER = access(Scope.TENANT, (Role.REGIONAL_ADMIN, Role.NATIONAL_ADMIN), person_only=_NO_TOKENS)

DomainName = Annotated[str, msgspec.Meta(min_length=3, max_length=255)]


class DomainClaim(msgspec.Struct, forbid_unknown_fields=True):
    domain: DomainName


class MailboxRequest(msgspec.Struct, forbid_unknown_fields=True):
    # The part before @: postmaster, hostmaster, webmaster, admin or administrator.
    local_part: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class DomainConfirmation(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=10, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


class DnsRecord(msgspec.Struct):
    type: str
    name: str
    value: str


class DomainRead(msgspec.Struct):
    id: UUID
    organisation_id: UUID
    domain: str
    status: str  # "pending" or "verified"
    method: str | None  # "dns", "mailbox" or "approval" once verified
    verified_at: datetime.datetime | None
    dns_record: DnsRecord  # publish this to prove the domain by DNS
    mailboxes: list[str]  # the addresses a confirmation can be mailed to
    mailbox: str | None  # where the last confirmation was mailed
    mailbox_expires_at: datetime.datetime | None


class MailboxSent(msgspec.Struct):
    sent_to: str


def to_read(row: OrganisationDomain) -> DomainRead:
    return response_of(
        DomainRead,
        row,
        dns_record=DnsRecord("TXT", txt_name(row.domain), txt_value(row)),
        mailboxes=[f"{m}@{row.domain}" for m in MAILBOXES],
    )


def provide_domains(state: State, session: NamedDependency[AsyncSession]) -> DomainService:
    # The TXT resolver is the application's (tests point METODIST_DNS_NAMESERVERS at their own server).
    return DomainService(session, state.settings, state.get("dns_resolver"))


class OrganisationDomainController(Controller):
    """An organisation's e-mail domains for sign-in: claimed, proved (DNS, mailbox or approval)."""

    path = "/api/organisations/{organisation_id:uuid}/domains"
    tags = ["identity"]

    @get("/", name="domains:list", operation_id="ListSignInDomains", opt=DOMAIN_ADMIN)
    async def list_domains(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        domains: NamedDependency[DomainService],
        organisation_id: FromPath[UUID],
    ) -> list[DomainRead]:
        await require_organisation_admin(session, await current_principal(request), organisation_id)
        return [to_read(row) for row in await domains.list_for(organisation_id)]

    @post("/", name="domains:claim", operation_id="ClaimSignInDomain", opt=DOMAIN_ADMIN, status_code=201)
    async def claim(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        domains: NamedDependency[DomainService],
        organisation_id: FromPath[UUID],
        data: JSONBody[DomainClaim],
    ) -> DomainRead:
        """Claims a domain (pending until proved). Public mail services are refused (422); a domain
        verified for another organisation is 409."""
        principal = await current_principal(request)
        org = await require_organisation_admin(session, principal, organisation_id)
        return to_read(await domains.claim(org.id, data.domain, principal))

    @post(
        "/{domain:str}/check-dns",
        name="domains:check-dns",
        operation_id="CheckSignInDomainDns",
        opt=DOMAIN_ADMIN,
        status_code=200,
    )
    async def check_dns(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        domains: NamedDependency[DomainService],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
    ) -> DomainRead:
        """Looks up the TXT record `dns_record` names; verifies the domain when it holds the value (else 422)."""
        principal = await current_principal(request)
        org = await require_organisation_admin(session, principal, organisation_id)
        return to_read(await domains.check_dns(await domains.get(org.id, domain), principal))

    @post(
        "/{domain:str}/mailbox",
        name="domains:mailbox",
        operation_id="MailSignInDomainConfirmation",
        opt=DOMAIN_ADMIN,
        status_code=202,
    )
    async def mailbox(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        domains: NamedDependency[DomainService],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
        data: JSONBody[MailboxRequest],
    ) -> MailboxSent:
        """Mails a confirmation link to one of the domain's administrative mailboxes; whoever reads
        that mailbox proves the domain by opening it. 503 when no mail server is configured."""
        principal = await current_principal(request)
        org = await require_organisation_admin(session, principal, organisation_id)
        return MailboxSent(
            await domains.send_mailbox(org, await domains.get(org.id, domain), data.local_part, principal)
        )

    @post(
        "/{domain:str}/approve",
        name="domains:approve",
        operation_id="ApproveSignInDomain",
        opt=DOMAIN_APPROVER,
        status_code=200,
    )
    async def approve(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        domains: NamedDependency[DomainService],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
    ) -> DomainRead:
        """A regional or national administrator whose reach covers the organisation verifies the domain."""
        from api.domain.organisations.models import Organisation
        from api.errors import NotFound

        principal = await current_principal(request)
        org = await session.get(Organisation, organisation_id)
        if org is None:
            raise NotFound("Organisation not found.", field="organisation_id")
        await require_organisation(session, principal, org, (Role.REGIONAL_ADMIN, Role.NATIONAL_ADMIN))
        return to_read(await domains.approve(await domains.get(org.id, domain), principal))

    @delete(
        "/{domain:str}", name="domains:remove", operation_id="RemoveSignInDomain", opt=DOMAIN_ADMIN, status_code=204
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        domains: NamedDependency[DomainService],
        organisation_id: FromPath[UUID],
        domain: FromPath[str],
    ) -> None:
        principal = await current_principal(request)
        org = await require_organisation_admin(session, principal, organisation_id)
        await domains.remove(await domains.get(org.id, domain), principal)


class DomainConfirmationController(Controller):
    path = "/api/auth/domain-confirmations"
    tags = ["identity"]

    @post("/", name="domains:confirm", operation_id="ConfirmSignInDomain", opt=access(Scope.PUBLIC), status_code=200)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        domains: NamedDependency[DomainService],
        data: JSONBody[DomainConfirmation],
    ) -> DomainRead:
        """The code from the link mailed to the domain's mailbox: holding it proves the mailbox (404 if
        unknown, used or expired)."""
        return to_read(await domains.confirm_mailbox(data.code, await current_principal(request)))
