"""`areaclienti-tui reset-demo`: every datum goes, the demo comes back; asks first unless --yes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from areaclienti_tui import cli
from areaclienti_tui.services import demo
from areaclienti_tui.store.db import Database
from areaclienti_tui.store.models import AuditEvent, Customer, Operator

HEADER = "codice_fiscale,nome,cognome,sesso,data_nascita,luogo_nascita,email,cellulare,polizze,inarcassa\n"
STRANGER = "VLLRRT70A01C933Q,Roberto,Villa,M,1970-01-01,Como,roberto.villa@gmail.com,,POL-1,1\n"


@pytest.fixture(autouse=True)
def _cheap_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AREACLIENTI_DEMO", "0")
    monkeypatch.setenv("AREACLIENTI_BCRYPT_ROUNDS", "4")
    for name in ("AREACLIENTI_DB", "AREACLIENTI_DATA_DIR", "AREACLIENTI_KIOSK"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path, capsys) -> Path:
    """A data folder whose database holds one customer who is not a persona."""
    folder = tmp_path / "dati"
    folder.mkdir()
    csv = tmp_path / "clienti.csv"
    csv.write_text(HEADER + STRANGER, encoding="utf-8")
    assert cli.main(["--data-dir", str(folder), "import", str(csv)]) == 0
    capsys.readouterr()
    return folder


def state(folder: Path) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    db = Database(f"sqlite:///{folder / 'areaclienti.db'}")
    try:
        with db.session() as session:
            customers = sorted(c.codice_fiscale for c in session.exec(select(Customer)))
            operators = sorted(o.username for o in session.exec(select(Operator)))
            events = [(e.kind, e.actor) for e in session.exec(select(AuditEvent))]
        return customers, operators, events
    finally:
        db.dispose()


def test_reset_with_yes_replaces_everything_with_the_demo(data_dir: Path, capsys) -> None:
    assert cli.main(["reset-demo", "--yes", "--data-dir", str(data_dir)]) == 0
    output = capsys.readouterr().out
    assert "Dati demo ripristinati: 19 righe lette" in output
    assert demo.OPERATOR_USERNAME in output
    customers, operators, events = state(data_dir)
    assert len(customers) == 19 and "VLLRRT70A01C933Q" not in customers
    assert operators == [demo.OPERATOR_USERNAME]
    assert ("demo_ripristinata", "cli") in events
    assert not any(kind == "import_clienti" and actor == "cli" for kind, actor in events)  # the old log is gone


@pytest.mark.parametrize("typed", ["n\n", "\n", "no\n", ""])
def test_without_yes_anything_but_yes_cancels(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch,
                                              typed: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert cli.main(["reset-demo", "--data-dir", str(data_dir)]) == 1
    captured = capsys.readouterr()
    assert "Tutti i dati verranno cancellati" in captured.err
    assert "[s/N]" in captured.err
    assert "annullato" in captured.err
    assert state(data_dir)[0] == ["VLLRRT70A01C933Q"]


@pytest.mark.parametrize("typed", ["s\n", "Sì\n", "si\n"])
def test_without_yes_a_yes_resets(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch, typed: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert cli.main(["reset-demo", "--data-dir", str(data_dir)]) == 0
    assert "Dati demo ripristinati" in capsys.readouterr().out
    assert len(state(data_dir)[0]) == 19
