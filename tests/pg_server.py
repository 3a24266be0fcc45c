"""A throwaway PostgreSQL server for the queue's tests: initdb + pg_ctl over the installed binaries, in a
temporary folder, on a free loopback port, fsync off; stopped and deleted at the end of the session.

PostgreSQL refuses to run as root: as root, the server runs as ``nobody``. No mock anywhere: when no
binaries are installed the PostgreSQL half of the tests is skipped, with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

NO_BINARIES = ("no PostgreSQL server binaries (initdb, pg_ctl) on this machine: .ci/run installs Debian's "
               "postgresql; the SQLite half of the queue tests still runs")


def bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
                      if p.parts[-3].isdigit() else 0)
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.base = Path(tempfile.mkdtemp(prefix="docanalyzer-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self.user = "nobody" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.base, user=self.user)

    def _run(self, *args: str) -> None:
        result = subprocess.run([str(self.binaries / args[0]), *args[1:]], user=self.user, capture_output=True,
                                text=True, timeout=120, cwd=self.base)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr[-2000:]}")

    def start(self) -> str:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
                  "--no-sync")
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.base / "server.log"), "-w", "-t",
                  "60", "start")
        return self.url("postgres")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
