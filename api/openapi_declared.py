"""What the OpenAPI document declares beyond what Litestar derives, so it says what the API answers.

- Every operation lists the error statuses it can answer, each with the one error body
  (`api.errors.ErrorBody`), replacing Litestar's own 400 schema, which is not what is sent.
  They follow from what the handler declares (scope, methods, body), as the guard
  (`api.identity.guards`), the request checks (`api.request_checks`) and the services treat it,
  so a new route is described without a list kept by hand.
- Request bodies are closed (`additionalProperties: false`): every request struct forbids unknown
  fields, and the document says so.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import msgspec
from litestar import Litestar, MediaType
from litestar.enums import ParamType, RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Parameter, Reference, Schema

from api import idempotency
from api.errors import ErrorBody

_WHY: dict[int, str] = {
    400: "The request is malformed: a parameter or the body is not valid (`field` names it), or has an unknown field.",
    401: "No valid credentials: sign in, or send a valid API token (`message` says why one was refused).",
    403: "Signed in, but without the role this needs here; or a cookie-authenticated write from another site.",
    404: "Not found, or not within the caller's reach (existence is not revealed).",
    409: "Conflicts with the current state: a duplicate, a concurrent change, already done.",
    413: "The body is larger than accepted (refused from its declared Content-Length when it has one).",
    415: "The body is not of the media type this operation takes (JSON: `application/json`).",
    422: "A rule refuses it (`clause` names the clause of the Rules, `field` the field at fault).",
    429: "Too many requests from this address or caller; `Retry-After` says when to try again.",
    503: "A dependency is unavailable, or the organisation's data is being brought up to date.",
}


def declared_errors(handler: HTTPRouteHandler) -> dict[int, ResponseSpec]:
    """The error answers one route handler can give."""
    writes = bool(set(handler.http_methods) - {"GET", "HEAD", "OPTIONS"})
    # Any query may be malformed, anything may be missing or refused by a rule, and the
    # invalid-token limit counts on every route.
    statuses = {400, 404, 422, 429}
    if writes:
        statuses.add(409)
    if handler.opt.get("scope") != "public":
        statuses |= {401, 403, 503}
    body = handler.parsed_data_field
    if body is not None:
        statuses.add(413)
        if _media_type(body) == RequestEncodingType.JSON:
            statuses.add(415)
    return {
        status: ResponseSpec(data_container=ErrorBody, description=_WHY[status], generate_examples=False)
        for status in sorted(statuses)
    }


def complete_openapi(app: Litestar) -> None:
    """Called once the app is built: declares the errors, then closes the request bodies."""
    closed: set[str] = set()
    creating: set[str] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            if idempotency.handler_creates(handler) and handler.operation_id:
                creating.add(str(handler.operation_id))
            handler.responses = {**declared_errors(handler), **(handler.responses or {})}
            if handler.parsed_data_field is not None:
                _closed_structs(handler.parsed_data_field.annotation, closed)
    # The document is built once and kept; completing it here is what every reader then gets.
    document = app.openapi_schema
    components = document.components
    for name, schema in (components.schemas or {}).items() if components else ():
        if getattr(schema, "title", name) in closed:
            schema.additional_properties = False
    # An operation that declares its own error page (sign-in's HTML) still answers the request
    # checks' and the rate limits' errors in the one format: both media types are declared.
    error_body = OpenAPIMediaType(schema=Reference(ref="#/components/schemas/ErrorBody"))
    for path_item in (document.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            for status, response in (operation.responses or {}).items() if operation else ():
                if int(status) in _WHY and isinstance(response, OpenAPIResponse) and response.content is not None:
                    response.content.setdefault(MediaType.JSON, error_body)
            if operation is not None and method == "post" and operation.operation_id in creating:
                _declare_idempotency_key(operation)


def _declare_idempotency_key(operation: Any) -> None:
    """A creating operation takes an `Idempotency-Key` (api.idempotency)."""
    parameters = list(operation.parameters or [])
    if any(getattr(p, "name", None) == idempotency.HEADER for p in parameters):
        return
    parameters.append(
        Parameter(
            name=idempotency.HEADER,
            param_in=ParamType.HEADER,
            required=False,
            schema=Schema(type=OpenAPIType.STRING),
            description=(
                "Makes the request safe to send again: a repeat with the same key (and the same body) by the same "
                "caller "
                "makes nothing and answers the first request's body with 200 and `Idempotent-Replayed: true`; the "
                "same key "
                "with another body is refused (422). 1 to 200 visible characters, such as a UUID; kept for 24 hours."
            ),
        )
    )
    operation.parameters = parameters
    # The repeat's answer: the first request's body again, with 200 (not the 201 or 202 of making it).
    responses = operation.responses or {}
    made = responses.get("201") or responses.get("202")
    if "200" not in responses and isinstance(made, OpenAPIResponse):
        responses["200"] = OpenAPIResponse(
            description=(
                "A repeat with the same Idempotency-Key: the first request's answer again (Idempotent-Replayed: true)"
            ),
            content=made.content,
        )
        operation.responses = responses


def _media_type(body: Any) -> Any:
    return getattr(body.kwarg_definition, "media_type", RequestEncodingType.JSON)


def _closed_structs(annotation: Any, found: set[str]) -> None:
    """Names of the msgspec structs in a body's type that forbid unknown fields (nested ones too)."""
    if typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            _closed_structs(argument, found)
        return
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct) and annotation.__name__ not in found:
        if annotation.__struct_config__.forbid_unknown_fields:
            found.add(annotation.__name__)
        for field in msgspec.structs.fields(annotation):
            _closed_structs(field.type, found)
    elif isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return  # multipart forms: parts Litestar reads by name
