"""A territory named by its official (KATO) code: codes loaded from a file (`metodist territories
load`), an import row naming its district by code as text, as a spreadsheet's number, or wrongly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.bootstrap import load_territories
from api.domain.onboarding.models import ImportRow
from api.domain.territories.models import Territory
from api.errors import DomainError
from tests.onboarding.files import ORG_HEADER_EN, Places, csv_bytes, new_bin, school, xlsx_bytes
from tests.onboarding.helpers import checked, rows
from tests.tenancy.helpers import metodist

HEADER = "slug,kind,parent,code,name_kk,name_ru,name_en\n"


def _codes(first: int) -> tuple[str, str]:
    """Two codes no other test (`first` differs per test) or test process uses (the suite may run
    beside another on one database)."""
    base = 980_000_000 + (os.getpid() % 9_000) * 100 + first
    return str(base), str(base + 1)


async def test_an_import_row_names_its_district_by_the_official_code(
    db: Any, settings: Any, client: httpx.AsyncClient, places: Places, tmp_path: Path
) -> None:
    code, unknown = _codes(0)
    slug = f"onb-coded-{code}"
    listing = tmp_path / "districts.csv"
    listing.write_text(
        HEADER + f"{slug},district,karaganda,{code},Кодты аудан,Район с кодом,Coded District\n", encoding="utf-8"
    )
    assert await load_territories(db, settings, listing) == 1
    async with db.session() as session:
        district = await session.scalar(select(Territory).where(Territory.slug == slug))
    assert district is not None and district.code == code and district.parent_id == places.karaganda

    bins = [new_bin(), new_bin(), new_bin()]
    content = csv_bytes(ORG_HEADER_EN, [school(bins[0], code), school(bins[1], f"{code}.0"), school(bins[2], unknown)])
    report = await checked(client, content, "coded.csv")
    assert (report["valid"], report["invalid"]) == (2, 1)
    async with db.session() as session:
        good = dict(
            (
                await session.execute(
                    select(ImportRow.line, ImportRow.values["territory"].astext).where(
                        ImportRow.job_id == report["id"], ImportRow.state == "pending"
                    )
                )
            ).all()
        )
    assert good == {2: slug, 3: slug}
    [bad] = await rows(client, report["id"], "invalid")
    assert bad["line"] == 4 and bad["issues"][0]["column"] == "territory"
    assert f"No territory has the official code {unknown}" in bad["issues"][0]["message"]
    ru = await rows(client, report["id"], "invalid", lang="ru")
    assert f"Нет территории с кодом КАТО {unknown}" in ru[0]["issues"][0]["message"]

    # An XLSX number cell holds the code as a number.
    sheet = xlsx_bytes(
        ORG_HEADER_EN,
        [
            [
                new_bin(),
                "school",
                int(code),
                "Мектеп",
                "Школа",
                "School",
                "primary, basic_secondary, general_secondary",
                "",
            ]
        ],
    )
    assert (await checked(client, sheet, "coded.xlsx"))["valid"] == 1

    # The territory tree of the API shows the code.
    tree = (await client.get("/api/territories")).json()
    found = [
        c
        for region in tree[0]["children"]
        if region["slug"] == "karaganda"
        for c in region["children"]
        if c["slug"] == slug
    ]
    assert found and found[0]["code"] == code


async def test_a_bad_territory_file_names_its_line_and_loads_nothing(
    db: Any, settings: Any, database_url: str, places: Places, tmp_path: Path
) -> None:
    code, other = _codes(10)
    listing = tmp_path / "bad.csv"
    listing.write_text(
        HEADER
        + f"onb-fine-{code},district,karaganda,,Жақсы аудан,Хороший район,Fine District\n"
        + f"onb-bad-{code},district,karaganda,35-14,Жаман аудан,Плохой район,Bad District\n"
        + f"onb-orphan-{code},district,no-such-region,,Жетім аудан,Район-сирота,Orphan District\n",
        encoding="utf-8",
    )
    with pytest.raises(DomainError, match=r"bad.csv, line 3: the code '35-14' is not nine digits"):
        await load_territories(db, settings, listing)
    async with db.session() as session:
        kept = await session.scalar(
            select(func.count())
            .select_from(Territory)
            .where(Territory.slug.in_([f"onb-{w}-{code}" for w in ("fine", "bad", "orphan")]))
        )
    assert kept == 0  # the good line before it was rolled back with the rest

    listing.write_text(
        HEADER + f"onb-orphan-{code},district,no-such-region,,Жетім аудан,Район-сирота,Orphan District\n",
        encoding="utf-8",
    )
    refused = metodist(database_url, "territories", "load", str(listing), data_dir=tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "bad.csv, line 2" in refused.stderr and "no-such-region" in refused.stderr

    # A code belongs to one territory.
    listing.write_text(HEADER + f"onb-holder-{code},district,karaganda,{code},Иесі,Владелец,Holder\n", encoding="utf-8")
    assert await load_territories(db, settings, listing) == 1
    listing.write_text(
        HEADER + f"onb-fine-{code},district,karaganda,{code},Жақсы аудан,Хороший район,Fine District\n",
        encoding="utf-8",
    )
    taken = metodist(database_url, "territories", "load", str(listing), data_dir=tmp_path)
    assert (
        taken.returncode == 1 and f"line 2: the code {code} is the code of onb-holder-{code} already" in taken.stderr
    ), taken.stderr
    listing.write_text(
        HEADER + f"onb-fine-{code},district,karaganda,{other},Жақсы аудан,Хороший район,Fine District\n",
        encoding="utf-8",
    )
    loaded = metodist(database_url, "territories", "load", str(listing), data_dir=tmp_path)
    assert loaded.returncode == 0 and "1 territories loaded from bad.csv." in loaded.stdout, loaded.stderr
    async with db.session() as session:
        assert await session.scalar(select(Territory.code).where(Territory.slug == f"onb-fine-{code}")) == other
