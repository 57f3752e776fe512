"""A throw-away PostgreSQL server for tests that stop, freeze and restart their database.

Its own cluster in a temporary folder, on its own free port, never the shared server:
`initdb` refuses to run as root, so the binaries run as the `postgres` system user when
the tests run as root.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

BIN_DIR = Path(os.environ.get("CARTE_PG_BIN", "/usr/lib/postgresql/15/bin"))
BINARIES = ("initdb", "pg_ctl", "postgres")


def binaries_missing() -> list[str]:
    return [name for name in BINARIES if not (BIN_DIR / name).exists()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempCluster:
    """initdb + pg_ctl on a temporary folder; `stop`, `start`, `freeze` and `thaw` the server."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="carte-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.frozen: list[int] = []
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, binary: str, *args: str) -> None:
        command = [str(BIN_DIR / binary), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options)

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate")

    def _server_pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(postmaster)], capture_output=True, text=True
        ).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: a hung server that still accepts TCP."""
        self.frozen = self._server_pids()
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen = []

    def destroy(self) -> None:
        self.thaw()
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
