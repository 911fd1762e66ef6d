"""`metodist audit`, `keys`, `admin` and `rules`: the audit logs, the secret keys, the first
administrators and the compliance rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from api.cli.common import safe_settings, with_db
from api.settings import ConfigurationError, get_settings


@click.group()
def audit() -> None:
    """The tenants' audit logs."""


@audit.command("verify")
@click.argument("organisation")
def audit_verify(organisation: str) -> None:
    """Walk an organisation's audit-log hash chain (ORGANISATION: its schema, t_..., or its BIN;
    `identity` for the control plane's log of roles and access requests).

    Prints OK, or the first broken entry and exits 1.
    """
    if organisation == "identity":
        from api.identity.audit import verify as verify_identity

        async def walk(db: Any) -> Any:
            async with db.session() as session:
                return await verify_identity(session)

        chain = with_db(get_settings(), walk)
        click.echo(f"identity_audit_log: {chain.describe()}")
        if not chain.ok:
            sys.exit(1)
        return
    from sqlalchemy import or_, select

    from api.audit import verify
    from api.domain.organisations.models import Organisation
    from tenants.naming import InvalidSchemaName, validate_schema_name

    async def work(db: Any) -> Any:
        async with db.session() as session:
            org = await session.scalar(
                select(Organisation).where(
                    or_(Organisation.schema_name == organisation, Organisation.bin == organisation)
                )
            )
        if org is None:
            raise click.ClickException(f"No organisation has the schema or BIN {organisation}.")
        async with db.tenant_context(validate_schema_name(org.schema_name)) as tenant_session:
            return org.schema_name, await verify(tenant_session)

    try:
        schema, report = with_db(get_settings(), work)
    except InvalidSchemaName as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{schema}: {report.describe()}")
    if not report.ok:
        sys.exit(1)


@click.group()
def keys() -> None:
    """The secret keys: re-encrypting stored secrets after a new key is configured."""


@keys.command("rotate")
@click.option("--dry-run", is_flag=True, help="Only count what would be re-encrypted.")
def keys_rotate(dry_run: bool) -> None:
    """Re-encrypt every stored secret (identity providers' client secrets) with the newest key.

    Configure the new key first, newest first with the old ones after it:
    METODIST_SECRET_KEYS=new,old. Once this reports 0 left, the old keys can be removed.
    A secret no configured key opens is listed and the command exits 1 (nothing else changes).
    """
    from api.identity.crypto import rotate_stored_secrets

    settings = safe_settings()
    try:
        result = with_db(settings, lambda db: rotate_stored_secrets(db, settings, dry_run=dry_run))
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    click.echo(
        f"{verb} {result.rotated} secret(s); {result.current} already under the newest key; "
        f"{len(result.unreadable)} unreadable"
    )
    for provider_id in result.unreadable:
        click.echo(f"  unreadable with the configured keys: identity provider {provider_id}", err=True)
    if result.unreadable:
        sys.exit(1)


@click.group()
def admin() -> None:
    """Administrators: the first one of a new deployment."""


@admin.command("grant")
@click.argument("email")
@click.argument("role")
@click.option(
    "--at",
    "at",
    required=True,
    help="Where the role is held: a territory's slug (republic, karaganda, …) or an organisation's BIN.",
)
def admin_grant(email: str, role: str, at: str) -> None:
    """Give ROLE at a place to the person with EMAIL, e.g. the first national administrator:

        metodist admin grant ops@edu.kz national_admin --at republic

    A person who has signed in with this address, confirmed by their provider, gets the role now;
    anyone else gets an invitation, whose link is printed (and mailed when SMTP is configured).
    Written to the identity audit log with the operating-system user who ran it.
    """
    import getpass

    from api.errors import DomainError
    from api.identity.bootstrap import grant_from_command
    from api.identity.invitations import InvitationService

    settings = get_settings()
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "unknown"

    async def work(db: Any) -> Any:
        async with db.session() as session, session.begin():
            outcome, _token = await grant_from_command(
                session, settings, email=email, role=role, at=at, os_user=os_user
            )
        mail = None
        if outcome.kind == "invited" and settings.smtp_host:
            from api.domain.organisations.models import Organisation
            from api.domain.territories.models import Territory
            from api.identity.models import Invitation

            async with db.session() as session, session.begin():
                row = await session.get(Invitation, outcome.invitation_id)
                place = (
                    await session.get(Organisation, row.organisation_id)
                    if row.organisation_id
                    else await session.get(Territory, row.territory_id)
                )
                mail = await InvitationService(session, settings).deliver(row, place, outcome.link)
        return outcome, mail

    try:
        outcome, mail_error = with_db(settings, work)
    except DomainError as exc:
        raise click.ClickException(f"{exc.field or 'error'}: {exc.message}") from exc
    if outcome.kind == "held":
        click.echo(f"{email} already holds {role} at {outcome.place}; nothing changed.")
    elif outcome.kind == "granted":
        click.echo(f"Granted {role} at {outcome.place} to {email} (user {outcome.user_id}).")
    else:
        click.echo(
            f"Invited {email} as {role} at {outcome.place}. The role is theirs when they sign in through this link"
        )
        click.echo(f"(valid {settings.invitation_ttl_days} days):")
        click.echo(outcome.link)
        if settings.smtp_host:
            click.echo(f"Mail not sent: {mail_error}" if mail_error else "The link was also mailed to them.")
        if not settings.oidc_issuer:
            click.echo(
                "Note: no national sign-in service is configured (METODIST_OIDC_ISSUER); they need one to sign in.",
                err=True,
            )


@click.group()
def rules() -> None:
    """The Rules as data: rule sets the organisations are checked against (compliance)."""


@rules.command("load")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def rules_load(path: Path) -> None:
    """Validate a rule set file (TOML) and store it; a bad file is refused with its line and key."""
    from api.domain.compliance.engine import load_rule_set_file
    from api.domain.compliance.rules import RuleSetError

    try:
        document = with_db(get_settings(), lambda db: load_rule_set_file(db, path))
    except RuleSetError as error:
        click.echo(f"{path}: {error}", err=True)
        sys.exit(2)
    checked = sum(1 for c in document["clauses"] if c.get("checks"))
    click.echo(
        f"Loaded rule set {document['code']}: {len(document['clauses'])} clauses ({checked} with checks), "
        f"in force from {document['in_force_from']}."
    )


@rules.command("check")
@click.argument("organisation_id", type=click.UUID)
@click.option(
    "--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The day checked (default today)."
)
def rules_check(organisation_id: Any, on: Any) -> None:
    """Recompute one organisation's findings now and print their count."""
    from api.domain.compliance.engine import recompute

    outcome = with_db(get_settings(), lambda db: recompute(db, organisation_id, on.date() if on else None))
    click.echo(
        f"{outcome.findings} findings against {outcome.rule_set}{'; ' + outcome.skipped if outcome.skipped else ''}"
    )
