"""Staff of one organisation from a file: IIN check, subjects created as needed, units matched,
accounts linked by e-mail, re-import by IIN."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from api.audit import AuditEntry
from api.domain.accounts.models import User
from api.domain.organisations.models import Organisation
from api.domain.structure.models import Staff, StaffSubject, Subject
from tests.onboarding.files import (
    ORG_HEADER_RU,
    STAFF_HEADER_RU,
    Places,
    csv_bytes,
    new_bin,
    new_iin,
    school,
    xlsx_bytes,
)
from tests.onboarding.helpers import checked, rows, run_to_end, upload


async def _school(client: httpx.AsyncClient, db: Any) -> Organisation:
    bin_ = new_bin()
    report = await checked(client, csv_bytes(ORG_HEADER_RU, [school(bin_)]), "one.csv")
    done = await run_to_end(client, report["id"])
    assert done["done"] == 1
    async with db.session() as session:
        org = await session.scalar(select(Organisation).where(Organisation.bin == bin_))
    assert org is not None and org.status == "active"
    return org


async def test_roster_import_and_reimport(client: httpx.AsyncClient, db: Any, places: Places) -> None:
    org = await _school(client, db)
    base = f"/api/organisations/{org.id}"
    unit = await client.post(f"{base}/units", json={"name": "МО учителей математики", "kind": "association"})
    assert unit.status_code == 201, unit.text
    # Someone who has signed in already: linked by e-mail at once.
    email = f"t.{uuid.uuid4().hex[:8]}@school.kz"
    async with db.session() as session, session.begin():
        account = User(issuer="https://onboarding.invalid", subject=uuid.uuid4().hex, email=email, full_name="Т")
        session.add(account)
    iins = [new_iin() for _ in range(4)]
    bad_iin = iins[0][:11] + str((int(iins[0][11]) + 1) % 10)
    lines = [
        [
            iins[0],
            "Ахметова",
            "Айгүл",
            "Серікқызы",
            email,
            "учитель",
            "Математика; Астрономия",
            "МО учителей математики",
        ],
        [iins[1], "Иванов", "Пётр", "", "", "teacher, class_teacher", "Физика", ""],
        [iins[2], "Сейтқали", "Марат", "", "m@school.kz", "завуч", "", ""],
        [bad_iin, "Ошибка", "Чек", "", "", "teacher", "", ""],  # 5 check digit
        [iins[1], "Дубль", "Иван", "", "", "teacher", "", ""],  # 6 duplicate IIN
        [iins[3], "", "", "", "", "teacher", "", ""],  # 7 names missing
        [new_iin(), "Пилот", "Космос", "", "", "astronaut", "", ""],  # 8 unknown position
        [new_iin(), "Без", "Отдела", "", "", "teacher", "", "Кафедра химии"],  # 9 unknown unit
        [new_iin(), "Тот", "Же", "", "m@school.kz", "teacher", "", ""],  # 10 e-mail of line 4
    ]
    report = await checked(
        client, csv_bytes(STAFF_HEADER_RU, lines, sep="\t"), "staff.csv", path=f"{base}/imports/staff"
    )
    assert (report["kind"], report["total"], report["invalid"]) == ("staff", 9, 6)
    bad = {
        r["line"]: {i["column"] for i in r["issues"] if i["level"] == "error"}
        for r in await rows(client, report["id"], "invalid")
    }
    assert bad == {5: {"iin"}, 6: {"iin"}, 7: {"last_name", "first_name"}, 8: {"position"}, 9: {"unit"}, 10: {"email"}}
    warned = [i for r in await rows(client, report["id"], "pending") for i in r["issues"]]
    assert any("Астрономия" in i["message"] for i in warned)  # a new subject, said before it is made
    done = await run_to_end(client, report["id"])
    assert (done["status"], done["done"], done["created"]) == ("done", 3, 3)
    async with db.tenant_context(org.schema_name) as tenant:
        people = {p.iin: p for p in (await tenant.scalars(select(Staff))).all()}
        assert set(people) == set(iins[:3])
        assert people[iins[0]].user_id == account.id
        assert people[iins[0]].unit_id is not None and people[iins[0]].full_name == "Ахметова Айгүл Серікқызы"
        assert sorted(people[iins[1]].positions) == ["class_teacher", "teacher"]
        assert people[iins[2]].positions == ["deputy_head"]
        astronomy = await tenant.scalar(select(Subject).where(Subject.name_ru == "Астрономия"))
        assert astronomy is not None
        taught = await tenant.scalar(
            select(func.count()).select_from(StaffSubject).where(StaffSubject.staff_id == people[iins[0]].id)
        )
        assert taught == 2
    # The corrected file as XLSX: names updated, nobody duplicated, nothing lost.
    lines[1][1] = "Иванов-Петров"
    lines[3] = [iins[3], "Новый", "Учитель", "", "", "teacher", "Математика", ""]
    again = await checked(client, xlsx_bytes(STAFF_HEADER_RU, lines[:4]), "staff.xlsx", path=f"{base}/imports/staff")
    plans = {r["key"]: r["plan"] for r in await rows(client, again["id"])}
    assert plans == {iins[0]: "unchanged", iins[1]: "update", iins[2]: "unchanged", iins[3]: "create"}
    done = await run_to_end(client, again["id"])
    assert (done["created"], done["updated"], done["unchanged"]) == (1, 1, 2)
    async with db.tenant_context(org.schema_name) as tenant:
        counts = dict((await tenant.execute(select(Staff.iin, func.count()).group_by(Staff.iin))).all())
        renamed = await tenant.scalar(select(Staff.full_name).where(Staff.iin == iins[1]))
        subjects = await tenant.scalar(select(func.count()).select_from(Subject).where(Subject.name_ru == "Астрономия"))
    assert counts == {iin: 1 for iin in iins} and renamed == "Иванов-Петров Пётр" and subjects == 1
    # Every change is in the organisation's audit log, its chain intact.
    from api.audit import verify

    async with db.tenant_context(org.schema_name) as tenant:
        chain = await verify(tenant)
        imported = await tenant.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "staff.import")
        )
    assert chain.ok, chain.describe()
    assert imported == 5  # 3 created, then 1 created and 1 updated


async def test_staff_import_refuses_bad_files_and_columns(client: httpx.AsyncClient, db: Any, places: Places) -> None:
    org = await _school(client, db)
    path = f"/api/organisations/{org.id}/imports/staff"
    no_names = await upload(client, csv_bytes(["ИИН", "E-mail"], [[new_iin(), "a@b.kz"]]), "s.csv", path=path)
    assert no_names.status_code == 422 and "full_name / last_name" in no_names.json()["message"]
    empty = await upload(client, b"", "s.csv", path=path)
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    unknown = await upload(
        client, b"x", "s.csv", path="/api/organisations/01890000-0000-7000-8000-000000000000/imports/staff"
    )
    assert unknown.status_code == 404


async def test_staff_are_linked_to_their_account_when_they_sign_in(
    client: httpx.AsyncClient, db: Any, places: Places
) -> None:
    from api.domain.accounts.models import RoleAssignment
    from api.domain.onboarding.services import link_staff_on_sign_in

    org = await _school(client, db)
    email = f"later.{uuid.uuid4().hex[:8]}@school.kz"
    iin = new_iin()
    report = await checked(
        client,
        csv_bytes(STAFF_HEADER_RU, [[iin, "Позже", "Вошла", "", email, "teacher", "", ""]]),
        "one.csv",
        path=f"/api/organisations/{org.id}/imports/staff",
    )
    await run_to_end(client, report["id"])
    async with db.session() as session, session.begin():
        unvouched = User(
            issuer="https://onboarding.invalid",
            subject=uuid.uuid4().hex,
            email=email,
            email_verified=False,
            full_name="X",
        )
        vouched = User(
            issuer="https://onboarding.invalid",
            subject=uuid.uuid4().hex,
            email=email,
            email_verified=True,
            full_name="Y",
        )
        session.add_all([unvouched, vouched])
        await session.flush()
        session.add_all(
            [RoleAssignment(user_id=u.id, role="teacher", organisation_id=org.id) for u in (unvouched, vouched)]
        )
    async with db.session() as session:
        # An address the sign-in service did not vouch for links nothing.
        assert await link_staff_on_sign_in(db, session, unvouched) == 0
        assert await link_staff_on_sign_in(db, session, vouched) == 1
        assert await link_staff_on_sign_in(db, session, vouched) == 0  # once
    async with db.tenant_context(org.schema_name) as tenant:
        assert await tenant.scalar(select(Staff.user_id).where(Staff.iin == iin)) == vouched.id
