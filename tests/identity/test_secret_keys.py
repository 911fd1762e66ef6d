"""The secret key: production refuses to start without a strong one, and keys rotate.

Each check fails without the fix: before it, `metodist serve` with METODIST_ENV=production and no
key went on to serve with the built-in key (here it would try the unreachable database and fail
differently, or serve); a secret sealed with an older key did not open once a new key was set;
and nothing re-sealed stored secrets.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from api.identity.crypto import (
    SecretDecryptionError,
    _key,
    decrypt_secret,
    encrypt_secret,
    key_id,
    needs_rotation,
    sealed_with,
)
from api.settings import DEFAULT_SECRET_KEY, ConfigurationError, Settings

METODIST = str(Path(sys.executable).parent / "metodist")
OLD = "old-key-" + "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
NEW = "new-key-" + "z9y8x7w6v5u4t3s2r1q0p9o8n7m6l5k4"
# Nothing listens here: a command that got as far as the database would fail on it, not on the key.
NOWHERE = "postgresql://postgres@127.0.0.1:9/none"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METODIST_") and k != "DATABASE_URL"}
    return {**env, "DATABASE_URL": NOWHERE, "METODIST_ENV": "production", "METODIST_DEMO_DATA": "0", **extra}


@pytest.mark.parametrize(
    "key_env",
    [
        {},
        {"METODIST_SECRET_KEY": DEFAULT_SECRET_KEY},
        {"METODIST_SECRET_KEY": "short-key-123"},
        {"METODIST_SECRET_KEY": "a" * 64},
        {"METODIST_SECRET_KEY": "change-me-to-64-random-characters"},
        {"METODIST_SECRET_KEYS": f"tooshort,{OLD}"},
        {"METODIST_SECRET_KEY": NEW, "METODIST_SECRET_KEYS": f"{OLD},{NEW}"},
    ],
    ids=[
        "missing",
        "built-in default",
        "too short",
        "repetitive",
        "the example's placeholder",
        "newest of the list too short",
        "single and list disagree",
    ],
)
def test_production_refuses_to_start_without_a_strong_key(key_env: dict[str, str], tmp_path: Path) -> None:
    _refused("serve", key_env, tmp_path)


def test_the_worker_refuses_too(tmp_path: Path) -> None:
    _refused("worker", {}, tmp_path)


def _refused(command: str, key_env: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run(
        [METODIST, command],
        env=_env(METODIST_DATA_DIR=str(tmp_path), **key_env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "METODIST_SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "pg").exists()  # it stopped before touching any database


def test_the_app_itself_refuses_production_with_the_default_key(settings: Settings, database_url: str) -> None:
    from api.app import create_api_app
    from tests.identity.login.conftest import settings_with

    with pytest.raises(ConfigurationError, match="METODIST_SECRET_KEY"):
        create_api_app(settings_with(settings, environment="production"), database_url)
    # A strong key passes; development and tests keep the built-in one.
    settings_with(settings, environment="production", secret_key=NEW).check_safe()
    settings.check_safe()


def test_keys_are_read_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METODIST_SECRET_KEY", raising=False)
    monkeypatch.setenv("METODIST_SECRET_KEYS", f" {NEW} , {OLD},{NEW}")
    read = Settings.from_env()
    assert read.secret_key == NEW and read.old_secret_keys == (OLD,) and read.secret_keys == (NEW, OLD)
    monkeypatch.setenv("METODIST_SECRET_KEY", NEW)  # agreeing with the list is fine
    assert Settings.from_env().secret_keys == (NEW, OLD)
    monkeypatch.delenv("METODIST_SECRET_KEYS")
    assert Settings.from_env().secret_keys == (NEW,)


def test_new_secrets_use_the_newest_key_and_old_ones_still_open() -> None:
    bound = str(uuid.uuid4())
    sealed_old = encrypt_secret([OLD], "client-secret", bound)
    assert sealed_with(sealed_old) == key_id(OLD)
    # After rotation is configured: the old ciphertext opens, new ones name the new key.
    assert decrypt_secret([NEW, OLD], sealed_old, bound) == "client-secret"
    sealed_new = encrypt_secret([NEW, OLD], "client-secret", bound)
    assert sealed_with(sealed_new) == key_id(NEW) != key_id(OLD)
    assert needs_rotation([NEW, OLD], sealed_old) and not needs_rotation([NEW, OLD], sealed_new)
    with pytest.raises(SecretDecryptionError, match="not configured"):
        decrypt_secret([NEW], sealed_old, bound)
    with pytest.raises(SecretDecryptionError):
        decrypt_secret([NEW, OLD], sealed_new, str(uuid.uuid4()))  # bound to its row
    # The format written before key ids (v1): tried with each key.
    nonce = os.urandom(12)
    legacy = (
        "v1:" + base64.urlsafe_b64encode(nonce + AESGCM(_key(OLD)).encrypt(nonce, b"legacy", bound.encode())).decode()
    )
    assert decrypt_secret([NEW, OLD], legacy, bound) == "legacy"
    assert needs_rotation([NEW, OLD], legacy)
    with pytest.raises(SecretDecryptionError):
        decrypt_secret([NEW], legacy, bound)


@pytest.fixture
async def keyed_db(settings: Settings) -> Any:
    """A database of its own: the rotation signs its audit entry with the new key, which the
    shared database's other tests (on the built-in key) must not meet in their identity log."""
    import dataclasses

    from api.bootstrap import load_territories
    from api.db import Database, create_engine
    from tests.conftest import _server_url
    from tests.support import scratch_database

    with scratch_database(_server_url(), prefix="metodist_keys") as url:
        keyed = dataclasses.replace(settings, database_url=url, secret_key=NEW, old_secret_keys=(OLD,))
        db = Database(create_engine(keyed, url))
        await load_territories(db, keyed)
        db.url = url  # type: ignore[attr-defined]
        yield db
        await db.dispose()


