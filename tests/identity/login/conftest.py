"""Sign-in tests on real components, all on 127.0.0.1:

- the application served by uvicorn over HTTPS (a certificate made for the run), so cookies are
  `Secure` as in production;
- a real OpenID provider: the npm package `oidc-provider` 8.x run by Node (tests/oidc/provider.js),
  installed by `npm install` into tests/oidc/node_modules when missing; it is the platform's
  (national) provider;
- a small OpenID provider of our own (idp.py) that can issue deliberately broken tokens;
- an SMTP server (aiosmtpd) that keeps what it receives.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.settings import PROJECT_ROOT, Settings
from tests.identity.login.idp import LocalIdP, server

OIDC_DIR = PROJECT_ROOT / "tests" / "oidc"
NATIONAL_CLIENT = ("metodist-national", "national-secret-" + uuid.uuid4().hex)
MISREGISTERED_CLIENT = ("metodist-misregistered", "misregistered-secret")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Ports:
    app: int = field(default_factory=free_port)
    node: int = field(default_factory=free_port)
    idp: int = field(default_factory=free_port)
    smtp: int = field(default_factory=free_port)


@pytest.fixture(scope="session")
def ports() -> Ports:
    return Ports()


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1, trusted by the tests' HTTP clients."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Tls(directory / "cert.pem", directory / "key.pem")


# --- the Node OpenID provider ---------------------------------------------------------------------


@dataclass(frozen=True)
class NodeProvider:
    issuer: str
    client_id: str
    client_secret: str


def _ensure_node_modules() -> None:
    if (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    # `make test` installs them first (its test-tools step); a bare pytest run does it here, from the lock file.
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True, timeout=600)


def _wait_http(url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@pytest.fixture(scope="session")
def node_provider(ports: Ports, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProvider]:
    _ensure_node_modules()
    app = f"https://127.0.0.1:{ports.app}"
    clients = [
        {
            "client_id": NATIONAL_CLIENT[0],
            "client_secret": NATIONAL_CLIENT[1],
            "redirect_uris": [f"{app}/api/auth/callback/national"],
            "post_logout_redirect_uris": [f"{app}/sign-in"],
        },
        {
            # Registered with another address than the one Metodist sends: the provider refuses.
            "client_id": MISREGISTERED_CLIENT[0],
            "client_secret": MISREGISTERED_CLIENT[1],
            "redirect_uris": [f"{app}/api/auth/callback/somewhere-else"],
        },
    ]
    env = {**os.environ, "OIDC_PORT": str(ports.node), "OIDC_CLIENTS": __import__("json").dumps(clients)}
    log = (tmp_path_factory.mktemp("node") / "provider.log").open("wb")
    process = subprocess.Popen(["node", str(OIDC_DIR / "provider.js")], env=env, stdout=log, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{ports.node}"
    try:
        _wait_http(f"{issuer}/.well-known/openid-configuration", process)
        yield NodeProvider(issuer, *NATIONAL_CLIENT)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- our own test provider ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def idp(ports: Ports) -> AsyncIterator[LocalIdP]:
    provider = LocalIdP(ports.idp)
    srv = server(provider.app(), ports.idp)
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield provider
    srv.should_exit = True
    await task


# --- mail ------------------------------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    async def wait_for(self, to: str, timeout: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if to in message["X-Envelope-To"]:
                    return message
            await asyncio.sleep(0.05)
        raise AssertionError(f"no mail to {to}; got {[m['To'] for m in self.messages]}")


@pytest.fixture(scope="session")
def mailbox(ports: Ports) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=ports.smtp)
    controller.start()
    yield box
    controller.stop()


# --- the application -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def login_settings(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    ports: Ports,
    node_provider: NodeProvider,
    mailbox: Mailbox,
) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        data_dir=tmp_path_factory.mktemp("login-data"),
        demo_data=False,
        public_url=f"https://127.0.0.1:{ports.app}",
        oidc_issuer=node_provider.issuer,
        oidc_client_id=node_provider.client_id,
        oidc_client_secret=node_provider.client_secret,
        oidc_name="Test national SSO",
        smtp_host="127.0.0.1",
        smtp_port=ports.smtp,
        smtp_sender="metodist@test.kz",
        oidc_leeway_s=30,
        # Each run counts its own sessions and rate limits.
        store_namespace=f"test-login-{uuid.uuid4().hex[:8]}",
        rate_limit_sign_in=10_000,
        dns_nameservers=("127.0.0.1:9",),
        dns_timeout_s=1.0,
    )


@dataclass(frozen=True)
class LoginServer:
    url: str
    settings: Settings
    tls: Tls
    app: Any

    def browser(self, **kwargs: Any) -> httpx.AsyncClient:
        """A fresh 'browser': its own cookie jar, redirects followed by hand."""
        return httpx.AsyncClient(base_url=self.url, verify=self.tls.client_context(), timeout=30, **kwargs)


@pytest.fixture(scope="session")
async def login_server(
    login_settings: Settings, database_url: str, tls: Tls, ports: Ports, idp: LocalIdP
) -> AsyncIterator[LoginServer]:
    from api.asgi import create_app
    from api.bootstrap import load_territories
    from api.db import Database, create_engine

    db = Database(create_engine(login_settings, database_url))
    await load_territories(db, login_settings)
    await db.dispose()
    app = create_app(login_settings, database_url, run_worker=False)
    srv = server(app, ports.app, ssl_certfile=str(tls.cert), ssl_keyfile=str(tls.key))
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield LoginServer(login_settings.public_url, login_settings, tls, app)
    srv.should_exit = True
    await task


def settings_with(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)
