"""A real PostgreSQL server for the session, from the Debian package, on a loopback port.

The server runs as the ``postgres`` OS user when the tests run as root (PostgreSQL refuses
root), listens on 127.0.0.1 only with its socket in a temp dir, and is stopped at teardown.
Every test module gets a fresh database from ``pg_database``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True, slots=True)
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{database}"


def _bindir() -> Path | None:
    versions = sorted((p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    """Drop to ``postgres`` when root; otherwise run as ourselves."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
    tmp = Path(tempfile.mkdtemp(prefix="cumberland-pg-"))
    data, sockets = tmp / "data", tmp / "sock"
    data.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        os.chmod(tmp, 0o755)
        for path in (data, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", user,
                                    "--auth=trust", "-E", "UTF8", "--no-sync"]), **run)
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
    subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                    "-l", str(sockets / "server.log"), "-w", "-t", "60",
                                    "start"]), **run)
    try:
        yield PgServer("127.0.0.1", port, user)
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                        "-w", "stop"]), capture_output=True, timeout=120)
        shutil.rmtree(tmp, ignore_errors=True)


def create_database(server: PgServer) -> str:
    """A new empty database on the server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.url(name)


@pytest.fixture(scope="module")
def pg_database(pg_server: PgServer) -> str:
    return create_database(pg_server)


@pytest.fixture(scope="module")
def workspace_on_postgres(pg_database: str) -> Iterator[None]:
    """Every Workspace and CLI call of the module on the module's PostgreSQL database
    (``CUMBERLAND_DB``). Ask for it with ``pytest.mark.usefixtures`` in ``pytestmark``:
    those are set up before the module's other fixtures of the same scope."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CUMBERLAND_DB", pg_database)
        yield
