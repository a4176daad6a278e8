"""Issue 8: the real program in an 80×24 pseudo-terminal keeps up with an operator's hands.

The whole of ``Mario``, Tab, ``Rossi``, Tab, ``14/03/1975`` is written to the terminal
in one write, as fast typing arrives; the emulated screen must show each text in its
own field of 3A.
"""

from __future__ import annotations

from pathlib import Path

from tests.pty_harness import Terminal, needs_program, running_program

SHIFT_TAB = "\x1b[Z"


def field_value(term: Terminal, label: str) -> str | None:
    """The text inside the box drawn under a field's label (None if the label is not on screen)."""
    lines = term.lines()
    for index, line in enumerate(lines):
        if line.strip() == label and index + 2 < len(lines):
            box = lines[index + 2]
            start, end = box.find("▊"), box.find("▎")
            if start < 0 or end < 0:
                return None
            return box[start + 1:end].strip()
    return None


def fields_show(term: Terminal, expected: dict[str, str]) -> bool:
    return all(field_value(term, label) == text for label, text in expected.items())


def to_3a(term: Terminal) -> None:
    term.wait_for(lambda t: "Registrati" in t and "Accedi" in t, "1A")
    term.send("\r")  # Registrati has the focus
    term.wait_for(lambda t: "2A" in t and "Persona" in t, "2A")
    term.send("\r")  # Persona has the focus
    term.wait_for(lambda t: "3A" in t and "Cognome" in t, "3A")


def check_3a(term: Terminal) -> None:
    term.wait_for(lambda t: fields_show(term, {"Cognome": "Rossi", "Data di nascita": "14/03/1975"}),
                  "Cognome and Data di nascita filled")
    # Back to Nome (the form scrolls to it): it holds Mario alone.
    term.send(SHIFT_TAB + SHIFT_TAB)
    term.wait_for(lambda t: fields_show(term, {"Nome": "Mario", "Cognome": "Rossi"}), "Nome = Mario")


@needs_program
def test_a_burst_typed_at_3a_fills_each_field(tmp_path: Path) -> None:
    with running_program(tmp_path) as term:
        to_3a(term)
        term.send("Mario\tRossi\t14/03/1975")  # one write
        check_3a(term)


@needs_program
def test_a_burst_from_1a_goes_through_two_steps_then_fills_3a(tmp_path: Path) -> None:
    with running_program(tmp_path) as term:
        term.wait_for(lambda t: "Registrati" in t and "Accedi" in t, "1A")
        term.send("\r\rMario\tRossi\t14/03/1975")  # Registrati, Persona, then 3A's fields: one write
        term.wait_for(lambda t: "3A" in t and "Cognome" in t, "3A")
        check_3a(term)
