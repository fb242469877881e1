"""The processes a chaos test kills and restarts: its own Postgres, an on-disk Temporal dev server, and the
production entry points `cosell worker` and `cosell api` (each a child process, ended by its pid).
"""

from __future__ import annotations

import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COSELL = str(Path(sys.executable).parent / "cosell")


def fixed_port() -> int:
    """A free port below the kernel's ephemeral range, so a restarted server gets its port back (the dev
    server also binds ephemeral ports of its own, which could take one picked from that range)."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(20000, min(low, 32000)), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


# A busy 2-core machine was seen to need more than 60 s to import and start `cosell api`.
def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 150) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}:\n{log.read_text()[-3000:]}"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port} after {seconds:g}s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, seconds: float = 30) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


class Child:
    """One restartable child process with its log in the test's directory."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, port: int | None = None):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, user: str | None = None) -> Child:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=self.log.parent, user=user
            )
        if self.port is not None:
            wait_listening(self.port, self.process, self.log)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, in-flight work is simply gone."""
        stop(self.process, signal.SIGKILL)

    def stop(self) -> None:
        stop(self.process)


def cosell(name: str, args: list[str], env: dict[str, str], log_dir: Path, port: int | None = None) -> Child:
    return Child(name, [COSELL, *args], env, log_dir, port)


class TemporalDevServer:
    """`temporal server start-dev` on an on-disk database, so a restart keeps every workflow."""

    def __init__(self, directory: Path):
        self.port = fixed_port()
        self.address = f"127.0.0.1:{self.port}"
        binary = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
        argv = [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(self.port)]
        argv += ["--db-filename", str(directory / "temporal.db"), "--log-level", "error"]
        # The pragmas `cosell up` uses: the default ones make the on-disk server 2-3x slower.
        argv += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
        self.child = Child("temporal", argv, dict(os.environ), directory, self.port)

    def start(self) -> None:
        self.child.start()

    def restart(self) -> None:
        self.child.stop()
        self.child.start()

    def stop(self) -> None:
        self.child.stop()


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    assert found, f"{name} not found under /usr/lib/postgresql/*/bin (Debian's postgresql package)"
    return str(found[-1])


class PrivatePostgres:
    """A Postgres of the test's own (initdb, its own port and data directory), so it can be stopped.
    Postgres refuses to run as root: as root, it runs as the `postgres` user."""

    def __init__(self) -> None:
        self.port = fixed_port()
        # Its own directory in /tmp: pytest's are private to the user running the tests.
        self.directory = Path(tempfile.mkdtemp(prefix="cosell-chaos-pg-"))
        self.data = self.directory / "pgdata"
        self.log = self.directory / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.directory, pwd.getpwnam(self.user).pw_uid, -1)
        self._run([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"])

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, text=True, user=self.user, timeout=120)
        assert done.returncode == 0, f"{argv[0]} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"])

    def stop(self) -> None:
        """A fast shutdown: every open connection is cut, new ones are refused."""
        self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"
