"""Secrets at rest and the hashing of bearer values (session tokens, invitation links).

Client secrets of organisations' identity providers are encrypted with AES-GCM under a key
derived from the settings' secret key (HKDF-SHA256, its own `info` label, so this key is used for
nothing else). The associated data binds a ciphertext to its provider row: a secret copied onto
another provider does not decrypt.

Keys rotate: the settings hold the newest key and older ones (METODIST_SECRET_KEYS, newest
first). A ciphertext names the key that sealed it (`v2:<key id>:…`, the id a fingerprint derived
from the key with its own HKDF label, so it reveals nothing of the key); new secrets are sealed
with the newest key, older ones open with the key they name, and `metodist keys rotate`
re-seals every stored secret with the newest. `v1:` ciphertexts (before key ids) are tried with
each key in turn.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v2"
_LEGACY_VERSION = "v1"
_INFO = b"metodist/identity-provider/client-secret/v1"
_KEY_ID_INFO = b"metodist/key-id/v1"


class SecretDecryptionError(Exception):
    pass


def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"metodist", info=_INFO).derive(secret_key.encode())


def key_id(secret_key: str) -> str:
    """A short public fingerprint of a key: which key sealed a ciphertext, without revealing it."""
    derived = HKDF(algorithm=hashes.SHA256(), length=16, salt=b"metodist", info=_KEY_ID_INFO).derive(
        secret_key.encode()
    )
    return derived.hex()[:12]


def _keys(secret_keys: str | Sequence[str]) -> tuple[str, ...]:
    return (secret_keys,) if isinstance(secret_keys, str) else tuple(secret_keys)


def encrypt_secret(secret_keys: str | Sequence[str], plaintext: str, bound_to: str) -> str:
    """Seal with the newest key (the first of `secret_keys`)."""
    newest = _keys(secret_keys)[0]
    nonce = os.urandom(12)
    sealed = AESGCM(_key(newest)).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return f"{_VERSION}:{key_id(newest)}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def sealed_with(stored: str) -> str | None:
    """The key id a ciphertext names (None for the legacy format, which names none)."""
    version, _, rest = stored.partition(":")
    return rest.partition(":")[0] if version == _VERSION else None


def _open(secret_key: str, payload: str, bound_to: str) -> str:
    raw = base64.urlsafe_b64decode(payload.encode())
    return AESGCM(_key(secret_key)).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()


def decrypt_secret(secret_keys: str | Sequence[str], stored: str, bound_to: str) -> str:
    """Open with the key the ciphertext names (or, legacy, whichever configured key opens it)."""
    keys = _keys(secret_keys)
    version, _, rest = stored.partition(":")
    if version == _VERSION:
        kid, _, payload = rest.partition(":")
        candidates = [k for k in keys if key_id(k) == kid]
        if not candidates:
            raise SecretDecryptionError(f"the client secret was sealed with key {kid}, which is not configured")
    elif version == _LEGACY_VERSION:
        payload, candidates = rest, list(keys)
    else:
        raise SecretDecryptionError(f"unknown secret format {version!r}")
    for candidate in candidates:
        try:
            return _open(candidate, payload, bound_to)
        except (InvalidTag, ValueError):
            continue
    raise SecretDecryptionError("the client secret does not decrypt with the configured keys")


def needs_rotation(secret_keys: str | Sequence[str], stored: str) -> bool:
    """Whether a stored secret is not sealed with the newest key."""
    return sealed_with(stored) != key_id(_keys(secret_keys)[0])


def new_token() -> str:
    """A bearer value for a cookie or a link: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Rotation:
    rotated: int
    current: int
    unreadable: list[str]


async def rotate_stored_secrets(db: Any, settings: Any, *, dry_run: bool = False) -> Rotation:
    """Re-seal every identity provider's client secret with the newest key, in one transaction,
    and record it in the identity audit log. Secrets no configured key opens are left as they are
    and listed."""
    from sqlalchemy import select

    import api.models  # noqa: F401 - every table, so foreign keys resolve
    from api.identity import audit
    from api.identity.models import IdentityProvider

    keys = settings.secret_keys
    rotated = current = 0
    unreadable: list[str] = []
    async with db.session() as session, session.begin():
        rows = (await session.scalars(select(IdentityProvider).order_by(IdentityProvider.id).with_for_update())).all()
        for row in rows:
            if not needs_rotation(keys, row.client_secret_encrypted):
                current += 1
                continue
            try:
                plaintext = decrypt_secret(keys, row.client_secret_encrypted, str(row.id))
            except SecretDecryptionError:
                unreadable.append(str(row.id))
                continue
            rotated += 1
            if not dry_run:
                row.client_secret_encrypted = encrypt_secret(keys, plaintext, str(row.id))
        if rotated and not dry_run:
            await audit.record(
                session,
                None,
                actor_kind="command",
                action="secrets.rotate",
                entity="secret_key",
                entity_id=key_id(keys[0]),
                after={
                    "re_encrypted": rotated,
                    "unreadable": len(unreadable),
                    "via": "command line",
                    "os_user": getpass.getuser(),
                },
            )
        if dry_run:
            await session.rollback()
    return Rotation(rotated, current, unreadable)
