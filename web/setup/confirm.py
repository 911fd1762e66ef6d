"""The page that asks before an archive when the browser ran no JavaScript (with it, hx-confirm
asked already and the form says so with confirmed=yes)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.response import Template

from web.client import ApiClient
from web.templating import page


async def confirm_page(
    request: Request[Any, Any, Any],
    api: ApiClient,
    organisation_id: UUID,
    *,
    title: str,
    subject: str,
    question: str,
    action: str,
    back: str,
) -> Template:
    org = await api.organisation(organisation_id)
    context = {"org": org, "title": title, "subject": subject, "question": question, "action": action, "back": back}
    return page(request, "setup/confirm.html", None, context)
