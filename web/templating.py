"""Templates: one Jinja2 environment with gettext in the request's language, and the page helper.

A page is one template with named blocks. `page(...)` renders the whole document, or for an HTMX
request only the block that changes (jinja2-fragments), and always says `Vary: HX-Request` so a
cache never hands the fragment to a browser asking for the page.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.plugins.htmx import ClientRedirect
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect

from api import i18n
from api.clock import KZ_TIME, date_of, now
from api.i18n import gettext as _
from web.forms import once_input
from web.identity.viewer import header

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

VARY = "HX-Request, Accept-Language, Cookie"
LANGUAGES: tuple[tuple[str, str], ...] = (("kk", "Қазақша"), ("ru", "Русский"), ("en", "English"))


def localized_name(item: Any, locale: str | None = None) -> str:
    """The name in the current language, falling back to Russian, Kazakh, English."""
    locale = locale or i18n.current_locale()
    for code in (locale, "ru", "kk", "en"):
        value = getattr(item, f"name_{code}", None)
        if value:
            return str(value)
    return ""


def _moment(value: datetime.datetime | str | None) -> datetime.datetime | None:
    """A moment as the API sends it (ISO 8601 with its offset) or as a datetime."""
    if value is None or value == "":
        return None
    moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def when(value: datetime.datetime | str | None) -> str:
    """A moment in Kazakhstan's time, whatever zone it came in."""
    moment = _moment(value)
    if moment is None:
        return "—"
    return format_datetime(moment, "medium", tzinfo=KZ_TIME, locale=i18n.current_locale())


def day(value: datetime.datetime | str | None) -> str:
    """The day a moment falls on in Kazakhstan (a UTC date is the day before until 05:00)."""
    if isinstance(value, str) and len(value) == 10:
        return value  # a date already
    moment = _moment(value)
    if moment is None:
        return "—"
    return date_of(moment).isoformat()


def local_now() -> str:
    """Now in Kazakhstan's time, as a `datetime-local` form value."""
    return now().strftime("%Y-%m-%dT%H:%M")


def number(value: int) -> str:
    return format_decimal(value, locale=i18n.current_locale())


def refusal(error: Any) -> str:
    """An API refusal as a sentence that cites its clause once: a message written with it names
    it in parentheses ("… (cl. 25).", "(25-тармақ)"), else "(clause 25)" is added."""
    message, clause = str(error.message), getattr(error, "clause", None)
    if not clause or re.search(rf"\([^)]*(?<![\d.]){re.escape(str(clause))}(?![\d])[^)]*\)", message):
        return message
    cited = _("clause %(clause)s") % {"clause": clause}
    return f"{message} ({cited})"


def url_with(path: str, params: Mapping[str, Any], **changes: Any) -> str:
    """`path` with the given query parameters, some changed; empty values are left out."""
    merged = {**params, **changes}
    query = urlencode([(k, str(v)) for k, v in merged.items() if v not in (None, "")])
    return f"{path}?{query}" if query else path


def lang_url(request: Request[Any, Any, Any], locale: str) -> str:
    """This page in another language (the choice is then remembered in a cookie)."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    return url_with(request.url.path, params, lang=locale)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        current_locale=i18n.current_locale,
        languages=LANGUAGES,
        kinds=tuple(i18n.KIND_LABELS),
        statuses=tuple(i18n.STATUS_LABELS),
        levels=tuple(i18n.LEVEL_LABELS),
        url_with=url_with,
        lang_url=lang_url,
        header=header,
        once_input=once_input,
    )
    env.filters.update(label=i18n.label, name=localized_name, when=when, number=number, refusal=refusal, day=day)
    return env


ENVIRONMENT = build_environment()


def template_engine() -> JinjaTemplateEngine:
    return JinjaTemplateEngine.from_environment(ENVIRONMENT)


def is_fragment(request: Request[Any, Any, Any]) -> bool:
    """An HTMX request for part of a page; a history restore wants the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def page(
    request: Request[Any, Any, Any],
    template: str,
    block: str | None,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMXBlockTemplate:
    """The whole page, or only `block` for an HTMX request."""
    return HTMXBlockTemplate(
        template_name=template,
        block_name=block if block and is_fragment(request) else None,
        context={"locale": i18n.current_locale(), **context},
        status_code=status_code,
        headers={"Vary": VARY, **(headers or {})},
    )


def go_to(request: Request[Any, Any, Any], target: str) -> Redirect | ClientRedirect:
    """Where a form or a confirmed action leads: the whole page at `target`.

    HTMX follows `HX-Redirect` only on a success, so it gets a 200 carrying it; a plain form post
    gets 303 See Other.
    """
    if request.htmx:  # type: ignore[attr-defined]
        redirect = ClientRedirect(target)
        redirect.status_code = 200
        return redirect
    return Redirect(target, status_code=303)


def parse_uuid(value: Any) -> UUID | None:
    """A form or query value as a UUID; empty or malformed means none."""
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None
