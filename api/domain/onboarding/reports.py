"""What an import shows back: its rows page by page, their states and outcomes in the reader's
language, the XLSX report, and the templates to fill in."""

from __future__ import annotations

import io
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.onboarding import organisations as orgs
from api.domain.onboarding import staff as people
from api.domain.onboarding.checks import render
from api.domain.onboarding.models import ImportJob, ImportRow
from api.i18n import N_, gettext, use_locale
from api.paging import Paging, paged
from api.spreadsheets import safe_cell


async def rows_of(
    session: AsyncSession,
    job_id: UUID,
    paging: Paging,
    *,
    states: list[str] | None = None,
    issues_only: bool = False,
) -> tuple[list[ImportRow], int]:
    query = select(ImportRow).where(ImportRow.job_id == job_id)
    if states:
        query = query.where(ImportRow.state.in_(states))
    if issues_only:
        query = query.where(func.jsonb_array_length(ImportRow.issues) > 0)
    return await paged(session, query.order_by(ImportRow.line), paging)


_STATE_LABELS = {
    "invalid": N_("Refused"),
    "pending": N_("Waiting"),
    "registered": N_("Registered, schema being prepared"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}
_OUTCOME_LABELS = {
    "created": N_("Created"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "create": N_("Will be created"),
    "update": N_("Will be updated"),
}


def state_label(state: str) -> str:
    return gettext(_STATE_LABELS.get(state, state))


def outcome_label(outcome: str | None) -> str:
    return gettext(_OUTCOME_LABELS.get(outcome, outcome)) if outcome else ""


def row_findings(row: ImportRow, locale: str | None = None) -> list[str]:
    """The row's findings and, when the run failed it, the reason, in the reader's language."""
    out = []
    for found in row.issues:
        column = found.get("column")
        text = render(found, locale)
        out.append(f"{column}: {text}" if column else text)
    if row.message:
        out.append(render({"message": row.message, "params": {}}, locale))
    return out


async def report_xlsx(session: AsyncSession, job: ImportJob, locale: str) -> bytes:
    """Every row: its line, key, state, outcome and findings, in the reader's language."""
    from openpyxl import Workbook

    columns = orgs.COLUMNS if job.kind == "organisations" else people.COLUMNS
    book = Workbook(write_only=True)
    with use_locale(locale):
        sheet = book.create_sheet(gettext("Import report"))
        key_label = columns[0].labels.get(locale, columns[0].labels["en"])
        header = [
            gettext("Line"),
            key_label,
            gettext("Name"),
            gettext("State"),
            gettext("Outcome"),
            gettext("Administrator invited") if job.kind == "organisations" else gettext("E-mail"),
            gettext("Findings"),
        ]
        sheet.append(header)
        rows = await session.stream_scalars(
            select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.line)
        )
        async for row in rows:
            values = row.values
            name = (
                values.get("name_ru") or values.get("name_kk")
                if job.kind == "organisations"
                else values.get("full_name")
            )
            extra = (
                (gettext("yes") if row.invited else "") if job.kind == "organisations" else (values.get("email") or "")
            )
            sheet.append(
                [
                    row.line,
                    *(
                        safe_cell(v)
                        for v in (
                            row.key or "",
                            name or "",
                            state_label(row.state),
                            outcome_label(row.outcome or (values.get("plan") if row.state == "pending" else None)),
                            extra,
                            "\n".join(row_findings(row, locale)),
                        )
                    ),
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template(kind: str, locale: str, file_format: str) -> bytes:
    """An empty file with the columns in `locale` and one example row."""
    import csv

    columns, examples = (orgs.COLUMNS, orgs.EXAMPLES) if kind == "organisations" else (people.COLUMNS, people.EXAMPLES)
    header = [c.labels.get(locale, c.labels["en"]) for c in columns]
    example_rows = [[e.get(c.key, "") for c in columns] for e in examples]
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(example_rows)
        return buffer.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "import"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in example_rows:
        sheet.append(example)
    # Identifiers are text: a number column would drop leading zeros and show 12 digits as 7.01E+11.
    for row in sheet.iter_rows(min_row=2, max_row=500, min_col=1, max_col=1):
        for cell in row:
            cell.number_format = "@"
    for index, _column in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
