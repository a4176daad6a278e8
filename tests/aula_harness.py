"""A real `areaclienti-tui serve` in a subprocess, for the classroom tests and the browser tests.

`running_server(tmp_path, "--aula", "2")` starts the server on a free port of the
given address (0.0.0.0 by default, reachable on 127.0.0.1 and 127.0.0.2), waits until
it answers, and stops it (SIGINT, then SIGKILL) on the way out, its consoles with it.
Bcrypt at 4 rounds keeps the demo data quick to make. Every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_SECONDS = 90.0
OPERATOR = ("operatore", "Sportello#2026")  # the demo operator (data/personas.csv)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log: Path

    def url(self, path: str = "/", host: str = "127.0.0.2") -> str:
        return f"http://{host}:{self.port}{path}"

    def ws(self, path: str, host: str = "127.0.0.2") -> str:
        return f"ws://{host}:{self.port}{path}"

    def seat_folder(self, number: int) -> Path:
        return self.data_dir / "aula" / f"posto-{number:02d}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def console_pids(self, number: int) -> list[int]:
        """The console processes of a seat (its folder is on their command line)."""
        folder = str(self.seat_folder(number))
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if folder.encode() in argv and b"areaclienti_tui" in argv:
                    pids.append(int(entry.name))
        return pids


def server_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, AREACLIENTI_BCRYPT_ROUNDS="4", TEXTUAL_ANIMATIONS="none")
    env.pop("AREACLIENTI_DB", None)
    env.pop("TEXTUAL", None)
    env["AREACLIENTI_DATA_DIR"] = str(data_dir)
    return env


@contextlib.contextmanager
def running_server(tmp_path: Path, *args: str, host: str = "0.0.0.0") -> Iterator[Server]:  # noqa: S104
    data_dir = tmp_path / "dati"
    log = tmp_path / "serve.log"
    port = free_port()
    command = [sys.executable, "-m", "areaclienti_tui", "--data-dir", str(data_dir), "serve",
               "--host", host, "--port", str(port), *args]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=server_env(data_dir),
                                   start_new_session=True)
    server = Server(process, port, data_dir, log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server ended with code {process.returncode}:\n{server.output()}")
            try:
                with urllib.request.urlopen(server.url("/risorse/aula.css", "127.0.0.1"), timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise AssertionError(f"the server did not answer in {START_SECONDS:.0f} s:\n{server.output()}") from None
                time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the server and any console it left
        process.wait(timeout=10)
