"""The status file a classroom seat's console writes for the trainer's board (aula/report.py).

The console writes it, the server reads it: the writer keeps secrets out (recipients
masked, no text, no code), the reader trusts nothing in a seat's folder (garbage, huge
or deeply nested files, a link to an endless device, a pipe) and never blocks.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from areaclienti_tui.aula import report
from areaclienti_tui.aula.report import MAX_BYTES, MAX_TEXT, SeatReport

EMPTY = {"passo": None, "esito": None, "messaggio": None}
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def status_file(tmp_path: Path) -> Path:
    return tmp_path / "posto-01" / "posto.json"


@pytest.fixture
def seat_report(status_file: Path) -> SeatReport:
    return SeatReport(status_file, lambda: NOW)


def on_disk(path: Path) -> dict[str, object]:
    return json.loads(path.read_text(encoding="utf-8"))


# -- writing -------------------------------------------------------------------------


def test_the_step_on_screen_is_written_with_its_code_and_title(seat_report: SeatReport, status_file: Path) -> None:
    assert seat_report.step("3B") is True
    assert on_disk(status_file)["passo"] == {"id": "3B", "codice": "3B", "titolo": "Scegli il recapito",
                                             "dal": "2026-03-02T09:00:00+00:00"}
    assert report.read(status_file)["passo"]["codice"] == "3B"
    assert on_disk(status_file)["esito"] is None  # 3B is a step, not an outcome


def test_a_step_seen_again_is_not_written_again(seat_report: SeatReport, status_file: Path) -> None:
    seat_report.step("2A")
    status_file.write_text("left alone", encoding="utf-8")  # would be replaced by a new write
    assert seat_report.step("2A") is False
    assert status_file.read_text(encoding="utf-8") == "left alone"
    assert seat_report.step(None) is True  # leaving the journey (the operator area) is a change
    assert on_disk(status_file)["passo"] is None
    assert seat_report.step(None) is False


def test_an_outcome_stays_while_the_trainee_moves_on(seat_report: SeatReport, status_file: Path) -> None:
    seat_report.step("1B")
    seat_report.step("2B")
    status = report.read(status_file)
    assert status["passo"]["codice"] == "2B"
    assert status["esito"] == {"id": "1B", "testo": "Dati non riconosciuti (1B)", "alle": "2026-03-02T09:00:00+00:00"}
    seat_report.step("7A-fatto")  # an outcome shown with its own step code
    status = report.read(status_file)
    assert status["passo"]["codice"] == "7A"
    assert status["esito"]["testo"] == "Account creato"


def test_no_partial_file_is_left_beside_the_status(seat_report: SeatReport, status_file: Path) -> None:
    seat_report.step("1A")
    seat_report.message("email", "mario.rossi@gmail.com", "Codice")
    assert sorted(p.name for p in status_file.parent.iterdir()) == ["posto.json"]


@pytest.mark.parametrize(("channel", "recipient", "shown"), [
    ("email", "mario.rossi@gmail.com", "m***i@gmail.com"),
    ("sms", "+393331234567", "+39 *** *** 4567"),
])
def test_a_message_is_written_with_its_recipient_masked(seat_report: SeatReport, status_file: Path,
                                                        channel: str, recipient: str, shown: str) -> None:
    seat_report.message(channel, recipient, "Il tuo codice")
    raw = status_file.read_text(encoding="utf-8")
    assert recipient not in raw
    assert on_disk(status_file)["messaggio"] == {"canale": channel, "a": shown, "oggetto": "Il tuo codice",
                                                 "alle": "2026-03-02T09:00:00+00:00"}


@pytest.mark.parametrize("recipient", ["3331234567", "+39 abc", "", "\x1b[31mrosso", "0" * 500])
def test_an_odd_sms_recipient_is_hidden_never_shown_raw(seat_report: SeatReport, status_file: Path,
                                                        recipient: str) -> None:
    seat_report.message("sms", recipient, None)
    shown = report.read(status_file)["messaggio"]["a"]
    assert shown == "***"
    if recipient:
        assert recipient not in status_file.read_text(encoding="utf-8")


def test_long_texts_are_cut(seat_report: SeatReport, status_file: Path) -> None:
    seat_report.message("email", "a" * 300 + "@example.it", "x" * 1000)
    message = on_disk(status_file)["messaggio"]
    assert len(message["oggetto"]) == MAX_TEXT and message["oggetto"].endswith("…")
    assert len(message["a"]) <= MAX_TEXT
    assert "a" * 10 not in message["a"]


def test_writes_from_many_threads_leave_a_whole_file(seat_report: SeatReport, status_file: Path) -> None:
    """The console's worker threads send messages while its UI thread reports steps."""
    steps = ["1A", "2A", "3A", "4A", "5A", "6A"]

    def messages() -> None:
        for n in range(40):
            seat_report.message("email", f"utente{n}@example.it", f"Messaggio {n}")

    def moves() -> None:
        for n in range(40):
            seat_report.step(steps[n % len(steps)])

    workers = [threading.Thread(target=messages), threading.Thread(target=moves)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    status = report.read(status_file)
    assert status["passo"]["codice"] == steps[39 % len(steps)]
    assert status["messaggio"]["oggetto"] == "Messaggio 39"


# -- reading -------------------------------------------------------------------------


def test_a_seat_without_a_status_file_has_nothing_to_show(status_file: Path) -> None:
    assert report.read(status_file) == EMPTY


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty"),
    pytest.param(b"garbage \x00\xff\xfe not json", id="garbage"),
    pytest.param(b"\xff\xfe{\x00}\x00", id="not-utf8"),
    pytest.param(b"[1, 2, 3]", id="a-list"),
    pytest.param(b'"passo"', id="a-string"),
    pytest.param(b"42", id="a-number"),
    pytest.param(b"null", id="null"),
    pytest.param(b'{"passo": "3B", "esito": [1], "messaggio": 7}', id="parts-not-objects"),
    pytest.param(b'{"passo": {"id": "3B"', id="cut-short"),
    pytest.param(b"[" * (MAX_BYTES - 10), id="deep-list"),  # a RecursionError, not a ValueError
    pytest.param(b'{"a": ' * 2500 + b"1" + b"}" * 2500, id="deep-object"),
])
def test_garbage_reads_as_nothing(status_file: Path, content: bytes) -> None:
    status_file.parent.mkdir(parents=True)
    status_file.write_bytes(content)
    assert report.read(status_file) == EMPTY


