"""Set-up for the web tests: organisations in a chosen state, and reading pages."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import update

from api.domain.organisations.models import Organisation
from api.domain.organisations.rules import EducationLevel, OrgKind
from api.domain.organisations.schemas import OrganisationCreate
from api.domain.organisations.services import OrganisationService
from tests.support import fresh_bin

# Navigation labels in each language: the proof that a page came out in that language.
NAV = {
    "kk": ["Шолу", "Аумақтар", "Ұйымдар", "Ұйымды тіркеу"],
    "ru": ["Обзор", "Территории", "Организации", "Зарегистрировать организацию"],
    "en": ["Overview", "Territories", "Organisations", "Register an organisation"],
}
ACTIVE = {"kk": "Белсенді", "ru": "Активна", "en": "Active"}


async def college(api: httpx.AsyncClient, territory_id: str, **overrides: Any) -> dict[str, Any]:
    """A college registered through the API (it is then provisioned by the worker)."""
    payload = {
        "kind": "college",
        "territory_id": territory_id,
        "bin": fresh_bin(),
        "name_kk": "Сынақ колледжі",
        "name_ru": "Тестовый колледж",
        "name_en": "Test College",
        "levels": ["technical_vocational"],
        **overrides,
    }
    response = await api.post("/api/organisations", json=payload)
    assert response.status_code == 202, response.text
    return response.json()


async def waiting_organisation(db: Any, territory_id: str, name: str = "Күтудегі колледж") -> UUID:
    """An organisation registered but never queued: it stays `provisioning` for as long as the test needs."""
    async with db.session() as session, session.begin():
        org = await OrganisationService(session).create(
            OrganisationCreate(
                kind=OrgKind.COLLEGE,
                territory_id=UUID(territory_id),
                bin=fresh_bin(),
                name_kk=name,
                name_ru="Ожидающий колледж",
                name_en="Waiting College",
                levels=[EducationLevel.TECHNICAL_VOCATIONAL],
            )
        )
        return org.id


async def set_status(db: Any, organisation_id: UUID | str, status: str, reason: str | None = None) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(Organisation)
            .where(Organisation.id == UUID(str(organisation_id)))
            .values(status=status, status_reason=reason)
        )


def element(html: str, element_id: str) -> str:
    """The opening tag of the element with this id (attributes included)."""
    match = re.search(rf'<[a-z]+[^>]*\bid="{re.escape(element_id)}"[^>]*>', html, re.DOTALL)
    assert match, f"no element #{element_id} in the page"
    return match.group(0)


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags removed, whitespace collapsed."""
    without_tags = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", html, flags=re.DOTALL)
    return " ".join(without_tags.split())
