"""One helper per database server the tests start: ``redis-server`` and PostgreSQL's ``postgres``.

Each runs on a free loopback port with a data folder of its own, waits until it answers, shows
its own output when a wait fails, and is stopped by its process group (see ``realdapr._procs``).
The binaries come from Debian's ``redis-server`` and ``postgresql`` packages (``.ci/run`` and
``./dev`` install them); :func:`redis_missing` and :func:`postgres_missing` say why a test must
skip when they are absent.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sidecar._runner import free_port

from .realdapr._procs import Process

WAIT = 60.0


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def postgres_bindir() -> Path | None:
    """Debian keeps PostgreSQL's server binaries off PATH, in /usr/lib/postgresql/<v>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    return Path(dirs[-1]) if dirs and Path(dirs[-1], "initdb").exists() else None


def redis_missing() -> str | None:
    if redis_binary():
        return None
    return "NO REDIS SERVER: redis-server is not installed (apt-get install redis-server)"


def postgres_missing() -> str | None:
    if postgres_bindir():
        return None
    return "NO POSTGRESQL SERVER: initdb/postgres not found (apt-get install postgresql)"


def _ping_redis(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")
    return False


class RedisServer(Process):
    """``redis-server`` on a free port; ``--save ''`` unless ``persist`` (then AOF, fsync always),
    so a restart on the same folder keeps what it had."""

    def __init__(self, data_dir: Path, *, persist: bool = False, port: int = 0) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        args = [str(redis_binary()), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(data_dir), "--save", "", "--daemonize", "no"]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if persist else []
        super().__init__("redis-server", args, data_dir / "redis.log")
        self.host = f"127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise self.fail("exited before it answered PING")
            if _ping_redis(self.port):
                return
            time.sleep(0.05)
        raise self.fail(f"did not answer PING within {WAIT} s")


def _server_user() -> str | None:
    """postgres refuses to run as root: then it runs as the ``postgres`` user the package made."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "nobody"
    return "postgres"


class PostgresServer(Process):
    """A fresh cluster (``initdb``, trust auth) served by ``postgres`` on a free port, its socket
    in the data folder. The folder lives under the system temp dir, owned by the server's user."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        assert bindir is not None
        self.root = Path(tempfile.mkdtemp(prefix="pm-postgres-"))
        data = self.root / "data"
        user = _server_user()
        if user is not None:
            shutil.chown(self.root, user)
        self.port = free_port()
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        subprocess.run(
            [*initdb, "-E", "UTF8", "--no-sync"], check=True, capture_output=True, user=user
        )
        args = [str(bindir / "postgres"), "-D", str(data), "-p", str(self.port)]
        args += ["-k", str(self.root), "-h", "127.0.0.1", "-c", "fsync=off"]
        super().__init__("postgres", args, self.root / "postgres.log")
        self.user = user
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise self.fail("exited before it accepted connections")
            with contextlib.suppress(psycopg.OperationalError):
                psycopg.connect(self.dsn, connect_timeout=2).close()
                return
            time.sleep(0.05)
        raise self.fail(f"did not accept connections within {WAIT} s")

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.root, ignore_errors=True)
