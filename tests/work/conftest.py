from __future__ import annotations

from typing import Any

import pytest

from tests.work.helpers import School, furnished_school


@pytest.fixture(scope="session")
async def school(app: object, db: Any) -> School:
    """One furnished school for the work tests (the app fixture has loaded the territories)."""
    return await furnished_school(db)
