"""Versions kept in an S3-compatible store (METODIST_FILE_STORE=s3), through the API.

The store is a real S3-compatible server process on 127.0.0.1 (moto in server mode), spoken to
over HTTP by the same client the application uses; apps are built with settings pointing at it,
at a bucket that does not exist, and at a port where nothing listens.
"""

from __future__ import annotations

import dataclasses
import hashlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from api.audit import AuditEntry
from api.domain.documents.models import DocumentVersion
from api.domain.documents.storage import S3FileStore, build_file_store
from api.settings import Settings
from tests.reviews import world as w
from tests.reviews.api_support import Api
from tests.support import AsgiLifespan

pytestmark = pytest.mark.asyncio

ACCESS_KEY, SECRET_KEY = "metodist-test", "metodist-test-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server in its own process, for this session; stopped at the end."""
    port = _free_port()
    folder: Path = tmp_path_factory.mktemp("s3")
    log = (folder / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the S3 server stopped: {(folder / 'moto.log').read_text(errors='replace')}")
            try:
                if httpx.get(endpoint + "/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the S3 server did not answer within 30 s")
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def bucket(s3_endpoint: str) -> Any:
    """The bucket, versioned: an object written twice would show as two versions."""
    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )
    name = f"metodist-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.bucket_name = name  # type: ignore[attr-defined]
    return s3


def _s3_settings(settings: Settings, endpoint: str, bucket_name: str) -> Settings:
    return dataclasses.replace(
        settings,
        file_store="s3",
        s3_endpoint=endpoint,
        s3_bucket=bucket_name,
        s3_region="us-east-1",
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
    )


async def _app(settings: Settings, database_url: str) -> AsyncIterator[Any]:
    from api.asgi import create_app

    async with AsgiLifespan(create_app(settings, database_url, run_worker=False)) as dispatcher:
        yield dispatcher


@pytest.fixture(scope="module")
async def s3_app(settings: Settings, database_url: str, s3_endpoint: str, bucket: Any) -> AsyncIterator[Any]:
    async for app in _app(_s3_settings(settings, s3_endpoint, bucket.bucket_name), database_url):
        yield app


@pytest.fixture(scope="module")
async def unreachable_app(settings: Settings, database_url: str, bucket: Any) -> AsyncIterator[Any]:
    # A port nobody listens on: the store is down, not misconfigured.
    async for app in _app(_s3_settings(settings, f"http://127.0.0.1:{_free_port()}", bucket.bucket_name), database_url):
        yield app


@pytest.fixture(scope="module")
async def no_bucket_app(settings: Settings, database_url: str, s3_endpoint: str) -> AsyncIterator[Any]:
    async for app in _app(_s3_settings(settings, s3_endpoint, "no-such-bucket"), database_url):
        yield app


async def _snapshot(db: Any, world: w.World) -> tuple[int, int]:
    return await w.count(db, world.schema, DocumentVersion), await w.count(db, world.schema, AuditEntry)


