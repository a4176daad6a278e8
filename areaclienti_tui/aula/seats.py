"""The seats of a classroom: one sandbox each, a console process started on demand.

A seat is a folder (`<data>/aula/posto-NN/`) with its own SQLite database, filled
with the demo personas by copying a model database made once (`aula/modello/`),
and a console process that runs while a tab shows the seat and for `idle_seconds`
after the tab went away: a reload finds the trainee where they were. A console
that ends without being asked (a crash, or "Esci" from the palette) is started
again on 1A if a tab is watching; one that keeps crashing is left stopped, the
tab and the board are told.

Without seats (`serve` without `--aula`) every tab gets its own console on the
shared data folder, stopped when the tab goes: the single-demo behaviour.

No textual import: this runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from areaclienti_tui.aula import report
from areaclienti_tui.aula.process import ConsoleProcess
from areaclienti_tui.settings import Settings

log = logging.getLogger(__name__)

MAX_SEATS = 60
DEFAULT_IDLE_SECONDS = 600.0
CRASH_WINDOW_SECONDS = 60.0
CRASHES_ALLOWED = 4  # this many unexpected ends within the window, then the seat is left stopped
DATABASE_FILE = "areaclienti.db"
STATUS_FILE = "posto.json"
DEFAULT_SIZE = (120, 40)  # a console started before any tab has this size until a tab says its own

# Terminal modes the console set when it started (textual/drivers/web_driver.py):
# sent again to a tab that joins a running console, whose terminal is new.
TERMINAL_MODES = (b"\x1b[?1049h\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h\x1b[?25l\x1b[?2004h")


class Viewer(Protocol):
    """A browser tab's websocket, as far as a seat needs it."""

    async def send_bytes(self, data: bytes) -> None: ...
    async def send_str(self, data: str) -> None: ...
    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


def terminal_notice(text: str) -> bytes:
    """A line written on a tab's terminal by the server itself (the console is not there)."""
    return b"\x1b[?1049l\x1b[2J\x1b[H\r\n  " + text.encode("utf-8") + b"\r\n"


@dataclass
class Seat:
    number: int
    folder: Path
    console: ConsoleProcess | None = None
    viewer: Viewer | None = None
    peer: str = ""  # the address the tab came from
    connected_at: float | None = None  # wall-clock time the tab connected
    away_since: float | None = None  # monotonic time the last tab went away
    size: tuple[int, int] = DEFAULT_SIZE
    crashes: deque[float] = field(default_factory=deque)
    broken: bool = False  # kept crashing: left stopped until reset or a new tab
    starting_as: tuple[str, str] | None = None  # (persona, step) of the console now running, if any
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def status_file(self) -> Path:
        return self.folder / STATUS_FILE

    @property
    def state(self) -> str:
        if self.broken:
            return "in errore"
        if self.console is not None and self.console.running:
            return "attivo" if self.console.first_frame.is_set() else "in avvio"
        return "spento"


