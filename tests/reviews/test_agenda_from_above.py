"""Building a meeting's agenda as someone who reaches the organisation from above: the meetings
domain decides with the request's caller, territory grants included."""

from __future__ import annotations

from typing import Any

import pytest

from api.access import Grant
from api.domain.territories.services import TerritoryService
from api.roles import Role
from tests.identity.access.principals import session_for
from tests.reviews import world as w
from tests.reviews.api_support import Api

pytestmark = pytest.mark.asyncio


async def test_a_regional_admin_builds_the_agenda(app: Any, db: Any, uni: w.World) -> None:
    api = Api(app, db, uni)
    doc = await api.create("author", kind="working_programme", title="Programme put on the agenda from above")
    version = (await api.upload("author", doc["id"], w.docx("a"), "p.docx")).json()
    assert (await api.submit("author", doc["id"], version["id"])).status_code == 201
    async with db.session() as session:
        region = await TerritoryService(session).by_slug("karaganda")
    headers = await session_for(app.api, db, [Grant(Role.REGIONAL_ADMIN, territory_id=region.id)])
    meeting, _ = uni.meetings["faculty_council"]
    async with api.client() as client:
        built = await client.post(f"{api.base}/reviews/agenda", json={"meeting_id": str(meeting)}, headers=headers)
    assert built.status_code == 201, built.text
    assert built.json()["added"]
