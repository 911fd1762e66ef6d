"""Stopping `metodist serve` the way a service manager does stops the embedded PostgreSQL it started.

`make run` without DATABASE_URL runs PostgreSQL from pgserver under the data folder. systemd (and
most supervisors) stop a service by sending SIGTERM to its whole process group. Before the fix the
server process died of that signal without running its exit handlers (uvicorn re-raises the signal
after its graceful shutdown), and the PostgreSQL it had started stayed up on the data folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.hardening.servers import free_port

METODIST = Path(sys.executable).with_name("metodist")


def postgres_on(pgdata: Path) -> list[psutil.Process]:
    """PostgreSQL processes serving this data folder."""
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(proc)
    return found


def start_serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        METODIST_DATA_DIR=str(data_dir),
        METODIST_DEMO_DATA="0",
        METODIST_TENANT_SPARES="0",
        METODIST_PERIODIC_JOBS="0",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    # Its own process group, as a service manager starts a unit.
    return subprocess.Popen(
        [str(METODIST), "serve"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"metodist serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"metodist serve did not become ready in {timeout} s:\n{log.read_text()[-3000:]}")


def stop_group(proc: subprocess.Popen[bytes]) -> int:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("metodist serve did not stop within 60 s of SIGTERM") from None


def wait_gone(pgdata: Path, timeout: float = 15) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := postgres_on(pgdata)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_sigterm_to_the_process_group_stops_the_embedded_postgres(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    pgdata = (data_dir / "pg").resolve()
    log = tmp_path / "serve.log"
    port = free_port()
    proc = start_serve(data_dir, port, log)
    try:
        wait_healthy(proc, port, log)
        assert postgres_on(pgdata), "the run should have started its own PostgreSQL on the data folder"
        stop_group(proc)
        left = wait_gone(pgdata)
        assert not left, f"PostgreSQL still running on {pgdata} after the stop: {[p.pid for p in left]}"
        assert not (pgdata / "postmaster.pid").exists()

        # A second start on the same folder works, and stops as cleanly.
        proc = start_serve(data_dir, port, log)
        wait_healthy(proc, port, log)
        stop_group(proc)
        assert not wait_gone(pgdata)

        # A run killed outright (SIGKILL: no exit handlers) leaves PostgreSQL up, and its process id
        # in pgserver's list of users; the next run takes the server over and still stops it.
        proc = start_serve(data_dir, port, log)
        wait_healthy(proc, port, log)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        assert postgres_on(pgdata)
        proc = start_serve(data_dir, port, log)
        wait_healthy(proc, port, log)
        stop_group(proc)
        assert not wait_gone(pgdata), "a dead run's leftover handle kept PostgreSQL up"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for leftover in postgres_on(pgdata):
            leftover.kill()
