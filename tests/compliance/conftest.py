from __future__ import annotations

from typing import Any

import pytest

from api.domain.organisations.models import Organisation
from tests.work.helpers import provisioned_school


@pytest.fixture
async def bare_school(app: object, db: Any) -> Organisation:
    """A freshly provisioned school with nothing in it: no staff, bodies or calendar."""
    return await provisioned_school(db, "Compliance School")
