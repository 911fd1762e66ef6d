"""What the bodies' pages share: an API refusal placed next to the field it names, values read
from a form without losing what was typed, a name in the reader's language, and the last day of a
one-year term (cl. 30)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

from web.client import ApiError
from web.templating import localized_name, refusal


def field_of(api_field: str | None, fields: Iterable[str]) -> str:
    """The form field an API refusal names (`members[0].staff_id` is `staff_id`); '' for the form."""
    if not api_field:
        return ""
    name = api_field.rsplit(".", 1)[-1].split("[", 1)[0]
    return name if name in set(fields) else ""


def errors_of(error: ApiError, fields: Iterable[str]) -> dict[str, str]:
    """{field: the refusal as a sentence citing its clause once}."""
    return {field_of(error.field, fields): refusal(error)}


def text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()


def refusable(error: ApiError, fields: Iterable[str] = ()) -> bool:
    """A refusal the page shows beside the form: not a failure, and not a missing record unless it
    is one the form named (a staff member who left meanwhile); those are the error page's."""
    return error.status < 500 and (error.status != 404 or field_of(error.field, fields) != "")


def one_year_term(start: datetime.date) -> datetime.date:
    """The last day of a one-year term from `start` (cl. 30), offered as the default end."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:
        anniversary = start.replace(year=start.year + 1, day=28)
    return anniversary - datetime.timedelta(days=1)


def localized(row: Mapping[str, Any]) -> str:
    """The name of a row as the API gives it (`name_kk`, `name_ru`, `name_en`) in the reader's language."""
    return localized_name(SimpleNamespace(**{f"name_{code}": row.get(f"name_{code}") for code in ("kk", "ru", "en")}))
