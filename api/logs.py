"""Structured logs: one JSON object per line, with the request id that the proxy sent (or one made
here) on every line written while serving that request, and on the background jobs it queued.

`configure_logging()` is called by `metodist serve` and `metodist worker`; the standard library's
loggers (uvicorn, SAQ, SQLAlchemy) go through the same renderer, so a log shipper reads one format.
`RequestContext` wraps the whole application (API and web): it binds the request id, answers it
back in `X-Request-ID`, and writes the access log, one line per request.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import IO, Any

import structlog

log = structlog.get_logger("metodist.access")

REQUEST_ID_HEADER = b"x-request-id"
# What a proxy's id may look like (nginx's $request_id is 32 hex digits; UUIDs; ULIDs). Anything
# else is replaced: the id is copied into every log line, so it must not carry text of its own.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_KEY = "metodist.request_id"


def configure_logging(*, stream: IO[str] | None = None, level: int = logging.INFO, json: bool = True) -> None:
    """structlog (and the standard library's logging) rendering one JSON object per line."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    out = stream or sys.stdout
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would be a second line per request, in another format.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("saq").setLevel(logging.WARNING)
    # httpx logs every call at INFO: the pages' in-process API calls were most of the log, in a
    # line of their own per call. The page's request line (and the API's metrics) say enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def request_id_from(scope: dict[str, Any]) -> str:
    """The proxy's `X-Request-ID` when it is a plain token, else a new one."""
    for key, value in scope.get("headers", ()):
        if key.lower() == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1").strip()
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


class RequestContext:
    """ASGI middleware around the whole application: request id in, request id out, one access line."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope[REQUEST_ID_KEY] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                client = scope.get("client")
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    # The route's template (`/api/organisations/{organisation_id}`): what to group by.
                    route=scope.get("path_template"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    client=client[0] if client else None,
                )
