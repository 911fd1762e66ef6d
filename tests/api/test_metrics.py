"""/metrics after real requests and real jobs; who may read it; JSON logs with the request id.

The application runs with its in-process worker (the session `app`); figures are read back with
prometheus-client's own parser, so a renamed metric or a lost label fails here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from api.logs import configure_logging
from api.settings import Settings
from tests.support import AsgiLifespan, school_payload, scratch_database, territory_id, wait_for_status


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def matching(found: dict[Any, float], name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    return sum(v for (n, ls), v in found.items() if n == name and set(labels.items()) <= set(ls))


async def scrape(client: httpx.AsyncClient) -> dict[Any, float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The application's log lines as the server writes them, one JSON object each."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False


@pytest.fixture(scope="module")
async def own_client(settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The application on a database of its own, for the tests that register organisations: the
    shared database's organisations are what other modules' tests (schemathesis's workflows) draw on."""
    from api.asgi import create_app
    from api.bootstrap import load_territories
    from api.db import Database, create_engine
    from tests.identity.access.principals import issue_at_republic

    with scratch_database(database_url, prefix="metodist_metrics") as url:
        own = dataclasses.replace(settings, database_url=url)
        db = Database(create_engine(own, url))
        try:
            await load_territories(db, own)
            secret = await issue_at_republic(db, "national_admin", name="metrics test client")
            async with AsgiLifespan(create_app(own, url)) as app:
                transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://testserver", headers={"authorization": f"Bearer {secret}"}
                ) as client:
                    yield client
        finally:
            await db.dispose()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


async def test_requests_are_timed_by_route_template_and_status(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    missing = uuid.uuid4()
    assert (await client.get("/api/health")).status_code == 200
    assert (await client.get(f"/api/organisations/{missing}")).status_code == 404
    assert (await client.get(f"/api/organisations/{uuid.uuid4()}")).status_code == 404
    after = await scrape(client)

    health = {"app_name": "api", "method": "GET", "path": "/api/health", "status_code": "200"}
    assert value(after, "metodist_requests_total", **health) == value(before, "metodist_requests_total", **health) + 1
    # Two different organisations, one series: the template, never the raw path.
    one = {"app_name": "api", "method": "GET", "path": "/api/organisations/{organisation_id}", "status_code": "404"}
    assert value(after, "metodist_requests_total", **one) == value(before, "metodist_requests_total", **one) + 2
    assert not any(str(missing) in str(labels) for (_, labels) in after)
    assert value(after, "metodist_request_duration_seconds_count", **one) >= 2
    # The pool the requests used, read at the scrape.
    assert value(after, "metodist_db_pool_connections", state="size") > 0


async def test_a_web_page_is_timed_under_the_web_app(client: httpx.AsyncClient) -> None:
    await client.get("/sign-in")
    found = await scrape(client)
    assert matching(found, "metodist_requests_total", app_name="web", path="/sign-in") >= 1


async def test_provisioning_jobs_and_spares_after_a_real_job(own_client: httpx.AsyncClient) -> None:
    client = own_client
    before = await scrape(client)
    region = await territory_id(client, "karaganda")
    created = await client.post(
        "/api/organisations", json=school_payload(region, kind="college", levels=["technical_vocational"])
    )
    assert created.status_code == 202, created.text
    await wait_for_status(client, created.json()["id"], {"active"})
    after = await scrape(client)

    provisioned = matching(after, "metodist_provisioning_total", outcome="active")
    assert provisioned == matching(before, "metodist_provisioning_total", outcome="active") + 1
    jobs = matching(after, "metodist_job_duration_seconds_count", function="provision_job", outcome="complete")
    assert (
        jobs
        >= matching(before, "metodist_job_duration_seconds_count", function="provision_job", outcome="complete") + 1
    )
    assert ("metodist_jobs", (("state", "queued"),)) in after
    assert ("metodist_spare_schemas", (("state", "at_head"),)) in after
    assert value(after, "metodist_organisations", status="active") >= 1


async def test_compliance_staleness_after_a_new_organisation(own_client: httpx.AsyncClient) -> None:
    """A new organisation's findings are computed in the background: it shows as unchecked until
    then, and the age of the oldest computation is a scrape away."""
    client = own_client
    region = await territory_id(client, "karaganda")
    created = await client.post(
        "/api/organisations", json=school_payload(region, kind="college", levels=["technical_vocational"])
    )
    assert created.status_code == 202, created.text
    await wait_for_status(client, created.json()["id"], {"active"})
    deadline = time.monotonic() + 60
    while True:
        found = await scrape(client)
        if value(found, "metodist_compliance_unchecked_organisations") == 0 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert value(found, "metodist_compliance_unchecked_organisations") == 0
    assert ("metodist_compliance_oldest_check_age_seconds", ()) in found
    assert 0 <= value(found, "metodist_compliance_oldest_check_age_seconds") < 3600


async def test_migration_runs_are_counted(client: httpx.AsyncClient, database_url: str) -> None:
    from tenants.migrate import migrate_all

    before = await scrape(client)
    migrate_all(database_url, progress=lambda _line: None, processes=False)
    after = await scrape(client)
    # The shared database may hold a schema another test left broken on purpose (then the run is
    # `failed`): one run counted, whichever its outcome.
    assert (
        matching(after, "metodist_tenant_migration_runs_total")
        == matching(before, "metodist_tenant_migration_runs_total") + 1
    )
    assert value(after, "metodist_tenant_migration_last_run_timestamp_seconds") > 0


async def test_only_the_loopback_or_the_token_reads_metrics(app: Any) -> None:
    def from_(host: str, **headers: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(host, 40000))  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)

    async with from_("10.1.2.3") as outside:
        refused = await outside.get("/metrics")
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("Metrics are served")
    assert "metodist_" not in refused.text
    # Through the proxy the socket is the loopback, but the request came from outside.
    async with from_("127.0.0.1", **{"x-forwarded-for": "203.0.113.9"}) as proxied:
        assert (await proxied.get("/metrics")).status_code == 403

    state = app.api.state
    original = state.settings
    state.settings = dataclasses.replace(original, metrics_token="s3cret-scrape-token")
    try:
        async with from_("10.1.2.3", authorization="Bearer s3cret-scrape-token") as scraper:
            assert (await scraper.get("/metrics")).status_code == 200
        async with from_("10.1.2.3", authorization="Bearer wrong-token") as guesser:
            assert (await guesser.get("/metrics")).status_code == 403
    finally:
        state.settings = original


