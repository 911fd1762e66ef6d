"""docs/ stays true: every setting read from the environment is documented."""

from __future__ import annotations

import re
from pathlib import Path


def test_every_environment_variable_is_documented(project_root: Path) -> None:
    source = (project_root / "api" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'_(?:env|optional)\("([A-Z0-9_]+)"', source))
    assert "DATABASE_URL" in names and len(names) > 10
    operations = (project_root / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if name not in operations)
    assert not missing, f"document these in docs/operations.md: {missing}"
