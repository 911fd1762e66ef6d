"""Creating once: the `Idempotency-Key` of the API's creating routes.

A double click, a retried request or a form sent twice must not make two associations, meetings
or documents. Every route that creates something (a POST answering 201, and the 202 of
registering an organisation: `creates(...)`) takes an optional `Idempotency-Key` header, and the
pages send one with every create form (`web/forms.py`). The first request with a key *claims* it:
a row of `public.idempotency_record` (caller, key, fingerprint) inserted in the request's own
transaction — the tenant session for a tenant route, the control session otherwise — before the
handler writes anything. Its answer is stored on that row by the `after_request` hook, still in
that transaction, so the record, the claim and the answer commit or roll back together.

A second request with the same key and the same caller:
- while the first is still running, waits on the claim's unique index (PostgreSQL makes a
  conflicting INSERT wait for the transaction holding the row), then
- answers the first request's body again, 200 with `Idempotent-Replayed: true`, and writes
  nothing — the same convention as review decisions;
- if the first failed, its transaction rolled its claim back: the second runs as if it were first;
- the same key with another request (method, path or JSON body) is refused, 422, naming the header.

PostgreSQL only, no Redis: the product runs without it (the PostgreSQL queue mode). Keys are kept
for `KEEP_FOR`; a caller's older rows are deleted when that caller claims a new key. No library
fits: the ASGI idempotency middlewares keep answers in Redis or in memory, outside the
transaction that writes the record, which is exactly the gap a double submit falls through.
"""

from __future__ import annotations

import contextvars
import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import MediaType, Request, Response
from litestar.serialization import encode_json
from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.access import principal
from api.clock import utc_now
from api.errors import Conflict, DomainError
from api.i18n import N_
from api.planes import ControlBase

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEEP_FOR = datetime.timedelta(hours=24)
# A route's `opt` may say outright whether it creates (`{"creates": True}`); by default a POST
# answering 201 does.
CREATES = "creates"
# A route whose answer carries a secret shown once (an API token's, an invitation link) declares
# `{"answer_shown_once": True}`: its answer is not kept, and a repeat is refused (409) instead of
# replayed — the secret is stored nowhere but in the first answer.
SHOWN_ONCE = "answer_shown_once"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII: UUIDs, hex tokens, "race-1"
_PENDING = "metodist.idempotency"
_SCOPE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("metodist_request_scope", default=None)

KEY_SHAPE = N_("The Idempotency-Key is 1 to 200 visible characters (a UUID, say).")
KEY_REUSED = N_("This Idempotency-Key was already used for a different request; use a new key.")
ALREADY_DONE_SHOWN_ONCE = N_(
    "This request was already made with this Idempotency-Key, and what it answered is shown only once. "
    "If you did not see it, revoke what was made and make a new one."
)


