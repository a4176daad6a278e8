"""The seats of a classroom without processes (aula/seats.py, aula/web.py's public address).

Which seat a new tab gets, when a seat's console counts as idle (on an injected
monotonic clock: no test waits), and which public addresses `serve` accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from areaclienti_tui.aula.seats import MAX_SEATS, Room, Seat
from areaclienti_tui.aula.web import AddressError, public_base
from areaclienti_tui.settings import Settings

IDLE = 600.0


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeConsole:
    """What the room asks of a seat's console process."""

    def __init__(self) -> None:
        self.running = True
        self.stop_calls = 0

    async def stop(self) -> None:
        self.stop_calls += 1
        self.running = False


class FakeTab:
    async def send_bytes(self, data: bytes) -> None: ...
    async def send_str(self, data: str) -> None: ...
    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        return True


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def make_room(tmp_path: Path, seats: int | None, ticks: Ticks | None = None) -> Room:
    settings = Settings(data_dir=tmp_path, bcrypt_rounds=4, demo=False)
    return Room(settings, seats, idle_seconds=IDLE, monotonic=ticks or Ticks())


def watched(room: Room, *numbers: int) -> None:
    for number in numbers:
        seat = room.seat(number)
        assert seat is not None
        seat.viewer = FakeTab()


# -- which seat a tab gets ------------------------------------------------------------


def test_new_tabs_get_the_seats_in_order(tmp_path: Path) -> None:
    room = make_room(tmp_path, 3)
    assert [room.assign() for _ in range(3)] == [1, 2, 3]


def test_a_tab_keeps_its_own_seat(tmp_path: Path) -> None:
    """The cookie of a tab that had seat 2 brings it back to 2, even while 2 is open elsewhere
    (a reload, or the same trainee on another computer: the newer tab takes it)."""
    room = make_room(tmp_path, 3)
    assert room.assign(2) == 2
    assert room.assign() == 1  # 2 was handed out: the next new tab gets 1, then 3
    assert room.assign() == 3
    watched(room, 2)
    assert room.assign(2) == 2


@pytest.mark.parametrize("preferred", [0, -1, 4, 999])
def test_a_seat_that_is_not_there_is_not_kept(tmp_path: Path, preferred: int) -> None:
    room = make_room(tmp_path, 3)
    assert room.assign(preferred) == 1
    assert room.seat(preferred) is None


def test_once_every_seat_was_handed_out_a_tab_gets_the_first_nobody_watches(tmp_path: Path) -> None:
    room = make_room(tmp_path, 3)
    for _ in range(3):
        room.assign()
    watched(room, 1, 3)
    assert room.assign() == 2
    watched(room, 2)
    room.seat(3).viewer = None  # the trainee of seat 3 closed the tab
    assert room.assign() == 3


def test_a_full_room_has_no_seat_for_a_new_tab(tmp_path: Path) -> None:
    room = make_room(tmp_path, 2)
    assert [room.assign(), room.assign()] == [1, 2]
    watched(room, 1, 2)
    assert room.assign() is None
    assert room.assign(2) == 2  # its own seat still opens


def test_a_fresh_seat_goes_before_one_left_free(tmp_path: Path) -> None:
    """Seat 1 handed out and its tab closed: a newcomer gets seat 2, never used, not
    seat 1, whose trainee may come back to it."""
    room = make_room(tmp_path, 2)
    assert room.assign() == 1
    assert room.assign() == 2


def test_without_seats_there_is_nothing_to_hand_out(tmp_path: Path) -> None:
    room = make_room(tmp_path, None)
    assert not room.classroom
    assert room.assign() is None
    assert room.seat(1) is None
    assert room.idle_seats() == []


@pytest.mark.parametrize("seats", [0, -1, MAX_SEATS + 1])
def test_a_room_has_between_one_and_the_maximum_seats(tmp_path: Path, seats: int) -> None:
    with pytest.raises(ValueError, match="posti"):
        make_room(tmp_path, seats)


def test_each_seat_has_its_own_folder(tmp_path: Path) -> None:
    room = make_room(tmp_path, 12)
    folders = [seat.folder for seat in room.seats]
    assert len(set(folders)) == 12
    assert folders[0] == tmp_path / "aula" / "posto-01"
    assert folders[11] == tmp_path / "aula" / "posto-12"
    assert all(folder.parent == room.folder for folder in folders)
    assert room.model_database.parent not in folders


def test_a_seat_console_runs_on_the_seat_folder_only(tmp_path: Path) -> None:
    room = make_room(tmp_path, 2)
    seat = room.seat(2)
    env = room.console_env(seat)
    assert env["AREACLIENTI_DATA_DIR"] == str(seat.folder)
    assert env["AREACLIENTI_SEAT_STATUS_FILE"] == str(seat.folder / "posto.json")
    assert "AREACLIENTI_DB" not in env
    argv = room.console_argv(seat, [])
    assert argv[argv.index("--data-dir") + 1] == str(seat.folder)


# -- idle consoles ----------------------------------------------------------------------


