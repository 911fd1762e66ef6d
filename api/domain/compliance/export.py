"""A dashboard's view as a table to download (CSV or XLSX), in the reader's language: the
territories one level down, the organisations under the territory, or their findings."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from api.access import Principal
from api.domain.compliance.dashboard import READ_DASHBOARD, DashboardService, StandingSort
from api.domain.compliance.schemas import Figures
from api.domain.compliance.services import ComplianceService
from api.errors import DomainError
from api.i18n import gettext as _
from api.i18n import use_locale
from api.paging import Paging
from api.spreadsheets import to_csv, to_xlsx

MAX_ROWS = 50_000  # a view larger than this is narrowed first (by territory, clause or kind)


class ExportView(StrEnum):
    TERRITORIES = "territories"
    ORGANISATIONS = "organisations"
    FINDINGS = "findings"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def _name(item: Any, lang: str) -> str:
    return getattr(item, f"name_{lang}", None) or item.name_ru


def _share(f: Figures) -> str:
    return f"{round(100 * f.compliant / f.organisations)}%" if f.organisations else ""


async def export(
    service: DashboardService,
    principal: Principal,
    territory_id: UUID | None,
    *,
    view: ExportView,
    file_format: ExportFormat,
    clause: str | None,
    kind: str | None,
    lang: str,
) -> tuple[str, bytes]:
    """The file's name and content."""
    with use_locale(lang):
        board = await service.dashboard(principal, territory_id, clause=clause, kind=kind)
        place = board.territory
        if view == ExportView.TERRITORIES:
            header = [
                _("Territory"),
                _("KATO code"),
                _("Organisations checked"),
                _("Compliant"),
                _("Compliant, %"),
                _("Findings"),
            ]
            rows: list[list[Any]] = [
                [
                    _name(c.territory, lang),
                    c.territory.code or "",
                    c.figures.organisations,
                    c.figures.compliant,
                    _share(c.figures),
                    c.figures.findings,
                ]
                for c in board.children
            ]
            if board.placed_here.organisations:
                here = board.placed_here
                rows.append(
                    [
                        _("%(territory)s, its own organisations") % {"territory": _name(place, lang)},
                        place.code or "",
                        here.organisations,
                        here.compliant,
                        _share(here),
                        here.findings,
                    ]
                )
            rows.append(
                [
                    _("Total"),
                    "",
                    board.totals.organisations,
                    board.totals.compliant,
                    _share(board.totals),
                    board.totals.findings,
                ]
            )
        elif view == ExportView.ORGANISATIONS:
            page = await service.standings(
                principal,
                place.id,
                clause=clause,
                kind=kind,
                sort=StandingSort.FINDINGS,
                paging=Paging(1, MAX_ROWS + 1),
            )
            _refuse_if_too_many(page.total)
            header = [_("Organisation"), _("Kind"), _("Checked on"), _("Findings")]
            rows = [
                [_name(o, lang), o.kind, o.checked_on.isoformat() if o.checked_on else _("not checked yet"), o.findings]
                for o in page.items
            ]
        else:
            reach, _place = await service.place(principal, place.id)
            listed = await ComplianceService(service.session).across(
                reach.organisation_clause(READ_DASHBOARD),
                clause=clause,
                territory_ids=reach.tree.descendants(place.id),
                kind=kind,
                paging=Paging(1, MAX_ROWS + 1),
            )
            _refuse_if_too_many(listed.total)
            header = [
                _("Organisation"),
                _("Clause"),
                _("Subject"),
                _("Since"),
                _("Problem"),
                _("What to do"),
                _("Link"),
            ]
            rows = [
                [
                    getattr(i, f"organisation_name_{lang}", None) or i.organisation_name_ru,
                    i.finding.clause,
                    i.finding.subject_name,
                    i.finding.since.isoformat() if i.finding.since else "",
                    getattr(i.finding.problem, lang),
                    getattr(i.finding.todo, lang),
                    i.finding.web_path or "",
                ]
                for i in listed.items
            ]
        title = f"{_('Compliance')} {_name(place, lang)}"
    name = f"compliance-{view.value}-{place.code or place.id}.{file_format.value}"
    return name, to_csv(header, rows) if file_format == ExportFormat.CSV else to_xlsx(title, header, rows)


def _refuse_if_too_many(total: int) -> None:
    if total > MAX_ROWS:
        too_many = f"This view has {total} rows, more than the {MAX_ROWS} a file can take here"
        raise DomainError(f"{too_many}; narrow it by territory, clause or kind.", field="territory_id")