def test_parts_of_the_wrong_shape_are_made_texts_with_every_key(status_file: Path) -> None:
    status_file.parent.mkdir(parents=True)
    status_file.write_text(json.dumps({
        "passo": {"codice": 3, "titolo": ["<b>x</b>"], "altro": "ignorato"},
        "esito": {},
        "messaggio": {"a": "y" * 5000},
        "estraneo": {"x": 1},
    }), encoding="utf-8")
    status = report.read(status_file)
    assert status["passo"] == {"id": "", "codice": "3", "titolo": "['<b>x</b>']", "dal": ""}
    assert status["esito"] == {"id": "", "testo": "", "alle": ""}
    assert len(status["messaggio"]["a"]) == MAX_TEXT
    assert set(status) == {"passo", "esito", "messaggio"}


def test_a_file_larger_than_the_limit_is_not_read(status_file: Path) -> None:
    status_file.parent.mkdir(parents=True)
    padding = " " * (10 * 1024 * 1024)
    status_file.write_text('{"passo": {"codice": "3B"}}' + padding, encoding="utf-8")
    assert report.read(status_file) == EMPTY


def test_a_file_just_under_the_limit_is_read(status_file: Path) -> None:
    status_file.parent.mkdir(parents=True)
    text = '{"passo": {"codice": "3B"}}'
    status_file.write_text(text + " " * (MAX_BYTES - len(text)), encoding="utf-8")
    assert report.read(status_file)["passo"]["codice"] == "3B"


def test_a_directory_in_place_of_the_file_reads_as_nothing(status_file: Path) -> None:
    status_file.mkdir(parents=True)
    assert report.read(status_file) == EMPTY


def read_with_deadline(path: Path, seconds: float = 10.0) -> object:
    """`report.read` in a thread: a read that blocks fails the test instead of hanging it."""
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(report.read(path)), daemon=True)
    reader.start()
    reader.join(seconds)
    assert not reader.is_alive(), f"report.read({path}) still blocked after {seconds} s"
    return result[0]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_an_endless_device_is_not_read_forever(status_file: Path) -> None:
    """stat() says 0 bytes; reading it whole would never end (and fill the memory)."""
    status_file.parent.mkdir(parents=True)
    status_file.symlink_to("/dev/zero")
    assert read_with_deadline(status_file) == EMPTY


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_in_place_of_the_file_does_not_block_the_server(status_file: Path) -> None:
    """Nobody writes to the pipe: opening it for reading would wait forever."""
    status_file.parent.mkdir(parents=True)
    os.mkfifo(status_file)
    assert read_with_deadline(status_file) == EMPTY
