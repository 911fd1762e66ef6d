"""Onboarding: organisations and staff from a file. No HTTP here.

1. **Check** (the dry run): the file is read, every row checked, and the job stored as `checked`
   with its rows, their normalised values and findings. Nothing of the registry is written.
2. **Start**: the job is queued (`queued`); the worker runs it (`runs.run_job`).
3. **Run** (`runs.py`): rows advance in committed batches — organisations registered (matched by BIN:
   created, or their names, levels and place updated), administrators invited, schemas
   provisioned through the one provisioning path (a spare claimed, else built); staff upserted in
   the organisation's schema by IIN. A crashed run leaves rows `pending` or `registered`, and the
   next run (re-queued at start-up, or `metodist import resume`) continues from them.
4. **Progress** is counted from the rows, so it survives reloads and restarts; the **report**
   (XLSX, `reports.py`) lists every row with its outcome or its findings in the reader's language.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from api.access import Principal
from api.db import Database
from api.domain.onboarding import organisations as orgs
from api.domain.onboarding import staff as people
from api.domain.onboarding.checks import identifier, issue
from api.domain.onboarding.models import ImportJob, ImportRow
from api.domain.onboarding.reading import Column, FileProblem, Table, map_columns, read_table
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from api.errors import Conflict, NotFound, log_unhandled
from api.i18n import N_
from api.identity.reach import reach_of, require_organisation
from api.roles import Role
from api.settings import Settings

STAFF_ROLES = (Role.ORGANISATION_ADMIN, Role.DEPUTY_HEAD)


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
