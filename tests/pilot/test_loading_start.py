"""Issue 12, "1A first, the rest behind it": the console as the real program starts it.

`cli.console_app` (what `areaclienti-tui` without a command runs) draws 1A at once and
loads the settings, the database and the rest in a worker. Here the database part waits
on a gate the test opens, so every key and click below surely arrives before the console
has loaded: they wait, visibly, and reach the right place once it has. A database that
cannot be used closes the console with the Italian message and exit code of the commands.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, LoadingIndicator

from areaclienti_tui import cli
from areaclienti_tui.app import AreaClientiApp
from areaclienti_tui.steps.welcome_early import EarlyWelcomeScreen
from areaclienti_tui.widgets.textual_it import HIGH_CONTRAST
from tests.pilot.conftest import SIZE

TIMEOUT = 30.0


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AREACLIENTI_BCRYPT_ROUNDS", "4")
    for name in ("AREACLIENTI_DB", "AREACLIENTI_DATA_DIR", "AREACLIENTI_KIOSK", "AREACLIENTI_DEMO"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The console's database opens only once the test sets this (or after TIMEOUT)."""
    opened = threading.Event()
    real_open = cli._open

    def gated_open(*args: Any, **kwargs: Any) -> Any:
        opened.wait(TIMEOUT)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(cli, "_open", gated_open)
    yield opened
    opened.set()


@pytest.fixture
def demo_db(_demo_template: Path, tmp_path: Path) -> str:
    """A copy of the demo database (migrated: opening it never runs Alembic)."""
    path = tmp_path / "console.db"
    shutil.copyfile(_demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "dati"


def console(*argv: str) -> tuple[AreaClientiApp, Any]:
    return cli.console_app(cli.build_parser().parse_args(list(argv)))


async def until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}; the screen is {pilot.app.screen!r}")
        await pilot.pause(0.02)


async def loaded_on(pilot: Pilot, step: str) -> None:
    app = pilot.app
    assert isinstance(app, AreaClientiApp)
    await until(pilot, lambda: app.loaded and app.current_step == step and app.screen.is_mounted
                and not app._held_keys and not app._keys_gate_closed, f"{step}, loaded")
    await pilot._wait_for_screen()


