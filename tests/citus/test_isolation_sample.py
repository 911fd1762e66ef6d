"""A sample of the isolation matrix (tests/identity/access/test_isolation_matrix.py) on the cluster:
the same routes, callers and expected statuses, with school A, school B and the cabinet in
distributed schemas that may sit on different workers. Every fifth tenant-scoped route and every
route that writes, so reads and writes both cross the coordinator to the tenant's worker."""

from __future__ import annotations

from typing import Any

import pytest

from tests.identity.access import test_isolation_matrix as matrix
from tests.identity.access.conftest import World, world  # noqa: F401 - the fixture, on the cluster's app

targets = matrix.targets

_TENANT = [r for r in matrix.ROUTES if r.path.startswith("/api/organisations/{organisation_id")]
SAMPLE = sorted(
    {r.key: r for r in _TENANT[::5] + [r for r in _TENANT if r.method == "POST"][::3]}.values(), key=lambda r: r.key
)


def test_the_sample_spans_reads_and_writes() -> None:
    methods = {r.method for r in SAMPLE}
    assert {"GET", "POST"} <= methods and len(SAMPLE) >= 15, [r.key for r in SAMPLE]


async def test_the_tenants_sit_in_distributed_schemas(world: World, database_url: str) -> None:
    from tests.citus.test_tenancy import distributed_tables, local_tables

    for org in (world.a, world.b, world.cabinet):
        assert distributed_tables(database_url, org.schema_name) == local_tables(database_url, org.schema_name)


@pytest.mark.parametrize("route", SAMPLE, ids=[r.key for r in SAMPLE])
async def test_isolation_on_the_cluster(route: Any, app: Any, world: World, targets: Any) -> None:
    await matrix.test_isolation(route, app, world, targets)
