"""schemathesis against the app's own OpenAPI document: every operation, anonymous and as a
national admin, valid and invalid input, over real HTTP to the app under uvicorn.

Every answer must be no server error, have a status the document declares for the operation,
the declared media type, and a body matching the declared schema (the one error format for
errors). Paths naming an organisation get a throw-away organisation made for this test (so the
admin's writes, archiving and suspending included, reach real tenant code and touch nothing
else), other identifiers are generated. Bounded and repeatable: a few examples per operation and
mode, derandomised (a fixed seed), no example database, no deadline (the machine is shared).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.openapi_doc import openapi_document
from api.settings import Settings
from tests.support import school_payload, territory_id, wait_for_status

EXAMPLES_PER_OPERATION = 5
STATEFUL_SCENARIOS = 40
# A repeated stateful run starts from this seed plus its number (reproducible).
STATEFUL_SEED = 583
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Operations that end the caller's own credentials or sessions: run last would not help, the
# caller would be anonymous for the rest of the run. Their refusals are tested where they live.
LIFECYCLE = {"suspend", "resume", "archive", "provision"}
SELF_ENDING = {("POST", "/api/auth/logout"), ("POST", "/api/auth/sessions/revoke-others")}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(settings: Settings, database_url: str) -> Iterator[str]:
    """The single-process app (API, web, worker) over HTTP on 127.0.0.1, in a thread of its own."""
    from api.asgi import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, database_url), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-schemathesis", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
async def throwaway(client: httpx.AsyncClient) -> str:
    """An organisation of each test's own: the runs suspend and archive it, so one shared by the
    tests left the next (in random order) meeting only 404."""
    region = await territory_id(client, "karaganda")
    payload = {**school_payload(region), "kind": "college", "levels": ["technical_vocational"]}
    created = (await client.post("/api/organisations", json=payload)).json()
    await wait_for_status(client, created["id"], {"active"})
    return str(created["id"])


def _lifecycle_last(operation: Any) -> bool:
    """Suspending, archiving or re-provisioning the throw-away organisation comes after everything
    else, which would otherwise meet only "the organisation is suspended"."""
    return operation.path.rsplit("/", 1)[-1] in LIFECYCLE


def _run(schema: Any, base_url: str, headers: dict[str, str], organisation_id: str) -> tuple[list[str], Counter[int]]:
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    session = requests.Session()
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_lifecycle_last)
    for operation in operations:
        if (operation.method.upper(), operation.path) in SELF_ENDING:
            continue
        fixed = {"organisation_id": organisation_id} if "{organisation_id}" in operation.path else None
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case: Any) -> None:
                response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseException as failure:  # schemathesis raises a group of every check that failed
                    if isinstance(failure, (KeyboardInterrupt, SystemExit)):
                        raise
                    label = f"{operation.method.upper()} {operation.path} [{mode.value}]"  # noqa: B023 - run in this iteration
                    if not any(f.startswith(label) for f in failures):  # the first failure of each is enough
                        failures.append(f"{label}: {str(failure)[:800]}")

            try:
                check()
            except Unsatisfiable:
                pass  # nothing of this operation can be made invalid (no parameters, no body)
    return failures, statuses


@pytest.mark.parametrize("caller", ["anonymous", "national_admin"])
def test_every_operation_keeps_to_the_document(
    server: str, throwaway: str, national_admin_headers: dict[str, str], caller: str
) -> None:
    schema = schemathesis.openapi.from_dict(openapi_document())
    headers = dict(national_admin_headers) if caller == "national_admin" else {}
    failures, statuses = _run(schema, server, headers, throwaway)
    operations = sum(1 for _ in schema.get_all_operations())
    calls = sum(statuses.values())
    print(
        f"schemathesis as {caller}: {operations} operations, {calls} calls, {len(failures)} failures, "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    assert operations > 150 and calls >= operations
    assert not failures, "\n".join(failures)
    # The run reached the code behind the guard: the admin is let in, the anonymous caller is not.
    succeeded = sum(n for status, n in statuses.items() if status < 400)
    if caller == "national_admin":
        # (401 only where a person is needed: an API token is no person, e.g. "my sessions")
        assert succeeded > operations // 2 and statuses[401] < calls // 20, statuses
    else:
        assert statuses[401] > calls // 2, statuses


def test_stateful_workflows_as_a_national_admin(
    server: str, throwaway: str, national_admin_headers: dict[str, str]
) -> None:
    """Sequences along the links schemathesis infers (an id one answer gives, the next call uses):
    create, then read, change and delete what was created. Every path naming an organisation is
    pointed at the throw-away one, so nothing the other tests use is changed."""
    schema = schemathesis.openapi.from_dict(openapi_document())
    base = schema.as_state_machine()
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    class Workflow(base):  # type: ignore[misc, valid-type]
        def before_call(self, case: Any) -> None:
            if case.path_parameters and "organisation_id" in case.path_parameters:
                case.path_parameters["organisation_id"] = throwaway
            # A claimed sign-in domain stays claimed (409 the next time the same example runs), so
            # its links would fill in one run and not the next: each claim gets a fresh subdomain.
            body = case.body if isinstance(case.body, dict) else None
            if (
                case.method == "POST"
                and case.path.endswith("/domains")
                and body
                and isinstance(body.get("domain"), str)
            ):
                body["domain"] = f"st{uuid.uuid4().hex[:8]}.{body['domain']}"

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": server, "headers": dict(national_admin_headers), "timeout": 30}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except BaseException as failure:  # a group of every check that failed
                if isinstance(failure, (KeyboardInterrupt, SystemExit)):
                    raise
                failures.append(f"{case.method} {case.path}: {str(failure)[:800]}")

    # Stateful generation against a live server: a step's precondition (the previous answer's
    # status) can come out differently when hypothesis replays a prefix after the server's data
    # changed, which it reports as FlakyStrategyDefinition — the generator's trouble, not the API's
    # (it showed in random test orders). Such a run starts again from the next fixed seed, at most
    # three times. An answer unlike the document or a server error is collected as it comes (above)
    # and fails the test after the run, whichever attempt saw it. The first run is derandomised, as
    # before; the others start from STATEFUL_SEED + n.
    for attempt in range(3):
        if attempt:
            Workflow._hypothesis_internal_use_seed = STATEFUL_SEED + attempt  # type: ignore[attr-defined]
        try:
            Workflow.run(
                settings=settings(
                    max_examples=STATEFUL_SCENARIOS,
                    stateful_step_count=6,
                    derandomize=not attempt,
                    database=None,
                    deadline=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
            break
        except FlakyStrategyDefinition:
            if attempt == 2:
                raise
    print(f"schemathesis stateful: {sum(statuses.values())} calls, statuses {dict(sorted(statuses.items()))}")
    assert not failures, "\n".join(failures)
    assert sum(statuses.values()) >= STATEFUL_SCENARIOS
