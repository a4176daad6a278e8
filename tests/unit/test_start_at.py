"""Start-at-step without the app: the personas' data file, finding a persona, reading a step."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from areaclienti_tui import journey_map, start_at
from areaclienti_tui.paths import data_file
from areaclienti_tui.start_at import StartError


@pytest.fixture(scope="module")
def personas() -> list[start_at.LessonPersona]:
    return start_at.load_personas()


def test_the_shipped_file_has_every_persona_of_the_registry(personas) -> None:
    """Every customer of personas.csv can be started (by its codice fiscale), plus the two
    personas whose typed data are not in the registry on purpose."""
    with data_file("personas.csv").open(encoding="utf-8") as handle:
        registry = {row["codice_fiscale"]: row for row in csv.DictReader(handle)}
    by_cf = {p.codice_fiscale for p in personas}
    assert set(registry) <= by_cf
    assert {"Alessandro Greco", "Roberto Villa"} <= {p.persona for p in personas}
    for persona in personas:
        assert persona.sesso in ("M", "F"), persona
        day, month, year = persona.data_nascita.split("/")
        assert len(day) == len(month) == 2 and len(year) == 4, persona


@pytest.mark.parametrize(("typed", "found"), [
    ("Alessandro Greco", "Alessandro Greco"),
    ("  alessandro   GRECO ", "Alessandro Greco"),
    ("niccolo dell'acqua", "Niccolò Dell'Acqua"),
    ("Luca Ferrari (modena)", "Luca Ferrari (Modena)"),
    ("Stefano", "Stefano Moretti"),
])
def test_a_persona_is_found_whatever_the_case_accents_and_spaces(personas, typed: str, found: str) -> None:
    assert start_at.find(personas, typed).persona == found


def test_an_ambiguous_name_lists_the_personas_it_could_be(personas) -> None:
    with pytest.raises(StartError, match=r"più personas: Luca Ferrari \(Bologna\), Luca Ferrari \(Modena\)"):
        start_at.find(personas, "Luca Ferrari")


def test_a_misspelt_name_suggests_the_closest(personas) -> None:
    with pytest.raises(StartError, match=r"nessuna persona si chiama «Mario Rosi»\. Forse: Mario Rossi\?"):
        start_at.find(personas, "Mario Rosi")


def test_a_name_far_from_all_lists_every_persona(personas) -> None:
    with pytest.raises(StartError, match="Le personas: Mario Rossi, Giulia Marino"):
        start_at.find(personas, "<script>")


@pytest.mark.parametrize(("typed", "step"), [("3b", "3B"), (" 7A ", "7A"), ("7a-FATTO", "7A-fatto"),
                                             ("gia-registrato", "gia-registrato")])
def test_a_step_is_read_whatever_the_case(typed: str, step: str) -> None:
    assert start_at.resolve_step(typed) == step


def test_steps_outside_the_map_or_not_startable_are_refused() -> None:
    with pytest.raises(StartError, match="«3Z» non è un passo della mappa"):
        start_at.resolve_step("3Z")
    with pytest.raises(StartError, match="«operatore» non si può usare come partenza"):
        start_at.resolve_step("operatore")


def test_every_startable_step_is_in_the_map_and_has_a_way_on_or_is_a_form() -> None:
    steps = journey_map.steps_by_id()
    for step in start_at.STARTABLE:
        assert step in steps
    # Every step met on the way to a start either is a start or has a move that goes on.
    for step in start_at.MOVES:
        assert step in steps


@pytest.mark.parametrize(("text", "message"), [
    ('[[persona]]\npersona = "X"\n', "mancano nome, cognome, data_nascita, sesso, recapito"),
    ('[[persona]]\npersona = "X"\nnome = "a"\ncognome = "b"\ndata_nascita = "01/01/1970"\nsesso = "M"\n'
     'recapito = "a@b.it"\ncolore = "blu"\n', "campi sconosciuti colore"),
    ('[[persona]]\npersona = "X"\nnome = "a"\ncognome = "b"\ndata_nascita = 1970-01-01\nsesso = "M"\n'
     'recapito = "a@b.it"\n', "tra virgolette"),
    ("[[persona]\n", "non si legge"),
])
def test_a_broken_personas_file_is_told_plainly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StartError, match=message):
        start_at.load_personas(path)
