"""The real program in an 80×24 pseudo-terminal: a username with markup typed at 8A
(``a@[/]``) reaches the audit log, and the operator area still opens and shows it
literally (SPEC §4 "text on screen"). Read through pyte, the screen a person sees.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

PROGRAM = Path(sys.executable).with_name("areaclienti-tui")
COLUMNS, LINES = 80, 24


class Terminal:
    """The program in a pty, its output fed to a pyte screen."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.screen = pyte.Screen(COLUMNS, LINES)
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
        self.child.send(keys)
        self.pump(0.3)


def no_error_page(text: str) -> None:
    assert "6B" not in text and "Si è verificato un errore" not in text, text
    assert "Traceback" not in text and "MarkupError" not in text, text


@pytest.mark.skipif(not PROGRAM.exists(), reason="the console script is not installed")
def test_markup_username_at_8a_then_operator_area_in_a_real_terminal(tmp_path: Path) -> None:
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES),
               AREACLIENTI_DATA_DIR=str(tmp_path), AREACLIENTI_BCRYPT_ROUNDS="4", TEXTUAL_ANIMATIONS="none")
    env.pop("TEXTUAL", None)
    child = pexpect.spawn(str(PROGRAM), ["--db", f"sqlite:///{tmp_path / 'x.db'}"], env=env, cwd=str(tmp_path),
                          dimensions=(LINES, COLUMNS))
    term = Terminal(child)
    try:
        term.wait_for(lambda t: "Registrati" in t and "Accedi" in t, "1A")
        term.send("\t")  # from Registrati to Accedi
        term.send("\r")
        term.wait_for(lambda t: "8A" in t and "Password" in t, "8A")
        term.send("a@[/]")
        term.wait_for(lambda t: "a@[/]" in t, "the username typed")
        term.send("\t")
        term.send("Qualsiasi#1\r")
        term.wait_for(lambda t: "Nome utente o password non" in t and "corretti." in t, "login refused")
        no_error_page(term.text())
        # The operator area (F9), the demo operator.
        term.send("\x1b[20~")  # F9
        term.wait_for(lambda t: "Accesso operatore" in t, "operator login")
        term.send("operatore\t")
        term.send("Sportello#2026\r")
        text = term.wait_for(lambda t: "Esci dall'area operatore" in t or "6B" in t, "operator home")
        no_error_page(text)
        term.send("\x1bOQ")  # F2: hide the outbox, the tables get the width
        # The audit log, from the command palette.
        term.send("\x10")  # Ctrl+P
        term.wait_for(lambda t: "palette" in t.lower() or "Cerca" in t or "Operatore:" in t, "command palette")
        term.send("registro audit")
        term.wait_for(lambda t: "Operatore: registro audit" in t, "the palette entry")
        term.send("\r")
        text = term.wait_for(lambda t: "a***@[/]" in t or "6B" in t, "the 8A attempt in the audit log")
        no_error_page(text)
        assert "a***@[/]" in text
    finally:
        child.terminate(force=True)