def memory_kib(pid: int | None) -> int | None:
    """Resident memory of a process (VmRSS, KiB); None when it is gone or unknown."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included), through SQLite's backup."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


class Room:
    """The seats of a classroom (`seats` ≥ 1), or the shared console of a single demo (None)."""

    def __init__(self, settings: Settings, seats: int | None, *, idle_seconds: float = DEFAULT_IDLE_SECONDS,
                 kiosk: bool = False, downloads: Any = None,  # noqa: ANN401 - textual-serve's DownloadManager
                 monotonic: Callable[[], float] = time.monotonic, folder: Path | None = None) -> None:
        if seats is not None and not 1 <= seats <= MAX_SEATS:
            raise ValueError(f"posti: da 1 a {MAX_SEATS}")
        self.settings = settings
        self.kiosk = kiosk
        self.idle_seconds = idle_seconds
        self.downloads = downloads
        self.monotonic = monotonic
        self.folder = folder or settings.data_dir / "aula"
        self.seats = [Seat(n, self.folder / f"posto-{n:02d}") for n in range(1, (seats or 0) + 1)]
        self.handed_out: set[int] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._shared: set[ConsoleProcess] = set()

    @property
    def classroom(self) -> bool:
        return bool(self.seats)

    @property
    def model_database(self) -> Path:
        return self.folder / "modello" / DATABASE_FILE

    # -- folders -------------------------------------------------------------------

    def prepare(self) -> None:
        """The model database (migrated, with the demo personas) and every seat's folder."""
        if not self.classroom:
            return
        if not self.model_database.exists():
            self._make_model()
        for seat in self.seats:
            if not (seat.folder / DATABASE_FILE).exists():
                self._fill(seat)

    def _make_model(self) -> None:
        from areaclienti_tui.services.setup import open_context

        model = self.model_database.parent
        partial = model.with_name("modello.nuovo")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        overrides = {"db": None, "data_dir": partial, "demo": True, "seat_status_file": None}
        ctx = open_context(self.settings.model_copy(update=overrides))
        ctx.db.dispose()
        shutil.rmtree(model, ignore_errors=True)
        partial.rename(model)

    def _fill(self, seat: Seat) -> None:
        shutil.rmtree(seat.folder, ignore_errors=True)
        seat.folder.mkdir(parents=True)
        copy_database(self.model_database, seat.folder / DATABASE_FILE)

    # -- consoles ------------------------------------------------------------------

    def seat(self, number: int) -> Seat | None:
        return self.seats[number - 1] if 1 <= number <= len(self.seats) else None

    def assign(self, preferred: int | None = None) -> int | None:
        """The seat for a new tab: its own (a cookie, a URL), else the next one never handed
        out, else the first one nobody watches; None when every seat is watched."""
        if preferred is not None and self.seat(preferred) is not None:
            self.handed_out.add(preferred)
            return preferred
        free = [s.number for s in self.seats if s.viewer is None]
        fresh = [n for n in free if n not in self.handed_out]
        chosen = (fresh or free or [None])[0]
        if chosen is not None:
            self.handed_out.add(chosen)
        return chosen

    def console_argv(self, seat: Seat | None, extra: list[str]) -> list[str]:
        argv = [sys.executable, "-m", "areaclienti_tui"]
        if seat is not None:
            argv += ["--data-dir", str(seat.folder)]
        return argv + (["--kiosk"] if self.kiosk else []) + extra

    def console_env(self, seat: Seat | None) -> dict[str, str]:
        env = dict(os.environ, TEXTUAL_DRIVER="areaclienti_tui.aula.driver:SeatDriver", TEXTUAL_FPS="60",
                   TEXTUAL_COLOR_SYSTEM="truecolor", TERM_PROGRAM="textual")
        env.pop("TEXTUAL", None)
        if seat is None:  # the single demo: the shared database and folder, as the server's own
            env["AREACLIENTI_DATA_DIR"] = str(self.settings.data_dir)
            if self.settings.db:
                env["AREACLIENTI_DB"] = self.settings.db
        else:
            env.pop("AREACLIENTI_DB", None)
            env["AREACLIENTI_DATA_DIR"] = str(seat.folder)
            env["AREACLIENTI_SEAT_STATUS_FILE"] = str(seat.status_file)
        return env

    async def _start(self, seat: Seat, extra: list[str] | None = None) -> None:
        """A new console for the seat (the previous one stopped), on 1A or driven to a step."""
        extra = extra or []

        async def to_tab(data: bytes) -> None:
            if seat.viewer is not None and seat.console is console:
                await seat.viewer.send_bytes(data)

        async def delivery(key: str) -> None:
            if seat.viewer is not None:
                await seat.viewer.send_str(f'["deliver_file_start", "{key}"]')

        console = ConsoleProcess(self.console_argv(seat, extra), self.console_env(seat), on_data=to_tab,
                                 on_exit=lambda ended: self._ended(seat, ended), downloads=self.downloads,
                                 on_delivery=delivery)
        seat.console = console
        seat.starting_as = (extra[1], extra[3]) if len(extra) == 4 else None
        if seat.viewer is not None:
            await seat.viewer.send_bytes(b"\x1b[2J\x1b[H")
        await console.start(*seat.size)

    def _ended(self, seat: Seat, console: ConsoleProcess) -> None:
        if console.stopping or seat.console is not console:
            return
        now = self.monotonic()
        seat.crashes.append(now)
        while seat.crashes and now - seat.crashes[0] > CRASH_WINDOW_SECONDS:
            seat.crashes.popleft()
        if len(seat.crashes) > CRASHES_ALLOWED:
            seat.broken = True
            log.error("seat %d: its console keeps ending (%d times in %.0f s), left stopped",
                      seat.number, len(seat.crashes), CRASH_WINDOW_SECONDS)
            if seat.viewer is not None:
                asyncio.create_task(seat.viewer.send_bytes(terminal_notice(
                    f"Il posto {seat.number} non riesce a ripartire: chiama il formatore.")))
            return
        log.warning("seat %d: console %s ended (code %s): started again on 1A",
                    seat.number, console.pid, console.returncode)
        if seat.viewer is not None:
            asyncio.create_task(self._restart(seat, console))

    async def _restart(self, seat: Seat, ended: ConsoleProcess) -> None:
        async with seat.lock:
            if seat.console is ended and seat.viewer is not None:
                await self._start(seat)

    async def attach(self, seat: Seat, viewer: Viewer, peer: str, width: int, height: int) -> None:
        """A tab shows the seat: a tab showing it before is closed, the console started or joined."""
        async with seat.lock:
            previous = seat.viewer
            seat.viewer, seat.peer, seat.size = viewer, peer, (width, height)
            seat.connected_at, seat.away_since = time.time(), None
            if previous is not None and previous is not viewer:
                with contextlib.suppress(Exception):
                    await previous.send_bytes(terminal_notice(
                        f"Il posto {seat.number} è stato aperto in un'altra scheda o su un altro computer."))
                    await previous.close(code=4000, message="posto aperto altrove".encode())
            if seat.broken:
                seat.broken = False
                seat.crashes.clear()
            console = seat.console
            if console is None or not console.running:
                await self._start(seat)
                return
            await viewer.send_bytes(TERMINAL_MODES)
            await console.resize(width, height)
            await console.repaint()

    async def detach(self, seat: Seat, viewer: Viewer) -> None:
        async with seat.lock:
            if seat.viewer is viewer:
                seat.viewer, seat.connected_at, seat.away_since = None, None, self.monotonic()

    async def stop(self, seat: Seat) -> None:
        console = seat.console
        if console is not None:
            await console.stop()

    async def reset(self, seat: Seat) -> None:
        """"Ripristina": the seat's data back to the demo personas, its console on 1A."""
        async with seat.lock:
            await self.stop(seat)
            seat.console, seat.broken, seat.starting_as = None, False, None
            seat.crashes.clear()
            await asyncio.to_thread(self._fill, seat)
            if seat.viewer is not None:
                await self._start(seat)

    async def start_as(self, seat: Seat, persona: str, step: str) -> None:
        """A new console on the seat's data, taken to `step` as `persona` (start_at.py)."""
        async with seat.lock:
            await self.stop(seat)
            seat.broken = False
            seat.crashes.clear()
            await self._start(seat, ["--persona", persona, "--passo", step])
            seat.away_since = self.monotonic() if seat.viewer is None else None

    # -- the single demo: a console per tab on the shared folder ----------------------

    async def open_shared(self, viewer: Viewer, width: int, height: int) -> ConsoleProcess:
        async def to_tab(data: bytes) -> None:
            await viewer.send_bytes(data)

        async def ended_later() -> None:
            with contextlib.suppress(Exception):
                await viewer.close(code=1000, message="console chiusa".encode())

        console = ConsoleProcess(self.console_argv(None, []), self.console_env(None), on_data=to_tab,
                                 on_exit=lambda _c: asyncio.create_task(ended_later()), downloads=self.downloads)
        self._shared.add(console)
        await console.start(width, height)
        return console

    async def close_shared(self, console: ConsoleProcess) -> None:
        self._shared.discard(console)
        await console.stop()

    # -- idle consoles, shutdown -------------------------------------------------------

    def idle_seats(self) -> list[Seat]:
        now = self.monotonic()
        return [seat for seat in self.seats
                if seat.viewer is None and seat.console is not None and seat.console.running
                and seat.away_since is not None and now - seat.away_since >= self.idle_seconds]

    async def stop_idle(self) -> list[int]:
        stopped = []
        for seat in self.idle_seats():
            async with seat.lock:
                if seat.viewer is None and seat.console is not None:
                    log.info("seat %d: no tab for %.0f s, console stopped", seat.number, self.idle_seconds)
                    await self.stop(seat)
                    stopped.append(seat.number)
        return stopped

    async def _reap(self) -> None:
        every = max(0.05, min(5.0, self.idle_seconds / 4))
        while True:
            await asyncio.sleep(every)
            try:
                await self.stop_idle()
            except Exception:  # noqa: BLE001 - the reaper never dies
                log.exception("stopping idle seats")

    def start_reaper(self) -> None:
        if self.classroom and self._reaper is None:
            self._reaper = asyncio.create_task(self._reap(), name="aula-inattivi")

    async def shutdown(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        consoles = [s.console for s in self.seats if s.console is not None] + list(self._shared)
        await asyncio.gather(*(c.stop() for c in consoles), return_exceptions=True)

    # -- the board -----------------------------------------------------------------------

    def snapshot(self) -> list[dict[str, object]]:
        """What the board shows of each seat (all text as data: the page escapes it)."""
        rows = []
        for seat in self.seats:
            console = seat.console
            pid = console.pid if console is not None and console.running else None
            rss = memory_kib(pid)
            rows.append({
                "posto": seat.number,
                "collegato": seat.viewer is not None,
                "da": seat.peer if seat.viewer is not None else "",
                "dalle": time.strftime("%H:%M", time.localtime(seat.connected_at)) if seat.connected_at else "",
                "stato": seat.state,
                "memoria_mib": round(rss / 1024) if rss else None,
                "avvio": {"persona": seat.starting_as[0], "passo": seat.starting_as[1]} if seat.starting_as else None,
                **report.read(seat.status_file),
            })
        return rows
