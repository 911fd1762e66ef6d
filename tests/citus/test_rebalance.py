"""Growing the cluster: a worker added, the tenants rebalanced onto it (`citus_rebalance_start`), one
tenant's schema moved to a chosen node (`citus_schema_move`), and the worker drained and removed
again; each tenant answers and keeps its data and audit chain throughout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.domain.organisations.provisioning import provision_organisation
from tests.citus.conftest import cluster
from tests.citus.test_tenancy import _fill, local_tables, placement
from tests.structure.conftest import Place
from tests.tenancy.helpers import metodist, psql, register_organisation

TENANTS = 6


async def _tenants(db: Any, n: int) -> list[Place]:
    places = []
    for _ in range(n):
        org = await register_organisation(db)
        assert await provision_organisation(db, org.id) == "active"
        places.append(Place(org.id, org.schema_name, org.kind, org.territory_id, org.name_ru))
    return places


def _units(url: str, schema: str) -> int:
    return psql(url, f"SELECT count(*) FROM {schema}.unit")[0][0]


def _spread(url: str, schemas: list[str]) -> dict[str, int]:
    where: dict[str, int] = {}
    for schema in schemas:
        ports = placement(url, schema)
        assert len(ports) == 1, f"{schema} is split over {ports}: a schema's tables must stay together"
        where[schema] = ports.pop()
    return where


async def test_a_new_worker_takes_tenants_by_rebalancing_and_one_tenant_moves_by_hand(
    db: Any, app: Any, database_url: str, tmp_path: Path
) -> None:
    places = await _tenants(db, TENANTS)
    schemas = [p.schema for p in places]
    for number, place in enumerate(places):
        await _fill(db, place, number + 1)
    units = {s: _units(database_url, s) for s in schemas}
    before = _spread(database_url, schemas)
    assert set(before.values()) <= {9701, 9702}

    added = cluster("add-worker").splitlines()[-1]
    new_port = int(added.rsplit(":", 1)[1])
    try:
        assert psql(
            database_url, "SELECT count(*) FROM pg_dist_node WHERE nodeport = %s AND isactive", (new_port,)
        ) == [(1,)]
        # Rebalancing runs in the background on the coordinator; wait for it here.
        psql(database_url, "SELECT citus_rebalance_start(shard_transfer_mode => 'block_writes')")
        psql(database_url, "SELECT citus_rebalance_wait()")
        after = _spread(database_url, list(_all_tenant_schemas(database_url)))
        per_node: dict[int, int] = {}
        for port in after.values():
            per_node[port] = per_node.get(port, 0) + 1
        assert per_node.get(new_port, 0) >= 1, per_node
        # Balanced: no worker holds more than one schema above any other.
        assert max(per_node.values()) - min(per_node.values()) <= 1, per_node
        for schema in schemas:
            assert _units(database_url, schema) == units[schema], schema

        # One tenant moved by hand to a node of our choice (say, a large university to its own machine).
        mover = schemas[0]
        source = placement(database_url, mover).pop()
        target = next(p for p in (9701, 9702, new_port) if p != source)
        psql(
            database_url,
            "SELECT citus_schema_move(%s::regnamespace, '127.0.0.1', %s, shard_transfer_mode => 'block_writes')",
            (mover, target),
        )
        assert placement(database_url, mover) == {target}
        assert local_tables(database_url, mover) > 30
        assert _units(database_url, mover) == units[mover]
        # It takes writes where it now is, and its audit chain still holds.
        await _fill(db, places[0], 1)
        assert _units(database_url, mover) == units[mover] + 1
        verified = metodist(database_url, "audit", "verify", mover, data_dir=tmp_path)
        assert verified.returncode == 0 and "chain intact" in verified.stdout, verified.stdout + verified.stderr
    finally:
        # Drained back onto the two workers and removed, so later runs find the cluster as it was.
        cluster("remove-worker", str(new_port))
    assert psql(database_url, "SELECT count(*) FROM pg_dist_node WHERE nodeport = %s", (new_port,)) == [(0,)]
    final = _spread(database_url, schemas)
    assert set(final.values()) <= {9701, 9702}
    for schema in schemas[1:]:
        assert _units(database_url, schema) == units[schema]


def _all_tenant_schemas(url: str) -> list[str]:
    return [r[0] for r in psql(url, "SELECT schema_name::text FROM citus_schemas ORDER BY 1")]
