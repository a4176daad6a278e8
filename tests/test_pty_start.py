"""`areaclienti-tui --persona … --passo …` in a real terminal: the console opens on 1A, the
persona is taken to the step, and the person at the keyboard goes on from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from areaclienti_tui import cli
from tests.pty_harness import needs_program, running_program


@needs_program
def test_the_console_opens_at_3b_with_the_persona_and_the_keys_go_on_from_there(tmp_path: Path) -> None:
    with running_program(tmp_path, "--persona", "alessandro greco", "--passo", "3b") as term:
        term.wait_for(lambda t: "Passo 3B" in t and "a***o@studiogrieco.it" in t, "3B with Grieco's contacts")
        term.send("\x1b[B\r")  # down to the mobile, Enter: the code goes by SMS and 4B asks for it
        term.wait_for(lambda t: "Passo 4B" in t, "4B")
        term.send("\x1b")  # Esc: back to 3B, the journey as it was
        term.wait_for(lambda t: "Passo 3B" in t, "3B again")


@pytest.mark.parametrize(("args", "message"), [
    (["--persona", "Luca", "--passo", "3B"], "«Luca» indica più personas: Luca Ferrari (Bologna), Luca Ferrari (Modena)"),
    (["--persona", "Mario Rossi", "--passo", "12A"], "il passo «12A» non è un passo della mappa"),
    (["--passo", "3B"], "--persona e --passo vanno usati insieme"),
])
def test_a_bad_persona_or_step_is_told_before_the_console_opens(tmp_path: Path, capsys, args, message) -> None:
    code = cli.main(["--db", f"sqlite:///{tmp_path / 'x.db'}", *args])
    assert code == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert message in err
    assert not (tmp_path / "x.db").exists()  # nothing opened, nothing migrated
