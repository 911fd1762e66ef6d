"""The rules of documents and versions: who writes them, what a version may be, and locking."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol
from uuid import UUID

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.context import Caller, TenantContext
from api.domain.bodies.models import Association
from api.domain.documents.models import Document, DocumentVersion
from api.domain.documents.rules import CLAUSE_OF_KIND, DocumentKind, DocumentStatus, FileFormat, recognise
from api.domain.documents.schemas import (
    DocumentCreate,
    DocumentRead,
    DocumentSummary,
    DocumentUpdate,
    MetadataChange,
    VersionDiff,
    VersionRead,
)
from api.domain.documents.storage import FileStore, MissingFile
from api.domain.documents.text import UnreadableText, extract_lines, text_diff
from api.domain.structure.models import Staff, Subject, Unit
from api.errors import Conflict, DomainError, Forbidden, NotFound
from api.i18n import N_
from api.paging import Page, Paging
from api.responses import response_of


def version_read(version: DocumentVersion, approved_version_id: UUID | None) -> VersionRead:
    return response_of(
        VersionRead,
        version,
        media_type=FileFormat(version.format).media_type,
        uploaded_at=version.created_at,
        locked=version.locked_at is not None,
        approved=version.id == approved_version_id,
    )


NAME_THE_AUTHORS = N_("Name the authors: teachers of the organisation or a unit.")


class ReviewReads(Protocol):
    """The two things documents ask of their reviews. The reviews package sits above this one (it
    reads documents), so it answers them (`api.domain.reviews.queries` is passed in by its providers)
    rather than being imported from here."""

    async def is_reviewer_of(self, session: AsyncSession, who: Caller, document_id: UUID) -> bool: ...

    async def list_documents(
        self, session: AsyncSession, clause: Any, *, kind: DocumentKind | None, status: str | None, paging: Paging
    ) -> Page[DocumentSummary]: ...


class DocumentService:
    def __init__(self, context: TenantContext, store: FileStore, *, max_bytes: int, reviews: ReviewReads) -> None:
        self.context = context
        self.session = context.session
        self.caller = context.caller
        self.store = store
        self.max_bytes = max_bytes
        self.reviews = reviews

    # --- who may do what ------------------------------------------------------------------------

    def is_author(self, document: Document) -> bool:
        who = self.caller
        if who.user_id is not None and who.user_id == document.created_by:
            return True
        if who.staff_id is not None and who.staff_id in (document.author_staff_ids or []):
            return True
        return document.unit_id is not None and ("unit_head", document.unit_id) in who.unit_roles

    def require_author(self, document: Document, what: str) -> None:
        if not self.is_author(document):
            raise Forbidden(f"Only the document's authors may {what}.", field="document_id")

    async def may_read(self, document: Document) -> bool:
        if self.caller.reads_all_documents or self.is_author(document):
            return True
        return await self.reviews.is_reviewer_of(self.session, self.caller, document.id)

    async def get(self, document_id: UUID, *, for_update: bool = False) -> Document:
        stmt = select(Document).where(Document.id == document_id)
        if for_update:
            stmt = stmt.with_for_update()
        document = await self.session.scalar(stmt)
        if document is None or not await self.may_read(document):
            # Out of reach reads as absent: a document's existence is not told to strangers.
            raise NotFound("Document not found.", field="document_id")
        return document

    # --- documents ----------------------------------------------------------------------------

    async def _check_refs(
        self,
        kind: DocumentKind,
        authors: list[UUID],
        unit_id: UUID | None,
        association_id: UUID | None,
        subject_id: UUID | None,
    ) -> None:
        if authors:
            found = set(
                await self.session.scalars(select(Staff.id).where(Staff.id.in_(authors), Staff.archived_at.is_(None)))
            )
            missing = [str(a) for a in authors if a not in found]
            if missing:
                raise DomainError(
                    f"Not a member of staff of this organisation: {', '.join(missing)}.", field="author_staff_ids"
                )
        if unit_id is not None:
            unit = await self.session.get(Unit, unit_id)
            if unit is None or unit.archived_at is not None:
                raise DomainError("No such unit in the organisation.", field="unit_id")
        if subject_id is not None:
            subject = await self.session.get(Subject, subject_id)
            if subject is None or subject.archived_at is not None:
                raise DomainError("No such subject in the organisation's catalogue.", field="subject_id")
        if kind is DocumentKind.ASSOCIATION_PLAN:
            if association_id is None:
                raise DomainError("An annual plan names its association.", field="association_id", clause="29")
        if association_id is not None:
            association = await self.session.get(Association, association_id)
            if association is None or association.archived_at is not None:
                raise DomainError("No such association in the organisation.", field="association_id")

    async def create(self, data: DocumentCreate) -> Document:
        """One rule for everyone, administrators and teachers alike: a document names at least one
        author on the staff (cl. 18-21: documents are developed by teachers and units, and the
        authors are who answers the reviewers). Named authors are taken as given; with none named,
        the caller is the author if they are on the staff, and anyone else must name them."""
        authors = list(dict.fromkeys(data.author_staff_ids))
        if not authors:
            if self.caller.staff_id is None:
                raise DomainError(NAME_THE_AUTHORS, field="author_staff_ids")
            authors = [self.caller.staff_id]
        await self._check_refs(data.kind, authors, data.unit_id, data.association_id, data.subject_id)
        if not self.caller.reads_all_documents and self.caller.staff_id is None:
            raise Forbidden("Only staff of the organisation create its documents.")
        document = Document(
            kind=data.kind.value,
            title=data.title.strip(),
            author_staff_ids=authors,
            unit_id=data.unit_id,
            association_id=data.association_id,
            subject_id=data.subject_id,
            school_year=data.school_year,
            follows_model=(data.follows_model or "").strip() or None,
            description=data.description,
            status="draft",
            created_by=self.caller.user_id,
        )
        if not document.title:
            raise DomainError("This field must not be empty.", field="title")
        self.session.add(document)
        await self.session.flush()
        await self.context.audit.record("document.create", "document", document.id, None, audit.snapshot(document))
        return document

    async def update(self, document_id: UUID, data: DocumentUpdate) -> Document:
        document = await self.get(document_id, for_update=True)
        self.require_author(document, "change it")
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if not changes:
            raise DomainError("Nothing to change.")
        before = audit.snapshot(document)
        authors = list(dict.fromkeys(changes.get("author_staff_ids", document.author_staff_ids)))
        if not authors:
            raise DomainError(NAME_THE_AUTHORS, field="author_staff_ids")
        await self._check_refs(DocumentKind(document.kind), authors, None, None, changes.get("subject_id"))
        for key, value in changes.items():
            if key == "title":
                value = value.strip()
                if not value:
                    raise DomainError("This field must not be empty.", field="title")
            if key == "author_staff_ids":
                value = authors
            setattr(document, key, value)
        await self.session.flush()
        await self.context.audit.record("document.update", "document", document.id, before, audit.snapshot(document))
        return document

    async def versions(self, document_id: UUID) -> list[DocumentVersion]:
        rows = await self.session.scalars(
            select(DocumentVersion).where(DocumentVersion.document_id == document_id).order_by(DocumentVersion.number)
        )
        return list(rows)

    async def read(self, document: Document) -> DocumentRead:
        names = dict(
            (
                await self.session.execute(
                    select(Staff.id, Staff.full_name).where(Staff.id.in_(document.author_staff_ids or []))
                )
            ).all()
        )
        versions = await self.versions(document.id)
        return response_of(
            DocumentRead,
            document,
            clause=CLAUSE_OF_KIND[DocumentKind(document.kind)],
            authors=[names.get(a, "") for a in document.author_staff_ids],
            versions=[version_read(v, document.approved_version_id) for v in versions],
        )

    async def page(
        self, *, mine: bool, kind: DocumentKind | None, status: DocumentStatus | None, paging: Paging
    ) -> Page[DocumentSummary]:
        """Every document for its readers; only their own for authors (and for anyone asking `mine`)."""
        own = mine or not self.caller.reads_all_documents
        clause = self.mine_clause() if own else None
        if own and clause is None:
            return Page.of([], 0, paging)
        status_value = status.value if status else None
        return await self.reviews.list_documents(self.session, clause, kind=kind, status=status_value, paging=paging)

    def mine_clause(self) -> Any:
        who = self.caller
        conditions = []
        if who.user_id is not None:
            conditions.append(Document.created_by == who.user_id)
        if who.staff_id is not None:
            conditions.append(Document.author_staff_ids.any(who.staff_id))
        units = [unit for role, unit in who.unit_roles if role == "unit_head"]
        if units:
            conditions.append(Document.unit_id.in_(units))
        return or_(*conditions) if conditions else None

    # --- versions -----------------------------------------------------------------------------

    async def add_version(
        self, document_id: UUID, content: bytes, filename: str | None, content_type: str | None, change_note: str | None
    ) -> DocumentVersion:
        document = await self.get(document_id, for_update=True)  # serialises version numbers
        self.require_author(document, "upload its versions")
        recognised = recognise(content, filename, content_type, max_bytes=self.max_bytes)
        note = (change_note or "").strip() or None
        if note is not None and len(note) > 4000:
            raise DomainError("The change note is too long (at most 4000 characters).", field="change_note")
        number = (
            await self.session.scalar(
                select(func.max(DocumentVersion.number)).where(DocumentVersion.document_id == document.id)
            )
            or 0
        ) + 1
        if number > 1 and note is None:
            raise DomainError("Say what changed in this version (change_note).", field="change_note")
        digest = await self.store.put(content)
        version = DocumentVersion(
            document_id=document.id,
            number=number,
            filename=recognised.filename,
            format=recognised.format.value,
            size=recognised.size,
            sha256=digest,
            store=self.store.name,
            change_note=note,
            uploaded_by=self.caller.user_id,
        )
        self.session.add(version)
        await self.session.flush()
        await self.context.audit.record(
            "document.version.upload", "document_version", version.id, None, audit.snapshot(version)
        )
        return version

    async def version(self, document_id: UUID, version_id: UUID, *, for_update: bool = False) -> DocumentVersion:
        stmt = select(DocumentVersion).where(
            DocumentVersion.id == version_id, DocumentVersion.document_id == document_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        version = await self.session.scalar(stmt)
        if version is None:
            raise NotFound("This document has no such version.", field="version_id")
        return version

    async def update_note(self, document_id: UUID, version_id: UUID, note: str | None) -> DocumentVersion:
        document = await self.get(document_id)
        self.require_author(document, "change its versions")
        version = await self.version(document_id, version_id, for_update=True)
        if version.locked_at is not None:
            raise Conflict(
                "This version is locked: it was submitted for review and no longer changes.",
                field="version_id",
                clause=CLAUSE_OF_KIND[DocumentKind(document.kind)],
            )
        before = audit.snapshot(version)
        version.change_note = (note or "").strip() or None
        await self.session.flush()
        await self.context.audit.record(
            "document.version.update", "document_version", version.id, before, audit.snapshot(version)
        )
        return version

    async def content(self, document_id: UUID, version_id: UUID) -> tuple[DocumentVersion, bytes]:
        await self.get(document_id)
        version = await self.version(document_id, version_id)
        try:
            return version, await self.store.get(version.sha256)
        except MissingFile as exc:
            raise Conflict("The file of this version is not available in the store.", field="version_id") from exc

    async def catalogue_file(self, document_id: UUID) -> tuple[DocumentVersion, bytes]:
        """The approved version of a methodological product: the catalogue's readers (cl. 13.4),
        the district, region and republic among them, read it without reading the document."""
        document = await self.session.get(Document, document_id)
        if (
            document is None
            or document.kind != DocumentKind.METHODOLOGICAL_PRODUCT.value
            or document.approved_version_id is None
        ):
            raise NotFound("No approved methodological product with this id.", field="document_id")
        version = await self.session.get(DocumentVersion, document.approved_version_id)
        assert version is not None
        return version, await self.store.get(version.sha256)

    async def diff(self, document_id: UUID, old_number: int, new_number: int) -> VersionDiff:
        await self.get(document_id)
        rows = {v.number: v for v in await self.versions(document_id)}
        if old_number not in rows:
            raise DomainError("No version with this number.", field="from")
        if new_number not in rows:
            raise DomainError("No version with this number.", field="to")
        old, new = rows[old_number], rows[new_number]
        changes = []
        for name in ("filename", "format", "size", "sha256", "change_note", "created_at", "locked_at"):
            a, b = getattr(old, name), getattr(new, name)
            if a != b:
                changes.append(
                    MetadataChange(
                        name if name != "created_at" else "uploaded_at",
                        None if a is None else str(a),
                        None if b is None else str(b),
                    )
                )
        old_fmt, new_fmt = FileFormat(old.format), FileFormat(new.format)
        if not (old_fmt.has_text and new_fmt.has_text):
            return VersionDiff(
                document_id,
                old_number,
                new_number,
                changes,
                False,
                [],
                "Text is compared for DOCX and ODT versions only.",
            )
        lines_of: dict[int, list[str]] = {}
        for number, version, fmt, field in ((old_number, old, old_fmt, "from"), (new_number, new, new_fmt, "to")):
            try:
                content = await self.store.get(version.sha256)
            except MissingFile as exc:
                return VersionDiff(
                    document_id, old_number, new_number, changes, False, [], f"The text could not be read: {exc}"
                )
            try:
                # Unzipping and parsing up to the cap is CPU work: off the event loop.
                lines_of[number] = await asyncio.to_thread(extract_lines, content, fmt) or []
            except UnreadableText as exc:
                raise DomainError(str(exc).format(number=number), field=field) from None
        old_lines, new_lines = lines_of[old_number], lines_of[new_number]
        lines = text_diff(old_lines, new_lines, f"v{old_number} {old.filename}", f"v{new_number} {new.filename}")
        return VersionDiff(document_id, old_number, new_number, changes, True, lines)
