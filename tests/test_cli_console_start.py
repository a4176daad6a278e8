"""Issue 12: what `areaclienti-tui` (no command) loads before 1A, and how it reads the few
settings that shape 1A without pydantic (the loaded Settings must agree)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from areaclienti_tui import app as app_module
from areaclienti_tui import cli, journey_map
from areaclienti_tui.settings import Settings

# Imported only behind 1A: the store, the migrations, pydantic (the settings), the rules'
# libraries, the services, the step frame, the operator area, image and PDF libraries.
NOT_BEFORE_1A = (
    "sqlalchemy", "sqlmodel", "alembic", "pydantic", "pydantic_settings", "phonenumbers", "email_validator",
    "zxcvbn", "bcrypt", "PIL", "textual_image", "pypdf", "areaclienti_tui.store", "areaclienti_tui.settings",
    "areaclienti_tui.services.context", "areaclienti_tui.rules", "areaclienti_tui.journey",
    "areaclienti_tui.steps.base", "areaclienti_tui.steps.welcome", "areaclienti_tui.steps.operator",
    "areaclienti_tui.widgets.outbox_pane", "areaclienti_tui.journey_map", "areaclienti_tui.navigator",
)

BUILD = """
import json, sys
from areaclienti_tui import cli
app, load = cli.console_app(cli.build_parser().parse_args(sys.argv[1:]))
print(json.dumps(sorted(sys.modules)))
"""


def test_the_console_is_built_without_what_1a_does_not_need(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", BUILD, "--db", f"sqlite:///{tmp_path / 'x.db'}"],
                          capture_output=True, text=True, timeout=120, check=True)
    loaded = json.loads(done.stdout)
    early = [name for name in loaded if any(name == m or name.startswith(m + ".") for m in NOT_BEFORE_1A)]
    assert early == []
    assert not (tmp_path / "x.db").exists()  # nothing opened yet: that happens behind 1A


def test_the_apps_start_and_the_map_formats_are_the_maps() -> None:
    """Written again in app.py and cli.py so that 1A is drawn without importing the map."""
    assert app_module.START == journey_map.START
    assert cli.MAP_FORMATS == journey_map.FORMATS


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", "t", "y", "0", "false", "No", "off", "f", "n"])
@pytest.mark.parametrize("name", ["AREACLIENTI_KIOSK", "areaclienti_kiosk", "Areaclienti_Kiosk"])
def test_the_early_kiosk_reads_the_environment_as_the_settings_do(
        value: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AREACLIENTI_KIOSK", "areaclienti_kiosk", "Areaclienti_Kiosk"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(name, value)
    args = cli.build_parser().parse_args([])
    kiosk, _data_dir = cli._early_look(args)
    assert kiosk is Settings().kiosk


@pytest.mark.parametrize("argv", [[], ["--kiosk"], ["--data-dir", "~/altrove"], ["--data-dir", "rel/dati", "--kiosk"]])
@pytest.mark.parametrize("env_dir", [None, "/srv/areaclienti", "relativa"])
def test_the_early_data_folder_is_the_settings(argv: list[str], env_dir: str | None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AREACLIENTI_KIOSK", raising=False)
    if env_dir is None:
        monkeypatch.delenv("AREACLIENTI_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("AREACLIENTI_DATA_DIR", env_dir)
    args = cli.build_parser().parse_args(argv)
    settings = cli._settings_from(args)
    assert cli._early_look(args) == (settings.kiosk, settings.data_dir)


def test_version_is_read_only_when_asked(capsys) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"areaclienti-tui {cli.version()}\n"


def test_the_early_1a_says_what_the_real_1a_says() -> None:
    """The 1A drawn while the console loads (steps/welcome_early.py) and the real one
    (steps/welcome.py): the step modules never import each other, so the texts are written
    in both; this keeps them the same (the Pilot test compares the two screens drawn)."""
    from areaclienti_tui.steps import welcome, welcome_early

    assert welcome.WelcomeScreen.STEP == welcome_early.STEP == journey_map.START
    assert welcome.WelcomeScreen.HEADING == welcome_early.HEADING
    assert welcome.WelcomeScreen.INTRO == welcome_early.INTRO
    panel = next(iter(welcome.WelcomeScreen().compose_step()))
    (reminder,) = panel._pending_children
    assert reminder.id == "promemoria" and reminder.content == welcome_early.REMINDER