def lines(app: AreaClientiApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def drawn(pilot: Pilot, *, showing: str = "") -> list[str]:
    """The screen as drawn once the footer has its keys (Textual fills it a frame after the
    rest) and, if given, `showing` is on it."""
    app = pilot.app
    assert isinstance(app, AreaClientiApp)
    await pilot._wait_for_screen()
    await until(pilot, lambda: lines(app)[-1].strip() and showing in "\n".join(lines(app)),
                f"the screen drawn{', showing ' + showing if showing else ''}")
    return lines(app)


def outcome(app: AreaClientiApp, load: Any) -> tuple[int, str]:
    buffer = io.StringIO()
    code = cli.console_outcome(app, load, Console(file=buffer, width=400))
    return code, buffer.getvalue()


# -- keys and clicks before the console has loaded ---------------------------------------


async def test_keys_typed_at_once_wait_visibly_then_reach_3a_in_order(gate, demo_db, data_dir) -> None:
    app, load = console("--db", demo_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        assert app.current_step == "1A" and not app.loaded
        # Registrati, Persona, then 3A's first two fields: typed before anything has loaded.
        await pilot.press("enter", "enter", *"Mario", "tab", *"Rossi")
        early = app.screen
        assert isinstance(early, EarlyWelcomeScreen) and early.waiting and not app.loaded
        await drawn(pilot, showing="Caricamento…")  # the wait is on screen, with a spinner
        assert early.query(LoadingIndicator) and not app.loaded
        gate.set()
        await loaded_on(pilot, "3A")
        assert app.screen.query_one("#nome", Input).value == "Mario"
        assert app.screen.query_one("#cognome", Input).value == "Rossi"
        assert [(t.source, t.outcome) for t in app.crossed] == [("1A", "registrati"), ("2A", "persona")]
        assert not early.query(LoadingIndicator)  # nothing spins behind the real 1A
        await pilot.press("ctrl+q")
    assert outcome(app, load) == (0, "")


async def test_a_click_before_the_console_has_loaded_is_pressed_once_it_has(gate, demo_db, data_dir) -> None:
    app, load = console("--db", demo_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#accedi")
        early = app.screen
        assert isinstance(early, EarlyWelcomeScreen) and early.pressed == ["accedi"] and early.waiting
        gate.set()
        await loaded_on(pilot, "8A")
        assert [(t.source, t.outcome) for t in app.crossed] == [("1A", "accedi")]


async def test_the_palette_asked_for_by_the_header_icon_opens_once_loaded(gate, demo_db, data_dir) -> None:
    from textual.command import CommandPalette

    app, load = console("--db", demo_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("HeaderIcon")
        assert isinstance(app.screen, EarlyWelcomeScreen) and app.screen.waiting
        assert not CommandPalette.is_open(app)
        gate.set()
        await until(pilot, lambda: app.loaded and CommandPalette.is_open(app), "the command palette")


async def test_1a_and_its_messages_pane_fill_in_once_loaded(gate, demo_db, data_dir) -> None:
    from areaclienti_tui.widgets.outbox_pane import OutboxPane

    data_dir.mkdir(parents=True)
    (data_dir / "preferenze.json").write_text(json.dumps({"tema": HIGH_CONTRAST.name}), encoding="utf-8")
    app, load = console("--db", demo_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        early_lines = await drawn(pilot)
        assert app.theme == HIGH_CONTRAST.name  # the remembered theme from the first frame
        assert not any(screen.query(OutboxPane) for screen in app.screen_stack)
        assert any("Messaggi: caricamento…" in line for line in early_lines)
        gate.set()
        await loaded_on(pilot, "1A")
        assert type(app.screen).__name__ == "WelcomeScreen" and app.screen.query_one("#registrati").has_focus
        assert app.screen.query_one(OutboxPane).display
        await app.workers.wait_for_complete()
        real_lines = await drawn(pilot, showing="Messaggi di questo percorso")
        assert not any("caricamento" in line.lower() for line in real_lines)
        assert app.theme == HIGH_CONTRAST.name and app.settings.data_dir == data_dir
        # The early 1A is the real one but for the pane: header, texts, buttons, footer alike.
        journey_columns = SIZE[0] - 48
        assert [line[:journey_columns] for line in early_lines] == [line[:journey_columns] for line in real_lines]


async def test_a_persona_started_at_a_step_gets_there_once_loaded(gate, demo_db, data_dir) -> None:
    app, load = console("--db", demo_db, "--data-dir", str(data_dir), "--persona", "alessandro greco", "--passo", "3b")
    async with app.run_test(size=SIZE) as pilot:
        assert app.current_step == "1A"
        gate.set()
        await until(pilot, lambda: app.current_step == "3B" and not [
            w for w in app.workers if w.group == "avvio" and w.is_running], "3B with Alessandro Greco")
        await drawn(pilot, showing="a***o@studiogrieco.it")


async def test_a_kiosk_is_a_kiosk_from_the_first_frame(gate, demo_db, data_dir) -> None:
    app, load = console("--db", demo_db, "--data-dir", str(data_dir), "--kiosk")
    async with app.run_test(size=SIZE) as pilot:
        footer = (await drawn(pilot))[-1]
        assert "Operatore" not in footer and "Messaggi" not in footer and "Esci" in footer
        assert not app.screen.query_one("#messaggi-in-arrivo").display and not app.use_command_palette
        gate.set()
        await loaded_on(pilot, "1A")
        assert app.settings.kiosk and not app.check_action("operator", ())
        assert "Operatore" not in (await drawn(pilot))[-1]


# -- a database that cannot be used: the commands' message and exit code ---------------


def _foreign(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE fatture (numero TEXT PRIMARY KEY, importo REAL)")


def _newer(path: Path) -> None:
    from areaclienti_tui.store.db import Database

    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
    finally:
        db.dispose()
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("PRAGMA journal_mode=DELETE")  # one file, nothing left to checkpoint
        connection.execute("UPDATE alembic_version SET version_num = '9999'")


@pytest.mark.parametrize(("make", "code", "message"), [
    (_foreign, cli.EXIT_INVALID, "non è un database di Area Clienti"),
    (_newer, cli.EXIT_INVALID, "di una versione più recente di Area Clienti"),
    (lambda path: path.write_bytes(b"questo non e' un database " * 100), cli.EXIT_INVALID,
     "il file indicato non è un database SQLite"),
], ids=["altro-programma", "schema-piu-recente", "non-database"])
async def test_a_database_that_is_not_ours_closes_the_console_with_the_commands_message(
        tmp_path: Path, data_dir: Path, make, code: int, message: str) -> None:
    path = tmp_path / "altro.db"
    make(path)
    before = path.read_bytes()
    app, load = console("--db", f"sqlite:///{path}", "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # typed ahead: it waits, then the console closes
        await until(pilot, lambda: app.load_error is not None, "the failure")
    told, err = outcome(app, load)
    assert told == code and message in err and "Traceback" not in err, err
    assert path.read_bytes() == before  # refused before anything was written


@pytest.fixture
def read_only_db(tmp_path: Path) -> Iterator[str]:
    from areaclienti_tui.store.db import Database

    folder = tmp_path / "archivio"
    folder.mkdir()
    path = folder / "areaclienti.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
    finally:
        db.dispose()
    if os.geteuid() != 0:
        path.chmod(0o444)
        folder.chmod(0o555)
        yield f"sqlite:///{path}"
        folder.chmod(0o755)
        path.chmod(0o644)
    else:  # root ignores file modes: SQLite's own read-only mode
        yield f"sqlite:///file:{path}?mode=ro&uri=true"


async def test_a_read_only_database_closes_the_console_with_the_commands_message(read_only_db, data_dir) -> None:
    app, load = console("--db", read_only_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.load_error is not None, "the failure")
    told, err = outcome(app, load)
    assert told == cli.EXIT_FAILURE and "il database è in sola lettura" in err and "Traceback" not in err, err


async def test_invalid_settings_close_the_console_with_the_commands_message(
        demo_db, data_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AREACLIENTI_BCRYPT_ROUNDS", "99")
    app, load = console("--db", demo_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.load_error is not None, "the failure")
    told, err = outcome(app, load)
    assert told == cli.EXIT_INVALID and "impostazioni non valide: AREACLIENTI_BCRYPT_ROUNDS" in err, err


async def test_an_unexpected_failure_while_loading_is_told_without_a_traceback(
        demo_db, data_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("guasto inatteso")

    monkeypatch.setattr(cli, "_open", broken)
    app, load = console("--db", demo_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.load_error is not None, "the failure")
    told, err = outcome(app, load)
    assert told == cli.EXIT_FAILURE and "errore imprevisto: guasto inatteso" in err and "Traceback" not in err, err
    log = (data_dir / "areaclienti.log").read_text(encoding="utf-8")
    assert "guasto inatteso" in log  # the details are in the log file, as for the commands


async def test_a_missing_console_module_is_told_in_italian(demo_db, data_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    from areaclienti_tui import app as app_module

    def missing(**_kwargs: Any) -> None:
        raise ImportError("No module named 'textual_image'")

    monkeypatch.setattr(app_module, "load_console_modules", missing)
    app, load = console("--db", demo_db, "--data-dir", str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.load_error is not None, "the failure")
    told, err = outcome(app, load)
    assert told == cli.EXIT_FAILURE and "la console non è disponibile in questa installazione" in err, err
