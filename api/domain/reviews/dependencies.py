"""Providers of the document and review services (registered in api/dependencies.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import principal
from api.domain.documents.services import DocumentService
from api.domain.documents.storage import FileStore, build_file_store
from api.domain.reviews.participants import Participant, participant_of
from api.domain.reviews.services import ReviewService
from api.tenancy import Tenant


def provide_file_store(state: State) -> FileStore:
    store = getattr(state, "file_store", None)
    if store is None:
        store = build_file_store(state.settings)
        state.file_store = store
    return store


async def provide_participant(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], tenant_session: NamedDependency[AsyncSession]
) -> Participant:
    return await participant_of(tenant_session, principal(request), tenant.organisation_id)


def provide_document_service(
    state: State,
    tenant_session: NamedDependency[AsyncSession],
    participant: NamedDependency[Participant],
    file_store: NamedDependency[FileStore],
) -> DocumentService:
    return DocumentService(tenant_session, file_store, participant, max_bytes=state.settings.document_max_bytes)


def provide_review_service(
    tenant: NamedDependency[Tenant],
    tenant_session: NamedDependency[AsyncSession],
    participant: NamedDependency[Participant],
) -> ReviewService:
    return ReviewService(tenant_session, tenant.organisation_id, tenant.kind, participant)


review_dependencies = {
    "file_store": Provide(provide_file_store, sync_to_thread=False),
    "participant": Provide(provide_participant),
    "documents": Provide(provide_document_service, sync_to_thread=False),
    "reviews": Provide(provide_review_service, sync_to_thread=False),
}
