"""Identity providers: the platform's (from settings) and organisations' own (from the database).

Each provider has its own redirect URI, `/api/auth/callback/{provider_id}`: a response that
arrives at one provider's address is never processed as another's (the mix-up defence of
RFC 9700 §4.4). An organisation's provider vouches only for its organisation's domains, and only
once the organisation has proved them (api.identity.domains): public mail services are refused, a
domain verified for one organisation cannot be listed by another, and the sign-in page routes by
e-mail only to the provider of the organisation that proved the domain.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from api.domain.organisations.models import Organisation
from api.errors import Conflict, DomainError, NotFound
from api.identity.crypto import SecretDecryptionError, decrypt_secret, encrypt_secret
from api.identity.domains import DomainService, check_claimable, verified_domains
from api.identity.models import IdentityProvider, OrganisationDomain
from api.identity.oidc import LoginError, OidcClient, ProviderConfig
from api.identity.schemas import (
    IdentityProviderCreate,
    IdentityProviderRead,
    IdentityProviderUpdate,
    ProviderLookup,
    ProviderOption,
)
from api.responses import response_of
from api.settings import Settings

PLATFORM_ID = "national"
SIGN_IN_PAGE = "/sign-in"


def platform_provider(settings: Settings) -> ProviderConfig | None:
    if not (settings.oidc_issuer and settings.oidc_client_id):
        return None
    return ProviderConfig(
        id=PLATFORM_ID,
        name=settings.oidc_name,
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scopes=settings.oidc_scopes,
        use_userinfo=settings.oidc_userinfo,
    )


def redirect_uri(settings: Settings, provider_id: str | UUID) -> str:
    return f"{settings.public_url.rstrip('/')}/api/auth/callback/{provider_id}"


def post_logout_redirect_uri(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}{SIGN_IN_PAGE}"


def login_url(provider_id: str | UUID, *, login_hint: str | None = None, invitation: str | None = None) -> str:
    params = {"provider": str(provider_id)}
    if login_hint:
        params["login_hint"] = login_hint
    if invitation:
        params["invitation"] = invitation
    return "/api/auth/login?" + urlencode(params)


def normalise_domains(domains: list[str]) -> list[str]:
    return sorted({d.strip().lower().rstrip(".") for d in domains if d.strip()})


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower().rstrip(".") or None


class ProviderService:
    def __init__(self, session: AsyncSession, settings: Settings, oidc: OidcClient) -> None:
        self.session = session
        self.settings = settings
        self.oidc = oidc

    # for the sign-in flow -------------------------------------------------------------------

    def to_config(self, row: IdentityProvider) -> ProviderConfig:
        try:
            secret = decrypt_secret(self.settings.secret_keys, row.client_secret_encrypted, str(row.id))
        except SecretDecryptionError as exc:
            raise LoginError(
                "provider_misconfigured",
                "This sign-in service's secret cannot be read; ask the administrator to enter it again.",
                503,
            ) from exc
        return ProviderConfig(
            id=str(row.id),
            name=row.name,
            issuer=row.issuer,
            client_id=row.client_id,
            client_secret=secret,
            scopes=row.scopes,
            use_userinfo=row.use_userinfo,
            organisation_id=row.organisation_id,
            allowed_domains=tuple(row.allowed_domains),
        )

    async def with_verified(self, config: ProviderConfig) -> ProviderConfig:
        if config.organisation_id is None:
            return config
        proved = await verified_domains(self.session, config.organisation_id)
        return dataclasses.replace(config, verified_domains=tuple(d for d in config.allowed_domains if d in proved))

    async def resolve(self, provider_id: str) -> ProviderConfig:
        """The active provider with this id, or a LoginError a person can read."""
        if provider_id == PLATFORM_ID:
            platform = platform_provider(self.settings)
            if platform is not None:
                return platform
            raise LoginError("unknown_provider", "The national sign-in service is not configured.", 404)
        try:
            row_id = UUID(provider_id)
        except ValueError:
            raise LoginError("unknown_provider", "There is no such sign-in service.", 404) from None
        row = await self.session.get(IdentityProvider, row_id)
        if row is None or not row.is_active:
            raise LoginError("unknown_provider", "There is no such sign-in service, or it has been switched off.", 404)
        return await self.with_verified(self.to_config(row))

    async def any_configured(self) -> bool:
        if platform_provider(self.settings) is not None:
            return True
        return (
            await self.session.scalar(select(IdentityProvider.id).where(IdentityProvider.is_active).limit(1))
        ) is not None

    def _option(self, row: IdentityProvider, hint: str | None) -> ProviderOption:
        return ProviderOption(
            str(row.id), row.name, "organisation", row.organisation_id, login_url(row.id, login_hint=hint)
        )

    def _platform_option(self, hint: str | None) -> ProviderOption | None:
        platform = platform_provider(self.settings)
        if platform is None:
            return None
        return ProviderOption(PLATFORM_ID, platform.name, "platform", None, login_url(PLATFORM_ID, login_hint=hint))

    async def for_domain(self, domain: str) -> list[IdentityProvider]:
        """Active providers listing the domain, of the organisation that proved it."""
        rows = await self.session.scalars(
            select(IdentityProvider)
            .join(
                OrganisationDomain,
                (OrganisationDomain.organisation_id == IdentityProvider.organisation_id)
                & (OrganisationDomain.domain == domain)
                & (OrganisationDomain.status == "verified"),
            )
            .where(IdentityProvider.is_active, IdentityProvider.allowed_domains.contains([domain]))
            .order_by(IdentityProvider.created_at)
        )
        return list(rows.all())

    async def lookup(self, *, email: str | None, organisation: str | None, dev_sign_in: bool) -> ProviderLookup:
        options: list[ProviderOption] = []
        matched = "none"
        hint = email.strip() if email else None
        if organisation:
            org = await self._find_organisation(organisation.strip())
            rows = await self.session.scalars(
                select(IdentityProvider)
                .where(IdentityProvider.organisation_id == org.id, IdentityProvider.is_active)
                .order_by(IdentityProvider.created_at)
            )
            options = [self._option(row, hint) for row in rows.all()]
            matched = "organisation" if options else matched
        elif email:
            domain = email_domain(email)
            if domain is None:
                raise DomainError("Enter an e-mail address such as name@school.kz.", field="email", status=400)
            options = [self._option(row, hint) for row in await self.for_domain(domain)]
            matched = "email_domain" if options else matched
        platform = self._platform_option(hint)
        if platform is not None:
            options.append(platform)
            matched = "platform" if matched == "none" else matched
        return ProviderLookup(options, matched, dev_sign_in)  # type: ignore[arg-type]

    async def _find_organisation(self, key: str) -> Organisation:
        org: Organisation | None = None
        try:
            org = await self.session.get(Organisation, UUID(key))
        except ValueError:
            if key.isdigit() and len(key) == 12:
                org = await self.session.scalar(select(Organisation).where(Organisation.bin == key))
        if org is None or org.status == "archived":
            raise NotFound("No organisation with this identifier or BIN.", field="organisation")
        return org

    # for administrators ---------------------------------------------------------------------

    def to_read(self, row: IdentityProvider) -> IdentityProviderRead:
        return response_of(
            IdentityProviderRead,
            row,
            allowed_domains=list(row.allowed_domains),
            redirect_uri=redirect_uri(self.settings, row.id),
            post_logout_redirect_uri=post_logout_redirect_uri(self.settings),
        )

    async def list_for(self, organisation_id: UUID) -> list[IdentityProvider]:
        rows = await self.session.scalars(
            select(IdentityProvider)
            .where(IdentityProvider.organisation_id == organisation_id)
            .order_by(IdentityProvider.created_at)
        )
        return list(rows.all())

    async def get_for(self, organisation_id: UUID, provider_id: UUID) -> IdentityProvider:
        row = await self.session.get(IdentityProvider, provider_id)
        if row is None or row.organisation_id != organisation_id:
            raise NotFound("No such identity provider in this organisation.", field="provider_id")
        return row

    async def _check_domains_free(
        self, organisation_id: UUID, domains: list[str], *, except_id: UUID | None = None
    ) -> None:
        """Public mail services and domains verified elsewhere are refused; within the organisation
        a domain belongs to one active provider (so routing by e-mail has one answer)."""
        await check_claimable(self.session, organisation_id, domains, "allowed_domains")
        query = select(IdentityProvider).where(
            IdentityProvider.is_active,
            IdentityProvider.allowed_domains.overlap(domains),
            IdentityProvider.organisation_id == organisation_id,
        )
        if except_id is not None:
            query = query.where(IdentityProvider.id != except_id)
        taken = (await self.session.scalars(query)).first()
        if taken is not None:
            clash = sorted(set(domains) & set(taken.allowed_domains))
            raise Conflict(
                f"The e-mail domain {', '.join(clash)} already belongs to another sign-in service.",
                field="allowed_domains",
            )

    def _check_scopes(self, scopes: str) -> str:
        parts = scopes.split()
        if "openid" not in parts:
            raise DomainError("The scopes must include openid.", field="scopes", status=400)
        return " ".join(dict.fromkeys(parts))

    async def _check_discovery(self, issuer: str) -> None:
        try:
            await self.oidc.metadata(issuer, refresh=True)
        except LoginError as exc:
            raise DomainError(exc.message, field="issuer", status=422) from exc

    async def create(
        self, organisation_id: UUID, data: IdentityProviderCreate, created_by: UUID | None
    ) -> IdentityProvider:
        issuer = data.issuer.strip()
        domains = normalise_domains(data.allowed_domains)
        scopes = self._check_scopes(data.scopes)
        platform = platform_provider(self.settings)
        if platform is not None and platform.issuer == issuer and platform.client_id == data.client_id:
            raise Conflict(
                "This is the national sign-in service's own client; register the organisation's own.", field="client_id"
            )
        await self._check_domains_free(organisation_id, domains)
        await self._check_discovery(issuer)
        row_id = uuid7()
        row = IdentityProvider(
            id=row_id,
            organisation_id=organisation_id,
            name=" ".join(data.name.split()),
            issuer=issuer,
            client_id=data.client_id.strip(),
            client_secret_encrypted=encrypt_secret(self.settings.secret_keys, data.client_secret, str(row_id)),
            scopes=scopes,
            use_userinfo=data.use_userinfo,
            allowed_domains=domains,
            is_active=True,
            created_by=created_by,
        )
        self.session.add(row)
        await self.session.flush()
        await DomainService(self.session, self.settings).ensure_claims(organisation_id, domains, created_by)
        return row

    async def update(self, row: IdentityProvider, data: IdentityProviderUpdate) -> IdentityProvider:
        if data.allowed_domains is not None:
            domains = normalise_domains(data.allowed_domains)
            if data.is_active is not False and (row.is_active or data.is_active):
                await self._check_domains_free(row.organisation_id, domains, except_id=row.id)
            else:
                await check_claimable(self.session, row.organisation_id, domains, "allowed_domains")
            row.allowed_domains = domains
            await DomainService(self.session, self.settings).ensure_claims(row.organisation_id, domains, row.created_by)
        elif data.is_active and not row.is_active:
            await self._check_domains_free(row.organisation_id, list(row.allowed_domains), except_id=row.id)
        if data.name is not None:
            row.name = " ".join(data.name.split())
        if data.client_id is not None:
            row.client_id = data.client_id.strip()
        if data.client_secret is not None:
            row.client_secret_encrypted = encrypt_secret(self.settings.secret_keys, data.client_secret, str(row.id))
        if data.scopes is not None:
            row.scopes = self._check_scopes(data.scopes)
        if data.use_userinfo is not None:
            row.use_userinfo = data.use_userinfo
        if data.is_active is not None:
            if data.is_active and not row.is_active:
                await self._check_discovery(row.issuer)
            row.is_active = data.is_active
        await self.session.flush()
        return row
