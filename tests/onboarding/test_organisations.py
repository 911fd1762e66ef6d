"""Organisations from a file over the API: the dry run's findings, the import, a re-import."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import make_bin
from tests.onboarding.files import ORG_HEADER_RU, Places, csv_bytes, new_bin, school, xlsx_bytes
from tests.onboarding.helpers import checked, rows, run_to_end, upload


async def _count(db: Any, bins: list[str]) -> dict[str, int]:
    async with db.session() as session:
        found = (
            await session.execute(
                select(Organisation.bin, func.count()).where(Organisation.bin.in_(bins)).group_by(Organisation.bin)
            )
        ).all()
    return dict(found)  # type: ignore[arg-type]


async def test_dry_run_reports_every_bad_row_with_line_and_column_and_writes_nothing(
    client: httpx.AsyncClient, db: Any, places: Places
) -> None:
    good = [new_bin() for _ in range(3)]
    wrong_check = new_bin()
    wrong_check = wrong_check[:11] + str((int(wrong_check[11]) + 1) % 10)
    registered = new_bin()
    created = await client.post(
        "/api/organisations",
        json={
            "kind": "college",
            "territory_id": str(places.karaganda),
            "bin": registered,
            "name_kk": "Колледж",
            "name_ru": "Колледж",
            "levels": ["technical_vocational"],
        },
    )
    assert created.status_code == 202, created.text
    lines = [
        school(good[0], n=1, email="head1@school.kz"),  # 2 good
        school(good[1], "Осакаровский район (тест)", n=2),  # 3 good (territory by its Russian name)
        school(wrong_check, n=3),  # 4 check digit
        school("7.01E+11", n=4),  # 5 exponent form
        school(good[0], n=5),  # 6 duplicate of line 2
        school(new_bin(), "atlantis", n=6),  # 7 unknown territory
        [new_bin(), "school", "onb-abay", "Мектеп", "Школа", "", "higher", ""],  # 8 levels contradict cl. 2
        [new_bin(), "school", "onb-abay", "", "", "", "primary", ""],  # 9 names missing
        [new_bin(), "spaceport", "onb-abay", "А", "Б", "", "", ""],  # 10 unknown kind
        school(new_bin(), "karaganda", n=10),  # 11 a school under a region
        [registered, "school", "onb-abay", "Мектеп", "Школа", "", "primary", ""],  # 12 kind differs from the registry
        school(new_bin(), n=12, email="not-an-address"),  # 13 bad e-mail
        school(good[2], n=13),  # 14 good
    ]
    report = await checked(client, csv_bytes(ORG_HEADER_RU, lines), "schools.csv")
    assert report["status"] == "checked"
    assert (report["total"], report["valid"], report["invalid"]) == (13, 3, 10)
    bad = {r["line"]: r for r in await rows(client, report["id"], "invalid")}
    assert sorted(bad) == list(range(4, 14))

    def columns(line: int) -> set[str]:
        return {i["column"] for i in bad[line]["issues"] if i["level"] == "error"}

    assert columns(4) == {"bin"} and "check digit" in bad[4]["issues"][0]["message"]
    assert columns(5) == {"bin"} and "exponent" in bad[5]["issues"][0]["message"]
    assert columns(6) == {"bin"} and "first on line 2" in bad[6]["issues"][0]["message"]
    assert columns(7) == {"territory"}
    assert columns(8) == {"levels"} and "cl. 2" in bad[8]["issues"][0]["message"]
    assert columns(9) == {"name_kk", "name_ru"}
    assert columns(10) == {"kind"}
    assert columns(11) == {"territory"}
    assert columns(12) == {"kind"}
    assert columns(13) == {"admin_email"}
    # In the reader's language.
    in_russian = {r["line"]: r for r in await rows(client, report["id"], "invalid", lang="ru")}
    assert in_russian[4]["issues"][0]["message"] != bad[4]["issues"][0]["message"]
    goods = await rows(client, report["id"], "pending")
    assert [(r["line"], r["plan"]) for r in goods] == [(2, "create"), (3, "create"), (14, "create")]
    # Nothing of the registry was written.
    assert await _count(db, good) == {}


async def test_import_then_reimport_is_idempotent_and_updates_names(
    client: httpx.AsyncClient, db: Any, places: Places
) -> None:
    bins = [new_bin() for _ in range(4)]
    zero = make_bin("00987654321")
    assert zero is not None
    bins.append(zero)
    lines = [school(b, n=i) for i, b in enumerate(bins)]
    lines[-1][0] = int(zero)  # a number cell that lost its leading zeros
    content = xlsx_bytes(ORG_HEADER_RU, lines)
    report = await checked(client, content, "schools.xlsx")
    assert report["invalid"] == 0
    assert any(i["level"] == "warning" for r in await rows(client, report["id"], "issues") for i in r["issues"])
    done = await run_to_end(client, report["id"])
    assert done["status"] == "done", done
    assert (done["done"], done["created"], done["failed"]) == (5, 5, 0)
    async with db.session() as session:
        statuses = set((await session.scalars(select(Organisation.status).where(Organisation.bin.in_(bins)))).all())
    assert statuses == {"active"}
    # Re-importing the same file: nothing changes, nothing is duplicated.
    again = await checked(client, content, "schools.xlsx")
    assert {r["plan"] for r in await rows(client, again["id"])} == {"unchanged"}
    done = await run_to_end(client, again["id"])
    assert (done["done"], done["unchanged"], done["created"], done["updated"]) == (5, 5, 0, 0)
    # A corrected file: one name changed, one school moved to another district of the region.
    lines[1][4] = "Школа-гимназия №1"
    lines[2][2] = "onb-osakarov"
    corrected = await checked(client, xlsx_bytes(ORG_HEADER_RU, lines), "schools-v2.xlsx")
    plans = {r["key"]: r["plan"] for r in await rows(client, corrected["id"])}
    assert plans[bins[1]] == "update" and plans[bins[2]] == "update" and plans[bins[0]] == "unchanged"
    done = await run_to_end(client, corrected["id"])
    assert (done["updated"], done["unchanged"]) == (2, 3)
    assert await _count(db, bins) == {b: 1 for b in bins}
    async with db.session() as session:
        renamed = await session.scalar(select(Organisation).where(Organisation.bin == bins[1]))
        moved = await session.scalar(select(Organisation).where(Organisation.bin == bins[2]))
    assert renamed is not None and renamed.name_ru == "Школа-гимназия №1"
    assert moved is not None and moved.territory_id == places.osakarov
    # The result report: every row with its outcome, in the reader's language.
    report_file = await client.get(f"/api/imports/{corrected['id']}/report", headers={"accept-language": "ru"})
    assert report_file.status_code == 200
    assert report_file.headers["content-type"].startswith("application/vnd.openxmlformats")
    from tests.onboarding.files import read_xlsx

    table = read_xlsx(report_file.content)
    assert table[0][0] == "Строка"
    assert {row[1] for row in table[1:]} == set(bins)
    assert sum(1 for row in table[1:] if row[4] == "Обновлена") == 2


async def test_bad_files_are_refused_whole_with_the_reason(client: httpx.AsyncClient, settings: Any) -> None:
    empty = await upload(client, b"", "empty.csv")
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    header_only = await upload(client, csv_bytes(ORG_HEADER_RU, []), "header.csv")
    assert header_only.status_code == 422 and "no rows" in header_only.json()["message"]
    wrong = await upload(client, csv_bytes(["A", "B", "C"], [["1", "2", "3"]]), "wrong.csv")
    assert wrong.status_code == 422 and "lacks the columns" in wrong.json()["message"]
    in_russian = await upload(client, csv_bytes(["A", "B", "C"], [["1", "2", "3"]]), "wrong.csv", lang="ru")
    assert in_russian.status_code == 422 and in_russian.json()["message"] != wrong.json()["message"]
    garbage = await upload(client, bytes(range(256)) * 64, "garbage.csv")
    assert garbage.status_code == 422 and garbage.json()["field"] == "file"
    fake = await upload(client, b"PK\x03\x04" + b"\x00" * 200, "fake.xlsx")
    assert fake.status_code == 422 and fake.json()["field"] == "file"
    huge = await upload(client, b"a;b\n" * (settings.import_max_bytes // 4 + 10), "huge.csv")
    assert huge.status_code == 413 and huge.json()["field"] == "file"
    not_multipart = await client.post(
        "/api/imports/organisations", content=b"BIN;Kind\n", headers={"content-type": "text/csv"}
    )
    assert 400 <= not_multipart.status_code < 500
    missing = await client.get("/api/imports/01890000-0000-7000-8000-000000000000")
    assert missing.status_code == 404


async def test_a_job_is_started_once(client: httpx.AsyncClient, places: Places) -> None:
    report = await checked(client, csv_bytes(ORG_HEADER_RU, [school(new_bin())]), "one.csv")
    await run_to_end(client, report["id"])
    again = await client.post(f"/api/imports/{report['id']}/start")
    assert again.status_code == 409
    nothing = await checked(client, csv_bytes(ORG_HEADER_RU, [school("123", n=1)]), "bad.csv")
    refused = await client.post(f"/api/imports/{nothing['id']}/start")
    assert refused.status_code == 409 and "No row" in refused.json()["message"]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("kind", ["organisations", "staff"])
async def test_templates_read_back_as_valid_files(client: httpx.AsyncClient, lang: str, kind: str) -> None:
    from api.domain.onboarding import organisations as orgs
    from api.domain.onboarding import staff as people
    from api.domain.onboarding.reading import map_columns, read_table

    for fmt in ("xlsx", "csv"):
        response = await client.get(f"/api/imports/templates/{kind}/{fmt}", params={"lang": lang})
        assert response.status_code == 200, response.text
        table = read_table(response.content, f"t.{fmt}", max_rows=10)
        columns = orgs.COLUMNS if kind == "organisations" else people.COLUMNS
        positions, unknown = map_columns(table.headers, columns)
        assert unknown == [] and len(positions) == len(columns)
        assert table.headers[0] == columns[0].labels[lang]


async def test_the_report_keeps_what_uploaders_typed_as_text(client: httpx.AsyncClient, places: Places) -> None:
    import io

    from openpyxl import load_workbook

    line = school(new_bin())
    line[4] = '=HYPERLINK("http://evil.example","click")'
    report = await checked(client, csv_bytes(ORG_HEADER_RU, [line]), "formula.csv")
    downloaded = await client.get(f"/api/imports/{report['id']}/report")
    book = load_workbook(io.BytesIO(downloaded.content))
    cell = book.worksheets[0]["C2"]
    assert cell.data_type == "s" and cell.value.startswith("'=HYPERLINK")
