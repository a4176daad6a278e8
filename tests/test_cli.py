"""The command line, run in-process with `main([...])` on temporary data folders."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import sys
import types
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from areaclienti_tui import cli
from areaclienti_tui.clock import FakeClock
from areaclienti_tui.services import codes
from areaclienti_tui.services.passwords import check_password
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store import db as store_db
from areaclienti_tui.store.db import Database
from areaclienti_tui.store.models import AuditEvent, Customer, Operator

HEADER = "codice_fiscale,nome,cognome,sesso,data_nascita,luogo_nascita,email,cellulare,polizze,inarcassa\n"
MARIO = "RSSMRA75C14H501L,Mario,Rossi,M,1975-03-14,Roma,mario.rossi@gmail.com,3471234567,INA-2024-000101:Polizza sanitaria INARCASSA,1\n"
GIULIA = "MRNGLI82L62F205C,Giulia,Marino,F,1982-07-22,Milano,giulia.marino@libero.it,3289876543,INA-2024-000102,1\n"
BAD_SEX = "FRRLCU80E10A944I,Luca,Ferrari,X,1980-05-10,Bologna,,,,1\n"
OUTBOX_KEYS = {"channel", "to", "subject", "body", "code", "sent_at"}


@pytest.fixture(autouse=True)
def _cheap_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No demo personas and cheap bcrypt in the databases the CLI creates; no inherited URL."""
    monkeypatch.setenv("AREACLIENTI_DEMO", "0")
    monkeypatch.setenv("AREACLIENTI_BCRYPT_ROUNDS", "4")
    for name in ("AREACLIENTI_DB", "AREACLIENTI_DATA_DIR", "AREACLIENTI_KIOSK"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "dati"
    folder.mkdir()
    return folder


def run(*argv: str) -> int:
    return cli.main(list(argv))


def _customers(url: str) -> list[str]:
    db = Database(url)
    try:
        with db.session() as session:
            return sorted(c.codice_fiscale for c in session.exec(select(Customer)))
    finally:
        db.dispose()


def _sqlite(folder: Path, name: str = "areaclienti.db") -> str:
    return f"sqlite:///{folder / name}"


# --- import ------------------------------------------------------------------


def test_import_reports_the_bad_row_and_imports_the_rest(data_dir: Path, tmp_path: Path, capsys) -> None:
    csv = tmp_path / "clienti.csv"
    csv.write_text(HEADER + MARIO + BAD_SEX + GIULIA, encoding="utf-8")
    assert run("--data-dir", str(data_dir), "import", str(csv)) == 0
    captured = capsys.readouterr()
    assert "riga 3: sesso deve essere M o F" in captured.err
    assert "3 righe lette: 2 clienti nuovi" in captured.out
    assert "1 righe scartate" in captured.out
    assert "Traceback" not in captured.err + captured.out
    assert _customers(_sqlite(data_dir)) == ["MRNGLI82L62F205C", "RSSMRA75C14H501L"]


def test_import_missing_file_exits_2_with_an_italian_message(data_dir: Path, tmp_path: Path, capsys) -> None:
    assert run("--data-dir", str(data_dir), "import", str(tmp_path / "manca.csv")) == 2
    captured = capsys.readouterr()
    assert "non esiste" in captured.err
    assert "manca.csv" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"nome,cognome\nMario,Rossi\n", "senza le colonne"),
        (HEADER.encode() + "RSSMRA75C14H501L,Mario,Rossi,M,1975-03-14,Forlì".encode("latin-1") + b",,,,1\n", "UTF-8"),
    ],
    ids=["colonne-mancanti", "non-utf8"],
)
def test_import_unusable_file_exits_2(data_dir: Path, tmp_path: Path, capsys, content: bytes, expected: str) -> None:
    csv = tmp_path / "clienti.csv"
    csv.write_bytes(content)
    assert run("--data-dir", str(data_dir), "import", str(csv)) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_count_rows_reads_lines_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + MARIO + GIULIA.rstrip("\n"), encoding="utf-8")
    assert cli.count_rows(path) == 2
    path.write_text(HEADER, encoding="utf-8")
    assert cli.count_rows(path) == 0
    path.write_text("", encoding="utf-8")
    assert cli.count_rows(path) == 0


