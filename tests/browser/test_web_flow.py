"""In Chromium: register an organisation through the form and watch it become active, in Kazakh and in Russian."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import fresh_bin

pytestmark = pytest.mark.browser

ORGANISATION_URL = re.compile(r".*/organisations/[0-9a-f-]{36}\?done=created$")


async def _fill_form(page: Any, places: dict[str, str], *, bin_: str, name: str) -> None:
    await page.select_option("#f-kind", "college")
    await page.select_option("#f-territory", places["region"])
    await page.fill("#f-bin", bin_)
    await page.fill("#f-name-kk", f"{name} колледжі")
    await page.fill("#f-name-ru", f"Колледж {name}")
    await page.check("input[name=levels][value=technical_vocational]")


async def test_register_in_kazakh_and_watch_it_become_active(page: Any, places: dict[str, str]) -> None:
    name = f"Браузер {uuid.uuid4().hex[:6]}"
    await page.goto("/organisations/new?lang=kk")
    await expect(page.locator("h1")).to_have_text("Ұйымды тіркеу")

    # A wrong BIN: the API's refusal appears at the field, in Kazakh, and nothing typed is lost.
    await _fill_form(page, places, bin_="123456789012", name=name)
    await page.click("button[type=submit]")
    await expect(page.locator("#bin-error")).to_have_text("БСН 12 цифрдан тұруы және бақылау цифры дұрыс болуы керек.")
    await expect(page.locator("#f-bin")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-name-kk")).to_have_value(f"{name} колледжі")
    await expect(page.locator("input[name=levels][value=technical_vocational]")).to_be_checked()
    await page.screenshot(path="/tmp/metodist-kk-form-error.png", full_page=True)

    await page.fill("#f-bin", fresh_bin())
    await page.click("button[type=submit]")
    await page.wait_for_url(ORGANISATION_URL)
    await expect(page.locator(".alert-success")).to_have_text("Ұйым тіркелді. Оның жұмыс кеңістігі дайындалуда.")
    badge = page.locator("#org-panel .badge").first
    await expect(badge).to_have_text("Белсенді", timeout=30_000)
    # Once active the actions appear (the panel refreshed itself when the status settled).
    await expect(page.get_by_role("button", name="Тоқтата тұру")).to_be_visible()
    await page.screenshot(path="/tmp/metodist-kk-active.png", full_page=True)


async def test_register_in_russian_search_it_and_suspend_it(page: Any, places: dict[str, str]) -> None:
    token = uuid.uuid4().hex[:6]
    await page.goto("/organisations/new?lang=ru")
    await _fill_form(page, places, bin_=fresh_bin(), name=f"Поиск {token}")
    await page.click("button[type=submit]")
    await page.wait_for_url(ORGANISATION_URL)
    badge = page.locator("#org-panel .badge").first
    await expect(badge).to_have_text("Активна", timeout=30_000)

    # Suspending asks first (hx-confirm); the panel then shows the new status.
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Приостановить").click()
    await expect(page.locator("#org-panel .alert-success")).to_have_text("Работа организации приостановлена.")
    await expect(page.locator("#org-panel .badge").first).to_have_text("Приостановлена")
    await page.screenshot(path="/tmp/metodist-ru-suspended.png", full_page=True)

    # Active search: typing narrows the list without a page load, and the address follows.
    await page.goto("/organisations")
    await page.fill("#q", token)
    await page.locator("#q").press("End")
    await expect(page.locator("#results tbody tr")).to_have_count(1)
    await expect(page.locator("#results")).to_contain_text(f"Колледж Поиск {token}")
    await expect(page).to_have_url(re.compile(rf".*/organisations\?q={token}$"))
    await page.screenshot(path="/tmp/metodist-ru-search.png", full_page=True)
