"""Running an import: rows advance in committed batches, organisations registered, invited and
provisioned, staff upserted; a run resumes from where a stopped one left its rows (see services.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Principal
from api.clock import utc_now
from api.db import Database, advisory_key, advisory_lock
from api.domain.accounts.models import User
from api.domain.onboarding import organisations as orgs
from api.domain.onboarding import staff as people
from api.domain.onboarding.checks import issue
from api.domain.onboarding.models import ImportJob, ImportRow
from api.domain.onboarding.services import STAFF_ROLES, JobProgress, progress
from api.domain.organisations.models import Organisation
from api.domain.organisations.provisioning import provision_organisation
from api.domain.organisations.rules import OrgStatus
from api.errors import Conflict, log_unhandled
from api.i18n import N_
from api.identity import audit
from api.identity.invitations import InvitationService, invitation_link
from api.identity.models import Invitation
from api.identity.reach import Reach, reach_of
from api.identity.sessions import grants_of
from api.identity.tokens import ApiToken
from api.roles import Role
from api.settings import Settings
from tenants.ddl import tenant_head
from tenants.naming import schema_for_bin

ORGANISATION_BATCH = 250
STAFF_BATCH = 500
PROVISION_CONCURRENCY = 2
Progress = Callable[["JobProgress"], Awaitable[None] | None]


# --- the run --------------------------------------------------------------------------------------


async def run_job(db: Database, settings: Settings, job_id: UUID, *, on_progress: Progress | None = None) -> str:
    """Runs (or resumes) an import; one run per job at a time (an advisory lock held meanwhile).
    Returns the job's status at the end: `done`, `failed`, or `busy` when another run holds it."""
    async with advisory_lock(db.engine, advisory_key(f"import:{job_id}"), wait=False) as taken:
        if not taken:
            return "busy"
        async with db.session() as session, session.begin():
            job = await session.get(ImportJob, job_id, with_for_update=True)
            if job is None:
                raise LookupError(f"import {job_id} does not exist")
            if job.status == "done":
                return "done"
            job.status = "running"
            job.started_at = job.started_at or utc_now()
            kind = job.kind
        try:
            if kind == "organisations":
                await _run_organisations(db, settings, job_id, on_progress)
            else:
                await _run_staff(db, job_id, on_progress)
        except Exception as exc:
            log_unhandled("import failed", exc, job=str(job_id))
            await _finish(db, job_id, "failed", f"{type(exc).__name__}: {exc}"[:2000])
            return "failed"
        await _finish(db, job_id, "done", None)
        if on_progress is not None:
            await _notify(db, job_id, on_progress)
        return "done"


async def _finish(db: Database, job_id: UUID, status: str, error: str | None) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(status=status, error=error, finished_at=utc_now())
        )


async def _notify(db: Database, job_id: UUID, on_progress: Progress) -> None:
    async with db.session() as session:
        result = on_progress(await progress(session, job_id))
    if asyncio.iscoroutine(result):
        await result


@dataclass
class _Mail:
    invitation_id: UUID
    token: str
    organisation_id: UUID


