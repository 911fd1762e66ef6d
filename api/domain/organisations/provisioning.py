"""An organisation's schema provisioned or archived, and the outcome recorded on the organisation.

`tenants.provisioning` does the schema's work and knows no organisation; this module reads which
schema an organisation has, calls it, and writes the status, the schema version and the archive
on the organisation's row (and counts the outcome for /metrics).
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import structlog

from api.clock import utc_now
from api.db import Database, advisory_key, advisory_lock, database_unavailable
from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import OrgStatus
from tenants.ddl import tenant_head
from tenants.provisioning import drop_schema, ensure_schema, export_schema, schema_state

log = structlog.get_logger()


async def provision_organisation(db: Database, organisation_id: UUID) -> str:
    """Provision the organisation's schema and record the outcome in its status.

    Runs of the same organisation take turns (a PostgreSQL advisory lock): a run re-queued after
    an interruption (a restart, the queue's Redis back) may meet the first one still going, and two
    at once would both create the schema, the loser marking the organisation failed."""
    async with advisory_lock(db.engine, advisory_key(f"provision:{organisation_id}")):
        return await _provision(db, organisation_id)


async def _provision(db: Database, organisation_id: UUID) -> str:
    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        if org is None:
            raise LookupError(f"organisation {organisation_id} does not exist")
        if org.status in (OrgStatus.ARCHIVED, OrgStatus.SUSPENDED):
            return org.status
        schema = org.schema_name
    from api.metrics import PROVISIONING

    try:
        action = await ensure_schema(db, schema)
    except Exception as exc:  # noqa: BLE001 - the reason is kept on the organisation
        if database_unavailable(exc):
            raise  # not the organisation's failure: the job is retried once the database is back
        reason = f"{type(exc).__name__}: {exc}".strip()[:2000]
        log.warning("provisioning failed", organisation=str(organisation_id), schema=schema, reason=reason)
        await _set_status(db, organisation_id, OrgStatus.FAILED, reason=reason)
        PROVISIONING.labels("failed", "none").inc()
        return OrgStatus.FAILED
    await _set_status(db, organisation_id, OrgStatus.ACTIVE, version=tenant_head())
    PROVISIONING.labels("active", action).inc()
    log.info("provisioned", organisation=str(organisation_id), schema=schema, action=action)
    return OrgStatus.ACTIVE


async def _set_status(
    db: Database, organisation_id: UUID, status: OrgStatus, *, reason: str | None = None, version: str | None = None
) -> None:
    async with db.session() as session, session.begin():
        org = await session.get(Organisation, organisation_id, with_for_update=True)
        if org is None or org.status in (OrgStatus.ARCHIVED, OrgStatus.SUSPENDED):
            return
        org.status = status
        org.status_reason = reason
        if version is not None:
            org.schema_version = version
            org.provisioned_at = org.provisioned_at or utc_now()


async def archive_organisation(
    db: Database, database_url: str, organisation_id: UUID, archive_dir: Path
) -> Path | None:
    """Export the schema with pg_dump, then drop it; the organisation stays, marked archived."""
    async with db.session() as session:
        org = await session.get(Organisation, organisation_id)
        if org is None:
            raise LookupError(f"organisation {organisation_id} does not exist")
        schema = org.schema_name
    path: Path | None = None
    has_schema = (await schema_state(db, schema)).has_schema
    if has_schema:
        path = await export_schema(database_url, schema, archive_dir)
    # One transaction: the organisation reads as archived (404) from the moment its schema is gone.
    async with db.session() as session, session.begin():
        org = await session.get(Organisation, organisation_id, with_for_update=True)
        assert org is not None
        org.status = OrgStatus.ARCHIVED
        org.archived_at = utc_now()
        org.archive_path = str(path) if path else org.archive_path
        if has_schema:
            await drop_schema(session, schema)
    return path