def _versions_of(bucket: Any, key: str) -> list[dict[str, Any]]:
    listed = bucket.list_object_versions(Bucket=bucket.bucket_name, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


async def test_version_stored_under_its_sha256_and_downloaded(s3_app: Any, db: Any, uni: w.World, bucket: Any) -> None:
    api = Api(s3_app, db, uni)
    doc = await api.create("author", kind="working_programme", title="Programme kept in S3")
    content = w.pdf(f"s3 {uuid.uuid4()}")
    digest = hashlib.sha256(content).hexdigest()
    r = await api.upload("author", doc["id"], content, "programme.pdf", media_type="application/pdf")
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == digest and r.json()["size"] == len(content)
    # The object is in the bucket under its SHA-256, with exactly the uploaded bytes.
    stored = bucket.get_object(Bucket=bucket.bucket_name, Key=digest)
    assert stored["Body"].read() == content
    async with db.tenant_session(uni.schema) as session:
        version = await session.get(DocumentVersion, uuid.UUID(r.json()["id"]))
        assert version is not None and version.store == "s3"
    f = await api.call("author", "GET", f"/documents/{doc['id']}/versions/{r.json()['id']}/file")
    assert f.status_code == 200 and f.content == content
    assert f.headers["content-type"].startswith("application/pdf")


async def test_the_same_file_twice_is_stored_once(s3_app: Any, db: Any, uni: w.World, bucket: Any) -> None:
    api = Api(s3_app, db, uni)
    content = w.docx("Same text", str(uuid.uuid4()))
    digest = hashlib.sha256(content).hexdigest()
    first = await api.create("author", kind="guidelines", title="Guidelines")
    second = await api.create("author", kind="guidelines", title="The same guidelines again")
    r1 = await api.upload("author", first["id"], content, "g.docx")
    r2 = await api.upload("author", second["id"], content, "copy.docx")
    r3 = await api.upload("author", first["id"], content, "g.docx", note="Uploaded again")
    assert [r.status_code for r in (r1, r2, r3)] == [201, 201, 201], (r1.text, r2.text, r3.text)
    assert {r.json()["sha256"] for r in (r1, r2, r3)} == {digest}
    assert len({r.json()["id"] for r in (r1, r2, r3)}) == 3  # three versions, one file
    # The bucket keeps versions: a second write of the key would have made a second one.
    assert len(_versions_of(bucket, digest)) == 1
    for r, doc in ((r2, second), (r3, first)):
        f = await api.call("author", "GET", f"/documents/{doc['id']}/versions/{r.json()['id']}/file")
        assert f.status_code == 200 and f.content == content


async def test_unreachable_store_is_a_clear_503_and_nothing_is_written(
    unreachable_app: Any, s3_app: Any, db: Any, uni: w.World, bucket: Any
) -> None:
    api = Api(unreachable_app, db, uni)
    doc = await api.create("author", kind="working_programme", title="Programme")
    content = w.pdf(f"never stored {uuid.uuid4()}")
    before = await _snapshot(db, uni)
    started = time.monotonic()
    r = await api.upload("author", doc["id"], content, "programme.pdf", media_type="application/pdf")
    assert time.monotonic() - started < 20  # reported promptly, not after the client's default minute
    assert r.status_code == 503, r.text
    assert r.json() == {
        "status": 503,
        "message": "The file store cannot be reached right now. Try again later.",
        "field": None,
        "clause": None,
    }
    assert await _snapshot(db, uni) == before
    assert _versions_of(bucket, hashlib.sha256(content).hexdigest()) == []
    # In the caller's language, like every error.
    ru = await api.call(
        "author",
        "POST",
        f"/documents/{doc['id']}/versions",
        headers={"accept-language": "ru"},
        files={"file": ("programme.pdf", content, "application/pdf")},
    )
    assert ru.status_code == 503 and ru.json()["message"].startswith("Хранилище файлов сейчас недоступно")
    # A version stored while the store was up cannot be read while it is down: 503, not a 500.
    stored = await Api(s3_app, db, uni).upload(
        "author", doc["id"], content, "programme.pdf", media_type="application/pdf"
    )
    assert stored.status_code == 201, stored.text
    f = await api.call("author", "GET", f"/documents/{doc['id']}/versions/{stored.json()['id']}/file")
    assert f.status_code == 503 and "cannot be reached" in f.json()["message"]


async def test_missing_bucket_is_named_and_nothing_is_written(no_bucket_app: Any, db: Any, uni: w.World) -> None:
    api = Api(no_bucket_app, db, uni)
    doc = await api.create("author", kind="working_programme", title="Programme")
    before = await _snapshot(db, uni)
    r = await api.upload("author", doc["id"], w.pdf(str(uuid.uuid4())), "programme.pdf", media_type="application/pdf")
    assert r.status_code == 503, r.text
    assert r.json()["message"] == (
        "The file store's bucket does not exist. Ask the administrator to check the S3 settings."
    )
    assert await _snapshot(db, uni) == before


async def test_an_object_changed_in_the_bucket_is_never_served(s3_app: Any, db: Any, uni: w.World, bucket: Any) -> None:
    api = Api(s3_app, db, uni)
    doc = await api.create("author", kind="working_programme", title="Programme")
    content = w.pdf(f"tampered {uuid.uuid4()}")
    r = await api.upload("author", doc["id"], content, "programme.pdf", media_type="application/pdf")
    assert r.status_code == 201, r.text
    bucket.put_object(Bucket=bucket.bucket_name, Key=r.json()["sha256"], Body=content + b"% changed\n")
    f = await api.call("author", "GET", f"/documents/{doc['id']}/versions/{r.json()['id']}/file")
    assert f.status_code == 409 and "not available in the store" in f.json()["message"]
    # Deleted from the bucket: the same clear answer.
    gone = w.pdf(f"deleted {uuid.uuid4()}")
    r = await api.upload("author", doc["id"], gone, "programme.pdf", media_type="application/pdf", note="v2")
    assert r.status_code == 201, r.text
    bucket.delete_object(Bucket=bucket.bucket_name, Key=r.json()["sha256"])
    f = await api.call("author", "GET", f"/documents/{doc['id']}/versions/{r.json()['id']}/file")
    assert f.status_code == 409 and "not available in the store" in f.json()["message"]


async def test_store_interface_directly(s3_endpoint: str, bucket: Any, settings: Settings) -> None:
    store = build_file_store(_s3_settings(settings, s3_endpoint, bucket.bucket_name))
    assert isinstance(store, S3FileStore) and store.name == "s3"
    content = uuid.uuid4().bytes * 100
    digest = await store.put(content)
    assert digest == hashlib.sha256(content).hexdigest()
    assert await store.exists(digest) and await store.get(digest) == content
    assert await store.put(content) == digest and len(_versions_of(bucket, digest)) == 1
    assert not await store.exists(hashlib.sha256(b"never stored").hexdigest())
    with pytest.raises(ValueError):
        await store.get("../../etc/passwd")
    store.close()
    # exists() on a missing bucket names the bucket rather than answering "no".
    missing = build_file_store(_s3_settings(settings, s3_endpoint, "no-such-bucket"))
    from api.errors import DomainError

    with pytest.raises(DomainError) as caught:
        await missing.exists(digest)
    assert caught.value.status == 503 and "bucket does not exist" in caught.value.message


def test_misconfigured_s3_store_stops_the_start(settings: Settings, database_url: str) -> None:
    from api.app import create_api_app

    with pytest.raises(RuntimeError, match="METODIST_S3_BUCKET"):
        create_api_app(dataclasses.replace(settings, file_store="s3", s3_bucket=None), database_url)
    with pytest.raises(RuntimeError, match="both METODIST_S3_ACCESS_KEY and METODIST_S3_SECRET_KEY"):
        build_file_store(dataclasses.replace(settings, file_store="s3", s3_bucket="b", s3_access_key="k"))
    with pytest.raises(RuntimeError, match="use 'local' or 's3'"):
        build_file_store(dataclasses.replace(settings, file_store="ftp"))


def test_s3_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "METODIST_FILE_STORE": "s3",
        "METODIST_S3_ENDPOINT": "http://127.0.0.1:9000",
        "METODIST_S3_BUCKET": "versions",
        "METODIST_S3_REGION": "kz-central-1",
        "METODIST_S3_ACCESS_KEY": "access",
        "METODIST_S3_SECRET_KEY": "secret",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert (s.file_store, s.s3_endpoint, s.s3_bucket, s.s3_region, s.s3_access_key, s.s3_secret_key) == (
        "s3",
        "http://127.0.0.1:9000",
        "versions",
        "kz-central-1",
        "access",
        "secret",
    )
    store = build_file_store(s)
    assert isinstance(store, S3FileStore) and store.client.meta.region_name == "kz-central-1"
    assert store.client.meta.config.s3 == {"addressing_style": "path"}
    store.close()
