"""A review round end to end on the cluster: a university's working curriculum through its whole
route of cl. 19 (commission, department, unit councils, the methodological office, all councils,
the head's approval), with a return and the new version's second pass, out-of-order and wrong-person
refusals, and the audit entries of every decision, in a distributed schema. The flow is the one of
tests/reviews/test_service_flow.py, run here with the cluster's fixtures."""

from __future__ import annotations

from typing import Any

from tests.reviews.conftest import district_id, store, uni, uni_desk  # noqa: F401 - fixtures, on the cluster
from tests.reviews.test_service_flow import test_working_curriculum_route_in_a_university as _review_round


async def test_a_review_round_on_the_cluster(uni_desk: Any, uni: Any, db: Any, database_url: str) -> None:
    from tests.citus.test_tenancy import distributed_tables, local_tables, placement

    assert distributed_tables(database_url, uni.schema) == local_tables(database_url, uni.schema)
    assert len(placement(database_url, uni.schema)) == 1
    await _review_round(uni_desk, uni, db)
