"""The compliance dashboard pages, as a browser without JavaScript and as HTMX sees them: each
cabinet on its own territory, drill-down to the organisations' "what to fix", filters, the export
handed on from the API, and a refusal for an organisation's own people."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from api.access import Grant
from api.domain.compliance.engine import recompute
from api.domain.organisations.models import Organisation
from api.domain.territories.models import TerritoryKind
from api.domain.territories.services import TerritoryService
from api.identity.reach import forget_territory_trees
from api.roles import Role
from tests.compliance.test_api import school_in
from tests.compliance.test_dashboard import Place, place  # noqa: F401 - the module's own region, districts and schools
from tests.identity.access.principals import new_user, republic_id, session_cookie
from tests.work.test_pages import browser

pytestmark = pytest.mark.asyncio


async def signed_in(app: Any, db: Any, grant: Grant, name: str) -> httpx.AsyncClient:
    user = await new_user(db, [grant], name=name)
    return await browser(app, await session_cookie(app.api, db, user))


@pytest.fixture
async def national(app: Any, db: Any) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(app, db, Grant(Role.NATIONAL_ADMIN, territory_id=await republic_id(db)), "National Admin")
    yield client
    await client.aclose()


def drill(territory: Any) -> str:
    return f'href="/compliance?territory_id={territory}"'


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ["Қағидаларға сәйкестік", "Тексерілген ұйымдар", "Аудан 1", "(№ 583 бұйрық)"]),
        ("ru", ["Соответствие Правилам", "Проверено организаций", "Район 1", "(приказ № 583)"]),
        ("en", ["Compliance", "Organisations checked", "District 1", "(order No. 583)"]),
    ],
)
async def test_the_national_admin_drills_down_to_what_to_fix(
    national: httpx.AsyncClient,
    place: Place,
    lang: str,
    words: list[str],  # noqa: F811
) -> None:
    republic = await national.get("/compliance", params={"lang": lang})
    assert republic.status_code == 200, republic.text
    assert 'id="nav-compliance"' in republic.text and 'aria-current="page">' in republic.text
    assert drill(place.region) in republic.text  # the region is a row of the republic's table
    assert 'role="img"' in republic.text and 'id="trend-title"' in republic.text and 'id="trend-table"' in republic.text

    region = await national.get("/compliance", params={"territory_id": str(place.region), "lang": lang})
    assert region.status_code == 200
    for word in words:
        assert word in region.text
    for district in place.districts:
        assert drill(district) in region.text
    # Breadcrumbs: the republic above, then the region itself.
    crumbs = region.text.split('id="board-path"', 1)[1].split("</nav>", 1)[0]
    assert crumbs.count("<a ") == 2 and drill(place.region) in crumbs
    for school in place.schools:
        assert f'href="/organisations/{school.id}/what-to-fix"' in region.text

    district = await national.get("/compliance", params={"territory_id": str(place.districts[1]), "lang": lang})
    assert f'href="/organisations/{place.schools[2].id}/what-to-fix"' in district.text
    assert f"/organisations/{place.schools[0].id}/" not in district.text
    assert 'id="children"' not in district.text  # no territories below a district

    fix = await national.get(f"/organisations/{place.schools[2].id}/what-to-fix", params={"lang": lang})
    assert fix.status_code == 200 and 'id="to-dashboard"' in fix.text
    assert f'href="/compliance?territory_id={place.districts[1]}"' in fix.text


async def test_each_cabinet_opens_on_its_own_territory(app: Any, db: Any, place: Place) -> None:  # noqa: F811
    regional = await signed_in(app, db, Grant(Role.REGIONAL_METHODIST, territory_id=place.region), "Regional Methodist")
    try:
        own = await regional.get("/compliance", params={"lang": "en"})
        assert own.status_code == 200 and "Compliance: Dashboard Region" in own.text
        assert drill(place.districts[0]) in own.text and drill(place.districts[1]) in own.text
    finally:
        await regional.aclose()
    district = await signed_in(
        app, db, Grant(Role.DISTRICT_METHODIST, territory_id=place.districts[0]), "District Methodist"
    )
    try:
        own = await district.get("/compliance", params={"lang": "ru"})
        assert (
            own.status_code == 200
            and "Соответствие Правилам: Район 1" in own.text
            and 'id="nav-compliance"' in own.text
        )
        listed = re.findall(r'data-organisation="([0-9a-f-]{36})"', own.text)
        assert set(listed) == {str(place.schools[0].id), str(place.schools[1].id)}
        above = await district.get("/compliance", params={"territory_id": str(place.region)})
        assert above.status_code == 403
        fix = await district.get(f"/organisations/{place.schools[0].id}/what-to-fix")
        assert f'href="/compliance?territory_id={place.districts[0]}"' in fix.text
    finally:
        await district.aclose()


async def test_a_head_is_refused_the_dashboard(app: Any, db: Any, place: Place) -> None:  # noqa: F811
    head = await signed_in(app, db, Grant(Role.HEAD, organisation_id=place.schools[0].id), "Head")
    try:
        home = await head.get(f"/organisations/{place.schools[0].id}/what-to-fix")
        assert (
            home.status_code == 200 and 'id="nav-compliance"' not in home.text and 'id="to-dashboard"' not in home.text
        )
        refused = await head.get("/compliance", params={"lang": "en"})
        assert (
            refused.status_code == 403
            and 'class="error-page"' in refused.text
            and "Only these roles may do this" in refused.text
        )
    finally:
        await head.aclose()


async def test_filters_by_clause_and_kind_with_and_without_htmx(national: httpx.AsyncClient, place: Place) -> None:  # noqa: F811
    base = {"territory_id": str(place.region), "lang": "en"}
    whole = await national.get("/compliance", params={**base, "clause": "14"})
    assert whole.status_code == 200 and '<option value="14" selected>' in whole.text
    assert "Only clause 14" in whole.text and 'aria-current="true">cl. 14</a>' in whole.text
    # Each clause row is a filter link that keeps the territory.
    assert f'href="/compliance?territory_id={place.region}&amp;clause=32"' in whole.text

    panel = await national.get("/compliance", params={**base, "clause": "14"}, headers={"HX-Request": "true"})
    assert panel.status_code == 200 and 'id="dashboard-panel"' in panel.text and "<html" not in panel.text
    assert 'id="board-path"' not in panel.text
    assert panel.headers["HX-Push-Url"] == f"/compliance?territory_id={place.region}&clause=14"

    colleges = await national.get("/compliance", params={**base, "kind": "college"})
    assert "No organisations of this kind have been checked here." in colleges.text
    assert "There are no active organisations here." in colleges.text

    by_name = await national.get(
        "/compliance",
        params={**base, "sort": "name"},
        headers={"HX-Request": "true", "HX-Target": "organisations-panel"},
    )
    assert by_name.text.lstrip().startswith('<section id="organisations-panel"') and 'id="totals"' not in by_name.text
    listed = re.findall(r'data-organisation="([0-9a-f-]{36})"', by_name.text)
    assert listed == [str(s.id) for s in place.schools]  # Dashboard School 1, 2, 3

    ignored = await national.get(
        "/compliance", params={**base, "clause": "x;y", "kind": "castle", "sort": "z", "page": "0"}
    )
    assert ignored.status_code == 200


async def test_the_export_links_hand_on_the_apis_file(national: httpx.AsyncClient, place: Place) -> None:  # noqa: F811
    board = await national.get("/compliance", params={"territory_id": str(place.region), "lang": "ru"})
    links = dict(re.findall(r'href="(/compliance/export\?[^"]+)" id="export-([a-z]+-[a-z]+)"', board.text))
    by_id = {v: k.replace("&amp;", "&") for k, v in links.items()}
    assert set(by_id) == {f"{v}-{f}" for v in ("territories", "organisations", "findings") for f in ("csv", "xlsx")}

    as_csv = await national.get(by_id["territories-csv"] + "&lang=ru")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert table[0][0] == "Территория" and {r[0] for r in table[1:-1]} == {"Район 1", "Район 2"}

    as_xlsx = await national.get(by_id["organisations-xlsx"] + "&lang=en")
    assert as_xlsx.status_code == 200 and "attachment" in as_xlsx.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(as_xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Organisation" and len(rows) - 1 == 3


async def test_organisations_placed_at_the_territory_itself_have_a_row(
    app: Any, db: Any, national: httpx.AsyncClient
) -> None:
    """A region's own organisations (placed at the region, not in a district) are a row of their
    own beside the districts, leading to the list of organisations."""
    tag = uuid.uuid4().hex[:8]
    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.upsert(
            slug=f"dash-own-{tag}",
            kind=TerritoryKind.REGION,
            parent_id=await republic_id(db),
            name_kk="Өз облысы",
            name_ru="Своя область",
            name_en="Own Region",
        )
        district = await territories.upsert(
            slug=f"dash-own-d-{tag}",
            kind=TerritoryKind.DISTRICT,
            parent_id=region,
            name_kk="Бос аудан",
            name_ru="Пустой район",
            name_en="Empty District",
        )
    forget_territory_trees()
    school = await school_in(db, district, "Regional Lyceum")
    # A school is registered in a district; a region's own organisation (a college, a cabinet) is
    # not a school, but any placed there is counted the same way: moved up as the rollup tests do.
    async with db.session() as session, session.begin():
        await session.execute(update(Organisation).where(Organisation.id == school.id).values(territory_id=region))
    await recompute(db, school.id)
    board = await national.get("/compliance", params={"territory_id": str(region), "lang": "en"})
    row = board.text.split('id="placed-here"', 1)[1].split("</tr>", 1)[0]
    assert "Own Region, its own organisations" in row and 'href="#organisations-panel"' in row
    assert f'data-organisation="{school.id}"' in board.text
    empty = await national.get("/compliance", params={"territory_id": str(region), "kind": "college", "lang": "en"})
    assert 'id="placed-here"' not in empty.text
