"""Asking before an action that takes something away (archive, end, remove, revoke, suspend,
deactivate, withdraw), in a way that works without JavaScript.

With JavaScript, HTMX's `hx-confirm` asks in the browser and the form sends `confirmed=yes`
(`hx-vals`). Without it the form arrives unconfirmed: `ask_first` answers with a page that asks,
whose own form posts the same fields back with `confirmed=yes`, and nothing is done until then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.response import Template

from web.client import Organisation
from web.templating import localized_name, page

CONFIRMED = "confirmed"
# Never reposted by the confirmation page: it renders its own token.
_NOT_REPOSTED = {CONFIRMED, "_csrf_token"}


def _back(request: Request[Any, Any, Any], fallback: str) -> str:
    """Where "Cancel" leads: the page the form was on (the Referer, when it is this site's), else
    `fallback` (also when the Referer is `fallback` without its fragment, which a Referer never has)."""
    referer = request.headers.get("referer") or ""
    parts = urlsplit(referer)
    if (
        referer
        and parts.netloc == request.url.netloc
        and parts.path.startswith("/")
        and not parts.path.startswith("//")
    ):
        there = parts.path + (f"?{parts.query}" if parts.query else "")
        return fallback if there == fallback.split("#", 1)[0] else there
    return fallback


def organisation_crumb(org: Organisation) -> tuple[str, str]:
    """The link to an organisation's page, in the reader's language, for `ask_first`'s `crumbs`."""
    return f"/organisations/{org.id}", localized_name(org)


async def ask_first(
    request: Request[Any, Any, Any],
    *,
    action: str,
    question: str,
    back: str,
    subject: str = "",
    button: str = "",
    danger: bool = True,
    crumbs: Sequence[tuple[str, str]] = (),
    section: str | None = None,
) -> Template | None:
    """None once the person has confirmed; until then the page that asks `question`, titled
    `action` and the `subject` it acts on, its button labelled `button` (else `action`), "Cancel"
    leading back. All texts come translated. `crumbs` are the (address, text) links above the
    title; `section` is the part of the site the page belongs to (the navigation's current link)."""
    form = await request.form()
    if form.get(CONFIRMED) == "yes":
        return None
    fields = [(str(k), str(v)) for k, v in form.multi_items() if k not in _NOT_REPOSTED and isinstance(v, str)]
    context = {
        "title": f"{action}: {subject}" if subject else action,
        "question": question,
        "button": button or action,
        "danger": danger,
        "crumbs": crumbs,
        "action": request.url.path,
        "fields": fields,
        "back": _back(request, back),
    }
    if section:
        context["section"] = section
    return page(request, "pages/confirm.html", None, context, status_code=200)