async def test_one_json_access_line_per_request_with_the_proxys_request_id(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    answer = await client.get("/api/health", headers={"x-request-id": "edge-7f3a-0001"})
    assert answer.headers["x-request-id"] == "edge-7f3a-0001"
    access = [entry for entry in lines(json_logs) if entry.get("event") == "request"]
    assert len(access) == 1, access
    entry = access[0]
    assert entry["request_id"] == "edge-7f3a-0001"
    assert entry["method"] == "GET" and entry["path"] == "/api/health" and entry["route"] == "/api/health"
    assert entry["status"] == 200 and entry["duration_ms"] >= 0 and entry["level"] == "info"
    assert "timestamp" in entry


async def test_a_request_id_that_is_not_a_plain_token_is_replaced(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    answer = await client.get("/api/health", headers={"x-request-id": 'x" injected="1'})
    made = answer.headers["x-request-id"]
    assert made != 'x" injected="1' and len(made) == 32 and made.isalnum()
    assert [e["request_id"] for e in lines(json_logs) if e.get("event") == "request"] == [made]
    # None sent: one is made.
    assert len((await client.get("/api/health")).headers["x-request-id"]) == 32


async def test_the_request_id_reaches_the_job_it_queued(own_client: httpx.AsyncClient, json_logs: io.StringIO) -> None:
    client = own_client
    region = await territory_id(client, "karaganda")
    request_id = f"req-{uuid.uuid4().hex}"
    created = await client.post(
        "/api/organisations",
        json=school_payload(region, kind="college", levels=["technical_vocational"]),
        headers={"x-request-id": request_id},
    )
    assert created.status_code == 202
    await wait_for_status(client, created.json()["id"], {"active"})
    mine = [e for e in lines(json_logs) if e.get("request_id") == request_id]
    events = {e["event"] for e in mine}
    # The request's own line, the job's line, and what the job logged while it ran.
    assert {"request", "provisioned", "job"} <= events, mine
    job_line = next(e for e in mine if e["event"] == "job")
    assert job_line["function"] == "provision_job" and job_line["outcome"] == "complete"


async def test_a_page_is_one_line_in_the_log_whatever_it_asks_the_api(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    answer = await client.get("/organisations", headers={"x-request-id": "page-0001"})
    assert answer.status_code == 200
    raw = [line for line in json_logs.getvalue().splitlines() if line.strip()]
    assert all(line.startswith("{") for line in raw), raw
    entries = lines(json_logs)
    assert not [e for e in entries if e.get("logger") == "httpx"], entries
    assert [e["path"] for e in entries if e.get("event") == "request"] == ["/organisations"], entries