class IdempotencyRecord(ControlBase):
    """One claimed key: who sent it, what it was sent with, and the answer given."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    caller: Mapped[str] = mapped_column(String(80))  # "user:<id>" or "token:<id>"
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)


class Replayed(Exception):
    """The request repeats one already answered: its answer, to give again."""

    def __init__(self, body: bytes) -> None:
        super().__init__("replayed")
        self.body = body


@dataclass
class _Claim:
    session: AsyncSession
    record_id: UUID
    keep_answer: bool


def handler_creates(handler: Any) -> bool:
    """A POST route that makes a record: declared so in its `opt`, else answering 201."""
    if "POST" not in handler.http_methods:
        return False
    declared = (handler.opt or {}).get(CREATES)
    return bool(declared) if declared is not None else handler.status_code == 201


def creates(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST" and handler_creates(request.route_handler)


_TENANT_SESSION_USERS: dict[int, bool] = {}


def uses_tenant_session(handler: Any) -> bool:
    """Whether the handler (through its dependencies) opens the tenant session: then the key is
    claimed there, in the transaction that writes the record; else in the control session."""
    known = _TENANT_SESSION_USERS.get(id(handler))
    if known is None:
        providers = handler.resolve_dependencies()
        seen: set[str] = set()
        waiting = list(handler.signature_model._fields)
        while waiting:
            name = waiting.pop()
            if name in seen or name not in providers:
                continue
            seen.add(name)
            waiting.extend(providers[name].signature_model._fields)
        known = _TENANT_SESSION_USERS[id(handler)] = "tenant_session" in seen
    return known


def _caller(request: Request[Any, Any, Any]) -> str | None:
    who = principal(request)
    if who.via == "token" and who.credential_id is not None:
        return f"token:{who.credential_id}"
    if who.user_id is not None:
        return f"user:{who.user_id}"
    return None


async def _fingerprint(request: Request[Any, Any, Any]) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    # A JSON body is part of what was asked; a multipart one is not (its boundary differs each time).
    if (request.headers.get("content-type") or "").split(";")[0].strip().endswith("json"):
        digest.update(await request.body())
    return digest.hexdigest()


async def claim(request: Request[Any, Any, Any], session: AsyncSession) -> None:
    """Claims the request's key in `session`'s transaction, or raises `Replayed` with the answer
    of the request that claimed it first. Nothing happens without a key, or on a route that does
    not create."""
    key = request.headers.get(HEADER)
    if key is None or not creates(request):
        return
    if not _KEY.match(key):
        raise DomainError(KEY_SHAPE, field=HEADER, status=400)
    caller = _caller(request)
    if caller is None:
        return
    fingerprint = await _fingerprint(request)
    table = IdempotencyRecord.__table__
    now = utc_now()
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.caller == caller, IdempotencyRecord.created_at < now - KEEP_FOR
        )
    )
    # Waits while another transaction holds the same (caller, key), then does nothing if it committed.
    record_id = await session.scalar(
        insert(table)
        .values(caller=caller, key=key, fingerprint=fingerprint)
        .on_conflict_do_nothing(index_elements=["caller", "key"])
        .returning(table.c.id)
    )
    if record_id is not None:
        scope = _SCOPE.get()
        if scope is not None:
            keep = not (request.route_handler.opt or {}).get(SHOWN_ONCE)
            scope[_PENDING] = _Claim(session, record_id, keep)
        return
    first = (
        await session.execute(
            select(IdempotencyRecord.fingerprint, IdempotencyRecord.status, IdempotencyRecord.body).where(
                IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
            )
        )
    ).one()
    if first.fingerprint != fingerprint:
        raise DomainError(KEY_REUSED, field=HEADER)
    if first.body is None:
        raise Conflict(ALREADY_DONE_SHOWN_ONCE, field=HEADER)
    raise Replayed(first.body)


def remember_scope(request: Request[Any, Any, Any]) -> None:
    """`before_request`: lets `after_request`, which is handed only the response, find what the
    request claimed (dependencies run in tasks of their own; the ASGI scope is shared)."""
    _SCOPE.set(request.scope)  # type: ignore[arg-type]


async def store_answer(response: Response[Any]) -> Response[Any]:
    """`after_request`: keeps a successful answer on the request's claim, before its transaction
    commits (Litestar cleans up dependencies after this hook)."""
    scope = _SCOPE.get()
    pending = scope.pop(_PENDING, None) if scope is not None else None
    if pending is None:
        return response
    if 200 <= response.status_code < 300:
        content = response.content
        body = None if not pending.keep_answer else content if isinstance(content, bytes) else encode_json(content)
        await pending.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == pending.record_id)
            .values(status=response.status_code, body=body)
        )
    if REPLAYED not in response.headers:
        response.headers[REPLAYED] = "false"
    return response


def replayed_handler(request: Request[Any, Any, Any], exc: Replayed) -> Response[Any]:
    return Response(exc.body, status_code=200, media_type=MediaType.JSON, headers={REPLAYED: "true"})