async def _run_organisations(db: Database, settings: Settings, job_id: UUID, on_progress: Progress | None) -> None:
    # Registering: rows `pending` → `registered` (schema to come) or `done`.
    while True:
        mails: list[_Mail] = []
        async with db.session() as session, session.begin():
            job = await session.get(ImportJob, job_id)
            assert job is not None
            rows = list(
                (
                    await session.scalars(
                        select(ImportRow)
                        .where(ImportRow.job_id == job_id, ImportRow.state == "pending")
                        .order_by(ImportRow.line)
                        .limit(ORGANISATION_BATCH)
                        .with_for_update()
                    )
                ).all()
            )
            if not rows:
                break
            await _register(session, settings, job, rows, mails)
        await _send_invitations(db, settings, mails)
        if on_progress is not None:
            await _notify(db, job_id, on_progress)
    # Provisioning: rows `registered` → `done` or `failed`, through the one provisioning path.
    head = tenant_head()
    gate = asyncio.Semaphore(PROVISION_CONCURRENCY)
    while True:
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(ImportRow.id, ImportRow.organisation_id, Organisation.status, Organisation.schema_version)
                    .join(Organisation, Organisation.id == ImportRow.organisation_id)
                    .where(ImportRow.job_id == job_id, ImportRow.state == "registered")
                    .order_by(ImportRow.line)
                    .limit(PROVISION_CONCURRENCY * 10)
                )
            ).all()
        if not rows:
            break

        async def one(
            row_id: UUID, organisation_id: UUID, status: str, version: str | None
        ) -> tuple[UUID, str, str | None]:
            if status == OrgStatus.ACTIVE and version == head:
                return row_id, "done", None
            async with gate:
                # Runs of one organisation take turns (api.domain.organisations.provisioning), so a run queued twice
                # after a restart finds the schema the other built instead of failing on it.
                outcome = await provision_organisation(db, organisation_id)
            if outcome in (OrgStatus.ACTIVE, OrgStatus.SUSPENDED):
                return row_id, "done", None
            async with db.session() as session:
                reason = await session.scalar(
                    select(Organisation.status_reason).where(Organisation.id == organisation_id)
                )
            return row_id, "failed", reason or outcome

        results = await asyncio.gather(*(one(*r) for r in rows))
        async with db.session() as session, session.begin():
            for row_id, state, message in results:
                await session.execute(
                    update(ImportRow).where(ImportRow.id == row_id).values(state=state, message=message)
                )
        if on_progress is not None:
            await _notify(db, job_id, on_progress)


async def uploader_reach(session: AsyncSession, job: ImportJob, *, must_know: list[UUID] | None = None) -> Reach | None:
    """The reach of whoever uploaded the file, as it is now: a role or a token taken away since the
    dry run stops the rows it no longer covers. None for the command line, which reaches everything."""
    if job.token_id is not None:
        token = await session.get(ApiToken, job.token_id)
        usable = token is not None and token.revoked_at is None and token.expires_at > utc_now()
        principal = Principal(
            grants=(token.grant,) if usable and token else (),
            via="token",
            credential_id=job.token_id,
            issued_by=job.created_by,
        )
    elif job.created_by is not None:
        user = await session.get(User, job.created_by)
        grants = await grants_of(session, job.created_by) if user is not None and user.is_active else ()
        principal = Principal(user_id=job.created_by, grants=grants, via="session")
    else:
        return None
    return await reach_of(session, principal, must_know=must_know or ())


