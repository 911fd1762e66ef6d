"""Debian's Chromium for the browser tests: where it is, and what a missing one means.

`make test` installs it when it can (root with apt-get). Where it is still missing, browser tests
are skipped on a developer's machine, but FAIL under CI (`CI` set, or `METODIST_REQUIRE_BROWSER=1`,
which .ci/run sets): a run that skipped them must not pass as a run that checked them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_required() -> bool:
    return os.environ.get("METODIST_REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def chromium_path() -> str:
    """The Chromium executable; skips the test without one, or fails it under CI."""
    chosen = os.environ.get("METODIST_CHROMIUM")  # another build; when set, only that one
    for candidate in (chosen,) if chosen else ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    message = "Chromium is not installed (Debian package chromium; `make test` installs it when run as root)"
    if browser_required():
        pytest.fail(
            f"{message}, and this run requires the browser tests (CI / METODIST_REQUIRE_BROWSER=1)", pytrace=False
        )
    pytest.skip(message)


async def settled(page: object, timeout_ms: float = 20_000) -> None:
    """Waits until HTMX has wired up what it last swapped in. It does that only once the swap has
    settled (and then drops the `htmx-added` class): a click or change made before it reaches no
    listener, and a form then posts as a plain page would."""
    from playwright.async_api import expect

    await expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0, timeout=timeout_ms)  # type: ignore[attr-defined]
