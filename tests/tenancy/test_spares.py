"""Spare schemas built ahead of demand: claimed by new organisations, rebuilt, replaced after a deploy."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from sqlalchemy import select, text

from api.domain.organisations.provisioning import provision_organisation
from api.settings import Settings
from migrations.runner import TENANT_DIR, head_revision
from tenants.provisioning import create_schema, ensure_schema
from tenants.spares import SPARE_PREFIX, SpareCount, build_spare, count_spares, replenish
from tests.support import school_payload, territory_id, wait_for_status
from tests.tenancy.helpers import catalog, organisation, psql, register_organisation, schema_exists

pytestmark = pytest.mark.usefixtures("territories")


def _spares(url: str) -> list[str]:
    """Spare schemas as the server has them, checked against their rows."""
    schemas = [
        r[0] for r in psql(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_spare\\_%' ORDER BY 1")
    ]
    rows = [r[0] for r in psql(url, "SELECT name FROM public.spare_schema ORDER BY 1")]
    assert schemas == rows, "a spare schema without its row, or a row without its schema"
    return schemas


async def test_a_new_organisation_takes_a_spare_that_looks_as_if_built_for_it(scratch: Any) -> None:
    built = await replenish(scratch.db, 2)
    assert (built.built, built.dropped, built.at_head, built.busy) == (2, 0, 2, False)
    before = _spares(scratch.url)
    assert len(before) == 2 and all(name.startswith(SPARE_PREFIX) for name in before)
    org = await register_organisation(scratch.db)

    assert await ensure_schema(scratch.db, org.schema_name) == "claimed"

    after = _spares(scratch.url)
    assert len(after) == 1 and set(after) < set(before)
    assert (await count_spares(scratch.db)).at_head == 1
    # The same shape, version and triggers as a schema built for the organisation itself.
    reference = "t_reference_built"
    await create_schema(scratch.db, reference)
    assert catalog(scratch.url, org.schema_name) == catalog(scratch.url, reference)
    assert catalog(scratch.url, org.schema_name).version == [(head_revision(TENANT_DIR),)]
    # And it works as the tenant's schema: written and read through tenant routing.
    from api.tenant_settings import Setting

    async with scratch.db.tenant_session(org.schema_name) as session, session.begin():
        session.add(Setting(key="claimed", value={"ok": True}))
    async with scratch.db.tenant_session(org.schema_name) as session:
        assert list(await session.scalars(select(Setting.key))) == ["claimed"]


async def test_with_no_spare_left_the_schema_is_built(scratch: Any) -> None:
    await replenish(scratch.db, 1)
    first, second = await register_organisation(scratch.db), await register_organisation(scratch.db)

    assert await provision_organisation(scratch.db, first.id) == "active"
    assert await provision_organisation(scratch.db, second.id) == "active"

    assert _spares(scratch.url) == []
    assert catalog(scratch.url, first.schema_name) == catalog(scratch.url, second.schema_name)
    for org in (first, second):
        assert (await organisation(scratch.db, org.id)).schema_version == head_revision(TENANT_DIR)


async def test_simultaneous_organisations_take_different_spares(scratch: Any) -> None:
    await replenish(scratch.db, 3)
    orgs = [await register_organisation(scratch.db) for _ in range(6)]

    actions = await asyncio.gather(*(ensure_schema(scratch.db, org.schema_name) for org in orgs))

    assert sorted(actions) == ["claimed"] * 3 + ["created"] * 3
    assert _spares(scratch.url) == []
    shapes = {org.schema_name: catalog(scratch.url, org.schema_name) for org in orgs}
    assert all(shape == shapes[orgs[0].schema_name] for shape in shapes.values())


async def test_spares_of_an_older_head_are_never_claimed_and_are_replaced(scratch: Any) -> None:
    await replenish(scratch.db, 2)
    old, kept = _spares(scratch.url)
    # A deploy moved the tenant head on: this spare was built for the previous one.
    psql(scratch.url, "UPDATE public.spare_schema SET version = 'previous0000' WHERE name = %s", (old,))
    assert await count_spares(scratch.db) == SpareCount(at_head=1, stale=1)
    first, second = await register_organisation(scratch.db), await register_organisation(scratch.db)

    assert await ensure_schema(scratch.db, first.schema_name) == "claimed"  # `kept`, at head
    assert await ensure_schema(scratch.db, second.schema_name) == "created"  # not the stale one
    assert _spares(scratch.url) == [old] and not schema_exists(scratch.url, kept)
    # As provisioning would record it (the replenisher waits while organisations wait).
    psql(scratch.url, "UPDATE public.organisation SET status = 'active'")

    done = await replenish(scratch.db, 2)

    assert (done.built, done.dropped, done.at_head) == (2, 1, 2)
    assert old not in _spares(scratch.url) and not schema_exists(scratch.url, old)
    assert len(_spares(scratch.url)) == 2


async def test_one_replenisher_at_a_time(scratch: Any) -> None:
    from tenants.spares import _REPLENISH_LOCK

    async with scratch.db.engine.connect() as other:
        assert (await other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _REPLENISH_LOCK})).scalar()
        await other.commit()
        busy = await replenish(scratch.db, 2)
        await other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _REPLENISH_LOCK})
        await other.commit()
    assert (busy.busy, busy.built) == (True, 0) and _spares(scratch.url) == []
    assert (await replenish(scratch.db, 1)).built == 1


async def test_a_spare_that_fails_to_build_leaves_neither_schema_nor_row(scratch: Any) -> None:
    psql(scratch.url, "ALTER TABLE public.spare_schema ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
    with pytest.raises(Exception, match="refuse_all"):
        await build_spare(scratch.db)
    assert _spares(scratch.url) == []


async def test_spares_from_the_command_line(scratch: Any, tmp_path: Any) -> None:
    from tests.tenancy.helpers import metodist

    built = metodist(scratch.url, "tenants", "spares", "--build", "2", data_dir=tmp_path)
    assert built.returncode == 0, built.stderr
    assert built.stdout.splitlines()[-2:] == [
        "built 2, dropped 0 of an older head",
        "2 spare schemas at head (0 of an older head); the worker keeps 50",
    ]
    refused = metodist(scratch.url, "tenants", "spares", "--build", "-1", data_dir=tmp_path)
    assert refused.returncode == 2 and "--build" in refused.stderr and "must be 0 or more" in refused.stderr
    assert len(_spares(scratch.url)) == 2


async def test_the_worker_keeps_the_spares_built_as_organisations_take_them(settings: Settings, scratch: Any) -> None:
    """On a database of its own, so its queue too: on the shared test database (and its PostgreSQL
    queue, without REDIS_URL) the session's worker, which keeps no spares, took the replenishing
    jobs and built nothing, and organisations other tests left waiting made the replenisher yield."""
    from tests.identity.access.principals import issue_at_republic
    from tests.tenancy.test_api_provisioning import running_app

    spared = dataclasses.replace(settings, database_url=scratch.url, redis_url=None, tenant_spares=2)
    headers = {"authorization": f"Bearer {await issue_at_republic(scratch.db, 'national_admin', name='spares')}"}
    async with running_app(spared, scratch.url, headers) as running:
        # Built at the worker's start.
        await _wait_for(lambda: _count_at_head(scratch.db), 2, timeout=60)
        taken = set(_spares(scratch.url))
        region = await territory_id(running.client, "karaganda")
        created = await running.client.post(
            "/api/organisations", json=school_payload(region, kind="college", levels=["technical_vocational"])
        )
        assert created.status_code == 202, created.text
        final = await wait_for_status(running.client, created.json()["id"], {"active", "failed"}, timeout=60)
        assert final["status"] == "active", final
        # It got one of the spares, and the worker built a new one in its place.
        await _wait_for(lambda: _count_at_head(scratch.db), 2, timeout=60)
        assert len(taken - set(_spares(scratch.url))) == 1
        assert catalog(scratch.url, created.json()["schema_name"]).version == [(head_revision(TENANT_DIR),)]


async def _count_at_head(db: Any) -> int:
    return (await count_spares(db)).at_head


async def _wait_for(read: Any, expected: int, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await read()) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"{value} after {timeout}s, expected {expected}"
        await asyncio.sleep(0.1)


async def test_a_spare_dropped_by_hand_is_passed_over(scratch: Any) -> None:
    await replenish(scratch.db, 2)
    # The one a claim would take first; its row stays behind.
    [(gone,), (kept,)] = psql(scratch.url, "SELECT name FROM public.spare_schema ORDER BY created_at")
    psql(scratch.url, f"DROP SCHEMA {gone} CASCADE")
    org = await register_organisation(scratch.db)

    assert await ensure_schema(scratch.db, org.schema_name) == "claimed"

    assert psql(scratch.url, "SELECT name FROM public.spare_schema") == [] and not schema_exists(scratch.url, kept)
    assert catalog(scratch.url, org.schema_name).version == [(head_revision(TENANT_DIR),)]


async def test_the_replenisher_waits_while_organisations_wait_for_their_schemas(scratch: Any) -> None:
    waiting = await register_organisation(scratch.db)  # status provisioning, its job not run yet

    held = await replenish(scratch.db, 2)

    assert (held.built, held.yielded, _spares(scratch.url)) == (0, True, [])
    # Once it has its schema, the spares are built.
    assert await provision_organisation(scratch.db, waiting.id) == "active"
    done = await replenish(scratch.db, 2)
    assert (done.built, done.yielded, len(_spares(scratch.url))) == (2, False, 2)
    # One stuck in provisioning for long (its job lost) no longer holds the spares back.
    stuck = await register_organisation(scratch.db)
    psql(
        scratch.url,
        "UPDATE public.organisation SET updated_at = now() - interval '11 minutes' WHERE id = %s",
        (stuck.id,),
    )
    assert (await replenish(scratch.db, 3)).built == 1


async def test_an_operator_builds_spares_even_while_organisations_wait(scratch: Any) -> None:
    await register_organisation(scratch.db)

    done = await replenish(scratch.db, 1, yield_to_provisioning=False)

    assert (done.built, done.yielded) == (1, False)
