"""The audit chain anchored outside the tenant's schema (api.audit_anchor).

Before anchors, someone with write access to the log (its owner, or anyone who could set
`session_replication_role = replica`) could edit an entry and recompute every later hash, or
delete the last entries, and `verify` said OK. Each test here does exactly that, as a superuser,
and fails without the anchors: verify must name the break.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from api.audit import AuditEntry, _hashed_fields, entry_hash, verify
from api.audit_anchor import AuditAnchor
from api.domain.organisations.rules import OrgKind
from tests.structure.conftest import Region, make_org
from tests.structure.test_audit import _fill
from tests.tenancy.helpers import metodist, psql


async def _place(db: Any, region: Region, entries: int) -> Any:
    place = await make_org(db, OrgKind.SCHOOL, region.district, f"Anchor School {uuid.uuid4().hex[:4]}")
    await _fill(db, place, entries - 1)
    return place


async def _rewrite_from(db: Any, schema: str, seq: int) -> None:
    """The attack: triggers off for this session, one entry edited, every later hash recomputed,
    so that the chain on its own links up again."""
    async with db.tenant_context(schema) as session:
        await session.execute(text("SET LOCAL session_replication_role = replica"))
        rows = (await session.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq))).all()
        prev = rows[0].prev_hash
        for n, row in enumerate(rows):
            if n == 0:
                row.after = {**(row.after or {}), "name": "Forged"}
            row.prev_hash = prev
            row.hash = entry_hash(prev, _hashed_fields(row))
            prev = row.hash
        await session.flush()


async def test_verify_is_ok_and_anchored_on_an_intact_chain(db: Any, region: Region) -> None:
    place = await _place(db, region, 3)
    async with db.tenant_context(place.schema) as session:
        report = await verify(session)
        last = await session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
        anchors = (await session.scalars(select(AuditAnchor).where(AuditAnchor.chain == place.schema))).all()
    assert report.ok and report.entries == 3 and report.anchored_seq == last
    assert len(anchors) == 3 and all(len(a.mac) == 64 for a in anchors)


async def test_a_rewritten_chain_with_recomputed_hashes_is_caught(db: Any, database_url: str, region: Region) -> None:
    place = await _place(db, region, 4)
    seqs = [r[0] for r in psql(database_url, f"SELECT seq FROM {place.schema}.audit_log ORDER BY seq")]
    await _rewrite_from(db, place.schema, seqs[1])
    async with db.tenant_context(place.schema) as session:
        # The chain itself links up: only the anchor can tell.
        rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
        assert all(entry_hash(r.prev_hash, _hashed_fields(r)) == r.hash for r in rows)
        report = await verify(session)
    assert not report.ok and report.broken_seq == seqs[1]
    assert "differs from its anchor" in (report.reason or "")


async def test_deleting_the_last_entries_is_caught(db: Any, database_url: str, region: Region, tmp_path: Path) -> None:
    place = await _place(db, region, 3)
    seqs = [r[0] for r in psql(database_url, f"SELECT seq FROM {place.schema}.audit_log ORDER BY seq")]
    psql(
        database_url,
        f"BEGIN; SET LOCAL session_replication_role = replica; "
        f"DELETE FROM {place.schema}.audit_log WHERE seq = {seqs[-1]}; COMMIT",
    )
    async with db.tenant_context(place.schema) as session:
        report = await verify(session)
    assert not report.ok and report.broken_seq == seqs[-1]
    assert (
        f"the anchored head is seq {seqs[-1]} but the chain ends at {seqs[-2]} (entries were deleted)" == report.reason
    )
    done = metodist(database_url, "audit", "verify", place.schema, data_dir=tmp_path)
    assert done.returncode == 1 and "entries were deleted" in done.stdout


async def test_a_forged_anchor_or_an_entry_written_around_the_app_is_caught(
    db: Any, database_url: str, region: Region
) -> None:
    place = await _place(db, region, 2)
    seqs = [r[0] for r in psql(database_url, f"SELECT seq FROM {place.schema}.audit_log ORDER BY seq")]
    # An entry appended with correct links but not through the application: it has no anchor.
    async with db.tenant_context(place.schema) as session:
        last = await session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
        extra = AuditEntry(
            id=uuid.uuid4(),
            actor_id=None,
            token_id=None,
            action="unit.create",
            entity="unit",
            entity_id="x",
            before=None,
            after={"name": "Ghost"},
            created_at=last.created_at,
        )
        extra.prev_hash = last.hash
        extra.hash = entry_hash(last.hash, _hashed_fields(extra))
        session.add(extra)
    async with db.tenant_context(place.schema) as session:
        report = await verify(session)
    assert not report.ok and "past the anchored head" in (report.reason or "")

    # An anchor moved to match a rewrite: its signature no longer holds.
    place2 = await _place(db, region, 2)
    psql(
        database_url,
        "UPDATE public.audit_anchor SET hash = repeat('0', 64) WHERE chain = %s AND seq = "
        "(SELECT max(seq) FROM public.audit_anchor WHERE chain = %s)",
        (place2.schema, place2.schema),
    )
    async with db.tenant_context(place2.schema) as session:
        report = await verify(session)
    assert not report.ok and "signature does not hold" in (report.reason or "")
    assert seqs  # the first place's entries were there before the ghost


async def test_the_identity_log_is_anchored_too(db: Any, database_url: str, app: Any) -> None:
    from api.identity import audit

    async with db.session() as session, session.begin():
        await audit.record(session, None, actor_kind="command", action="test.anchor", entity="test", entity_id="1")
        await audit.record(session, None, actor_kind="command", action="test.anchor", entity="test", entity_id="2")
    async with db.session() as session:
        assert (await audit.verify(session)).ok
    last = psql(database_url, "SELECT max(seq) FROM public.identity_audit_log")[0][0]
    psql(
        database_url,
        f"BEGIN; SET LOCAL session_replication_role = replica; "
        f"DELETE FROM public.identity_audit_log WHERE seq = {last}; COMMIT",
    )
    async with db.session() as session:
        report = await audit.verify(session)
    assert not report.ok and "entries were deleted" in (report.reason or "")
    # Put the head back as an anchor-consistent state for the rest of the run: the deleted entry's
    # anchor goes too (only the owner can; the application's role cannot, tests/tenancy/test_db_roles.py).
    psql(database_url, "DELETE FROM public.audit_anchor WHERE chain = 'identity' AND seq = %s", (last,))
    async with db.session() as session:
        assert (await audit.verify(session)).ok
