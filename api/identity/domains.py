"""Organisations' sign-in domains: claimed, proved, then trusted.

An organisation's own sign-in service vouches for the e-mail addresses of its domains, and a new
person with a verified address of such a domain joins the organisation as a teacher. So a domain
is worth something only once proved, and only to the one organisation that proved it:

- public mail services (api/data/public_mail_domains.txt: gmail.com, mail.ru, yandex.*, …) are
  refused outright — anyone can have an address there;
- a claim starts `pending`; it is proved by a DNS TXT record
  (`_metodist-challenge.<domain>` = `metodist-domain-verification=<challenge>`), by the link in a
  mail sent to one of the domain's administrative mailboxes (postmaster@, hostmaster@,
  webmaster@, admin@, administrator@ — the addresses CAs accept for domain validation), or by a
  regional or national administrator whose reach covers the organisation;
- a verified domain belongs to one organisation: the first proof wins and other organisations'
  pending claims of it are withdrawn; a domain verified elsewhere cannot be claimed (409).

Until proved, the domain routes no sign-in to the provider, its addresses are not trusted (no
invitation binds by them, `email_verified` stays false) and it makes no one a member.

The TXT lookup goes through a `TxtResolver` (api/identity/dns.py); the default asks the servers in
METODIST_DNS_NAMESERVERS (host or host:port, comma-separated) or the system's resolver.
Every change is written to the identity audit log.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import secrets
from email.message import EmailMessage
from functools import lru_cache
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.clock import utc_now
from api.domain.organisations.models import Organisation
from api.errors import Conflict, DomainError, NotFound
from api.i18n import N_
from api.identity import audit
from api.identity.crypto import token_hash
from api.identity.dns import DomainLookupError, TxtResolver, resolver_for
from api.identity.models import OrganisationDomain
from api.settings import PROJECT_ROOT, Settings

PUBLIC_DOMAINS_FILE = PROJECT_ROOT / "api" / "data" / "public_mail_domains.txt"
TXT_PREFIX = "_metodist-challenge"
TXT_VALUE_PREFIX = "metodist-domain-verification="
MAILBOXES = ("postmaster", "hostmaster", "webmaster", "admin", "administrator")
MAILBOX_TTL = datetime.timedelta(hours=48)
CONFIRM_PAGE = "/domains/confirm"

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

PUBLIC_DOMAIN = N_(
    "The domain {domain} is a public mail service: anyone can have an address there, so no organisation can claim "
    "it for sign-in."
)
TAKEN_DOMAIN = N_("The domain {domain} is already verified for another organisation.")
NOT_A_DOMAIN = N_("Enter a domain such as school.edu.kz.")
TXT_MISSING = N_(
    "The DNS record was not found: publish a TXT record {name} with the value {value}, wait for it to "
    "appear (up to an hour), and check again."
)
DNS_FAILED = N_("The domain's DNS could not be asked ({reason}); try again later.")
WRONG_MAILBOX = N_("Choose one of the domain's administrative mailboxes: {choices}.")
NO_MAIL = N_(
    "No mail server is configured, so no confirmation can be sent; ask a regional administrator to approve the domain."
)
BAD_CODE = N_("This confirmation link is not valid, has expired or has been used already.")


@lru_cache(maxsize=1)
def public_domain_patterns() -> tuple[str, ...]:
    lines = PUBLIC_DOMAINS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_public(domain: str) -> bool:
    """Whether the domain, or a domain it is under, is a public mail service."""
    labels = domain.split(".")
    suffixes = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    for pattern in public_domain_patterns():
        for suffix in suffixes:
            if suffix.count(".") == pattern.count(".") and fnmatch.fnmatchcase(suffix, pattern):
                return True
    return False


def normalise(domain: str, field: str = "domain") -> str:
    """Lower-case, no trailing dot, IDNA (Punycode) for non-ASCII names; 400 if not a domain."""
    value = domain.strip().lower().rstrip(".")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise DomainError(NOT_A_DOMAIN, field=field, status=400) from None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise DomainError(NOT_A_DOMAIN, field=field, status=400)
    return value


def txt_name(domain: str) -> str:
    return f"{TXT_PREFIX}.{domain}"


def txt_value(row: OrganisationDomain) -> str:
    return f"{TXT_VALUE_PREFIX}{row.challenge}"


def _state(row: OrganisationDomain) -> dict[str, object]:
    return {
        "organisation_id": str(row.organisation_id),
        "domain": row.domain,
        "status": row.status,
        "method": row.method,
        "mailbox": row.mailbox,
    }


async def verified_domains(session: AsyncSession, organisation_id: UUID) -> set[str]:
    rows = await session.scalars(
        select(OrganisationDomain.domain).where(
            OrganisationDomain.organisation_id == organisation_id, OrganisationDomain.status == "verified"
        )
    )
    return set(rows.all())


async def check_claimable(session: AsyncSession, organisation_id: UUID, domains: list[str], field: str) -> None:
    """Refuse public mail services (422) and domains verified for another organisation (409)."""
    for domain in domains:
        if is_public(domain):
            raise DomainError(PUBLIC_DOMAIN.format(domain=domain), field=field, status=422)
    taken = await session.scalar(
        select(OrganisationDomain.domain)
        .where(
            OrganisationDomain.domain.in_(domains),
            OrganisationDomain.status == "verified",
            OrganisationDomain.organisation_id != organisation_id,
        )
        .limit(1)
    )
    if taken is not None:
        raise Conflict(TAKEN_DOMAIN.format(domain=taken), field=field)


class DomainService:
    def __init__(self, session: AsyncSession, settings: Settings, resolver: TxtResolver | None = None) -> None:
        self.session = session
        self.settings = settings
        self.resolver = resolver or resolver_for(settings)

    async def list_for(self, organisation_id: UUID) -> list[OrganisationDomain]:
        rows = await self.session.scalars(
            select(OrganisationDomain)
            .where(OrganisationDomain.organisation_id == organisation_id)
            .order_by(OrganisationDomain.domain)
        )
        return list(rows.all())

    async def get(self, organisation_id: UUID, domain: str) -> OrganisationDomain:
        row = await self.session.scalar(
            select(OrganisationDomain).where(
                OrganisationDomain.organisation_id == organisation_id,
                OrganisationDomain.domain == domain.strip().lower().rstrip("."),
            )
        )
        if row is None:
            raise NotFound("This organisation has not claimed that domain.", field="domain")
        return row

    async def claim(
        self, organisation_id: UUID, domain: str, principal: Principal | None, *, actor_id: UUID | None = None
    ) -> OrganisationDomain:
        domain = normalise(domain)
        await check_claimable(self.session, organisation_id, [domain], "domain")
        existing = await self.session.scalar(
            select(OrganisationDomain).where(
                OrganisationDomain.organisation_id == organisation_id, OrganisationDomain.domain == domain
            )
        )
        if existing is not None:
            raise Conflict("This organisation has already claimed the domain.", field="domain")
        row = OrganisationDomain(
            organisation_id=organisation_id,
            domain=domain,
            status="pending",
            challenge=secrets.token_urlsafe(24),
            requested_by=principal.user_id if principal is not None else actor_id,
        )
        self.session.add(row)
        await self.session.flush()
        await audit.record(
            self.session,
            principal,
            action="domain.claim",
            entity="organisation_domain",
            entity_id=row.id,
            after=_state(row),
            actor_id=actor_id,
        )
        return row

    async def ensure_claims(self, organisation_id: UUID, domains: list[str], actor_id: UUID | None) -> None:
        """Pending claims for the domains a provider lists that the organisation has not claimed yet."""
        have = set(
            (
                await self.session.scalars(
                    select(OrganisationDomain.domain).where(OrganisationDomain.organisation_id == organisation_id)
                )
            ).all()
        )
        for domain in domains:
            if domain not in have:
                await self.claim(organisation_id, domain, None, actor_id=actor_id)

    async def _verify(
        self,
        row: OrganisationDomain,
        method: str,
        principal: Principal | None,
        *,
        actor_kind: audit.ActorKind = "person",
    ) -> OrganisationDomain:
        if row.status == "verified":
            return row
        await check_claimable(self.session, row.organisation_id, [row.domain], "domain")
        before = _state(row)
        row.status = "verified"
        row.method = method
        row.verified_at = utc_now()
        row.verified_by = principal.user_id if principal is not None and principal.via != "token" else None
        row.mailbox_code_hash = None
        # The first proof wins: other organisations' pending claims of the domain are withdrawn.
        withdrawn = (
            await self.session.scalars(
                select(OrganisationDomain).where(
                    OrganisationDomain.domain == row.domain, OrganisationDomain.id != row.id
                )
            )
        ).all()
        await self.session.flush()
        await audit.record(
            self.session,
            principal,
            action="domain.verify",
            entity="organisation_domain",
            entity_id=row.id,
            before=before,
            after=_state(row),
            actor_kind=actor_kind,
        )
        for other in withdrawn:
            await audit.record(
                self.session,
                principal,
                action="domain.withdraw",
                entity="organisation_domain",
                entity_id=other.id,
                before=_state(other),
                actor_kind=actor_kind,
            )
        if withdrawn:
            await self.session.execute(
                delete(OrganisationDomain).where(OrganisationDomain.id.in_([o.id for o in withdrawn]))
            )
        await self.session.flush()
        return row

    async def check_dns(self, row: OrganisationDomain, principal: Principal) -> OrganisationDomain:
        if row.status == "verified":
            return row
        name, value = txt_name(row.domain), txt_value(row)
        try:
            found = await self.resolver.txt(name)
        except DomainLookupError as exc:
            raise DomainError(DNS_FAILED.format(reason=str(exc)), field="domain", status=503) from exc
        if value not in (text.strip() for text in found):
            raise DomainError(TXT_MISSING.format(name=name, value=value), field="domain", status=422)
        return await self._verify(row, "dns", principal)

    async def send_mailbox(
        self, org: Organisation, row: OrganisationDomain, local_part: str, principal: Principal
    ) -> str:
        """Mails a confirmation link to `local_part@domain`; returns the address."""
        from api.identity.invitations import send_mail

        local_part = local_part.strip().lower()
        if local_part not in MAILBOXES:
            raise DomainError(
                WRONG_MAILBOX.format(choices=", ".join(f"{m}@{row.domain}" for m in MAILBOXES)),
                field="local_part",
                status=422,
            )
        if row.status == "verified":
            raise Conflict("The domain is verified already.", field="domain")
        if not self.settings.smtp_host:
            raise DomainError(NO_MAIL, field="local_part", status=503)
        code = secrets.token_urlsafe(32)
        address = f"{local_part}@{row.domain}"
        before = _state(row)
        row.mailbox = address
        row.mailbox_code_hash = token_hash(code)
        row.mailbox_expires_at = utc_now() + MAILBOX_TTL
        await self.session.flush()
        link = f"{self.settings.public_url.rstrip('/')}{CONFIRM_PAGE}?code={code}"
        message = EmailMessage()
        message["From"] = self.settings.smtp_sender
        message["To"] = address
        message["Subject"] = f"Metodist: confirm {row.domain} for {org.name_en or org.name_ru}"
        message.set_content(
            f"{org.name_ru} / {org.name_kk} asks to use {row.domain} for signing in to Metodist.\n\n"
            f"If this organisation is entitled to the domain, confirm it here (valid 48 hours):\n{link}\n\n"
            "If you do not know this request, ignore this mail: nothing happens without the link.\n"
        )
        error = await send_mail(self.settings, message)
        if error is not None:
            raise DomainError(error, field="local_part", status=503)
        await audit.record(
            self.session,
            principal,
            action="domain.mailbox_sent",
            entity="organisation_domain",
            entity_id=row.id,
            before=before,
            after=_state(row),
        )
        return address

    async def confirm_mailbox(self, code: str, principal: Principal | None) -> OrganisationDomain:
        row = await self.session.scalar(
            select(OrganisationDomain)
            .where(OrganisationDomain.mailbox_code_hash == token_hash(code.strip()))
            .with_for_update()
        )
        now = utc_now()
        if row is None or row.mailbox_expires_at is None or row.mailbox_expires_at < now or row.status != "pending":
            raise DomainError(BAD_CODE, field="code", status=404)
        signed_in = principal is not None and not principal.is_anonymous
        return await self._verify(
            row, "mailbox", principal if signed_in else None, actor_kind="person" if signed_in else "mailbox"
        )

    async def approve(self, row: OrganisationDomain, principal: Principal) -> OrganisationDomain:
        return await self._verify(row, "approval", principal)

    async def remove(self, row: OrganisationDomain, principal: Principal) -> None:
        await audit.record(
            self.session,
            principal,
            action="domain.remove",
            entity="organisation_domain",
            entity_id=row.id,
            before=_state(row),
        )
        await self.session.delete(row)
        await self.session.flush()
