"""`areaclienti-tui import`: its progress, piped and on a terminal (issue 12).

The real program in a child process, on a file big enough for its rows to be
checked by worker processes. Piped, it writes plain progress lines on standard
error (every tenth of the file or every few seconds, then a closing line) and
only the summary on standard output; on a terminal (a pty, read through
pexpect) it draws a bar with rows per second and the time left instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_import_pool import HEADER, _line, _person

PROGRAM = Path(sys.executable).with_name("areaclienti-tui")
needs_program = pytest.mark.skipif(not PROGRAM.exists(), reason="the console script is not installed")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _file(folder: Path, count: int) -> Path:
    """`count` customers; two rows bad (a wrong sex, a landline)."""
    rows = [_person(i) for i in range(count)]
    rows[100][3] = "X"
    rows[count - 50][7] = "0612345678"
    path = folder / "clienti.csv"
    path.write_text(_line(HEADER) + "".join(_line(row) for row in rows), encoding="utf-8")
    return path


def _env(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AREACLIENTI_")}
    return {**env, "AREACLIENTI_DEMO": "0", "AREACLIENTI_DATA_DIR": str(folder / "dati"), "COLUMNS": "160"}


@needs_program
def test_piped_import_prints_plain_progress_lines_and_the_summary(tmp_path: Path) -> None:
    path = _file(tmp_path, 12_000)
    done = subprocess.run(
        [str(PROGRAM), "import", str(path)], capture_output=True, text=True, env=_env(tmp_path), timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "12000 righe lette: 11998 clienti nuovi, 0 aggiornati, 0 invariati, 2 righe scartate"
    ]
    err = done.stderr
    assert "\x1b" not in err and "━" not in err  # no bar, no terminal codes
    lines = err.splitlines()
    assert "riga 102: sesso deve essere M o F" in lines
    assert any(line.startswith("riga 11952: cellulare '0612345678'") for line in lines)
    steps = [
        re.fullmatch(r"clienti\.csv: ([\d.]+) di 12\.000 righe \((\d+)%\), [\d.]+ righe/s, fine stimata tra .+", line)
        for line in lines
        if not line.startswith("riga ")
    ]
    closing = steps.pop()
    assert closing is None and re.fullmatch(r"clienti\.csv: 12\.000 righe in .+, [\d.]+ righe/s", lines[-1])
    assert steps and None not in steps, err
    percents = [int(step.group(2)) for step in steps]
    assert percents == sorted(percents) and len(percents) >= 4 and percents[-1] < 100


@needs_program
def test_import_on_a_terminal_draws_a_bar_with_rate_and_time_left(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    path = _file(tmp_path, 20_000)
    child = pexpect.spawn(
        str(PROGRAM), ["import", str(path)], env={**_env(tmp_path), "TERM": "xterm-256color"},
        dimensions=(30, 160), timeout=300,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    screen = ANSI.sub("", child.before.decode("utf-8", "replace")).replace("\r", "\n")
    assert "20000 righe lette: 19998 clienti nuovi" in screen
    assert "riga 102: sesso deve essere M o F" in screen
    frames = [line for line in screen.splitlines() if "Importazione di clienti.csv" in line]
    assert frames, screen
    assert all("━" in frame and "righe/s" in frame and "mancano" in frame for frame in frames), frames
    assert re.search(r"20\.?000/20\.?000", frames[-1]) and "100%" in frames[-1], frames[-1]
    midway = [frame for frame in frames if re.search(r" [1-9][0-9]?% ", frame)]
    assert any(re.search(r"[\d.]+ righe/s .*mancano \d+:\d\d:\d\d", frame) for frame in midway), frames
    assert "fine stimata" not in screen  # the plain lines are for pipes only


@needs_program
def test_at_80_columns_the_bar_keeps_count_rate_and_time_left_whole(tmp_path: Path) -> None:
    """80×24: the file's name on a line of its own, the bar shorter, nothing cut with "…"."""
    pexpect = pytest.importorskip("pexpect")
    path = _file(tmp_path, 20_000)
    child = pexpect.spawn(
        str(PROGRAM), ["import", str(path)], env={**_env(tmp_path), "TERM": "xterm-256color", "COLUMNS": "80"},
        dimensions=(24, 80), timeout=300,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    screen = ANSI.sub("", child.before.decode("utf-8", "replace")).replace("\r", "\n")
    assert "Importazione di clienti.csv" in screen.splitlines()
    frames = [line for line in screen.splitlines() if "━" in line]
    assert frames, screen
    assert all(len(frame.rstrip()) <= 80 and "…" not in frame for frame in frames), frames
    assert all(re.search(r"\d+% [\d.]+/20\.000 righe .*righe/s mancano", frame) for frame in frames), frames
    assert "20.000/20.000 righe" in frames[-1] and "100%" in frames[-1], frames[-1]
    assert "20000 righe lette: 19998 clienti nuovi" in screen


def test_processi_chooses_the_workers_and_refuses_a_negative_number(tmp_path: Path, monkeypatch, capsys) -> None:
    from areaclienti_tui import cli
    from areaclienti_tui.services import importer

    for name in [key for key in os.environ if key.startswith("AREACLIENTI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AREACLIENTI_DEMO", "0")
    path = _file(tmp_path, 300)
    asked: list = []
    real = importer.import_file

    def spy(ctx, csv_path, **kwargs):  # noqa: ANN001, ANN003, ANN202
        asked.append(kwargs.get("workers"))
        return real(ctx, csv_path, **kwargs)

    monkeypatch.setattr(importer, "import_file", spy)
    data = str(tmp_path / "dati")
    assert cli.main(["--data-dir", data, "import", str(path), "--processi", "0"]) == 0
    assert cli.main(["--data-dir", data, "import", str(path)]) == 0
    assert asked == [0, None]  # None: the importer's own choice, one per CPU
    assert cli.main(["--data-dir", data, "import", str(path), "--processi", "-1"]) == 2
    assert "--processi" in capsys.readouterr().err
