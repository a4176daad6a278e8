"""The real program in a pseudo-terminal, its screen read through pyte: what a person sees.

Shared by the terminal tests (``tests/test_pty_*.py``). Every wait is on a condition
of the emulated screen, with a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

PROGRAM = Path(sys.executable).with_name("areaclienti-tui")
COLUMNS, LINES = 80, 24

needs_program = pytest.mark.skipif(not PROGRAM.exists(), reason="the console script is not installed")


class Terminal:
    """The program in a pty, its output fed to a pyte screen."""

    def __init__(self, child: pexpect.spawn, columns: int = COLUMNS, lines: int = LINES) -> None:
        self.child = child
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self, wait: float = 0.1) -> None:
        try:
            while True:
                self.stream.feed(self.child.read_nonblocking(65536, timeout=wait))
                wait = 0.02
        except pexpect.TIMEOUT:
            pass

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def lines(self) -> list[str]:
        return list(self.screen.display)

    def wait_for(self, condition: Callable[[str], bool], what: str, *, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump()
            text = self.text()
            if condition(text):
                return text
            if not self.child.isalive():
                break
        raise AssertionError(f"still waiting for {what}; the screen shows:\n{self.text()}")

    def send(self, keys: str) -> None:
        """Write the keys in one write (a burst, as fast typing or a paste-like burst arrives)."""
        self.child.send(keys)
        self.pump(0.3)


def program_env(data_dir: Path, columns: int = COLUMNS, lines: int = LINES) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(columns), LINES=str(lines),
               AREACLIENTI_DATA_DIR=str(data_dir), AREACLIENTI_BCRYPT_ROUNDS="4", TEXTUAL_ANIMATIONS="none")
    env.pop("TEXTUAL", None)
    return env


@contextmanager
def running_program(tmp_path: Path, *args: str, columns: int = COLUMNS, lines: int = LINES) -> Iterator[Terminal]:
    """`areaclienti-tui --db <tmp>/x.db ARGS` in a pty of the given size; terminated on the way out."""
    child = pexpect.spawn(str(PROGRAM), ["--db", f"sqlite:///{tmp_path / 'x.db'}", *args],
                          env=program_env(tmp_path, columns, lines), cwd=str(tmp_path), dimensions=(lines, columns))
    try:
        yield Terminal(child, columns, lines)
    finally:
        child.terminate(force=True)
