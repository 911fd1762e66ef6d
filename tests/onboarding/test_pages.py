"""The onboarding pages over HTTP (the browser test drives them in Chromium)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.onboarding.files import ORG_HEADER_RU, Places, csv_bytes, new_bin, school


async def test_upload_dry_run_confirm_progress_report(
    app: Any, national_admin_headers: dict[str, str], places: Places
) -> None:
    from api.identity.csrf import CSRF_COOKIE, CSRF_HEADER

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=national_admin_headers
    ) as web:
        form = await web.get("/imports/organisations?lang=ru")
        assert form.status_code == 200 and 'id="import-form"' in form.text and "Импорт организаций" in form.text
        web.headers[CSRF_HEADER] = web.cookies.get(CSRF_COOKIE) or ""
        for lang in ("kk", "ru", "en"):
            template = await web.get(f"/imports/templates/organisations?lang={lang}&format=xlsx")
            assert template.status_code == 200 and template.content.startswith(b"PK")
        good = [new_bin(), new_bin()]
        content = csv_bytes(ORG_HEADER_RU, [school(good[0]), school("12345"), school(good[1], n=2)])
        checked = await web.post("/imports/organisations?lang=ru", files={"file": ("schools.csv", content, "text/csv")})
        assert checked.status_code == 303
        job_url = checked.headers["location"]
        report = await web.get(f"{job_url}?lang=ru")
        assert 'id="bad-rows"' in report.text and 'data-line="3"' in report.text
        assert "Будет создана" in report.text and 'id="confirm-import"' in report.text
        empty = await web.post("/imports/organisations?lang=ru", files={"file": ("empty.csv", b"", "text/csv")})
        assert empty.status_code == 422 and 'id="import-error"' in empty.text
        started = await web.post(f"{job_url}/start")
        assert started.status_code == 303
        for _ in range(300):
            fragment = await web.get(f"{job_url}/progress", headers={"HX-Request": "true"})
            assert fragment.status_code == 200 and "<html" not in fragment.text
            if 'data-status="done"' in fragment.text:
                break
            assert 'hx-trigger="every 1s"' in fragment.text
            await asyncio.sleep(0.2)
        assert 'data-count="done">2<' in fragment.text and 'id="download-report"' in fragment.text
        assert "hx-trigger" not in fragment.text  # finished: the polling stops
        downloaded = await web.get(f"{job_url}/report")
        assert downloaded.status_code == 200 and downloaded.content.startswith(b"PK")