# --- outbox ------------------------------------------------------------------


def _issue_code(data_dir: Path, to: str = "mario.rossi@gmail.com", channel: str = "email",
                at: datetime | None = None) -> datetime:
    """A code sent at `at` (by default now, so the command, on the real clock, sees it live)."""
    at = at or datetime.now(timezone.utc).replace(microsecond=0)
    ctx = open_context(Settings(data_dir=data_dir, bcrypt_rounds=4, demo=False), FakeClock(at))
    try:
        codes.issue(ctx, flow_id=codes.new_flow_id(), purpose="registrazione", channel=channel, destination=to, actor="test")
    finally:
        ctx.db.dispose()
    return at


def test_outbox_json_lists_messages_newest_first(data_dir: Path, capsys) -> None:
    sent = _issue_code(data_dir)
    _issue_code(data_dir, to="+393289876543", channel="sms", at=sent)
    assert run("--data-dir", str(data_dir), "outbox", "--json") == 0
    captured = capsys.readouterr()
    messages = json.loads(captured.out)
    assert isinstance(messages, list) and len(messages) == 2
    assert all(set(m) == OUTBOX_KEYS for m in messages)
    sms, email = messages
    assert (sms["channel"], sms["to"], sms["subject"]) == ("sms", "+393289876543", None)
    assert (email["channel"], email["to"]) == ("email", "mario.rossi@gmail.com")
    assert email["subject"]
    for message in messages:
        assert len(message["code"]) == 6 and message["code"] in message["body"]
        assert message["sent_at"].startswith(sent.isoformat()[:19])

    assert run("--data-dir", str(data_dir), "outbox", "--json", "--limit", "1") == 0
    assert [m["to"] for m in json.loads(capsys.readouterr().out)] == ["+393289876543"]


def test_outbox_json_masks_an_expired_code(data_dir: Path, capsys) -> None:
    _issue_code(data_dir, at=datetime.now(timezone.utc) - timedelta(minutes=6))
    assert run("--data-dir", str(data_dir), "outbox", "--json") == 0
    (message,) = json.loads(capsys.readouterr().out)
    assert message["code"] is None and "••••••" in message["body"]


