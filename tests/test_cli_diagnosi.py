"""`areaclienti-tui diagnosi`: the outcome and the nearest customers, as text or as SPEC §5 JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from areaclienti_tui import cli
from areaclienti_tui.services import audit
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings


@pytest.fixture(autouse=True)
def _cheap_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AREACLIENTI_DEMO", "1")
    monkeypatch.setenv("AREACLIENTI_BCRYPT_ROUNDS", "4")
    for name in ("AREACLIENTI_DB", "AREACLIENTI_DATA_DIR", "AREACLIENTI_KIOSK"):
        monkeypatch.delenv(name, raising=False)


def run(folder: Path, *args: str) -> list[str]:
    return ["--data-dir", str(folder), "diagnosi", *args]


PAOLO = ["--nome", "Paolo", "--cognome", "Esposito", "--data-nascita", "11/02/1968", "--sesso", "M",
         "--recapito", "paolo.esposito@libero.it"]


def test_json_is_the_spec_object(tmp_path: Path, capsys) -> None:
    assert cli.main(run(tmp_path, *PAOLO, "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"esito": "non_riconosciuto", "candidati": [{
        "codice_fiscale": "SPSPLA68S02F839Q", "nome": "Paolo", "cognome": "Esposito", "punteggio": 0.95,
        "differenze": [{"campo": "data_nascita", "digitato": "11/02/1968", "anagrafe": "02/11/1968",
                        "suggerimento": "giorno e mese invertiti"}]}]}


def test_text_names_the_outcome_and_each_difference(tmp_path: Path, capsys) -> None:
    args = ["--nome", "Lucia", "--cognome", "de luca", "--data-nascita", "15101990", "--sesso", "f",
            "--recapito", "+39 329 333 4455", "--codice-fiscale", "dlclcu90r55d969b"]
    assert cli.main(run(tmp_path, *args)) == 0
    output = " ".join(capsys.readouterr().out.split())
    assert output.startswith("Non riconosciuto")
    assert "Lucia De Luca Rossi · DLCLCU90R55D969B" in output
    assert "cognome doppio scritto in parte" in output


def test_recognised_outcome_and_audit_in_the_callers_name(tmp_path: Path, capsys) -> None:
    args = ["--nome", "mario", "--cognome", "ROSSI", "--data-nascita", "14/03/1975", "--sesso", "M",
            "--recapito", "3471234567", "--json"]
    assert cli.main(run(tmp_path, *args)) == 0
    assert json.loads(capsys.readouterr().out)["esito"] == "riconosciuto"
    ctx = open_context(Settings(data_dir=tmp_path, bcrypt_rounds=4))
    try:
        event = audit.latest(ctx, kind="diagnosi")[0]
    finally:
        ctx.db.dispose()
    assert event.actor.startswith("riga di comando (") and event.outcome == "riconosciuto"


@pytest.mark.parametrize("bad", [
    ["--data-nascita", "32/10/1990"], ["--data-nascita", "ieri"], ["--sesso", "X"],
    ["--nome", "Ma\x1b[31mrio"], ["--recapito", "x" * 300],
])
def test_invalid_arguments_exit_2_with_an_italian_message(tmp_path: Path, capsys, bad: list[str]) -> None:
    args = dict(zip(PAOLO[::2], PAOLO[1::2]))
    args.update(dict(zip(bad[::2], bad[1::2])))
    flat = [item for pair in args.items() for item in pair]
    assert cli.main(run(tmp_path, *flat)) == 2
    error = capsys.readouterr().err
    assert "errore" in error and "Traceback" not in error


def test_missing_argument_exits_2(tmp_path: Path, capsys) -> None:
    assert cli.main(run(tmp_path, *PAOLO[:-2])) == 2
    assert "--recapito" in capsys.readouterr().err


def test_the_installed_command_prints_json(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "areaclienti_tui", *run(tmp_path, *PAOLO, "--json")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["candidati"][0]["codice_fiscale"] == "SPSPLA68S02F839Q"
