"""Onboarding: organisations and staff from a file. No HTTP here.

1. **Check** (the dry run): the file is read, every row checked, and the job stored as `checked`
   with its rows, their normalised values and findings. Nothing of the registry is written.
2. **Start**: the job is queued (`queued`); the worker runs it (`run_job`).
3. **Run**: rows advance in committed batches — organisations registered (matched by BIN:
   created, or their names, levels and place updated), administrators invited, schemas
   provisioned through the one provisioning path (a spare claimed, else built); staff upserted in
   the organisation's schema by IIN. A crashed run leaves rows `pending` or `registered`, and the
   next run (re-queued at start-up, or `metodist import resume`) continues from them.
4. **Progress** is counted from the rows, so it survives reloads and restarts; the **report**
   (XLSX) lists every row with its outcome or its findings in the reader's language.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from api.access import Principal
from api.db import Database, advisory_key, advisory_lock
from api.domain.accounts.models import User
from api.domain.onboarding import organisations as orgs
from api.domain.onboarding import staff as people
from api.domain.onboarding.checks import identifier, issue, render
from api.domain.onboarding.models import ImportJob, ImportRow
from api.domain.onboarding.reading import Column, FileProblem, Table, map_columns, read_table
from api.domain.organisations.models import Organisation
from api.domain.organisations.provisioning import provision_organisation
from api.domain.organisations.rules import OrgStatus
from api.errors import Conflict, NotFound, log_unhandled
from api.i18n import N_, gettext, use_locale
from api.identity import audit
from api.identity.invitations import InvitationService, invitation_link
from api.identity.models import Invitation
from api.identity.reach import Reach, reach_of, require_organisation
from api.identity.sessions import grants_of
from api.identity.tokens import ApiToken
from api.paging import Paging, paged
from api.roles import Role
from api.settings import Settings
from api.spreadsheets import safe_cell
from tenants.ddl import tenant_head
from tenants.naming import schema_for_bin

STAFF_ROLES = (Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD)
ORGANISATION_BATCH = 250
STAFF_BATCH = 500
PROVISION_CONCURRENCY = 2
Progress = Callable[["JobProgress"], Awaitable[None] | None]


@dataclass(frozen=True)
class JobProgress:
    """What the progress bar shows, counted from the rows."""

    id: UUID
    kind: str
    status: str
    organisation_id: UUID | None
    filename: str
    total: int
    invalid: int
    pending: int
    registered: int
    done: int
    failed: int
    created: int
    updated: int
    unchanged: int
    invited: int
    error: str | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None

    @property
    def valid(self) -> int:
        return self.total - self.invalid

    @property
    def percent(self) -> int:
        return 100 if not self.valid else int(100 * (self.done + self.failed) / self.valid)


# --- who may see a job ---------------------------------------------------------------------------


def _actor(principal: Principal | None) -> tuple[UUID | None, UUID | None]:
    if principal is None:
        return None, None
    if principal.via == "token":
        return principal.issued_by, principal.credential_id
    return principal.user_id, None


async def require_job(session: AsyncSession, principal: Principal | None, job_id: UUID) -> ImportJob:
    """The job, for whoever may see it: its uploader, a national admin, or for a staff import an
    administrator of that organisation. Anyone else is told it does not exist (404)."""
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise NotFound("Import not found.", field="job_id")
    if principal is None:
        return job
    if job.kind == "staff":
        org = await session.get(Organisation, job.organisation_id)
        assert org is not None
        try:
            await require_organisation(session, principal, org, STAFF_ROLES)
        except NotFound:
            raise NotFound("Import not found.", field="job_id") from None
        return job
    user_id, token_id = _actor(principal)
    if (job.token_id is not None and job.token_id == token_id) or (
        job.token_id is None and user_id is not None and job.created_by == user_id
    ):
        return job
    reach = await reach_of(session, principal)
    if reach.is_national(orgs.ADMIN_ROLES):
        return job
    raise NotFound("Import not found.", field="job_id")


# --- 1. check ------------------------------------------------------------------------------------


def _cells(
    table: Table, columns: tuple[Column, ...], one_of: tuple[tuple[str, ...], ...] = ()
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    positions, unknown = map_columns(table.headers, columns, one_of=one_of)
    rows = [
        (line, {key: cells[pos] if pos < len(cells) else None for key, pos in positions.items()})
        for line, cells in table.rows
    ]
    notes = [issue(None, N_("Columns not used: {columns}."), "warning", columns=", ".join(unknown))] if unknown else []
    if not rows:
        raise FileProblem(N_("The file has a header row but no rows under it."))
    return rows, notes


def _read(content: bytes, filename: str, settings: Settings) -> Table:
    if len(content) > settings.import_max_bytes:
        raise FileProblem(
            N_("The upload is too large: at most {max_bytes} bytes are accepted."),
            status=413,
            max_bytes=settings.import_max_bytes,
        )
    return read_table(content, filename, max_rows=settings.import_max_rows)


async def _store(
    session: AsyncSession,
    kind: str,
    principal: Principal | None,
    filename: str,
    table: Table,
    notes: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    organisation_id: UUID | None = None,
) -> ImportJob:
    user_id, token_id = _actor(principal)
    invalid = sum(1 for r in rows if r["state"] == "invalid")
    job = ImportJob(
        kind=kind,
        status="checked",
        organisation_id=organisation_id,
        created_by=user_id,
        token_id=token_id,
        filename=filename[:300] or "upload",
        file_format=table.file_format,
        total=len(rows),
        invalid=invalid,
        notes=notes,
    )
    session.add(job)
    await session.flush()
    # One statement per 5,000 rows: the rows travel as one JSON document, unpacked by the server.
    for start in range(0, len(rows), 5000):
        chunk = [
            {
                "id": str(uuid7()),
                "line": r["line"],
                "key": r["key"],
                "values": r["values"],
                "issues": r["issues"],
                "state": r["state"],
            }
            for r in rows[start : start + 5000]
        ]
        await session.execute(_INSERT_ROWS, {"job_id": job.id, "rows": json.dumps(chunk, ensure_ascii=False)})
    return job


_INSERT_ROWS = text(
    """
    INSERT INTO public.import_row (id, job_id, line, key, "values", issues, state, invited, created_at, updated_at)
    SELECT r.id, :job_id, r.line, r.key, r."values", r.issues, r.state, false, now(), now()
      FROM jsonb_to_recordset(CAST(:rows AS jsonb))
           AS r(id uuid, line int, key text, "values" jsonb, issues jsonb, state text)
    """
)


def _key_of(value: Any) -> str | None:
    key, _ = identifier(value, "", "")
    return key


async def check_organisations(
    session: AsyncSession, settings: Settings, principal: Principal | None, content: bytes, filename: str
) -> ImportJob:
    """The dry run of an organisations file: every row checked, the job stored as `checked`."""
    table = _read(content, filename, settings)
    cells, notes = _cells(table, orgs.COLUMNS)
    keys = {line: identifier(c.get("bin"), "bin", "BIN") for line, c in cells}
    registry = await orgs.Registry.load(session, [k for k, _ in keys.values() if k], principal)
    seen: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for line, row in cells:
        values, found = orgs.check_row(row, registry, key=keys[line])
        key = values["bin"]
        if key is not None:
            if key in seen:
                found.append(
                    issue("bin", N_("The BIN {value} appears again: first on line {line}."), value=key, line=seen[key])
                )
            else:
                seen[key] = line
        bad = any(f["level"] == "error" for f in found)
        rows.append(
            {
                "line": line,
                "key": key,
                "values": values,
                "issues": found,
                "state": "invalid" if bad else "pending",
                "invited": False,
            }
        )
    return await _store(session, "organisations", principal, filename, table, notes, rows)


async def check_staff(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    principal: Principal | None,
    org: Organisation,
    content: bytes,
    filename: str,
) -> ImportJob:
    """The dry run of a staff file for one organisation."""
    if org.status != OrgStatus.ACTIVE:
        raise Conflict(f"The organisation is not ready yet ({org.status}).", field="organisation_id")
    table = _read(content, filename, settings)
    cells, notes = _cells(table, people.COLUMNS, one_of=people.NAME_COLUMNS)
    keys = [k for k in (_key_of(c.get("iin")) for _, c in cells) if k]
    async with db.tenant_context(org.schema_name) as tenant:
        roster = await people.Roster.load(tenant, keys)
    seen: dict[str, int] = {}
    emails: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for line, row in cells:
        values, found = people.check_row(row, roster)
        key = values["iin"]
        if key is not None:
            if key in seen:
                found.append(
                    issue("iin", N_("The IIN {value} appears again: first on line {line}."), value=key, line=seen[key])
                )
            else:
                seen[key] = line
        email = values["email"]
        if email:
            if email in emails:
                found.append(
                    issue(
                        "email",
                        N_("The e-mail {value} is given to another person on line {line}."),
                        value=email,
                        line=emails[email],
                    )
                )
            else:
                emails[email] = line
        bad = any(f["level"] == "error" for f in found)
        rows.append(
            {
                "line": line,
                "key": key,
                "values": values,
                "issues": found,
                "state": "invalid" if bad else "pending",
                "invited": False,
            }
        )
    return await _store(session, "staff", principal, filename, table, notes, rows, organisation_id=org.id)


# --- 2. start ------------------------------------------------------------------------------------


async def start(session: AsyncSession, job: ImportJob) -> ImportJob:
    """Queues a checked job (or one that failed, to continue it)."""
    if job.status not in ("checked", "failed"):
        raise Conflict(f"This import has been started already; it is {job.status}.", field="job_id")
    if job.total == job.invalid:
        raise Conflict("No row of this file can be imported; correct the file and upload it again.", field="job_id")
    job.status = "queued"
    job.error = None
    await session.flush()
    return job


# --- 3. run --------------------------------------------------------------------------------------


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
            job.started_at = job.started_at or datetime.datetime.now(datetime.UTC)
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
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(status=status, error=error, finished_at=datetime.datetime.now(datetime.UTC))
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
        usable = (
            token is not None and token.revoked_at is None and token.expires_at > datetime.datetime.now(datetime.UTC)
        )
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


# --- 4. progress and report ----------------------------------------------------------------------


async def progress(session: AsyncSession, job_id: UUID) -> JobProgress:
    job = await session.get(ImportJob, job_id, populate_existing=True)
    if job is None:
        raise NotFound("Import not found.", field="job_id")
    states: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    invited = 0
    for state, outcome, is_invited, count in (
        await session.execute(
            select(ImportRow.state, ImportRow.outcome, ImportRow.invited, func.count())
            .where(ImportRow.job_id == job_id)
            .group_by(ImportRow.state, ImportRow.outcome, ImportRow.invited)
        )
    ).all():
        states[state] = states.get(state, 0) + count
        if outcome:
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        if is_invited:
            invited += count
    return JobProgress(
        id=job.id,
        kind=job.kind,
        status=job.status,
        organisation_id=job.organisation_id,
        filename=job.filename,
        total=job.total,
        invalid=states.get("invalid", 0),
        pending=states.get("pending", 0),
        registered=states.get("registered", 0),
        done=states.get("done", 0),
        failed=states.get("failed", 0),
        created=outcomes.get("created", 0),
        updated=outcomes.get("updated", 0),
        unchanged=outcomes.get("unchanged", 0),
        invited=invited,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


async def rows_of(
    session: AsyncSession,
    job_id: UUID,
    *,
    states: list[str] | None = None,
    issues_only: bool = False,
    page: int = 1,
    page_size: int = 100,
) -> tuple[list[ImportRow], int]:
    query = select(ImportRow).where(ImportRow.job_id == job_id)
    if states:
        query = query.where(ImportRow.state.in_(states))
    if issues_only:
        query = query.where(func.jsonb_array_length(ImportRow.issues) > 0)
    return await paged(session, query.order_by(ImportRow.line), Paging(page, page_size))


_STATE_LABELS = {
    "invalid": N_("Refused"),
    "pending": N_("Waiting"),
    "registered": N_("Registered, schema being prepared"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}
_OUTCOME_LABELS = {
    "created": N_("Created"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "create": N_("Will be created"),
    "update": N_("Will be updated"),
}


def state_label(state: str) -> str:
    return gettext(_STATE_LABELS.get(state, state))


def outcome_label(outcome: str | None) -> str:
    return gettext(_OUTCOME_LABELS.get(outcome, outcome)) if outcome else ""


def row_findings(row: ImportRow, locale: str | None = None) -> list[str]:
    """The row's findings and, when the run failed it, the reason, in the reader's language."""
    out = []
    for found in row.issues:
        column = found.get("column")
        text = render(found, locale)
        out.append(f"{column}: {text}" if column else text)
    if row.message:
        out.append(render({"message": row.message, "params": {}}, locale))
    return out


async def report_xlsx(session: AsyncSession, job: ImportJob, locale: str) -> bytes:
    """Every row: its line, key, state, outcome and findings, in the reader's language."""
    from openpyxl import Workbook

    columns = orgs.COLUMNS if job.kind == "organisations" else people.COLUMNS
    book = Workbook(write_only=True)
    with use_locale(locale):
        sheet = book.create_sheet(gettext("Import report"))
        key_label = columns[0].labels.get(locale, columns[0].labels["en"])
        header = [
            gettext("Line"),
            key_label,
            gettext("Name"),
            gettext("State"),
            gettext("Outcome"),
            gettext("Administrator invited") if job.kind == "organisations" else gettext("E-mail"),
            gettext("Findings"),
        ]
        sheet.append(header)
        rows = await session.stream_scalars(
            select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.line)
        )
        async for row in rows:
            values = row.values
            name = (
                values.get("name_ru") or values.get("name_kk")
                if job.kind == "organisations"
                else values.get("full_name")
            )
            extra = (
                (gettext("yes") if row.invited else "") if job.kind == "organisations" else (values.get("email") or "")
            )
            sheet.append(
                [
                    row.line,
                    *(
                        safe_cell(v)
                        for v in (
                            row.key or "",
                            name or "",
                            state_label(row.state),
                            outcome_label(row.outcome or (values.get("plan") if row.state == "pending" else None)),
                            extra,
                            "\n".join(row_findings(row, locale)),
                        )
                    ),
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template(kind: str, locale: str, file_format: str) -> bytes:
    """An empty file with the columns in `locale` and one example row."""
    import csv

    columns, examples = (orgs.COLUMNS, orgs.EXAMPLES) if kind == "organisations" else (people.COLUMNS, people.EXAMPLES)
    header = [c.labels.get(locale, c.labels["en"]) for c in columns]
    example_rows = [[e.get(c.key, "") for c in columns] for e in examples]
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(example_rows)
        return buffer.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "import"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in example_rows:
        sheet.append(example)
    # Identifiers are text: a number column would drop leading zeros and show 12 digits as 7.01E+11.
    for row in sheet.iter_rows(min_row=2, max_row=500, min_col=1, max_col=1):
        for cell in row:
            cell.number_format = "@"
    for index, _column in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def interrupted(session: AsyncSession) -> list[UUID]:
    """Jobs a stopped process left queued or running: the server queues them again at start."""
    return list((await session.scalars(select(ImportJob.id).where(ImportJob.status.in_(("queued", "running"))))).all())


async def link_staff_on_sign_in(db: Database, session: AsyncSession, user: Any) -> int:
    """A person who signs in with an address their sign-in service vouches for is linked to the
    staff records an import made with that address, in the organisations where they hold a role.
    Never in the way of signing in: a failure is logged and the sign-in goes on."""
    from api.domain.accounts.models import RoleAssignment

    if not user.email or not user.email_verified:
        return 0
    linked = 0
    try:
        schemas = (
            await session.scalars(
                select(Organisation.schema_name)
                .join(RoleAssignment, RoleAssignment.organisation_id == Organisation.id)
                .where(RoleAssignment.user_id == user.id, Organisation.status == OrgStatus.ACTIVE)
                .distinct()
            )
        ).all()
        for schema in schemas:
            async with db.tenant_context(schema) as tenant:
                linked += await people.link_accounts(tenant, user.id, user.email)
    except Exception as exc:  # noqa: BLE001 - linking is a convenience; the sign-in must not fail for it
        log_unhandled("linking staff records at sign-in failed", exc, user_id=str(user.id))
    return linked
