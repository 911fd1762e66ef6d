"""Onboarding in Chromium: upload a CSV → the dry run's findings → confirm → the progress bar,
which keeps going across a reload → the result report downloaded."""

from __future__ import annotations

import re
from typing import Any

from tests.onboarding.files import ORG_HEADER_RU, csv_bytes, new_bin, read_xlsx, school

DISTRICT_SLUG = "onb-browser-district"


async def test_upload_dry_run_confirm_progress_report(page: Any, db: Any) -> None:
    from api.domain.territories.models import TerritoryKind
    from api.domain.territories.services import TerritoryService

    async with db.session() as session, session.begin():
        territories = TerritoryService(session)
        region = await territories.by_slug("karaganda")
        await territories.upsert(
            slug=DISTRICT_SLUG,
            kind=TerritoryKind.DISTRICT,
            parent_id=region.id,
            name_kk="Браузер ауданы",
            name_ru="Браузерный район",
            name_en="Browser District",
        )
    bins = [new_bin() for _ in range(6)]
    rows = [school(b, DISTRICT_SLUG, n=i) for i, b in enumerate(bins)] + [school("7.01E+11", DISTRICT_SLUG, n=99)]
    await page.goto("/imports/organisations?lang=ru")
    assert await page.locator("h1").inner_text() == "Импорт организаций"
    await page.set_input_files(
        "#import-file",
        {"name": "школы.csv", "mimeType": "text/csv", "buffer": csv_bytes(ORG_HEADER_RU, rows, encoding="cp1251")},
    )
    await page.click("#import-check")
    await page.wait_for_selector("#dry-run")
    assert re.search(r"/imports/[0-9a-f-]{36}$", page.url)
    summary = await page.locator("#dry-run-summary").inner_text()
    findings = await page.locator("#bad-rows").inner_text() if await page.locator("#bad-rows").count() else ""
    assert "Строк в файле: 7" in summary and "Отклонено: 1" in summary, findings
    bad = page.locator("#bad-rows tbody tr")
    assert await bad.count() == 1
    assert "экспоненциальной" in await bad.first.inner_text() and await bad.first.get_attribute("data-line") == "8"
    assert await page.locator("#good-rows tbody tr").count() == 6
    await page.click("#confirm-import")
    await page.wait_for_selector("#progress")
    # A reload (or a browser closed and opened again) finds the import where it is.
    await page.reload()
    await page.wait_for_selector("#progress-bar")
    await page.wait_for_selector('#progress[data-status="done"]', timeout=120_000)
    assert await page.locator('[data-count="done"]').inner_text() == "6"
    assert await page.locator('[data-count="invalid"]').inner_text() == "1"
    assert await page.locator("#progress-bar").get_attribute("value") == "6"
    async with page.expect_download() as waiting:
        await page.click("#download-report")
    download = await waiting.value
    path = await download.path()
    with open(path, "rb") as handle:
        table = read_xlsx(handle.read())
    assert table[0][0] == "Строка" and len(table) == 8
    assert sorted(r[1] for r in table[1:] if r[1]) == sorted(bins)
