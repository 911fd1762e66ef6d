"""The audit log at the database level: append-only (UPDATE, DELETE, TRUNCATE refused by a
trigger that provisioning from rendered DDL creates), and a hash chain that `metodist audit
verify` walks, reporting an edited or a missing entry with a non-zero exit."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.audit import GENESIS, record, verify
from api.domain.organisations.rules import OrgKind
from api.domain.structure.rules import UnitKind
from api.domain.structure.schemas import UnitCreate
from api.domain.structure.services import UnitService
from tests.structure.conftest import Place, Region, admin_of, context_of, make_org
from tests.tenancy.helpers import metodist, psql


async def _fill(db: Any, place: Place, n: int) -> None:
    async with db.tenant_context(place.schema) as session:
        units = UnitService(context_of(place, session, admin_of(place)))
        for i in range(n):
            unit = await units.create(UnitCreate(f"Association {i}", UnitKind.ASSOCIATION))
        await units.archive(unit.id)


def _seqs(database_url: str, schema: str) -> list[int]:
    return [r[0] for r in psql(database_url, f"SELECT seq FROM {schema}.audit_log ORDER BY seq")]


def _as_superuser_without_trigger(database_url: str, schema: str, statement: str) -> None:
    """What only someone who can switch triggers off could do: the change the chain must reveal."""
    psql(
        database_url,
        f"BEGIN; ALTER TABLE {schema}.audit_log DISABLE TRIGGER audit_log_append_only; {statement}; "
        f"ALTER TABLE {schema}.audit_log ENABLE TRIGGER audit_log_append_only; COMMIT",
    )


async def test_fresh_tenant_has_the_append_only_trigger(database_url: str, region: Region) -> None:
    schema = region.school.schema
    triggers = psql(
        database_url,
        "SELECT t.tgname, p.pronamespace::regnamespace::text FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE c.relname = 'audit_log' AND c.relnamespace = %s::regnamespace AND NOT t.tgisinternal ORDER BY 1",
        (schema,),
    )
    assert triggers == [("audit_log_append_only", schema), ("audit_log_no_truncate", schema)]


async def test_update_delete_truncate_are_refused_by_the_database(db: Any, database_url: str, region: Region) -> None:
    place = region.school2
    await _fill(db, place, 1)
    for statement in (
        f"UPDATE {place.schema}.audit_log SET action = 'forged'",
        f"DELETE FROM {place.schema}.audit_log",
        f"TRUNCATE {place.schema}.audit_log",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit_log is append-only"):
            psql(database_url, statement)
    assert psql(database_url, f"SELECT count(*) FROM {place.schema}.audit_log WHERE action = 'forged'") == [(0,)]
    assert _seqs(database_url, place.schema)


async def test_chain_links_every_entry_and_concurrent_appends_stay_in_one_chain(db: Any, region: Region) -> None:
    place = region.college

    async def append(i: int) -> None:
        async with db.tenant_context(place.schema) as session:
            await record(
                session,
                actor_id=uuid.uuid4(),
                action="test.append",
                entity="test",
                entity_id=i,
                before=None,
                after={"i": i, "when": "now", "values": [1.5, None, "ü"]},
            )
            await asyncio.sleep(0.01)  # hold the lock a moment: others must wait, not fork

    await asyncio.gather(*(append(i) for i in range(8)))
    async with db.tenant_context(place.schema) as session:
        report = await verify(session)
    assert report.ok and report.entries >= 8, report


async def test_audit_verify_command_reports_an_edited_and_a_missing_entry(
    db: Any, app: Any, database_url: str, region: Region, tmp_path: Path
) -> None:
    place = await make_org(db, OrgKind.SCHOOL, region.district, f"Tamper School {uuid.uuid4().hex[:4]}")
    await _fill(db, place, 4)
    seqs = _seqs(database_url, place.schema)
    assert len(seqs) == 5
    first = psql(database_url, f"SELECT prev_hash FROM {place.schema}.audit_log ORDER BY seq LIMIT 1")
    assert first == [(GENESIS,)]

    intact = metodist(database_url, "audit", "verify", place.schema, data_dir=tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert (
        intact.stdout.strip().splitlines()[-1]
        == f"{place.schema}: OK: 5 entries, chain intact, anchored up to seq {seqs[-1]}"
    )

    # An edit: the entry's own hash no longer matches its content.
    _as_superuser_without_trigger(
        database_url,
        place.schema,
        f"UPDATE {place.schema}.audit_log SET after = jsonb_set(after, '{{name}}', '\"Forged\"') WHERE seq = {seqs[2]}",
    )
    edited = metodist(database_url, "audit", "verify", place.schema, data_dir=tmp_path)
    assert edited.returncode == 1
    assert edited.stdout.strip().splitlines()[-1] == (
        f"{place.schema}: BROKEN at seq {seqs[2]}: hash does not match the entry's content (the entry was edited)"
    )

    # A deletion (after restoring nothing): the next entry's link points at a missing one. The
    # command is found by BIN as well as by schema.
    place2 = await make_org(db, OrgKind.SCHOOL, region.district, f"Gap School {uuid.uuid4().hex[:4]}")
    await _fill(db, place2, 3)
    seqs2 = _seqs(database_url, place2.schema)
    _as_superuser_without_trigger(
        database_url, place2.schema, f"DELETE FROM {place2.schema}.audit_log WHERE seq = {seqs2[1]}"
    )
    bin_ = psql(database_url, "SELECT bin FROM public.organisation WHERE id = %s", (place2.id,))[0][0]
    gap = metodist(database_url, "audit", "verify", bin_, data_dir=tmp_path)
    assert gap.returncode == 1
    assert f"BROKEN at seq {seqs2[2]}: prev_hash does not match" in gap.stdout

    unknown = metodist(database_url, "audit", "verify", "t_nothing_here", data_dir=tmp_path)
    assert unknown.returncode != 0 and "No organisation has the schema or BIN t_nothing_here" in unknown.stderr


async def test_a_refused_change_writes_no_audit_entry(db: Any, region: Region) -> None:
    from api.errors import DomainError

    place = region.university
    async with db.tenant_context(place.schema) as session:
        before = (await verify(session)).entries
    with pytest.raises(DomainError):
        async with db.tenant_context(place.schema) as session:
            units = UnitService(context_of(place, session, admin_of(place)))
            await units.create(UnitCreate("Institute", UnitKind.INSTITUTE))
            await units.create(UnitCreate("Association", UnitKind.ASSOCIATION))  # not a university unit
    async with db.tenant_context(place.schema) as session:
        after = await verify(session)
    assert after.ok and after.entries == before  # the first create was rolled back with the refusal
