"""Audit chains anchored outside the chain: `public.audit_anchor`, one signed row per entry.

A hash chain alone proves nothing against someone who can write to its table: they edit an entry
and recompute every later hash, or delete the last entries, and the chain still links up. So each
append also writes, in the same transaction, a row to the control plane's `audit_anchor`:
(chain, seq, hash) and an HMAC over them under a key derived from the settings' secret key — a key
that lives in the application's environment, never in the database. `verify` then checks the
chain against its anchors:

- an anchored entry whose hash differs: the entry, or one before it, was rewritten;
- an anchor past the last entry: the last entries were deleted (truncation);
- an entry after the newest anchor: written around the application;
- an anchor whose MAC does not hold: forged.

The application's database role may only SELECT and INSERT here (api.db_roles): it cannot rewrite
or delete anchors, and without the key it cannot forge them. Chains written before anchoring
began (no anchor at all) are reported as such, not as broken.

`chain` is the tenant's schema name (`t_…`) or `identity` for the control plane's own log.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import BigInteger, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.identity.crypto import key_id
from api.planes import ControlBase

IDENTITY_CHAIN = "identity"
KEYS_OPTION = "metodist_secret_keys"
_INFO = b"metodist/audit-anchor/v1"


class AuditAnchor(ControlBase):
    __tablename__ = "audit_anchor"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    chain: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    mac: Mapped[str] = mapped_column(String(64))


@lru_cache(maxsize=8)
def _anchor_key(secret_key: str) -> bytes:
    """Derived once per key: every anchor written or verified needs it."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"metodist", info=_INFO).derive(secret_key.encode())


def anchor_mac(secret_key: str, chain: str, seq: int, entry_hash: str) -> str:
    message = f"{chain}\n{seq}\n{entry_hash}".encode()
    return hmac.new(_anchor_key(secret_key), message, hashlib.sha256).hexdigest()


def session_keys(session: AsyncSession) -> tuple[str, ...]:
    """The secret keys, newest first, as the engine was built with them (api.db.create_engine)."""
    # The sync side: an engine or, for a request's session, its connection (api.db.RequestConnection).
    bind = session.sync_session.bind
    keys = bind.get_execution_options().get(KEYS_OPTION) if bind is not None else None
    if keys:
        return tuple(keys)
    from api.settings import get_settings

    return get_settings().secret_keys


async def anchor(session: AsyncSession, chain: str, seq: int, entry_hash: str) -> None:
    """Anchor one appended entry, in the caller's transaction."""
    newest = session_keys(session)[0]
    session.add(
        AuditAnchor(
            chain=chain,
            seq=seq,
            hash=entry_hash,
            key_id=key_id(newest),
            mac=anchor_mac(newest, chain, seq, entry_hash),
        )
    )


@dataclass(frozen=True)
class Anchors:
    """A chain's anchors whose MAC holds, by seq; the first forged one, if any."""

    by_seq: dict[int, str]
    forged_seq: int | None
    unknown_key: str | None

    @property
    def head(self) -> int | None:
        return max(self.by_seq) if self.by_seq else None


async def load(session: AsyncSession, chain: str, keys: Sequence[str]) -> Anchors:
    by_kid = {key_id(k): k for k in keys}
    by_seq: dict[int, str] = {}
    forged: int | None = None
    unknown: str | None = None
    rows = await session.execute(
        select(AuditAnchor.seq, AuditAnchor.hash, AuditAnchor.key_id, AuditAnchor.mac)
        .where(AuditAnchor.chain == chain)
        .order_by(AuditAnchor.seq)
    )
    for seq, entry_hash, kid, mac in rows:
        key = by_kid.get(kid)
        if key is None:
            unknown = unknown or kid
            continue
        if not hmac.compare_digest(anchor_mac(key, chain, seq, entry_hash), mac):
            forged = seq if forged is None else forged
            continue
        by_seq[seq] = entry_hash
    return Anchors(by_seq, forged, unknown)
