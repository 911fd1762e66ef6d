"""A demo data set: the Karaganda region with about a hundred organisations of every kind, each
furnished with staff, bodies and a term's work, and checked for compliance at once.

`region` says which organisations there are and what each lacks; `facts` furnishes an
organisation's structure and `work` the work done in it, through the domain services; `users`
are the accounts development sign-in offers, linked to their staff records.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import today
from api.db import Database
from api.demo.facts import Furnished, Place, furnish
from api.demo.region import DISTRICTS, NAMED_ORGS, REGION, DemoOrg, Gap, generated_orgs
from api.demo.users import DEMO_USERS, STAFF_ROLES, DemoUser, posts_of
from api.demo.work import Work, inter_school
from api.domain.accounts.models import RoleAssignment, User
from api.domain.organisations.models import Organisation
from api.domain.organisations.provisioning import provision_organisation
from api.domain.organisations.rules import OrgKind, make_bin
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from api.domain.territories.models import Territory
from api.domain.territories.services import TerritoryService
from api.identity.dev import DEV_ISSUER
from api.roles import Role
from api.tenancy import Tenant

__all__ = [
    "DEMO_ORGS",
    "DEMO_USERS",
    "DemoOrg",
    "DemoUser",
    "Gap",
    "create_demo_organisation",
    "demo_bin",
    "demo_places",
    "load_demo",
    "load_demo_users",
]

# The named organisations first: their BINs are what other code and the tests know them by.
DEMO_ORGS = NAMED_ORGS + generated_orgs()

Progress = Callable[[str], None]
DISTRICT_CABINETS = (OrgKind.CABINET_DISTRICT, OrgKind.CABINET_CITY)
# Organisations furnished at once: while one waits for the database another runs its Python.
# On a 2-core machine, one at a time took about a sixth longer; the Python side is the limit.
CONCURRENCY = 3


class Steps:
    """Runs one step for each organisation, a few at a time, and tells `[i/n] …` as they finish."""

    def __init__(self, n: int, say: Progress) -> None:
        self.n, self.say, self.done = n, say, 0

    async def run(self, items: list[Any], step: Callable[[Any], Awaitable[Any]], what: str, every: int = 1) -> None:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(item: Any) -> None:
            async with gate:
                await step(item)
            self.done += 1
            if self.done % every == 0 or self.done == self.n:
                name = item[0].name_en if every == 1 else ""
                self.say(f"[{self.done}/{self.n}] {what}{': ' + name if name else ''}")

        try:
            async with asyncio.TaskGroup() as group:  # one failing stops the others
                for item in items:
                    group.create_task(one(item))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None


def demo_bin(serial: str) -> str:
    bin_ = make_bin(serial)
    assert bin_ is not None, f"no valid check digit for {serial}"
    return bin_


async def _staff_of(db: Database, schema: str, email: str) -> Any:
    from api.domain.structure.models import Staff

    async with db.tenant_session(schema) as session:
        return await session.scalar(select(Staff).where(Staff.email == email, Staff.archived_at.is_(None)))


async def _link_staff(db: Database, org: Organisation, demo: DemoUser, user_id: UUID) -> UUID | None:
    """Links the user to the staff record furnished for them; returns the unit they head, if any."""
    from api.access import Grant
    from api.context import Caller, TenantContext
    from api.domain.structure.schemas import StaffUpdate
    from api.domain.structure.staff import StaffService

    staff = await _staff_of(db, org.schema_name, demo.email)
    if staff is None:
        return None
    if staff.user_id is None:
        admin = Caller(None, (Grant(Role.ORGANISATION_ADMIN, organisation_id=org.id),))
        tenant = Tenant(org.id, org.schema_name, OrgKind(org.kind), org.territory_id)
        async with db.tenant_context(org.schema_name) as session:
            await StaffService(TenantContext.of(tenant, session, admin)).update(staff.id, StaffUpdate(user_id=user_id))
    return staff.heads_unit_id if demo.role is Role.UNIT_HEAD else None


async def load_demo_users(db: Database) -> int:
    """Adds the demo users that are missing, with their roles, and links every demo user who works
    in an organisation to their staff record — those added before too, so that a data set whose
    users came before their records (or were unlinked) has them linked now: without it the demo
    teacher is nobody's author and cannot create a document. Returns how many users were added."""
    added = 0
    for demo in DEMO_USERS:
        async with db.session() as session:
            user_id = await session.scalar(
                select(User.id).where(User.issuer == DEV_ISSUER, User.subject == demo.subject)
            )
            territory_id = org = None
            if demo.territory:
                territory_id = await session.scalar(select(Territory.id).where(Territory.slug == demo.territory))
            if demo.organisation:
                org = await session.scalar(select(Organisation).where(Organisation.bin == demo_bin(demo.organisation)))
        if territory_id is None and org is None:
            continue  # the demo organisation or territory is not there
        new = user_id is None
        if new:
            async with db.session() as session, session.begin():
                user = User(
                    issuer=DEV_ISSUER,
                    subject=demo.subject,
                    email=demo.email,
                    full_name=demo.full_name,
                    email_verified=True,
                )
                session.add(user)
                await session.flush()
                user_id = user.id
        assert user_id is not None
        unit_id = await _link_staff(db, org, demo, user_id) if org is not None and demo.role in STAFF_ROLES else None
        if new:
            async with db.session() as session, session.begin():
                session.add(
                    RoleAssignment(
                        user_id=user_id,
                        role=demo.role.value,
                        territory_id=territory_id,
                        organisation_id=org.id if org else None,
                        unit_id=unit_id,
                    )
                )
            added += 1
    return added


