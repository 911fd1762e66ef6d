"""Providers of the document and review services (registered in api/dependencies.py)."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from api.context import TenantContext
from api.domain.documents.services import DocumentService
from api.domain.documents.storage import FileStore, build_file_store
from api.domain.reviews import queries
from api.domain.reviews.services import ReviewService
from api.providers import on_context


def provide_file_store(state: State) -> FileStore:
    store = getattr(state, "file_store", None)
    if store is None:
        store = build_file_store(state.settings)
        state.file_store = store
    return store


def provide_document_service(
    state: State, context: NamedDependency[TenantContext], file_store: NamedDependency[FileStore]
) -> DocumentService:
    return DocumentService(context, file_store, max_bytes=state.settings.document_max_bytes, reviews=queries)


review_dependencies = {
    "file_store": Provide(provide_file_store, sync_to_thread=False),
    "documents": Provide(provide_document_service, sync_to_thread=False),
    "reviews": on_context(ReviewService),
}
