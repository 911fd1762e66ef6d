"""Import jobs and their rows, on the control plane.

A job is one uploaded file: checked (the dry run: nothing of the registry written), then queued,
running and done. Every row of the file is stored with its normalised values and a state, and the
job advances row by row in small committed batches, so a job stopped by a crash is resumed from
the rows not yet done; organisations are matched by BIN and staff by IIN, so running a job — or a
file — twice never duplicates anything.
"""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.planes import ControlBase


class ImportJob(ControlBase):
    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint("kind IN ('organisations', 'staff')", name="import_job_kind"),
        CheckConstraint("status IN ('checked', 'queued', 'running', 'done', 'failed')", name="import_job_status"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="checked", index=True)
    # Staff imports belong to one organisation; organisation imports to nobody's tenant.
    organisation_id: Mapped[UUID | None] = mapped_column(ForeignKey("public.organisation.id"), index=True)
    # Who uploaded it (a person, or the person who issued the token that did).
    created_by: Mapped[UUID | None] = mapped_column(index=True)
    token_id: Mapped[UUID | None] = mapped_column()
    filename: Mapped[str] = mapped_column(String(300))
    file_format: Mapped[str] = mapped_column(String(8))
    total: Mapped[int] = mapped_column(Integer, default=0)
    # Rows the check refused; they are reported and never imported.
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    # File-level warnings (e.g. columns ignored).
    notes: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class ImportRow(ControlBase):
    """One row of an import file.

    state: `invalid` (refused by the check), `pending` (to do), `registered` (organisation stored,
    its schema not yet ready), `done`, `failed` (the reason in `message`).
    outcome: what the row did to the registry — `created`, `updated`, `unchanged`.
    """

    __tablename__ = "import_row"
    __table_args__ = (
        UniqueConstraint("job_id", "line"),
        CheckConstraint("state IN ('invalid', 'pending', 'registered', 'done', 'failed')", name="import_row_state"),
        Index("ix_import_row_job_state", "job_id", "state"),
    )

    job_id: Mapped[UUID] = mapped_column(ForeignKey("public.import_job.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    # The row's key: a BIN for organisations, an IIN for staff (None when unreadable).
    key: Mapped[str | None] = mapped_column(String(12))
    values: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # [{"column": ..., "message": template, "params": {...}, "level": "error"|"warning"}]
    issues: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    outcome: Mapped[str | None] = mapped_column(String(16))
    organisation_id: Mapped[UUID | None] = mapped_column()
    invited: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(Text)