async def test_keys_rotate_re_encrypts_stored_secrets_with_the_newest(keyed_db: Any) -> None:
    from api.identity.audit import verify
    from api.identity.models import IdentityAuditEntry, IdentityProvider
    from tests.identity.login.flows import make_organisation

    db, database_url = keyed_db, keyed_db.url
    org = await make_organisation(db)
    ids = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
    async with db.session() as session, session.begin():
        for n, row_id in enumerate(ids):
            key = NEW if n == 2 else OLD  # one already under the newest key
            session.add(
                IdentityProvider(
                    id=row_id,
                    organisation_id=org.id,
                    name=f"SSO {n}",
                    issuer=f"https://idp{n}.example.kz",
                    client_id=f"c{n}",
                    client_secret_encrypted=encrypt_secret([key], f"secret-{n}", str(row_id)),
                    scopes="openid",
                    use_userinfo=True,
                    allowed_domains=[],
                    is_active=False,
                )
            )
        # One no configured key opens (sealed with a key long gone).
        lost = uuid.uuid4()
        session.add(
            IdentityProvider(
                id=lost,
                organisation_id=org.id,
                name="Lost",
                issuer="https://lost.example.kz",
                client_id="l",
                client_secret_encrypted=encrypt_secret(["a-key-nobody-has-any-more-0123456789"], "x", str(lost)),
                scopes="openid",
                use_userinfo=True,
                allowed_domains=[],
                is_active=False,
            )
        )

    env = {**_env(METODIST_SECRET_KEYS=f"{NEW},{OLD}"), "DATABASE_URL": database_url}
    dry = subprocess.run(
        [METODIST, "keys", "rotate", "--dry-run"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "would re-encrypt 2 secret(s)" in dry.stdout, dry.stdout + dry.stderr
    async with db.session() as session:
        still = await session.get(IdentityProvider, ids[0])
        assert sealed_with(still.client_secret_encrypted) == key_id(OLD)

    done = subprocess.run([METODIST, "keys", "rotate"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr  # the unreadable one is reported
    assert "re-encrypted 2 secret(s)" in done.stdout and str(lost) in done.stderr
    async with db.session() as session:
        for n, row_id in enumerate(ids):
            row = await session.get(IdentityProvider, row_id)
            assert sealed_with(row.client_secret_encrypted) == key_id(NEW)
            # The old key can now be dropped: the newest alone opens every secret.
            assert decrypt_secret([NEW], row.client_secret_encrypted, str(row_id)) == f"secret-{n}"
        entry = await session.scalar(
            select(IdentityAuditEntry)
            .where(IdentityAuditEntry.action == "secrets.rotate")
            .order_by(IdentityAuditEntry.seq.desc())
        )
        assert entry is not None and entry.actor_kind == "command" and entry.after["re_encrypted"] == 2
        assert entry.entity_id == key_id(NEW)
        assert (await verify(session)).ok
    again = subprocess.run([METODIST, "keys", "rotate"], env=env, capture_output=True, text=True, timeout=120)
    assert "re-encrypted 0 secret(s); 3 already under the newest key" in again.stdout


async def test_a_csrf_cookie_of_a_rotated_key_is_replaced_on_the_next_page(app: object) -> None:
    """After a rotation a browser still holds a CSRF cookie signed with the old key; Litestar keeps
    an existing cookie, so without the fix every form of that browser failed until it closed."""
    import httpx
    from litestar.middleware.csrf import generate_csrf_token

    from api.identity.csrf import CSRF_COOKIE

    stale = generate_csrf_token(OLD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as web:  # type: ignore[arg-type]
        web.cookies.set(CSRF_COOKIE, stale)
        page = await web.get("/sign-in")
        assert page.status_code == 200
        issued = [h for h in page.headers.get_list("set-cookie") if h.startswith(f"{CSRF_COOKIE}=")]
        assert issued and stale not in issued[0]
        current = issued[0].split(";")[0].split("=", 1)[1]
        # A current cookie is kept as it is.
        web.cookies.clear()
        web.cookies.set(CSRF_COOKIE, current)
        again = await web.get("/sign-in")
        assert not [h for h in again.headers.get_list("set-cookie") if h.startswith(f"{CSRF_COOKIE}=")]
