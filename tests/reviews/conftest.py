from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

import pytest

from api.domain.documents.schemas import DocumentCreate
from api.domain.documents.services import DocumentService
from api.domain.documents.storage import LocalFileStore
from api.domain.reviews import queries
from api.domain.reviews.schemas import DecisionRequest
from api.domain.reviews.services import ReviewService
from api.settings import Settings
from tests.reviews import world as w

T = TypeVar("T")


@pytest.fixture(scope="session")
async def district_id(db: Any, settings: Settings) -> UUID:
    from api.bootstrap import load_territories

    await load_territories(db, settings)
    return await w.district(db)


@pytest.fixture(scope="session")
async def uni(db: Any, district_id: UUID) -> w.World:
    return await w.university(db, district_id)


@pytest.fixture(scope="session")
async def sch(db: Any, district_id: UUID) -> w.World:
    return await w.school(db, district_id)


@pytest.fixture(scope="session")
def store(settings: Settings) -> LocalFileStore:
    return LocalFileStore(settings.data_dir / "files")


class Desk:
    """Calls the services as one person of one organisation, each call in its own transaction."""

    def __init__(self, db: Any, world: w.World, store: LocalFileStore, max_bytes: int = 1024 * 1024) -> None:
        self.db, self.world, self.store, self.max_bytes = db, world, store, max_bytes

    async def run(self, who: str, action: Callable[[DocumentService, ReviewService], Awaitable[T]]) -> T:
        async with self.db.tenant_context(self.world.schema) as session:
            context = await self.world.context(session, who)
            documents = DocumentService(context, self.store, max_bytes=self.max_bytes, reviews=queries)
            reviews = ReviewService(context)
            return await action(documents, reviews)

    async def create(self, who: str, data: DocumentCreate) -> UUID:
        return (await self.run(who, lambda d, r: d.create(data))).id

    async def upload(
        self, who: str, document_id: UUID, content: bytes, name: str = "file.pdf", note: str | None = None
    ) -> UUID:
        return (await self.run(who, lambda d, r: d.add_version(document_id, content, name, None, note))).id

    async def submit(self, who: str, document_id: UUID, version_id: UUID) -> Any:
        async def action(d: DocumentService, r: ReviewService) -> Any:
            document = await d.get(document_id, for_update=True)
            d.require_author(document, "submit it")
            version = await d.version(document_id, version_id, for_update=True)
            return await r.submit(document, version)

        return await self.run(who, action)

    async def decide(self, who: str, document_id: UUID, key: str | None = None, **fields: Any) -> Any:
        async def action(d: DocumentService, r: ReviewService) -> Any:
            document = await _document(d, document_id)
            return await r.decide(document, DecisionRequest(**fields), key)

        return await self.run(who, action)

    async def timeline(self, who: str, document_id: UUID) -> Any:
        from api.domain.reviews.queries import timeline

        async def action(d: DocumentService, r: ReviewService) -> Any:
            return await timeline(d.session, await d.get(document_id))

        return await self.run(who, action)


async def _document(d: DocumentService, document_id: UUID) -> Any:
    from api.domain.documents.models import Document

    document = await d.session.get(Document, document_id)
    assert document is not None
    return document


@pytest.fixture
def uni_desk(db: Any, uni: w.World, store: LocalFileStore) -> Desk:
    return Desk(db, uni, store)


@pytest.fixture
def sch_desk(db: Any, sch: w.World, store: LocalFileStore) -> Desk:
    return Desk(db, sch, store)
