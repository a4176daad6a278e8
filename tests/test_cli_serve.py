"""`areaclienti-tui serve`: its options refused with an Italian message and exit 2, before
anything is written or any port is opened; what it prints never shows 0.0.0.0."""

from __future__ import annotations

from pathlib import Path

import pytest

from areaclienti_tui import cli


@pytest.fixture(autouse=True)
def _cheap_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AREACLIENTI_DB", "AREACLIENTI_DATA_DIR", "AREACLIENTI_KIOSK"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("args", "message"), [
    (["--aula", "0"], "maggiore di zero"),
    (["--aula", "61"], "da 1 a 60 posti"),
    (["--aula", "tre"], "non è un numero intero"),
    (["--inattivo-dopo", "0"], "i minuti vanno da più di 0 a 1440"),
    (["--inattivo-dopo", "mezz'ora"], "non è un numero di minuti"),
    (["--port", "70000"], "tra 1 e 65535"),
    (["--indirizzo-pubblico", "ftp://aula.example"], "http://nome:porta"),
    (["--indirizzo-pubblico", "http://0.0.0.0:8000"], "0.0.0.0 non è un indirizzo"),
    (["--indirizzo-pubblico", "https://aula.example/?x=1"], "http://nome:porta"),
])
def test_bad_options_exit_2_with_an_italian_message(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    assert cli.main(["--data-dir", str(tmp_path / "dati"), "serve", *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "dati" / "aula").exists()  # nothing prepared


@pytest.mark.parametrize(("host", "shown"), [("0.0.0.0", None), ("::", None), ("127.0.0.2", "127.0.0.2"),
                                             ("::1", "[::1]")])
def test_the_printed_address_is_one_a_browser_can_use(host: str, shown: str | None) -> None:
    printed = cli._reachable_host(host)
    assert "0.0.0.0" not in printed and printed not in ("", "::")
    if shown is not None:
        assert printed == shown
