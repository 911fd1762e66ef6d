"""Servers the fault tests start, stop and restart themselves — never the machine's shared ones.

`RedisServer`: the redis-server binary on a free port, nothing saved to disk.
`PostgresServer`: initdb + pg_ctl (PostgreSQL's own binaries) on a temporary folder and a free port.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, *, up: bool, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                is_up = True
        except OSError:
            is_up = False
        if is_up == up:
            return
        time.sleep(0.05)
    raise AssertionError(f"port {port} did not go {'up' if up else 'down'} in {timeout} s")


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, up=True, timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # as a crash or an unplugged host: no goodbye to the clients
            self.proc.wait(10)
        self.proc = None
        _wait_port(self.port, up=False, timeout=10)


def _pg_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    if found is None:
        pytest.skip("PostgreSQL's binaries (initdb, pg_ctl) are not installed")
    return Path(found).parent


class PostgresServer:
    """A PostgreSQL cluster of its own. As root it runs as the `postgres` system user (initdb
    refuses root), in a folder of its own under the system's temporary folder: pytest's base
    folder is private to root and set back to that by every pytest run that starts meanwhile."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.workdir = Path(tempfile.mkdtemp(prefix="metodist-pg-"))
        self.pgdata = self.workdir / "pgdata"
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root without a postgres system user")
            self.user = "postgres"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        if done.returncode != 0:
            log = self.workdir / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise AssertionError(f"{' '.join(args)} failed: {done.stderr.decode()[-2000:]}\n{tail}")

    def init(self) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.workdir} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.pgdata), "-o", options, "-l", str(self.workdir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def kill(self) -> None:
        """Stops it, ignoring errors, and removes its folder (tear-down)."""
        try:
            self.stop("immediate")
        except (AssertionError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.workdir, ignore_errors=True)