async def demo_places(session: AsyncSession) -> dict[str, UUID]:
    """The demo's region and its districts (added when missing), by slug."""
    territories = TerritoryService(session)
    region = await territories.by_slug(REGION)
    for t in DISTRICTS:
        await territories.upsert(
            slug=t.slug, kind=t.kind, parent_id=region.id, name_kk=t.name_kk, name_ru=t.name_ru, name_en=t.name_en
        )
    return {t.slug: (await territories.by_slug(t.slug)).id for t in DISTRICTS} | {REGION: region.id}


async def create_demo_organisation(session: AsyncSession, demo: DemoOrg, places: dict[str, UUID]) -> Tenant:
    org = await OrganisationService(session).create(
        OrganisationCreate(
            kind=demo.kind,
            territory_id=places[demo.territory],
            bin=demo_bin(demo.serial),
            name_kk=demo.name_kk,
            name_ru=demo.name_ru,
            name_en=demo.name_en,
            levels=list(demo.levels),
        )
    )
    return Tenant(org.id, org.schema_name, demo.kind, org.territory_id)


async def _create_organisations(db: Database) -> list[tuple[DemoOrg, Tenant]]:
    async with db.session() as session, session.begin():
        places = await demo_places(session)
        return [(demo, await create_demo_organisation(session, demo, places)) for demo in DEMO_ORGS]


async def load_demo(db: Database, *, settings: Any = None, progress: Progress | None = None) -> int:
    """Creates the demo set once: skipped when any organisation exists. Returns how many were made.

    `progress` hears a line per step (`[i/n] …`): the first load takes a minute or two."""
    from api.domain.compliance.engine import ensure_default_rule_set, recompute
    from api.domain.documents.storage import build_file_store
    from api.settings import get_settings

    say = progress or (lambda line: None)
    async with db.session() as session:
        existing = bool(await session.scalar(select(func.count()).select_from(Organisation)))
    if existing:
        # A data set from before the demo users existed gets them now.
        await load_demo_users(db)
        return 0
    started = time.monotonic()
    store = build_file_store(settings or get_settings())
    created = await _create_organisations(db)
    n = len(created)
    steps = Steps(n, say)
    await steps.run(
        created, lambda pair: provision_organisation(db, pair[1].organisation_id), "schemas provisioned", every=10
    )
    schools: dict[UUID, list[Furnished]] = {}
    day = today()

    async def furnish_one(pair: tuple[DemoOrg, Tenant]) -> None:
        demo, tenant = pair
        async with db.tenant_context(tenant.schema) as session:
            place = Place(session, tenant, demo, day, posts_of(demo.serial))
            furnished = await furnish(place)
            await Work(place, furnished, store).run()
            if demo.kind is OrgKind.SCHOOL:
                schools.setdefault(tenant.territory_id, []).append(furnished)
            elif demo.kind in DISTRICT_CABINETS:
                await inter_school(place, schools.get(tenant.territory_id, []))

    # Schools before the district cabinets: a cabinet's inter-school associations gather their teachers.
    steps = Steps(n, say)
    await steps.run([p for p in created if p[0].kind not in DISTRICT_CABINETS], furnish_one, "furnished")
    await steps.run([p for p in created if p[0].kind in DISTRICT_CABINETS], furnish_one, "furnished")
    await load_demo_users(db)
    # Findings at once, rather than after the nightly pass.
    await ensure_default_rule_set(db)
    await Steps(n, say).run(
        created, lambda pair: recompute(db, pair[1].organisation_id), "checked for compliance", every=20
    )
    say(f"Demo data loaded in {time.monotonic() - started:.0f} s.")
    return n
