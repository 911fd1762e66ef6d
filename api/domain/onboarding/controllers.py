"""HTTP of onboarding imports. Thin: api.domain.onboarding.services decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Scope, access, principal
from api.domain.documents.controllers import attachment
from api.domain.onboarding import reports, services
from api.domain.onboarding.checks import render
from api.domain.onboarding.models import ImportJob, ImportRow
from api.domain.onboarding.organisations import ADMIN_ROLES
from api.domain.onboarding.schemas import ImportRead, ImportRowRead, IssueRead
from api.domain.organisations.models import Organisation
from api.errors import DomainError, NotFound
from api.i18n import negotiate
from api.jobs import Jobs
from api.paging import Page, Paging, paging_by
from api.responses import response_of
from api.roles import ANY_SIGNED_IN
from api.spreadsheets import CSV, XLSX

UPLOAD_TRANSPORT_LIMIT = 64 * 1024 * 1024
RowFilter = Literal["invalid", "pending", "registered", "done", "failed", "issues"]


@dataclass
class ImportUpload:
    file: UploadFile


def _locale(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language")) or "en"


async def _content(state: State, data: ImportUpload) -> tuple[bytes, str]:
    if not isinstance(data.file, UploadFile):
        raise DomainError("Send the file as multipart form data in the field 'file'.", field="file")
    return await data.file.read(state.settings.import_max_bytes + 1), data.file.filename or "upload"


async def _read(session: AsyncSession, job: ImportJob, locale: str) -> ImportRead:
    # The counts come from the job's rows (`services.progress`), the notes from the job, in the caller's language.
    progress = await services.progress(session, job.id)
    return response_of(ImportRead, progress, notes=[render(n, locale) for n in job.notes])


def _row(row: ImportRow, locale: str) -> ImportRowRead:
    values = row.values
    name = values.get("name_ru") or values.get("name_kk") or values.get("full_name")
    return response_of(
        ImportRowRead,
        row,
        name=name,
        plan=values.get("plan"),
        issues=[IssueRead(f.get("column"), f["level"], render(f, locale)) for f in row.issues],
    )


class ImportController(Controller):
    path = "/api/imports"
    tags = ["onboarding"]

    @post(
        "/organisations",
        name="imports:organisations",
        operation_id="CheckOrganisationsImport",
        status_code=201,
        opt=access(Scope.SHARED, ADMIN_ROLES),
        request_max_body_size=UPLOAD_TRANSPORT_LIMIT,
    )
    async def check_organisations(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: NamedDependency[AsyncSession],
        data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ImportRead:
        """The dry run: a CSV (UTF-8 or Windows-1251; `;`, `,` or tab) or XLSX file of organisations is
        read and every row checked; nothing is registered. The answer is the import, `checked`, with
        its counts; its rows (`…/rows`) carry each finding with line and column. `…/start` imports
        the good rows. A regional admin's rows outside their region are refused with the reason."""
        content, filename = await _content(state, data)
        job = await services.check_organisations(session, state.settings, principal(request), content, filename)
        await session.commit()
        return await _read(session, job, _locale(request))

    @get("/{job_id:uuid}", name="imports:detail", operation_id="GetImport", opt=access(Scope.SHARED, ANY_SIGNED_IN))
    async def detail(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession], job_id: FromPath[UUID]
    ) -> ImportRead:
        """The import's state and progress (rows registered, done, failed), counted from its rows."""
        job = await services.require_job(session, principal(request), job_id)
        return await _read(session, job, _locale(request))

    @get(
        "/{job_id:uuid}/rows",
        name="imports:rows",
        operation_id="ListImportRows",
        opt=access(Scope.SHARED, ANY_SIGNED_IN),
        dependencies={"paging": paging_by(100, most=1000)},
    )
    async def rows(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        job_id: FromPath[UUID],
        paging: NamedDependency[Paging],
        show: Annotated[
            RowFilter | None, Parameter(query="state", description="A row state, or `issues`: rows with findings")
        ] = None,
    ) -> Page[ImportRowRead]:
        """The rows with their findings, in the caller's language (Accept-Language)."""
        await services.require_job(session, principal(request), job_id)
        found, total = await reports.rows_of(
            session,
            job_id,
            paging,
            states=[show] if show and show != "issues" else None,
            issues_only=show == "issues",
        )
        locale = _locale(request)
        return Page.of([_row(r, locale) for r in found], total, paging)

    @post(
        "/{job_id:uuid}/start",
        name="imports:start",
        operation_id="StartImport",
        status_code=202,
        opt=access(Scope.SHARED, ANY_SIGNED_IN),
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        jobs: NamedDependency[Jobs],
        job_id: FromPath[UUID],
    ) -> ImportRead:
        """Imports the good rows of a checked file in the background (also continues a failed one)."""
        caller = principal(request)
        job = await services.require_job(session, caller, job_id)
        await services.start(session, job)
        await session.commit()
        await jobs.enqueue_import(job.id)
        return await _read(session, job, _locale(request))

    @get(
        "/{job_id:uuid}/report",
        name="imports:report",
        operation_id="DownloadImportReport",
        opt=access(Scope.SHARED, ANY_SIGNED_IN),
        media_type=XLSX,
    )
    async def report(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession], job_id: FromPath[UUID]
    ) -> Response[bytes]:
        """Every row with its outcome or findings, as an XLSX workbook in the caller's language."""
        job = await services.require_job(session, principal(request), job_id)
        content = await reports.report_xlsx(session, job, _locale(request))
        return attachment(f"import-{job.id}.xlsx", content, XLSX)

    @get(
        "/templates/{kind:str}/xlsx",
        name="imports:template-xlsx",
        operation_id="DownloadImportTemplateXlsx",
        opt=access(Scope.SHARED, ANY_SIGNED_IN),
        media_type=XLSX,
    )
    async def template_xlsx(
        self,
        kind: FromPath[Literal["organisations", "staff"]],
        lang: Annotated[Literal["kk", "ru", "en"], Parameter(description="Language of the column headers")] = "ru",
    ) -> Response[bytes]:
        """An empty workbook with the expected columns in kk/ru/en (identifier column formatted as text) and an "
        "example row."""
        return attachment(f"{kind}-{lang}.xlsx", reports.template(kind, lang, "xlsx"), XLSX)

    @get(
        "/templates/{kind:str}/csv",
        name="imports:template-csv",
        operation_id="DownloadImportTemplateCsv",
        opt=access(Scope.SHARED, ANY_SIGNED_IN),
        media_type=CSV,
    )
    async def template_csv(
        self,
        kind: FromPath[Literal["organisations", "staff"]],
        lang: Annotated[Literal["kk", "ru", "en"], Parameter(description="Language of the column headers")] = "ru",
    ) -> Response[bytes]:
        """The same as CSV: UTF-8 with a BOM, `;`-separated, as a Russian-locale spreadsheet writes it."""
        return attachment(f"{kind}-{lang}.csv", reports.template(kind, lang, "csv"), CSV)


class StaffImportController(Controller):
    path = "/api/organisations/{organisation_id:uuid}/imports"
    tags = ["onboarding"]

    @post(
        "/staff",
        name="imports:staff",
        operation_id="CheckStaffImport",
        status_code=201,
        opt=access(Scope.TENANT, services.STAFF_ROLES),
        request_max_body_size=UPLOAD_TRANSPORT_LIMIT,
    )
    async def check_staff(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: NamedDependency[AsyncSession],
        organisation_id: FromPath[UUID],
        data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ImportRead:
        """The dry run of a staff file (IIN, names, e-mail, position, subjects, unit) for this
        organisation: every row checked, nothing written. `/api/imports/{id}/start` imports it;
        people are matched by IIN, so a re-import updates and never duplicates."""
        org = await session.get(Organisation, organisation_id)
        if org is None:
            raise NotFound("Organisation not found.", field="organisation_id")
        content, filename = await _content(state, data)
        job = await services.check_staff(state.db, session, state.settings, principal(request), org, content, filename)
        await session.commit()
        return await _read(session, job, _locale(request))


onboarding_controllers = [ImportController, StaffImportController]
