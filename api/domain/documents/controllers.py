"""HTTP → document services: documents, versions (multipart upload), files and diffs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, Parameter

from api.access import Scope, access
from api.domain.documents.roles import STAFF
from api.domain.documents.rules import DocumentKind, DocumentStatus, FileFormat
from api.domain.documents.schemas import (
    DocumentCreate,
    DocumentRead,
    DocumentSummary,
    DocumentUpdate,
    VersionDiff,
    VersionNoteUpdate,
    VersionRead,
)
from api.domain.documents.services import DocumentService, version_read
from api.errors import DomainError
from api.paging import Page, Paging, paging_by

# The transport's own cap; the configured limit (settings.document_max_bytes) is checked by the
# service with a clear message, so keep this above any sensible setting.
UPLOAD_TRANSPORT_LIMIT = 256 * 1024 * 1024
# Version numbers are PostgreSQL integers.
MAX_VERSION = 2_147_483_647


@dataclass
class VersionUpload:
    file: UploadFile
    change_note: str | None = None


def attachment(filename: str, content: bytes, media_type: str) -> Response[bytes]:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


class DocumentController(Controller):
    path = "/api/organisations/{organisation_id:uuid}/documents"
    tags = ["documents"]

    @get(
        "/",
        name="documents:list",
        operation_id="ListDocuments",
        opt=access(Scope.TENANT, STAFF),
        dependencies={"paging": paging_by(20)},
    )
    async def list_documents(
        self,
        documents: NamedDependency[DocumentService],
        paging: NamedDependency[Paging],
        mine: Annotated[
            bool, Parameter(description="Only documents I wrote (always so for authors without a reader role)")
        ] = False,
        kind: FromQuery[DocumentKind | None] = None,
        status: FromQuery[DocumentStatus | None] = None,
    ) -> Page[DocumentSummary]:
        return await documents.page(mine=mine, kind=kind, status=status, paging=paging)

    @post("/", name="documents:create", operation_id="CreateDocument", opt=access(Scope.TENANT, STAFF))
    async def create(self, documents: NamedDependency[DocumentService], data: JSONBody[DocumentCreate]) -> DocumentRead:
        return await documents.read(await documents.create(data))

    @get("/{document_id:uuid}", name="documents:detail", operation_id="GetDocument", opt=access(Scope.TENANT, STAFF))
    async def detail(self, documents: NamedDependency[DocumentService], document_id: FromPath[UUID]) -> DocumentRead:
        return await documents.read(await documents.get(document_id))

    @patch(
        "/{document_id:uuid}", name="documents:update", operation_id="UpdateDocument", opt=access(Scope.TENANT, STAFF)
    )
    async def update(
        self, documents: NamedDependency[DocumentService], document_id: FromPath[UUID], data: JSONBody[DocumentUpdate]
    ) -> DocumentRead:
        return await documents.read(await documents.update(document_id, data))

    @post(
        "/{document_id:uuid}/versions",
        name="documents:upload",
        operation_id="UploadVersion",
        opt=access(Scope.TENANT, STAFF),
        request_max_body_size=UPLOAD_TRANSPORT_LIMIT,
    )
    async def upload(
        self,
        documents: NamedDependency[DocumentService],
        document_id: FromPath[UUID],
        data: Annotated[VersionUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> VersionRead:
        """A new version: PDF, DOCX, XLSX or ODT, recognised by its content; from the second
        version on, a change note says what changed."""
        if not isinstance(data.file, UploadFile):
            raise DomainError("Send the file as multipart form data in the field 'file'.", field="file")
        content = await data.file.read(documents.max_bytes + 1)
        version = await documents.add_version(
            document_id, content, data.file.filename, data.file.content_type, data.change_note
        )
        document = await documents.get(document_id)
        return version_read(version, document.approved_version_id)

    @patch(
        "/{document_id:uuid}/versions/{version_id:uuid}",
        name="documents:version-update",
        operation_id="UpdateVersionNote",
        opt=access(Scope.TENANT, STAFF),
    )
    async def update_version(
        self,
        documents: NamedDependency[DocumentService],
        document_id: FromPath[UUID],
        version_id: FromPath[UUID],
        data: JSONBody[VersionNoteUpdate],
    ) -> VersionRead:
        """The change note of a version not yet submitted; a submitted version is locked."""
        version = await documents.update_note(document_id, version_id, data.change_note)
        return version_read(version, None)

    @get(
        "/{document_id:uuid}/versions/{version_id:uuid}/file",
        name="documents:file",
        operation_id="DownloadVersion",
        opt=access(Scope.TENANT, STAFF),
    )
    async def download(
        self, documents: NamedDependency[DocumentService], document_id: FromPath[UUID], version_id: FromPath[UUID]
    ) -> Response[bytes]:
        version, content = await documents.content(document_id, version_id)
        return attachment(version.filename, content, FileFormat(version.format).media_type)

    @get(
        "/{document_id:uuid}/diff", name="documents:diff", operation_id="DiffVersions", opt=access(Scope.TENANT, STAFF)
    )
    async def diff(
        self,
        documents: NamedDependency[DocumentService],
        document_id: FromPath[UUID],
        old: Annotated[int, Parameter(query="from", ge=1, le=MAX_VERSION)],
        new: Annotated[int, Parameter(query="to", ge=1, le=MAX_VERSION)],
    ) -> VersionDiff:
        """What changed between two versions: their metadata, and for DOCX and ODT their text."""
        return await documents.diff(document_id, old, new)
