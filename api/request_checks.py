"""Checks every API request passes before its handler reads anything: query text, body size, body type.

They run as the app's `before_request` hook: after the guard (so a caller without access learns
nothing), before the body is read and before any dependency opens a database session. Each refusal
is a 4xx in the one error format, with the field at fault where there is one:

- a query parameter holding a control or bidirectional-formatting character (a NUL cannot even
  reach PostgreSQL) — 400;
- an upload whose declared `Content-Length` is over the configured limit — 413, without reading it;
- a JSON body sent as another media type — 415; one that is not UTF-8 JSON, or nested deeper than
  the decoder recurses — 400 (decoded here, once; Litestar keeps the result for the handler).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import SerializationException

from api.errors import DomainError
from api.i18n import N_
from api.text import REFUSED_IN_A_LINE

# What a multipart envelope adds to the file it carries (boundaries, part headers, a change note).
MULTIPART_ALLOWANCE = 64 * 1024
_JSON_TYPE = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")


async def check_request(request: Request[Any, Any, Any]) -> None:
    _check_query(request)
    handler = request.route_handler
    body = handler.parsed_data_field
    if body is None or request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    media_type = getattr(body.kwarg_definition, "media_type", RequestEncodingType.JSON)
    if media_type == RequestEncodingType.MULTI_PART:
        _check_declared_size(request)
    elif media_type == RequestEncodingType.JSON:
        await _check_json(request)


def _check_query(request: Request[Any, Any, Any]) -> None:
    for key, value in request.query_params.multi_items():
        bad_key = REFUSED_IN_A_LINE.search(key) is not None
        if bad_key or REFUSED_IN_A_LINE.search(value):
            raise DomainError(
                N_("Control characters, line breaks and bidirectional-formatting characters are not allowed here."),
                field=None if bad_key else key,  # a name that is itself bad is not echoed back
                status=400,
            )


def _check_declared_size(request: Request[Any, Any, Any]) -> None:
    limit = request.app.state.settings.document_max_bytes
    declared = request.content_length  # a malformed header is Litestar's 400
    if declared is not None and declared > limit + MULTIPART_ALLOWANCE:
        raise DomainError(
            N_("The upload is too large: at most {max_bytes} bytes are accepted.").format(max_bytes=limit),
            field="file",
            status=413,
        )


async def _check_json(request: Request[Any, Any, Any]) -> None:
    content_type = request.headers.get("content-type")
    if content_type is None and not request.content_length:
        return  # no body at all: the handler says what is missing
    if content_type is None or not _JSON_TYPE.match(content_type.split(";")[0].strip().lower()):
        raise DomainError(N_("Send the body as JSON (Content-Type: application/json)."), status=415)
    try:
        await request.json()
    except (SerializationException, UnicodeDecodeError, RecursionError):
        raise DomainError(N_("The body is not valid JSON in UTF-8, or is nested too deeply."), status=400) from None
