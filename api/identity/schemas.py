"""API schemas of identity: providers, sign-in routing, invitations, sessions, the signed-in user."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from api.text import single_line

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Domain = Annotated[str, msgspec.Meta(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")]
Url = Annotated[str, msgspec.Meta(min_length=8, max_length=500, pattern=r"^https?://")]
ShortText = Annotated[str, single_line(max_length=200)]


class ProviderOption(msgspec.Struct):
    id: str
    name: str
    kind: Literal["platform", "organisation"]
    organisation_id: UUID | None
    login_url: str


class ProviderLookup(msgspec.Struct):
    """Where the sign-in page should send the person: the matching providers, best first."""

    providers: list[ProviderOption]
    matched_by: Literal["email_domain", "organisation", "platform", "none"]
    dev_sign_in: bool


class IdentityProviderCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    issuer: Url
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    client_secret: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    allowed_domains: Annotated[list[Domain], msgspec.Meta(min_length=1, max_length=50)]
    scopes: Annotated[str, msgspec.Meta(min_length=6, max_length=300)] = "openid email profile"
    use_userinfo: bool = True


class IdentityProviderUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText | None = None
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    client_secret: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    allowed_domains: Annotated[list[Domain], msgspec.Meta(min_length=1, max_length=50)] | None = None
    scopes: Annotated[str, msgspec.Meta(min_length=6, max_length=300)] | None = None
    use_userinfo: bool | None = None
    is_active: bool | None = None


class IdentityProviderRead(msgspec.Struct):
    id: UUID
    organisation_id: UUID
    name: str
    issuer: str
    client_id: str
    scopes: str
    use_userinfo: bool
    allowed_domains: list[str]
    is_active: bool
    # Register exactly this address at the provider: each provider has its own (mix-up defence).
    redirect_uri: str
    post_logout_redirect_uri: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    role: str
    unit_id: UUID | None = None


class InvitationRead(msgspec.Struct):
    id: UUID
    email: str
    role: str
    organisation_id: UUID | None
    territory_id: UUID | None
    unit_id: UUID | None
    status: Literal["pending", "accepted", "revoked", "expired"]
    expires_at: datetime.datetime
    created_at: datetime.datetime
    invited_by: UUID | None
    accepted_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    mail_sent_at: datetime.datetime | None
    mail_error: str | None


class InvitationCreated(msgspec.Struct):
    invitation: InvitationRead
    # The link is shown once, here and in the e-mail; only its hash is stored.
    link: str


class InvitationPreview(msgspec.Struct):
    """What the sign-in page shows to someone who followed an invitation link."""

    status: Literal["pending", "accepted", "revoked", "expired"]
    role: str
    organisation_id: UUID | None
    organisation_name_kk: str | None
    organisation_name_ru: str | None
    organisation_name_en: str | None
    email_hint: str
    expires_at: datetime.datetime
    providers: list[ProviderOption]
    # Where the role is held: the organisation, or the territory of a regional or national role.
    territory_id: UUID | None = None
    place_name_kk: str | None = None
    place_name_ru: str | None = None
    place_name_en: str | None = None


class SessionRead(msgspec.Struct):
    id: UUID
    provider: str
    created_at: datetime.datetime
    last_seen_at: datetime.datetime
    expires_at: datetime.datetime
    user_agent: str | None
    ip_address: str | None
    current: bool


class GrantRead(msgspec.Struct):
    role: str
    territory_id: UUID | None
    organisation_id: UUID | None
    unit_id: UUID | None


class WaitingInvitation(msgspec.Struct):
    """An invitation for the person's address that has not bound: their sign-in service did not
    confirm the address (`email_verified`), so it waits for the link or an administrator."""

    role: str
    organisation_id: UUID | None
    territory_id: UUID | None
    place_name_kk: str
    place_name_ru: str
    place_name_en: str | None


class Me(msgspec.Struct):
    user_id: UUID
    email: str | None
    full_name: str | None
    grants: list[GrantRead]
    session_id: UUID | None
    provider: str | None
    # Whether the sign-in service confirmed the address (`email_verified: true`): roles offered to
    # an address by invitation are given automatically only then.
    email_verified: bool = False
    waiting_invitations: list[WaitingInvitation] = msgspec.field(default_factory=list)


class SignInAddresses(msgspec.Struct):
    """The addresses to register at OpenID providers for this deployment (METODIST_PUBLIC_URL)."""

    public_url: str
    national_configured: bool
    national_name: str | None
    national_issuer: str | None
    # The national SSO's redirect URI: {public_url}/api/auth/callback/national.
    national_redirect_uri: str
    # Where every provider sends the browser after signing out: {public_url}/sign-in.
    post_logout_redirect_uri: str
    # An organisation's provider gets its own, with its id: {public_url}/api/auth/callback/{provider_id}.
    organisation_redirect_uri_pattern: str


class DevUser(msgspec.Struct):
    id: UUID
    full_name: str | None
    email: str | None
    grants: list[GrantRead]


class DevSignIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: UUID
    return_to: str = "/"


class RevokedCount(msgspec.Struct):
    revoked: int


class LogoutResult(msgspec.Struct):
    # Where the browser goes next: the provider's end-session page when it has one, else home.
    redirect_to: str