async def left_alone(room: Room, number: int) -> tuple[Seat, FakeConsole]:
    """Seat `number` with a running console whose tab has just gone away."""
    seat = room.seat(number)
    assert seat is not None
    console = FakeConsole()
    seat.console = console  # type: ignore[assignment]
    tab = FakeTab()
    seat.viewer = tab
    await room.detach(seat, tab)
    return seat, console


async def test_a_console_without_a_tab_is_idle_after_the_idle_time(tmp_path: Path, ticks: Ticks) -> None:
    room = make_room(tmp_path, 2, ticks)
    seat, _console = await left_alone(room, 1)
    assert seat.away_since == ticks.now
    ticks.advance(IDLE - 1)
    assert room.idle_seats() == []
    ticks.advance(1)
    assert room.idle_seats() == [seat]


async def test_a_watched_seat_is_never_idle(tmp_path: Path, ticks: Ticks) -> None:
    room = make_room(tmp_path, 2, ticks)
    seat, _console = await left_alone(room, 1)
    tab = FakeTab()
    seat.viewer, seat.away_since = tab, None  # the tab came back (attach does this)
    ticks.advance(IDLE * 10)
    assert room.idle_seats() == []
    await room.detach(seat, FakeTab())  # another tab's goodbye does not count
    assert seat.viewer is tab
    assert room.idle_seats() == []


async def test_a_seat_never_opened_or_already_stopped_is_not_idle(tmp_path: Path, ticks: Ticks) -> None:
    room = make_room(tmp_path, 3, ticks)
    _seat, console = await left_alone(room, 2)
    console.running = False  # ended (crashed, or stopped before)
    ticks.advance(IDLE * 2)
    assert room.idle_seats() == []  # seat 1 and 3: no console at all


async def test_stopping_idle_seats_stops_only_those(tmp_path: Path, ticks: Ticks) -> None:
    room = make_room(tmp_path, 3, ticks)
    _first, first = await left_alone(room, 1)
    ticks.advance(IDLE / 2)
    _second, second = await left_alone(room, 3)
    ticks.advance(IDLE / 2)
    assert await room.stop_idle() == [1]
    assert (first.stop_calls, second.stop_calls) == (1, 0)
    ticks.advance(IDLE / 2)
    assert await room.stop_idle() == [3]
    assert await room.stop_idle() == []
    assert second.stop_calls == 1


# -- the public address -------------------------------------------------------------------


@pytest.mark.parametrize(("given", "base"), [
    (None, None),
    ("https://aula.example/x", "https://aula.example/x"),
    ("https://aula.example/x/", "https://aula.example/x"),
    ("  http://aula.example:8080/  ", "http://aula.example:8080"),
    ("http://192.168.1.20:8000", "http://192.168.1.20:8000"),
    ("http://[fe80::1]:8000", "http://[fe80::1]:8000"),
    ("HTTPS://Aula.Example", "https://Aula.Example"),
])
def test_a_public_address_is_kept_without_its_trailing_slash(given: str | None, base: str | None) -> None:
    assert public_base(given) == base


@pytest.mark.parametrize("given", [
    "ftp://x",
    "aula.example",
    "aula.example:8000",
    "//aula.example",
    "http://",
    "https:///percorso",
    "javascript:alert(1)",
    "http://aula.example/?a=1",
    "http://aula.example/#frammento",
    "http://0.0.0.0:1",
    "http://[::]:8000",  # the IPv6 way of "every address": no browser reaches it either
    "http://aula.example:99999",
    "http://aula.example:80a0",
    "http://aula.example:0",
    "",
])
def test_a_public_address_a_browser_cannot_use_is_refused(given: str) -> None:
    with pytest.raises(AddressError) as refused:
        public_base(given)
    assert "indirizzo" in str(refused.value)


# -- a tab's key budget (web.KeyBudget) --------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_person_typing_is_never_held_back() -> None:
    from areaclienti_tui.aula.web import KeyBudget

    clock = _Clock()
    budget = KeyBudget(clock)
    for _ in range(2_000):  # 2,000 keys at 20 a second: a very fast typist for 100 seconds
        clock.now += 0.05
        assert budget.take("a")
    assert budget.dropped == 0


def test_a_flood_of_keys_is_dropped_and_the_tab_can_type_again_later() -> None:
    from areaclienti_tui.aula.web import KEYS_BURST, KeyBudget

    clock = _Clock()
    budget = KeyBudget(clock)
    assert not budget.take("a" * 4_000)  # one message of 4,000 keys: more than a burst, dropped whole
    assert budget.take("a" * KEYS_BURST)  # the dropped message cost nothing
    assert not budget.take("\r")  # the burst is spent…
    clock.now += 1.0
    assert budget.take("\r")  # …and comes back with time
    assert budget.dropped == 2


def test_a_paste_counts_as_one_key() -> None:
    from areaclienti_tui.aula.web import KEYS_BURST, PASTE_END, PASTE_START, KeyBudget

    budget = KeyBudget(_Clock())
    paste = PASTE_START + "x" * 10_000 + PASTE_END
    assert all(budget.take(paste) for _ in range(KEYS_BURST))
    assert not budget.take(paste)
