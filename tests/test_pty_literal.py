"""The real program in an 80×24 pseudo-terminal: a username with markup typed at 8A
(``a@[/]``) reaches the audit log, and the operator area still opens and shows it
literally (SPEC §4 "text on screen"). Read through pyte, the screen a person sees.
"""

from __future__ import annotations

from pathlib import Path

from tests.pty_harness import needs_program, running_program


def no_error_page(text: str) -> None:
    assert "6B" not in text and "Si è verificato un errore" not in text, text
    assert "Traceback" not in text and "MarkupError" not in text, text


@needs_program
def test_markup_username_at_8a_then_operator_area_in_a_real_terminal(tmp_path: Path) -> None:
    with running_program(tmp_path) as term:
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
        # No F2 here: at 80 columns the messages are already folded into a one-line strip
        # (F2 would open them over the tables).
        # The audit log, from the command palette.
        term.send("\x10")  # Ctrl+P
        term.wait_for(lambda t: "palette" in t.lower() or "Cerca" in t or "Operatore:" in t, "command palette")
        term.send("registro audit")
        term.wait_for(lambda t: "Operatore: registro audit" in t, "the palette entry")
        term.send("\r")
        text = term.wait_for(lambda t: "a***@[/]" in t or "6B" in t, "the 8A attempt in the audit log")
        no_error_page(text)
        assert "a***@[/]" in text
