"""`areaclienti-tui mappa`: the journey map in each format, every step code of SPEC §5 in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from areaclienti_tui import cli, journey_map

GUIDE_STEPS = [f"{number}A" for number in range(1, 12)] + [f"{number}B" for number in range(1, 8)]


@pytest.fixture(autouse=True)
def _cheap_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AREACLIENTI_DB", "AREACLIENTI_DATA_DIR", "AREACLIENTI_KIOSK"):
        monkeypatch.delenv(name, raising=False)


def run(folder: Path, *args: str) -> list[str]:
    return ["--data-dir", str(folder), "mappa", *args]


def has_step(output: str, code: str) -> bool:
    """The code as a whole word: 1A is not found in 11A, nor 1B in 11B."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(code)}(?![0-9A-Za-z])", output) is not None


@pytest.mark.parametrize("fmt", journey_map.FORMATS)
def test_every_guide_step_is_in_each_format(tmp_path: Path, capsys, fmt: str) -> None:
    assert cli.main(run(tmp_path, "--formato", fmt)) == 0
    output = capsys.readouterr().out
    missing = [code for code in GUIDE_STEPS if not has_step(output, code)]
    assert not missing, f"{fmt}: mancano {missing}"
    assert output == journey_map.render(fmt)  # written as is: no wrapping, no markup


def test_text_is_the_default(tmp_path: Path, capsys) -> None:
    assert cli.main(run(tmp_path)) == 0
    output = capsys.readouterr().out
    assert output == journey_map.render("testo")
    assert "  3A · I tuoi dati" in output.splitlines()
    assert "      non-riconosciuto → 1B" in output.splitlines()


def test_mermaid_is_a_flowchart(tmp_path: Path, capsys) -> None:
    assert cli.main(run(tmp_path, "--formato", "mermaid")) == 0
    output = capsys.readouterr().out
    assert output.startswith("flowchart")
    assert "n_5A -->|non-riconosciuto| n_1B" in output


def test_dot_is_a_digraph(tmp_path: Path, capsys) -> None:
    assert cli.main(run(tmp_path, "--formato", "dot")) == 0
    output = capsys.readouterr().out.strip()
    assert output.startswith("digraph") and output.endswith("}")
    assert '"3B" -> "5B" [label="nessuno"];' in output


def test_invalid_format_exits_2_with_the_italian_usage_error(tmp_path: Path, capsys) -> None:
    assert cli.main(run(tmp_path, "--formato", "png")) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("uso: areaclienti-tui mappa")
    assert "errore: argomento --formato: scelta non valida: 'png'" in captured.err
    assert "'testo', 'mermaid', 'dot'" in captured.err and "Traceback" not in captured.err


def test_no_database_is_needed(tmp_path: Path, capsys) -> None:
    database = tmp_path / "nessuna" / "cartella" / "x.db"
    assert cli.main(run(tmp_path, "--db", f"sqlite:///{database}")) == 0
    assert capsys.readouterr().out == journey_map.render("testo")
    assert not (tmp_path / "nessuna").exists() and not list(tmp_path.glob("*.db"))


def test_the_help_is_in_italian(capsys) -> None:
    assert cli.main(["mappa", "--help"]) == 0
    output = capsys.readouterr().out
    assert "--formato {testo,mermaid,dot}" in output and "mostra questo aiuto ed esce" in output
    assert cli.main(["--help"]) == 0
    assert "mappa" in capsys.readouterr().out
