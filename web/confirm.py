"""Asking before an action that takes something away (archive, end, remove, revoke, deactivate,
withdraw), in a way that works without JavaScript.

With JavaScript, HTMX's `hx-confirm` asks in the browser and the form sends `confirmed=yes`
(`hx-vals`). Without it the form arrives unconfirmed: `ask_first` answers with a page that asks,
whose own form posts the same fields back with `confirmed=yes`, and nothing is done until then.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.response import Template

from api import i18n
from web.templating import page

CONFIRMED = "confirmed"
# Never reposted by the confirmation page: it renders its own token.
_NOT_REPOSTED = {CONFIRMED, "_csrf_token"}


def _back(request: Request[Any, Any, Any], fallback: str) -> str:
    """Where "Cancel" leads: the page the form was on (the Referer, when it is this site's), else `fallback`."""
    referer = request.headers.get("referer") or ""
    parts = urlsplit(referer)
    if (
        referer
        and parts.netloc == request.url.netloc
        and parts.path.startswith("/")
        and not parts.path.startswith("//")
    ):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return fallback


async def ask_first(request: Request[Any, Any, Any], *, action: str, question: str, back: str) -> Template | None:
    """None once the person has confirmed; until then the page that asks `question` (both given
    as untranslated msgids), its button labelled `action`, "Cancel" leading back."""
    form = await request.form()
    if form.get(CONFIRMED) == "yes":
        return None
    fields = [(str(k), str(v)) for k, v in form.multi_items() if k not in _NOT_REPOSTED and isinstance(v, str)]
    context = {
        "title": i18n.gettext(action),
        "question": i18n.gettext(question),
        "action": request.url.path,
        "fields": fields,
        "back": _back(request, back),
    }
    return page(request, "pages/confirm.html", None, context, status_code=200)
