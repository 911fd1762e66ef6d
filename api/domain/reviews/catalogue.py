"""The catalogue of approved methodological products (cl. 13.4): what the organisation publishes to
the district, region and republic above it."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.documents.models import Document, DocumentVersion
from api.domain.documents.rules import DocumentKind
from api.domain.reviews.schemas import (
    CatalogueEntry,
    CataloguePage,
)
from api.domain.structure.models import Staff
from api.paging import Paging, paged


async def catalogue_page(
    session: AsyncSession, organisation_id: UUID, paging: Paging, *, search: str | None = None
) -> CataloguePage:
    stmt = (
        select(Document, DocumentVersion)
        .join(DocumentVersion, DocumentVersion.id == Document.approved_version_id)
        .where(Document.kind == DocumentKind.METHODOLOGICAL_PRODUCT.value, Document.approved_version_id.is_not(None))
    )
    if search:
        stmt = stmt.where(Document.title.ilike(f"%{search.replace('%', '').replace('_', '')}%"))
    rows, total = await paged(session, stmt.order_by(Document.approved_at.desc(), Document.id), paging, rows=True)
    staff_ids = {a for d, _ in rows for a in d.author_staff_ids or []}
    names = (
        dict((await session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(list(staff_ids))))).all())
        if staff_ids
        else {}
    )
    items = [
        CatalogueEntry(
            document_id=d.id,
            title=d.title,
            authors=[names.get(a, "") for a in d.author_staff_ids or []],
            subject_id=d.subject_id,
            school_year=d.school_year,
            follows_model=d.follows_model,
            approved_at=d.approved_at,
            version_id=v.id,
            version_number=v.number,
            filename=v.filename,
            format=v.format,
            size=v.size,
            sha256=v.sha256,
        )
        for d, v in rows
    ]
    return CataloguePage(
        items=items, total=total, page=paging.page, page_size=paging.page_size, organisation_id=organisation_id
    )
