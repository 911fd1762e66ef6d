"""Forms that create something are sent once.

Every create form carries a one-shot token, `{{ once_input() }}`: a fresh random key in a hidden
field, made when the form is rendered. The handler sends it to the API as the `Idempotency-Key`
of the creating call (`once(api, form)`), and the API makes the record once per key
(api/idempotency.py): a double click, a resent form or a reload of the POST hands the same key,
and is answered with the first result — the page leads to the record made the first time (an
API token's or an invitation's answer carries a secret and is never given twice: the repeat is
refused 409, and those pages show the refusal above a fresh form). With
JavaScript, HTMX also disables the form's buttons while the request runs: each create form says
`hx-disabled-elt="find button"` (not inherited from <body>, where it would also disable the
buttons inside every polling panel once a second).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from web.client import ApiClient

FIELD = "_once"
HEADER = "Idempotency-Key"
_SHAPE = re.compile(r"^[0-9a-f]{32}$")


def once_input() -> Markup:
    """The hidden field of a create form: a key of its own for each rendering of the form."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{uuid.uuid4().hex}">')


def once_key(form: Mapping[str, Any]) -> str | None:
    value = str(form.get(FIELD) or "")
    return value if _SHAPE.match(value) else None


def once(api: ApiClient, form: Mapping[str, Any]) -> ApiClient:
    """The API client for the one creating call a form asks for, carrying the form's key. A form
    sent without one (an old page, a script) still works, without the guard."""
    key = once_key(form)
    return api.bound({HEADER: key}) if key else api
