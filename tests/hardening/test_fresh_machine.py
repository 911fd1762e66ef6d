"""A run without Chromium skips the browser tests on a developer's machine and fails under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from api.settings import PROJECT_ROOT

PROBE = """
from tests.chromium import chromium_path

def test_needs_a_browser():
    chromium_path()
"""


def run_probe(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    base = {k: v for k, v in os.environ.items() if k not in {"CI", "METODIST_REQUIRE_BROWSER", "METODIST_CHROMIUM"}}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "--confcutdir",
            str(tmp_path),
            str(probe),
        ],
        cwd=PROJECT_ROOT,
        env={**base, "PYTHONPATH": str(PROJECT_ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_browser_is_skipped_by_default_and_fails_under_ci(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-chromium-here")
    relaxed = run_probe(tmp_path, METODIST_CHROMIUM=missing)
    assert relaxed.returncode == 0 and "1 skipped" in relaxed.stdout, relaxed.stdout + relaxed.stderr
    for strict in ({"METODIST_REQUIRE_BROWSER": "1"}, {"CI": "true"}):
        failed = run_probe(tmp_path, METODIST_CHROMIUM=missing, **strict)
        assert failed.returncode == 1 and "1 failed" in failed.stdout, (strict, failed.stdout + failed.stderr)
        assert "Chromium is not installed" in failed.stdout


def test_the_ci_script_requires_the_browser_and_make_test_installs_the_tools() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert 0 <= ci.find("export METODIST_REQUIRE_BROWSER=1") < ci.rindex("\nmake test")
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "test: install test-tools" in makefile
    assert "apt-get install" in makefile and "npm ci" in makefile
