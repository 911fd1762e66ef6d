"""Where the bytes of versions live: a small interface, content-addressed by SHA-256.

The local store (the default) keeps each distinct file once under `data_dir/files/ab/cd/<sha256>`;
writing goes through a temporary file and an atomic rename, so a reader never sees half a file
and two uploads of the same content converge on one object. An S3-compatible store is the
option for deployments that keep files apart from the application hosts (`METODIST_FILE_STORE=s3`):
each distinct file is one object whose key is its SHA-256. A store that cannot be reached answers
503 through the one error format, before anything is written to the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from api.errors import DomainError
from api.i18n import N_
from api.settings import Settings

log = structlog.get_logger()

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@runtime_checkable
class FileStore(Protocol):
    name: str

    async def put(self, content: bytes) -> str:
        """Stores the bytes; returns their SHA-256 (hex), which is the key to read them back."""
        ...

    async def get(self, digest: str) -> bytes: ...

    async def exists(self, digest: str) -> bool: ...


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


# The causes an S3-compatible store fails for, as people are told them (status 503: the request
# was fine, the store was not; nothing was written to the database).
STORE_UNREACHABLE = N_("The file store cannot be reached right now. Try again later.")
STORE_NO_BUCKET = N_("The file store's bucket does not exist. Ask the administrator to check the S3 settings.")
STORE_REFUSED = N_("The file store refused the credentials. Ask the administrator to check the S3 settings.")
STORE_FAILED = N_("The file store answered with an error. Try again later.")

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_NO_BUCKET = {"NoSuchBucket"}
_REFUSED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}


class S3FileStore:
    """An S3-compatible bucket; boto3 is synchronous, so each call runs in a worker thread.

    Path-style addressing (`endpoint/bucket/key`), because S3-compatible servers (MinIO, Ceph,
    Garage...) are rarely set up with a DNS name per bucket. Checksums are computed only where the
    protocol requires them: newer botocore otherwise sends CRC headers that many of those servers
    reject. Integrity is checked the way the local store does it, by hashing what is read back.
    """

    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint: str | None,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        config = Config(
            region_name=region,
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            # One retry: an unreachable store should be reported in seconds, not after a minute.
            retries={"max_attempts": 2, "mode": "standard"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # A session per store: boto3's default session is shared module state; clients are thread-safe.
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    @staticmethod
    def key_of(digest: str) -> str:
        if not _HEX64.match(digest):
            raise ValueError("not a SHA-256 digest")
        return digest

    @staticmethod
    def _code(exc: Exception) -> str:

        if not isinstance(exc, ClientError):
            return ""
        answer = exc.response
        return str(
            answer.get("Error", {}).get("Code") or answer.get("ResponseMetadata", {}).get("HTTPStatusCode") or ""
        )

    def _unavailable(self, exc: Exception, operation: str, message: str | None = None) -> DomainError:
        code = self._code(exc)
        if message is None:
            message = (
                STORE_NO_BUCKET
                if code in _NO_BUCKET
                else STORE_REFUSED
                if code in _REFUSED
                else (STORE_FAILED if code else STORE_UNREACHABLE)
            )
        # The details (endpoint, bucket, the store's own words) are for the operators' log only.
        log.warning(
            "file store failed",
            operation=operation,
            endpoint=self.endpoint,
            bucket=self.bucket,
            code=code or None,
            error=str(exc),
        )
        return DomainError(message, status=503)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if self._code(exc) in _NOT_FOUND:
                return None
            raise self._unavailable(exc, "head") from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc, "head") from exc

    def _exists(self, key: str) -> bool:
        if self._head(key) is not None:
            return True
        # HEAD has no body, so a missing bucket is a bare 404 too: ask the bucket which it is.
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            missing = self._code(exc) in _NOT_FOUND
            raise self._unavailable(exc, "head bucket", STORE_NO_BUCKET if missing else None) from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc, "head bucket") from exc
        return False

    def _put(self, digest: str, content: bytes) -> None:
        key = self.key_of(digest)
        head = self._head(key)  # a missing bucket shows here as a missing key, and then in put_object
        if head is not None and head.get("ContentLength") == len(content):
            return  # content-addressed: the same bytes are already there
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=content,
                ContentLength=len(content),
                ContentType="application/octet-stream",
                Metadata={"sha256": digest},
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc, "put") from exc

    def _get(self, digest: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key_of(digest))
            with answer["Body"] as body:
                return body.read()
        except ClientError as exc:
            if self._code(exc) in _NOT_FOUND:
                raise MissingFile(digest) from exc
            raise self._unavailable(exc, "get") from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc, "get") from exc

    async def put(self, content: bytes) -> str:
        digest = sha256_of(content)
        await asyncio.to_thread(self._put, digest, content)
        return digest

    async def get(self, digest: str) -> bytes:
        content = await asyncio.to_thread(self._get, digest)
        if sha256_of(content) != digest:
            raise MissingFile(f"{digest} (content in the store does not match its hash)")
        return content

    async def exists(self, digest: str) -> bool:
        return await asyncio.to_thread(self._exists, self.key_of(digest))

    def close(self) -> None:
        self.client.close()


def build_file_store(settings: Settings) -> FileStore:
    if settings.file_store == "local":
        return LocalFileStore(settings.data_dir / "files")
    if settings.file_store == "s3":
        if not settings.s3_bucket:
            raise RuntimeError("METODIST_FILE_STORE=s3 needs METODIST_S3_BUCKET.")
        if bool(settings.s3_access_key) != bool(settings.s3_secret_key):
            raise RuntimeError(
                "Set both METODIST_S3_ACCESS_KEY and METODIST_S3_SECRET_KEY, or neither "
                "(then boto3 finds credentials the usual way: AWS_* variables, instance role)."
            )
        return S3FileStore(
            bucket=settings.s3_bucket,
            endpoint=settings.s3_endpoint,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
        )
    raise RuntimeError(f"Unknown METODIST_FILE_STORE {settings.file_store!r}: use 'local' or 's3'.")