async def _register(
    session: AsyncSession, settings: Settings, job: ImportJob, rows: list[ImportRow], mails: list[_Mail]
) -> None:
    existing = {
        o.bin: o
        for o in (
            await session.scalars(
                select(Organisation).where(Organisation.bin.in_([r.key for r in rows])).with_for_update()
            )
        ).all()
    }
    reach = await uploader_reach(session, job, must_know=[UUID(r.values["territory_id"]) for r in rows])
    touched: list[tuple[ImportRow, Organisation]] = []
    for row in rows:
        values = row.values
        org = existing.get(values["bin"])
        places = [UUID(values["territory_id"])] + ([org.territory_id] if org is not None else [])
        if reach is not None and not all(reach.covers_territory(p, orgs.ADMIN_ROLES) for p in places):
            # The uploader's role was taken away (or narrowed) between the check and the run.
            row.state = "failed"
            row.issues = [
                *row.issues,
                issue(
                    "territory",
                    N_("{value} is outside your region: you may import organisations of your own region only."),
                    value=values["territory"],
                ),
            ]
            continue
        if org is None:
            org = Organisation(
                kind=values["kind"],
                levels=list(values["levels"]),
                territory_id=UUID(values["territory_id"]),
                bin=values["bin"],
                name_kk=values["name_kk"],
                name_ru=values["name_ru"],
                name_en=values["name_en"],
                schema_name=schema_for_bin(values["bin"]),
                status=OrgStatus.PROVISIONING.value,
            )
            session.add(org)
            existing[org.bin] = org
            row.outcome = "created"
        elif org.kind != values["kind"] or org.status == OrgStatus.ARCHIVED:
            # The registry changed since the check.
            row.state = "failed"
            row.issues = [
                *row.issues,
                issue(
                    "kind",
                    N_(
                        "The organisation with this BIN is registered as a {registered}, not a {kind}; the kind "
                        "never changes."
                    ),
                    registered=org.kind,
                    kind=values["kind"],
                )
                if org.kind != values["kind"]
                else issue(
                    "bin",
                    N_("The organisation with this BIN is archived; it is not imported again."),
                ),
            ]
            continue
        else:
            # The same BIN twice in one job cannot happen (the check refuses the second row).
            row.outcome = "updated" if orgs.apply(org, values) else (row.outcome or "unchanged")
        touched.append((row, org))
    await session.flush()
    inviter = InvitationService(session, settings)
    for row, org in touched:
        row.organisation_id = org.id
        ready = org.status in (OrgStatus.ACTIVE, OrgStatus.SUSPENDED) and org.schema_version == tenant_head()
        row.state = "done" if ready else "registered"
        email = row.values.get("admin_email")
        if email and not row.invited:
            try:
                invitation, token = await inviter.offer(
                    email, Role.ORGANISATION_ADMIN, organisation_id=org.id, invited_by=job.created_by
                )
            except Conflict:
                row.invited = True  # a pending invitation for this address is there already
                continue
            await audit.record(
                session,
                None,
                action="invitation.create",
                entity="invitation",
                entity_id=invitation.id,
                actor_id=job.created_by,
                actor_kind="person" if job.created_by else "command",
                after={
                    "email": invitation.email,
                    "role": invitation.role,
                    "organisation_id": org.id,
                    "import_job_id": job.id,
                },
            )
            row.invited = True
            mails.append(_Mail(invitation.id, token, org.id))
    await session.flush()


async def _send_invitations(db: Database, settings: Settings, mails: list[_Mail]) -> None:
    """After the batch is committed: one e-mail per invitation, its delivery recorded."""
    for mail in mails:
        async with db.session() as session, session.begin():
            invitation = await session.get(Invitation, mail.invitation_id)
            org = await session.get(Organisation, mail.organisation_id)
            assert invitation is not None and org is not None
            await InvitationService(session, settings).deliver(invitation, org, invitation_link(settings, mail.token))


async def _run_staff(db: Database, job_id: UUID, on_progress: Progress | None) -> None:
    while True:
        async with db.session() as control, control.begin():
            job = await control.get(ImportJob, job_id)
            assert job is not None and job.organisation_id is not None
            org = await control.get(Organisation, job.organisation_id)
            assert org is not None
            if org.status != OrgStatus.ACTIVE:
                raise RuntimeError(f"the organisation is {org.status}")
            reach = await uploader_reach(control, job)
            if reach is not None and not reach.covers_organisation(org, STAFF_ROLES):
                raise PermissionError(
                    "the person who uploaded the file no longer administers this organisation's staff"
                )
            rows = list(
                (
                    await control.scalars(
                        select(ImportRow)
                        .where(ImportRow.job_id == job_id, ImportRow.state == "pending")
                        .order_by(ImportRow.line)
                        .limit(STAFF_BATCH)
                        .with_for_update()
                    )
                ).all()
            )
            if not rows:
                break
            # The tenant's transaction commits first: should the control one then fail, the rows
            # stay `pending` and the next run finds the people by IIN (`unchanged`).
            async with db.tenant_context(org.schema_name) as tenant:
                outcomes = await people.upsert(tenant, control, org, [r.values for r in rows], job.created_by)
            for row, outcome in zip(rows, outcomes, strict=True):
                row.state = "done"
                row.outcome = outcome
        if on_progress is not None:
            await _notify(db, job_id, on_progress)


async def interrupted(session: AsyncSession) -> list[UUID]:
    """Jobs a stopped process left queued or running: the server queues them again at start."""
    return list((await session.scalars(select(ImportJob.id).where(ImportJob.status.in_(("queued", "running"))))).all())
