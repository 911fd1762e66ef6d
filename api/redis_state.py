"""Redis, when REDIS_URL is set, without letting it take the API down when it is unreachable.

What lives there: sessions and sign-in state (`api.identity.stores`), rate-limit counters, and the
job queue (`api.jobs`). Every client is made here, with short timeouts, so a stopped or unreachable
Redis costs a request at most about a second, and usually nothing:

- `RedisHealth` remembers that Redis failed and, for `RETRY_AFTER_S`, answers "down" at once instead
  of trying again on every request; it logs one warning per `WARN_EVERY_S` while Redis stays down,
  and one line when it is back.
- What can do without Redis does: rate limits count in this process (`api.identity.stores`), reads
  and API-token calls go on, browser sessions are read from their index in the database
  (`api.identity.sessions`); the job worker waits and resumes (`api.jobs`).
- What cannot answers 503 in the error format, fast: `RedisUnavailable` (a `DomainError`); sign-in,
  signing out, queueing a job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.errors import REDIS_UNAVAILABLE, DomainError
from api.i18n import N_

log = structlog.get_logger()

T = TypeVar("T")

# What a client waits for: the connection, then each answer. A stopped Redis on the same host
# refuses at once; these bound the unreachable host and the hung server.
CONNECT_TIMEOUT_S = 0.5
COMMAND_TIMEOUT_S = 1.0
# After a failure, Redis counts as down this long before the next attempt.
RETRY_AFTER_S = 2.0
# While Redis stays down, one warning per this many seconds (per process and purpose).
WARN_EVERY_S = 60.0

# The errors that mean "Redis cannot be reached", as opposed to a bug in a command.
UNREACHABLE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError)
TIMED_OUT: tuple[type[BaseException], ...] = (RedisTimeoutError, asyncio.TimeoutError)

# A session cookie could not be read: the guard answers 503 with this where a caller is needed;
# public routes go on as for an anonymous caller (api.identity.middleware).
SESSIONS_UNAVAILABLE = N_(
    "Sessions cannot be read right now (their store, Redis, cannot be reached). Try again in a minute."
)


class RedisUnavailable(DomainError):
    """503: this needs Redis, and Redis cannot be reached now."""

    status = 503

    def __init__(self, message: str = REDIS_UNAVAILABLE, *, field: str | None = None) -> None:
        super().__init__(message, field=field)


def make_client(url: str, *, command_timeout_s: float | None = COMMAND_TIMEOUT_S) -> Redis:
    """A client with short timeouts. One retry on a connection error: a pooled connection left from
    before a Redis restart fails once and is replaced, without failing the call."""
    return Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=command_timeout_s,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
        decode_responses=False,
    )


class RedisHealth:
    """Whether Redis answered lately; one per purpose ("rate limits", "sessions", "job queue")."""

    def __init__(self, purpose: str, *, consequence: str) -> None:
        self.purpose = purpose
        self.consequence = consequence
        self.down_since: float | None = None
        self._retry_at = 0.0
        self._warned_at = -WARN_EVERY_S

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def skip(self) -> bool:
        """True while a recent failure says not to try yet."""
        return self.down_since is not None and time.monotonic() < self._retry_at

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
        self._retry_at = now + RETRY_AFTER_S
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "redis unreachable",
                purpose=self.purpose,
                then=self.consequence,
                error=type(exc).__name__,
                down_for_s=round(now - self.down_since, 1),
            )

    def succeeded(self) -> None:
        if self.down_since is not None:
            log.warning(
                "redis reachable again", purpose=self.purpose, was_down_s=round(time.monotonic() - self.down_since, 1)
            )
            self.down_since = None
            self._warned_at = -WARN_EVERY_S

    async def call(self, work: Callable[[], Awaitable[T]]) -> T:
        """Runs `work` against Redis; raises RedisUnavailable at once while Redis is known down."""
        if self.skip():
            raise RedisUnavailable()
        try:
            try:
                result = await self._bounded(work)
            except TIMED_OUT:
                # One timeout may be a moment's stall (another client's slow command, a busy machine):
                # a sign-in then answered 503 with Redis fine. One more try tells it from a hung
                # Redis, which costs this one call twice the timeout before it counts as down.
                result = await self._bounded(work)
        except UNREACHABLE as exc:
            self.failed(exc)
            raise RedisUnavailable() from exc
        self.succeeded()
        return result

    @staticmethod
    async def _bounded(work: Callable[[], Awaitable[T]]) -> T:
        # The client's own timeouts bound each command; this bounds a whole call (retry included).
        return await asyncio.wait_for(work(), timeout=CONNECT_TIMEOUT_S * 2 + COMMAND_TIMEOUT_S)


async def ping(url_or_client: Any, timeout_s: float = 0.8) -> str:
    """'ok', or why not: for readiness."""
    try:
        await asyncio.wait_for(url_or_client.ping(), timeout=timeout_s)
    except UNREACHABLE as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


class DropUnreachableRecords(logging.Filter):
    """SAQ logs a full traceback for every failed poll while Redis is down (several a second);
    `RedisHealth` says it once per minute instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Only Redis's own errors: a job's failure (a database error among them) stays in the log.
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (RedisConnectionError, RedisTimeoutError))
