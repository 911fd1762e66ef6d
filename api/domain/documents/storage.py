"""Where the bytes of versions live: a small interface, content-addressed by SHA-256.

The local store (the default) keeps each distinct file once under `data_dir/files/ab/cd/<sha256>`;
writing goes through a temporary file and an atomic rename, so a reader never sees half a file
and two uploads of the same content converge on one object. An S3-compatible store is the
option for deployments that keep files apart from the application hosts; it is chosen with
`METODIST_FILE_STORE=s3` and needs a client library that this deployment does not ship yet, so
choosing it without one fails at start with that reason rather than on the first upload.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

from api.settings import Settings

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@runtime_checkable
class FileStore(Protocol):
    name: str

    async def put(self, content: bytes) -> str:
        """Stores the bytes; returns their SHA-256 (hex), which is the key to read them back."""
        ...

    async def get(self, digest: str) -> bytes:
        ...

    async def exists(self, digest: str) -> bool:
        ...


class MissingFile(LookupError):
    pass


class LocalFileStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, digest: str) -> Path:
        if not _HEX64.match(digest):
            raise ValueError("not a SHA-256 digest")
        return self.root / digest[:2] / digest[2:4] / digest

    def _write(self, digest: str, content: bytes) -> None:
        target = self.path_of(digest)
        if target.exists() and target.stat().st_size == len(content):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def put(self, content: bytes) -> str:
        digest = sha256_of(content)
        await asyncio.to_thread(self._write, digest, content)
        return digest

    async def get(self, digest: str) -> bytes:
        path = self.path_of(digest)
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise MissingFile(digest) from exc
        if sha256_of(content) != digest:
            # A file changed on disk is not the version that was reviewed: never serve it as one.
            raise MissingFile(f"{digest} (content on disk does not match its hash)")
        return content

    async def exists(self, digest: str) -> bool:
        return await asyncio.to_thread(self.path_of(digest).exists)


def build_file_store(settings: Settings) -> FileStore:
    if settings.file_store == "local":
        return LocalFileStore(settings.data_dir / "files")
    if settings.file_store == "s3":
        raise RuntimeError(
            "METODIST_FILE_STORE=s3 is not available in this build: no S3 client library is installed. "
            "Use the local store (the default)."
        )
    raise RuntimeError(f"Unknown METODIST_FILE_STORE {settings.file_store!r}: use 'local' or 's3'.")
