"""Secrets at rest and the hashing of bearer values (session tokens, invitation links).

Client secrets of organisations' identity providers are encrypted with AES-GCM under a key
derived from the settings' secret key (HKDF-SHA256, its own `info` label, so this key is used for
nothing else). The associated data binds a ciphertext to its provider row: a secret copied onto
another provider does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_INFO = b"metodist/identity-provider/client-secret/v1"


class SecretDecryptionError(Exception):
    pass


def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"metodist", info=_INFO).derive(secret_key.encode())


def encrypt_secret(secret_key: str, plaintext: str, bound_to: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret_key)).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt_secret(secret_key: str, stored: str, bound_to: str) -> str:
    version, _, payload = stored.partition(":")
    if version != _VERSION:
        raise SecretDecryptionError(f"unknown secret format {version!r}")
    raw = base64.urlsafe_b64decode(payload.encode())
    try:
        return AESGCM(_key(secret_key)).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
    except InvalidTag as exc:
        raise SecretDecryptionError("the client secret does not decrypt with this key") from exc


def new_token() -> str:
    """A bearer value for a cookie or a link: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
