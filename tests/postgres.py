"""A throwaway PostgreSQL cluster for the ledger's tests and benchmarks.

Debian's server binaries (``/usr/lib/postgresql/<version>/bin``) make a cluster in a
temporary directory, listening only on a unix socket there, and remove it after.
``initdb`` refuses to run as root, so as root (CI) the cluster belongs to the
``postgres`` user and every server command runs through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Set by ``.ci/run``: a machine without PostgreSQL fails the tests instead of skipping.
REQUIRE_POSTGRES = os.environ.get("CONSENTKIT_REQUIRE_POSTGRES") == "1"
SUPERUSER = "consentkit"


def server_bin() -> Path | None:
    """The newest installed server's ``bin`` directory, or ``None``."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass(frozen=True)
class Cluster:
    socket_dir: str
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def cluster() -> Iterator[Cluster]:
    """Start a cluster; stop it and delete its files on exit.

    :raises FileNotFoundError: when no PostgreSQL server is installed.
    """
    bindir = server_bin()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL server binaries (Debian package 'postgresql')")
    root = os.geteuid() == 0
    base = tempfile.mkdtemp(prefix="consentkit-pg-")
    prefix: Sequence[str] = ()
    if root:
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
        prefix = ("runuser", "-u", "postgres", "--")
    data = os.path.join(base, "data")
    port = _free_port()

    def run(*argv: str) -> None:
        subprocess.run(
            [*prefix, *argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    try:
        run(
            str(bindir / "initdb"),
            "-D",
            data,
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = f"-k {base} -p {port} -c listen_addresses='' -c max_connections=100"
        run(
            str(bindir / "pg_ctl"),
            "-D",
            data,
            "-l",
            os.path.join(base, "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        try:
            yield Cluster(base, port)
        finally:
            run(str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)