def test_outbox_json_on_an_empty_database(data_dir: Path, capsys) -> None:
    assert run("--data-dir", str(data_dir), "outbox", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_outbox_table(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    _issue_code(data_dir)
    assert run("--data-dir", str(data_dir), "outbox") == 0
    out = capsys.readouterr().out
    for word in ("Canale", "Destinatario", "Ora", "Codice", "Email", "mario.rossi@gmail.com"):
        assert word in out


def test_outbox_shows_a_mobile_as_the_console_does_and_json_keeps_it_stored(data_dir: Path, capsys,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    _issue_code(data_dir, to="+393289876543", channel="sms")
    assert run("--data-dir", str(data_dir), "outbox") == 0
    assert "+39 328 987 6543" in capsys.readouterr().out

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", interrupt)
    assert run("--data-dir", str(data_dir), "outbox", "--follow") == 0
    assert "SMS a +39 328 987 6543" in capsys.readouterr().out
    assert run("--data-dir", str(data_dir), "outbox", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["to"] == "+393289876543"  # the automation contract: E.164


def test_outbox_follow_prints_recent_messages_then_waits(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    _issue_code(data_dir)

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", interrupt)
    assert run("--data-dir", str(data_dir), "outbox", "--follow", "--json") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["to"] == "mario.rossi@gmail.com"


def test_outbox_follow_shows_rome_time_whatever_the_local_zone(data_dir: Path, capsys,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time_module = __import__("time")
    if hasattr(time_module, "tzset"):
        time_module.tzset()
    sent = datetime(2026, 3, 2, 9, 0, 5, tzinfo=timezone.utc)  # 10:00:05 in Rome, 04:00:05 in New York
    ctx = open_context(Settings(data_dir=data_dir, bcrypt_rounds=4, demo=False), FakeClock(sent))
    try:
        codes.issue(ctx, flow_id=codes.new_flow_id(), purpose="registrazione", channel="sms",
                    destination="+393471234567", actor="test")
    finally:
        ctx.db.dispose()
    monkeypatch.setattr(cli.time, "sleep", lambda _s: (_ for _ in ()).throw(KeyboardInterrupt))
    monkeypatch.setenv("COLUMNS", "300")
    try:
        assert run("--data-dir", str(data_dir), "outbox", "--follow") == 0
    finally:
        monkeypatch.delenv("TZ")
        if hasattr(time_module, "tzset"):
            time_module.tzset()
    out = capsys.readouterr().out
    assert "[02/03/2026 10:00:05]" in out and "04:00:05" not in out


def test_outbox_nuovi_skips_what_was_already_sent(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    _issue_code(data_dir, to="mario.rossi@gmail.com")
    polls = iter(range(2))

    def one_poll_then_stop(_seconds: float) -> None:
        if next(polls) == 0:
            _issue_code(data_dir, to="+393289876543", channel="sms")  # sent while following
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", one_poll_then_stop)
    assert run("--data-dir", str(data_dir), "outbox", "--nuovi", "--json") == 0  # --nuovi implies --follow
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["to"] for line in lines] == ["+393289876543"]


@pytest.mark.parametrize("written", ["3289876543", "+39 328 987 6543", "0039 328.987.6543", "+393289876543"])
def test_outbox_a_keeps_one_recipient_however_the_mobile_is_written(data_dir: Path, capsys, written: str) -> None:
    _issue_code(data_dir, to="mario.rossi@gmail.com")
    _issue_code(data_dir, to="+393289876543", channel="sms")
    _issue_code(data_dir, to="+393471234567", channel="sms")
    assert run("--data-dir", str(data_dir), "outbox", "--json", "--a", written) == 0
    assert [m["to"] for m in json.loads(capsys.readouterr().out)] == ["+393289876543"]


def test_outbox_a_matches_an_email_in_any_case_and_filters_follow(data_dir: Path, capsys,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _issue_code(data_dir, to="mario.rossi@gmail.com")
    _issue_code(data_dir, to="+393289876543", channel="sms")
    assert run("--data-dir", str(data_dir), "outbox", "--json", "--a", " Mario.Rossi@Gmail.com ") == 0
    assert [m["to"] for m in json.loads(capsys.readouterr().out)] == ["mario.rossi@gmail.com"]

    monkeypatch.setattr(cli.time, "sleep", lambda _s: (_ for _ in ()).throw(KeyboardInterrupt))
    assert run("--data-dir", str(data_dir), "outbox", "--follow", "--json", "--a", "3289876543") == 0
    assert [json.loads(line)["to"] for line in capsys.readouterr().out.splitlines()] == ["+393289876543"]


def test_outbox_a_unknown_recipient_gives_nothing(data_dir: Path, capsys) -> None:
    _issue_code(data_dir)
    assert run("--data-dir", str(data_dir), "outbox", "--json", "--a", "nessuno@example.com") == 0
    assert json.loads(capsys.readouterr().out) == []


# --- operator add ------------------------------------------------------------


def _operators(data_dir: Path) -> list[Operator]:
    db = Database(_sqlite(data_dir))
    try:
        with db.session() as session:
            return list(session.exec(select(Operator).order_by(Operator.username)))
    finally:
        db.dispose()


def _add(data_dir: Path, monkeypatch: pytest.MonkeyPatch, password: str, *extra: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return run("operator", "add", *extra, "--password-stdin", "--data-dir", str(data_dir))


def test_operator_add(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _add(data_dir, monkeypatch, "password", "mrossi") == 2
    assert "maiuscola" in capsys.readouterr().err

    assert _add(data_dir, monkeypatch, "Mario#Rossi2026", "mrossi", "--name", "Mario Rossi") == 2
    assert "nome" in capsys.readouterr().err  # contains the operator's name

    assert _add(data_dir, monkeypatch, "Sportello#2026x", "mrossi", "--name", "Mario Rossi") == 0
    assert "mrossi" in capsys.readouterr().out
    [operator] = [o for o in _operators(data_dir) if o.username == "mrossi"]
    assert operator.display_name == "Mario Rossi"
    assert operator.password_hash.startswith("$2b$04$")
    assert check_password("Sportello#2026x", operator.password_hash)

    db = Database(_sqlite(data_dir))
    with db.session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "operatore_creato")).one()
    db.dispose()
    assert (event.actor, event.subject) == ("cli", "mrossi")

    assert _add(data_dir, monkeypatch, "Altra#Password99", "mrossi") == 2
    err = capsys.readouterr().err
    assert "già" in err and "Traceback" not in err
    assert [o.username for o in _operators(data_dir)] == ["mrossi"]


@pytest.mark.parametrize("username", ["ab", "Mario", "mario rossi", "marìo", "x" * 61])
def test_operator_add_refuses_bad_usernames(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch, username: str) -> None:
    assert _add(data_dir, monkeypatch, "Sportello#2026x", username) == 2
    assert "nome utente" in capsys.readouterr().err


def test_operator_add_asks_the_password_twice(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["Sportello#2026x", "Sportello#2026y"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert run("--data-dir", str(data_dir), "operator", "add", "lbianchi") == 2
    assert "non coincidono" in capsys.readouterr().err

    answers = iter(["Sportello#2026x", "Sportello#2026x"])
    assert run("--data-dir", str(data_dir), "operator", "add", "lbianchi") == 0
    assert [o.display_name for o in _operators(data_dir)] == ["lbianchi"]


def test_operator_add_with_empty_stdin(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert run("--data-dir", str(data_dir), "operator", "add", "mrossi", "--password-stdin") == 2
    assert "standard input" in capsys.readouterr().err


# --- global options ----------------------------------------------------------


def test_db_option_before_and_after_the_subcommand(data_dir: Path, tmp_path: Path, capsys) -> None:
    before = tmp_path / "prima.db"
    after = tmp_path / "dopo.db"
    assert run("--data-dir", str(data_dir), "--db", f"sqlite:///{before}", "outbox", "--json") == 0
    assert run("outbox", "--json", "--db", f"sqlite:///{after}", "--data-dir", str(data_dir)) == 0
    assert before.exists() and after.exists()
    assert not (data_dir / "areaclienti.db").exists()
    # Given on both sides, the one after the subcommand wins.
    other = tmp_path / "altro.db"
    assert run("--db", f"sqlite:///{before}", "outbox", "--db", f"sqlite:///{other}", "--data-dir", str(data_dir)) == 0
    assert other.exists()
    capsys.readouterr()


def test_db_from_environment(data_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "env.db"
    monkeypatch.setenv("AREACLIENTI_DB", f"sqlite:///{target}")
    assert run("--data-dir", str(data_dir), "outbox", "--json") == 0
    assert target.exists()
    capsys.readouterr()


def test_data_dir_after_the_subcommand_holds_database_and_log(data_dir: Path, capsys) -> None:
    assert run("outbox", "--data-dir", str(data_dir)) == 0
    assert (data_dir / "areaclienti.db").exists()
    assert (data_dir / "areaclienti.log").exists()
    captured = capsys.readouterr()
    assert "Nessun messaggio" in captured.out
    assert captured.err == ""  # logging goes to the file, never to the terminal


def test_unreachable_database_is_an_italian_message(data_dir: Path, capsys) -> None:
    url = "postgresql+psycopg://nessuno:segreta@127.0.0.1:1/niente"
    assert run("--data-dir", str(data_dir), "--db", url, "outbox") == 1
    err = capsys.readouterr().err
    assert "impossibile aprire il database" in err
    assert "segreta" not in err and "Traceback" not in err


def test_unexpected_error_has_no_traceback_on_terminal(data_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from areaclienti_tui.services import outbox

    def broken(*args, **kwargs):
        raise RuntimeError("guasto simulato")

    monkeypatch.setattr(outbox, "latest", broken)
    assert run("--data-dir", str(data_dir), "outbox") == 1
    err = capsys.readouterr().err
    assert "errore imprevisto: guasto simulato" in err and "Traceback" not in err
    assert "Traceback" in (data_dir / "areaclienti.log").read_text(encoding="utf-8")


def test_usage_errors_are_italian(capsys) -> None:
    assert run("sconosciuto") == 2
    assert "errore" in capsys.readouterr().err
    assert run("outbox", "--limit", "zero") == 2
    assert "non è un numero intero" in capsys.readouterr().err
    assert run("import") == 2
    assert "mancano argomenti obbligatori" in capsys.readouterr().err


def test_help_and_version(capsys) -> None:
    assert run("--help") == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: areaclienti-tui")
    for command in ("import", "outbox", "operator", "version"):
        assert command in out
    assert run("version") == 0
    assert capsys.readouterr().out.startswith("areaclienti-tui ")


# --- the console -------------------------------------------------------------


def test_console_is_created_lazily_with_the_settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fake_console(monkeypatch)
    assert run("--kiosk", "--data-dir", str(data_dir)) == 0
    settings = seen["ctx"].settings
    assert seen["ran"] and isinstance(settings, Settings)
    assert settings.kiosk is True and settings.data_dir == data_dir
    assert seen["kiosk"] is True and seen["data_dir"] == data_dir  # 1A drawn as a kiosk before the settings
    assert (data_dir / "areaclienti.db").exists()  # migrated behind 1A, by the console's loader


def test_cli_module_imports_without_textual_app() -> None:
    source = Path(cli.__file__).read_text(encoding="utf-8")
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not any("textual" in line or "areaclienti_tui.app" in line for line in top_level)


# --- database faults: read-only, busy, foreign; never SQL nor values on screen or in the log ----

NEW_PASSWORD = "Sportello#2026x"


def _migrated(folder: Path, name: str = "areaclienti.db") -> Path:
    path = folder / name
    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
    finally:
        db.dispose()
    return path


def _read_only_url(path: Path) -> str:
    """A database nobody may write: chmod 0444 file and folder, or, as root (who ignores
    file modes), SQLite's own read-only mode. Either way the console can only read it."""
    if os.geteuid() != 0:
        for companion in path.parent.glob(path.name + "-*"):
            companion.unlink()
        path.chmod(0o444)
        path.parent.chmod(0o555)
        return f"sqlite:///{path}"
    return f"sqlite:///file:{path}?mode=ro&uri=true"


@pytest.fixture
def read_only_db(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "archivio"
    folder.mkdir()
    path = _migrated(folder)
    yield _read_only_url(path)
    folder.chmod(0o755)
    path.chmod(0o644)


def _assert_clean(err: str, data_dir: Path) -> None:
    """No SQL, no bound values, no traceback on the terminal or in the log."""
    log = (data_dir / "areaclienti.log").read_text(encoding="utf-8") if (data_dir / "areaclienti.log").exists() else ""
    for text in (err, log):
        assert "$2b$" not in text and NEW_PASSWORD not in text
        assert "[parameters:" not in text
    for word in ("INSERT", "UPDATE", "SELECT", "[SQL", "Traceback"):
        assert word not in err, err


def _fake_console(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The console without a terminal (`app.loading_app`, issue 12): it draws nothing and runs
    the loader (settings, log, database) as the real one does behind 1A, keeping its error."""
    seen: dict[str, object] = {}

    class FakeApp:
        return_code = 0
        load_error: BaseException | None = None
        start_when_ready = None

        def __init__(self, load, **early) -> None:  # noqa: ANN001, ANN003
            self.load = load
            seen.update(early)

        def run(self) -> None:
            seen["ran"] = True
            try:
                seen["ctx"] = self.load()
            except Exception as error:  # noqa: BLE001 - as the real app: kept for the command line
                self.load_error = error

    monkeypatch.setitem(sys.modules, "areaclienti_tui.app", types.SimpleNamespace(loading_app=FakeApp))
    return seen


COMMANDS = {
    "operator-add": ["operator", "add", "mrossi", "--password-stdin"],
    "import": ["import", "CSV"],
    "reset-demo": ["reset-demo", "--yes"],
    "console": [],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_read_only_database_is_an_italian_message(
    command: str, read_only_db: str, data_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "clienti.csv"
    csv.write_text(HEADER + MARIO, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW_PASSWORD + "\n"))
    seen = _fake_console(monkeypatch)
    argv = [str(csv) if arg == "CSV" else arg for arg in COMMANDS[command]]
    assert run("--data-dir", str(data_dir), "--db", read_only_db, *argv) == 1
    err = capsys.readouterr().err
    assert "il database è in sola lettura" in err
    _assert_clean(err, data_dir)
    # A command stops before any work; the console finds it behind its first 1A, and closes.
    assert ("ran" in seen) == (command == "console") and "ctx" not in seen


@pytest.mark.parametrize("command", ["operator-add", "import", "reset-demo"])
def test_a_write_failing_midway_is_an_italian_message_without_values(
    command: str, read_only_db: str, data_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even past the start-up probe, the failed INSERT's SQL and values (a bcrypt hash) never show."""
    monkeypatch.setattr(store_db.Database, "check_writable", lambda self: None)
    csv = tmp_path / "clienti.csv"
    csv.write_text(HEADER + MARIO, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW_PASSWORD + "\n"))
    argv = [str(csv) if arg == "CSV" else arg for arg in COMMANDS[command]]
    assert run("--data-dir", str(data_dir), "--db", read_only_db, *argv) == 1
    err = capsys.readouterr().err
    assert "il database è in sola lettura" in err
    _assert_clean(err, data_dir)


def test_outbox_on_a_database_that_cannot_be_created(data_dir: Path, tmp_path: Path, capsys) -> None:
    url = f"sqlite:///file:{tmp_path / 'manca' / 'nuovo.db'}?mode=ro&uri=true"
    assert run("--data-dir", str(data_dir), "--db", url, "outbox") == 1
    err = capsys.readouterr().err
    assert "il database è in sola lettura" in err
    _assert_clean(err, data_dir)


def test_outbox_still_reads_a_read_only_database(read_only_db: str, data_dir: Path, capsys) -> None:
    assert run("--data-dir", str(data_dir), "--db", read_only_db, "outbox") == 0
    assert "Nessun messaggio" in capsys.readouterr().out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_locked_database_is_an_italian_message(
    command: str, data_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _migrated(data_dir)
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT", 0.2)
    csv = tmp_path / "clienti.csv"
    csv.write_text(HEADER + MARIO, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW_PASSWORD + "\n"))
    seen = _fake_console(monkeypatch)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        argv = [str(csv) if arg == "CSV" else arg for arg in COMMANDS[command]]
        assert run("--data-dir", str(data_dir), *argv) == 1
    finally:
        holder.rollback()
        holder.close()
    err = capsys.readouterr().err
    assert "il database è occupato da un'altra console" in err
    _assert_clean(err, data_dir)
    assert ("ran" in seen) == (command == "console") and "ctx" not in seen


def test_a_foreign_database_is_refused_byte_for_byte_unchanged(data_dir: Path, tmp_path: Path, capsys,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "gestionale"
    folder.mkdir()
    path = folder / "fatture.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE fatture (numero TEXT PRIMARY KEY, importo REAL)")
    connection.execute("INSERT INTO fatture VALUES ('F-1', 99.0)")
    connection.commit()
    connection.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    _fake_console(monkeypatch)  # the console (no command) finds it behind 1A: see tests/pilot/test_loading_start.py
    for argv in (["outbox"], ["reset-demo", "--yes"], []):
        assert run("--data-dir", str(data_dir), "--db", f"sqlite:///{path}", *argv) == 2
        err = capsys.readouterr().err
        assert "non è un database di Area Clienti" in err and "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in folder.iterdir()) == ["fatture.sqlite"]
