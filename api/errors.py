"""The one error format: `{"status", "message", "field", "clause"}` for every failure.

Services raise `DomainError` (or a subclass); the handlers here turn it, and Litestar's own
validation and HTTP errors, into that shape, so clients and the web front end read one format.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError

from api.db import database_unavailable, sqlstate
from api.i18n import N_, negotiate, translate_message
from api.text import PATTERN_MESSAGES

log = structlog.get_logger()


class DomainError(Exception):
    status = 422

    def __init__(
        self, message: str, *, field: str | None = None, clause: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.clause = clause
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class ErrorBody(msgspec.Struct):
    """Every error the API answers, whatever its status (declared in the OpenAPI document)."""

    status: int
    message: str
    field: str | None
    clause: str | None


def error_body(status: int, message: str, field: str | None = None, clause: str | None = None) -> dict[str, Any]:
    return {"status": status, "message": message, "field": field, "clause": clause}


# Seconds a 503 asks the caller to wait before trying again.
RETRY_AFTER_503 = "5"
REDIS_UNAVAILABLE = N_("A service the platform depends on (Redis) cannot be reached. Try again in a minute.")


def _response(
    request: Request[Any, Any, Any],
    status: int,
    message: str,
    field: str | None = None,
    clause: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    # The message is in the caller's language (Accept-Language); field and clause never change.
    # English too: a message carrying codes (roles, statuses) names them as people say them.
    message = translate_message(message, negotiate(request.headers.get("accept-language")) or "en")
    if status == 503:  # something the platform depends on cannot be reached: say when to come back
        headers = {"Retry-After": RETRY_AFTER_503, **(headers or {})}
    return Response(
        error_body(status, message, field, clause),
        status_code=status,
        headers={**(headers or {}), "Vary": "Accept-Language"},
    )


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _response(request, exc.status, exc.message, exc.field, exc.clause)


def redis_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Redis unreachable where no code expected it: 503 at once, not 500 (api.redis_state)."""
    log.warning("redis unreachable", error=type(exc).__name__, path=request.url.path)
    return _response(request, 503, REDIS_UNAVAILABLE)


_JSON_PATH = re.compile(r"at `\$\.([A-Za-z0-9_]+)")
_NAMED_FIELD = re.compile(r"(?:unknown|required) field `([A-Za-z0-9_]+)`")


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar reports body and parameter errors as a list; we answer with the first field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    message = str(first.get("message") or exc.detail)
    field = first.get("key") or None
    match = _JSON_PATH.search(message)
    if match:
        field = match.group(1)
        message = _JSON_PATH.sub("", message).rstrip(" -")
    named = _NAMED_FIELD.search(message)
    if named:
        field = named.group(1)
    message = PATTERN_MESSAGES.get(message, message)
    return _response(request, 400 if exc.status_code == 400 else exc.status_code, message, field)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    # Headers the exception carries are part of the answer: `Allow` on 405, `Retry-After` on 429.
    return _response(request, exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # Services check what they can first; this is the race they could not see.
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    log.warning("integrity error", constraint=constraint)
    return _response(request, 409, N_("The change conflicts with data that already exists."), constraint)


def missing_relation_handler(request: Request[Any, Any, Any], exc: ProgrammingError) -> Response[Any]:
    """A tenant schema behind the code (a migration not yet applied to it) reads as not ready."""
    if getattr(exc, "organisation_archived", False):  # dropped under the request (api.tenancy)
        return _response(request, 404, N_("Organisation not found."), "organisation_id")
    if sqlstate(exc) == "42P01":  # undefined_table
        log.warning("tenant schema behind the code", error=str(exc.orig).splitlines()[0])
        return _response(
            request, 503, N_("This organisation's data is being brought up to date. Try again in a few minutes.")
        )
    return internal_error_handler(request, exc)


def data_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A value the database cannot take (SQLSTATE class 22, or refused by the driver) is the caller's
    mistake: validation stops what it can foresee, this answers whatever slipped past it."""
    code = sqlstate(exc)
    if (code or "").startswith("22") or _driver_refused_value(exc):
        log.warning("value refused by the database", sqlstate=code, path=request.url.path)
        return _response(
            request, 400, N_("A value in the request is out of range or holds characters that cannot be stored.")
        )
    return internal_error_handler(request, exc)


def _driver_refused_value(exc: DBAPIError) -> bool:
    # asyncpg checks arguments before sending them (an int beyond int64, say): its DataError.
    cause = getattr(exc.orig, "__cause__", None)
    return type(cause).__name__ == "DataError" and type(cause).__module__.startswith("asyncpg")


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if database_unavailable(exc):
        # Restarting, failing over, a cut connection: nothing was acknowledged, come back shortly.
        log.warning("database unreachable", error=type(exc).__name__, path=request.url.path)
        return _response(request, 503, N_("The database cannot be reached right now. Try again in a few seconds."))
    # Logged once, on one line, without the request's values (nor the path's query string).
    log_unhandled("unhandled error", exc, method=request.method, path=request.url.path)
    return _response(request, HTTP_500_INTERNAL_SERVER_ERROR, N_("Internal server error."))


def log_unhandled(event: str, exc: BaseException, **context: Any) -> None:
    """An error nobody foresaw, for the log: its kind, SQLSTATE and where it was raised, one line.

    Never `exc_info`: structlog renders it as a traceback with every frame's locals, which took
    seconds of the event loop per error and copied request data and secrets into the log."""
    log.error(
        event,
        error=type(exc).__name__,
        sqlstate=sqlstate(exc) if isinstance(exc, DBAPIError) else None,
        at=_where(exc),
        **context,
    )


def _where(exc: BaseException, frames: int = 6) -> str:
    """The innermost frames as `folder/file:line function`, innermost first: enough to find the fault."""
    summary = traceback.extract_tb(exc.__traceback__)[-frames:]
    return " < ".join(
        f"{'/'.join(frame.filename.split('/')[-2:])}:{frame.lineno} {frame.name}" for frame in reversed(summary)
    )


exception_handlers = {
    DomainError: domain_error_handler,
    RedisConnectionError: redis_error_handler,
    RedisTimeoutError: redis_error_handler,
    ValidationException: validation_error_handler,
    IntegrityError: integrity_error_handler,
    ProgrammingError: missing_relation_handler,
    DBAPIError: data_error_handler,
    HTTPException: http_error_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
}
