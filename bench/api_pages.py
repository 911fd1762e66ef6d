"""Pages of the web app against the API calls they make, for `bench/api.py` (issue 16: each page
at ≥ 0.5× the req/s of the slowest API call it makes).

Three pages, each as a signed-in person sees it:

- the organisation's page (`/organisations/{id}`, "The organisation" in its navigation), and
- the review inbox (`/organisations/{id}/reviews/inbox`), both as the methodological council's
  chair of the demo's Botakara school, furnished here the demo's way (staff, bodies, meetings,
  plans, documents on their review routes) with more documents waiting for the council;
- the compliance dashboard (`/compliance`) as the region's methodist, after every school of the
  run has been checked for compliance (the real check, so the rollups are real).

The sessions are made inside the product server (`/__bench/session`, bench/api_servers.py) as a
sign-in leaves them. Which API calls a page makes is not written down here: one traced request
(`X-Bench-Trace`) lists the calls the web app's client made for it, and each of those is then
timed under wrk with the same cookie, as the web app sends it.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from common import say

BOTAKARA = "07014000404"  # the demo school whose council chair reviews (api/demo/users.py)
EXTRA_DOCUMENTS = 5  # documents sent to the council besides the demo's one, for an inbox with work in it


@dataclass
class PagesWorld:
    school_id: UUID
    chair_id: UUID  # the council chair: the organisation's page and the inbox
    methodist_id: UUID  # the regional methodist: the compliance dashboard


async def seed_pages(db: Any, school_ids: list[UUID], files: Path) -> PagesWorld:
    """The demo's Botakara school furnished and at work, its demo users, and every school checked."""
    from sqlalchemy import select

    from api.clock import today
    from api.demo import DEMO_ORGS, create_demo_organisation, demo_places, load_demo_users
    from api.demo.facts import Place, furnish
    from api.demo.users import posts_of
    from api.demo.work import Work
    from api.domain.accounts.models import User
    from api.domain.compliance.engine import ensure_default_rule_set, recompute
    from api.domain.documents.rules import DocumentKind
    from api.domain.documents.storage import LocalFileStore
    from api.domain.organisations.provisioning import provision_organisation
    from api.identity.dev import DEV_ISSUER

    started = time.perf_counter()
    demo = next(o for o in DEMO_ORGS if o.serial == BOTAKARA)
    async with db.session() as session, session.begin():
        tenant = await create_demo_organisation(session, demo, await demo_places(session))
    if await provision_organisation(db, tenant.organisation_id) != "active":
        raise SystemExit("the demo school did not provision")
    async with db.tenant_context(tenant.schema) as session:
        place = Place(session, tenant, demo, today(), posts_of(demo.serial))
        furnished = await furnish(place)
        work = Work(place, furnished, LocalFileStore(files))
        await work.run()
        # More for the council: documents of the school's authors on the default route of their kind.
        for n in range(EXTRA_DOCUMENTS):
            author, subject = furnished.authors[n % len(furnished.authors)]
            await work.document(author, subject, DocumentKind.WORKING_PROGRAMME, f"Бағдарлама {n + 1}")
    await load_demo_users(db)
    async with db.session() as session:
        users = {
            subject: user_id
            for subject, user_id in (
                await session.execute(select(User.subject, User.id).where(User.issuer == DEV_ISSUER))
            ).all()
        }
    say(f"demo school furnished and its users added in {time.perf_counter() - started:.0f}s")

    started = time.perf_counter()
    await ensure_default_rule_set(db)
    gate = asyncio.Semaphore(4)

    async def check(organisation_id: UUID) -> None:
        async with gate:
            await recompute(db, organisation_id)

    await asyncio.gather(*(check(i) for i in [*school_ids, tenant.organisation_id]))
    say(f"{len(school_ids) + 1} schools checked for compliance in {time.perf_counter() - started:.0f}s")
    return PagesWorld(tenant.organisation_id, users["council-chair"], users["regional-methodist"])


def session_cookie(server: Any, user_id: UUID) -> str:
    """A browser session of the user, made inside the product server as a sign-in leaves it."""
    return server.get(f"/__bench/session?user_id={user_id}", {}).decode()


def traced_calls(server: Any, path: str, headers: dict[str, str]) -> tuple[bytes, list[str]]:
    """The page, once, and the API calls the web app made for it (GETs, with their query)."""
    body = server.get(path, {**headers, "X-Bench-Trace": "1"})
    calls = json.loads(server.get("/__bench/calls", {}))
    unsafe = [c for c in calls if c["method"] != "GET"]
    if unsafe:
        raise SystemExit(f"{path} made calls other than GET: {unsafe}")
    return body, [c["path"] for c in calls]


def measure_pages(server: Any, world: PagesWorld, load: Any, seconds: int, connections: int) -> dict[str, float]:
    """Each page and each API call it makes under wrk; page req/s over its slowest call's, by page."""
    chair = {"Cookie": session_cookie(server, world.chair_id), "Accept-Language": "kk"}
    methodist = {"Cookie": session_cookie(server, world.methodist_id), "Accept-Language": "kk"}
    pages = [
        ("org", f"/organisations/{world.school_id}", chair, 'id="org-panel"'),
        ("inbox", f"/organisations/{world.school_id}/reviews/inbox", chair, "inbox-item"),
        ("compliance", "/compliance", methodist, 'id="dashboard-panel"'),
    ]
    ratios: dict[str, float] = {}
    for name, path, headers, sign in pages:
        body, calls = traced_calls(server, path, headers)
        if sign.encode() not in body:
            raise SystemExit(f"{path} did not show what it should ({sign!r} is not in it)")
        if name == "inbox":
            items = body.count(b'<article class="inbox-item')
            say(f"inbox: {items} items waiting for the council chair")
        page_rps, page_p99, page_cpu = load(server, [path], headers, seconds, connections)
        say(f"page {name:10} {page_rps:8.1f} req/s  p99 {page_p99:7.1f} ms  CPU {page_cpu:5.2f} ms  {path}")
        timed: list[tuple[float, str]] = []
        for call in dict.fromkeys(calls):  # a call made twice for the page is timed once
            rps, p99, cpu = load(server, [call], headers, seconds, connections)
            timed.append((rps, call))
            say(f"  api {rps:8.1f} req/s  p99 {p99:7.1f} ms  CPU {cpu:5.2f} ms  {urllib.parse.unquote(call)}")
        slowest_rps, slowest = min(timed)
        ratios[name] = page_rps / slowest_rps
        say(
            f"page {name}: {page_rps:.1f} req/s, {len(calls)} API calls, the slowest "
            f"{urllib.parse.unquote(slowest)} {slowest_rps:.1f} req/s: ratio {ratios[name]:.2f}"
        )
    return ratios
