"""A throwaway PostgreSQL server on loopback from Debian's packages, for instance-storage tests.

The server refuses to run as root, so `initdb` and `postgres` run as the `postgres` user in a
temporary data directory that user owns; it listens on 127.0.0.1 at a free port with its unix
socket inside that directory, and is stopped by its PID and removed at the end. When the
binaries are missing, root installs `postgresql` with apt-get; anyone else skips with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SERVER_USER = "postgres"
DATABASE = "whale_dagster"
STARTUP_TIMEOUT_S = 60
BIN_GLOB = "/usr/lib/postgresql/*/bin"


def postgres_bin_dir() -> Path | None:
    """The newest installed server's bin directory (the one holding initdb and postgres)."""
    found = [Path(d) for d in glob.glob(BIN_GLOB) if (Path(d) / "initdb").exists() and (Path(d) / "postgres").exists()]
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0) if found else None


def ensure_postgres_installed() -> Path:
    """The bin directory, installing Debian's `postgresql` when missing and allowed; else skip."""
    bin_dir = postgres_bin_dir()
    if bin_dir is not None:
        return bin_dir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql) and this user cannot install it")
    installed = subprocess.run(
        "apt-get update -q && apt-get install -y -q --no-install-recommends postgresql",
        shell=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip(f"PostgreSQL could not be installed: {installed.stderr[-500:]}")
    return bin_dir


def _as_server_user(command: list[str]) -> list[str]:
    """`command` as the postgres user when we are root (the server refuses root), else as is."""
    if os.geteuid() != 0:
        return command
    try:
        import pwd

        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.skip(f"no {SERVER_USER!r} user to run the server as (the postgresql package creates it)")
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return ["su", SERVER_USER, "-s", "/bin/sh", "-c", " ".join(command)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _owned_by_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user=SERVER_USER, group=SERVER_USER)


def _wait_until_accepting(port: int, process: subprocess.Popen, log: Path) -> None:
    import psycopg2

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            psycopg2.connect(
                host="127.0.0.1", port=port, user=SERVER_USER, dbname="postgres", connect_timeout=2
            ).close()
            return
        except psycopg2.OperationalError:
            time.sleep(0.2)
    raise RuntimeError(f"postgres did not accept connections within {STARTUP_TIMEOUT_S} s")


def _create_database(port: int, name: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=port, user=SERVER_USER, dbname="postgres")
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
    finally:
        connection.close()


def _stop(process: subprocess.Popen, data_dir: Path) -> None:
    """Fast shutdown of the postmaster by its PID (SIGINT: abort transactions, exit cleanly), then
    SIGKILL to the process group if it lingers. `process` may be runuser, the postmaster's parent."""
    if process.poll() is not None:
        return
    pid_file = data_dir / "postmaster.pid"
    postmaster = int(pid_file.read_text().split()[0]) if pid_file.exists() else process.pid
    try:
        os.kill(postmaster, signal.SIGINT)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@contextmanager
def running_postgres() -> Iterator[str]:
    """A fresh server with an empty database; yields its SQLAlchemy URL
    `postgresql+psycopg2://postgres@127.0.0.1:PORT/whale_dagster` (trust authentication on loopback)."""
    bin_dir = ensure_postgres_installed()
    root = Path(tempfile.mkdtemp(prefix="whale-pg-"))
    os.chmod(root, 0o755)  # the server user must reach the data directory inside
    data_dir, socket_dir, log = root / "data", root / "socket", root / "postgres.log"
    for folder in (data_dir, socket_dir):
        folder.mkdir()
        _owned_by_server_user(folder)
    process: subprocess.Popen | None = None
    try:
        initialised = subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    SERVER_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ]
            ),
            capture_output=True,
            text=True,
            cwd=root,
        )
        if initialised.returncode:
            raise RuntimeError(f"initdb failed: {initialised.stdout[-1000:]}{initialised.stderr[-1000:]}")
        port = _free_port()
        server = [
            str(bin_dir / "postgres"),
            "-D",
            str(data_dir),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(socket_dir),
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ]
        with log.open("wb") as log_file:  # the child keeps its own descriptor
            process = subprocess.Popen(
                _as_server_user(server), stdout=log_file, stderr=subprocess.STDOUT, cwd=root, start_new_session=True
            )
        _wait_until_accepting(port, process, log)
        _create_database(port, DATABASE)
        yield f"postgresql+psycopg2://{SERVER_USER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if process is not None:
            _stop(process, data_dir)
        shutil.rmtree(root, ignore_errors=True)


DEPLOY_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "dagster.yaml"


def instance_env(url: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables deploy/postgres/dagster.yaml reads, for the server at `url`."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {
        "DAGSTER_PG_USER": parsed.username or SERVER_USER,
        "DAGSTER_PG_PASSWORD": "unused-trust-auth",  # the test server trusts loopback; a password is still sent
        "DAGSTER_PG_HOST": parsed.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(parsed.port),
        "DAGSTER_PG_DB": parsed.database or DATABASE,
    }


def postgres_dagster_home(home: Path, max_concurrent_runs: int | None = None) -> Path:
    """`home` created as a DAGSTER_HOME holding deploy/postgres/dagster.yaml (optionally another run limit)."""
    import yaml

    home.mkdir(parents=True)
    config = yaml.safe_load(DEPLOY_DAGSTER_YAML.read_text())
    if max_concurrent_runs is not None:
        config["concurrency"]["runs"]["max_concurrent_runs"] = max_concurrent_runs
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home
