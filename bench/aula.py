"""Classroom load (issue 11): one seat alone, then every seat at once, on one server in one run.

    .venv/bin/python bench/aula.py [--posti 15] [--singoli 3] [--bcrypt 12] [--raffica] [--registra]

One `areaclienti-tui serve --aula N` in a subprocess (temporary data folder, bcrypt at
the product's default cost 12 unless `--bcrypt` says otherwise, no AREACLIENTI_* or
TEXTUAL* variable of the caller's shell passed on). Tabs are `SeatClient`s
(areaclienti_tui/aula/client.py): a websocket of textual-serve's protocol feeding a
120×40 pyte screen, as a browser tab's terminal would.

* **warm-up**: seat 1 opened until «Passo 1A», closed, reset from the trainer's board
  (so the file cache is warm for the single seat as it is for the room);
* **one seat alone** (`--singoli` times, each after a reset of seat 1 from the board:
  fresh data, no console): one tab opens seat 1; timed from the websocket open to the
  first terminal bytes and to «Passo 1A» drawn; then the registration of Mario Rossi
  (data/personas_percorso.toml) typed as a person does: a step's text and Tabs in one
  write, a look at the screen before the key that confirms (the sex chosen, the consent
  ticked); each step begun as soon as the previous one is drawn (no time to read or
  think: harsher than a person); the code read from the messages pane (from the seat's
  outbox in its database if the screen does not show it). `--raffica` sends each step's
  keys in one write, confirmation included, as someone typing ahead without looking;
  memory of the seat's console and of the server (RSS and PSS, /proc/PID/smaps_rollup)
  once the account is created, the tab still open;
* **the room**: seat 1 reset again, then N tabs open their seats at once and each walks
  the same registration concurrently; the same figures per seat (median, p90 by nearest
  rank, maximum), the sum over the N consoles and the server, and the peak of that sum
  sampled every 0.25 s while the room works.

The timestamps are taken when this process reads the websocket message that made the
text appear, before feeding it to pyte, and only the lines it changed are looked at;
the N pyte screens still share this process's loop and the machine's cores with the
consoles, so their CPU is reported beside the consoles'. Printed: both sides, the machine, the
load average (os.getloadavg) at the start and at the end, whether N seats fit in 2 GB;
`--registra` writes the section "Aula" of bench/RESULTS.md (only that section).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/aula.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from areaclienti_tui import start_at  # noqa: E402
from areaclienti_tui.aula.client import SeatClient  # noqa: E402
from bench.results import record_section  # noqa: E402
from bench.machine import describe  # noqa: E402

SECTION = "## Aula: un posto da solo e tutti i posti insieme (issue 11)"
COMMAND = ".venv/bin/python bench/aula.py --registra"
PERSONA = "Mario Rossi"
COLUMNS, LINES = 120, 40  # the messages pane (and the code in it) shows at ≥ 110 columns
OPERATOR = ("operatore", "Sportello#2026")  # the demo operator (areaclienti_tui/services/demo.py)
START_SECONDS = 180.0  # the server prepares the seats (bcrypt 12 for the demo accounts) before it answers
STEP_SECONDS = 60.0  # one step, 15 consoles on 2 busy cores: ~21 s seen at most; a stuck seat ends the run
CODE_ON_SCREEN_SECONDS = 10.0
SAMPLE_EVERY = 0.25
TWO_GB = 2_000_000_000  # bytes: "2 GB" read as 10^9 (1907 MiB), the stricter reading
MIB = 1024 * 1024
FINAL_TEXT = "Il tuo account è stato creato"
CODE = re.compile(r"temporaneo è\s+(\d{6})")

# The walk after 1A: (name of the segment, marker of the step it ends on). The keys are
# made from the persona in `walk_keys`.
SEGMENTS = (
    ("1A → 2A (Registrati)", "Passo 2A"),
    ("2A → 3A (Persona)", "Passo 3A"),
    ("3A → 4A (dati personali)", "Passo 4A"),
    ("4A → 5A (nome utente)", "Passo 5A"),
    ("5A → 6A (password, riconoscimento, codice inviato)", "Passo 6A"),
    ("6A: codice nel riquadro dei messaggi", None),
    ("6A → 7A (Continua)", "Passo 7A"),
    ("7A → account creato (codice)", FINAL_TEXT),
)


# -- processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) in bytes from /proc/PID/smaps_rollup; None when the process is gone."""
    rss = pss = None
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return (rss, pss) if rss is not None and pss is not None else None


def peak_rss(pid: int) -> int | None:
    """VmHWM: the highest RSS of the process's life, bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of the process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                found += [int(n) for n in (task / "children").read_text().split()]
    return found


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log: Path
    started_in: float = 0.0  # seconds from spawn to the first answer (the seats prepared)
    seen_consoles: set[int] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return self.process.pid

    def http(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ws(self, seat: int) -> str:
        return f"ws://127.0.0.1:{self.port}/posto/{seat}/ws"

    def seat_folder(self, seat: int) -> Path:
        return self.data_dir / "aula" / f"posto-{seat:02d}"

    def consoles(self) -> dict[int, int]:
        """Seat number → pid of its console, among the server's children (`--data-dir` on its command line)."""
        found = {}
        for pid in children(self.pid):
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
                if "areaclienti_tui" in argv and "--data-dir" in argv:
                    folder = Path(argv[argv.index("--data-dir") + 1])
                    if folder.parent == self.data_dir / "aula" and folder.name.startswith("posto-"):
                        found[int(folder.name.removeprefix("posto-"))] = pid
                        self.seen_consoles.add(pid)
        return found

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def server_env(data_dir: Path, rounds: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AREACLIENTI_", "TEXTUAL"))}
    env.update(AREACLIENTI_DATA_DIR=str(data_dir), AREACLIENTI_BCRYPT_ROUNDS=str(rounds))
    return env


def start_server(folder: Path, seats: int, rounds: int) -> Server:
    data_dir, log = folder / "dati", folder / "serve.log"
    port = free_port()
    command = [sys.executable, "-m", "areaclienti_tui", "--data-dir", str(data_dir), "serve",
               "--host", "127.0.0.1", "--port", str(port), "--aula", str(seats)]
    began = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=server_env(data_dir, rounds),
                                   cwd=folder, start_new_session=True)
    server = Server(process, port, data_dir, log)
    deadline = began + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"il server è uscito con codice {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.http("/risorse/aula.css"), timeout=2):
                break
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                stop_server(server)
                raise RuntimeError(f"il server non ha risposto in {START_SECONDS:.0f} s:\n{server.output()}") from None
            time.sleep(0.1)
    server.started_in = time.monotonic() - began
    return server


def stop_server(server: Server) -> None:
    """SIGINT (the server stops its consoles), then SIGKILL to its group and to any console of ours left."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    marker = str(server.data_dir).encode()
    for pid in server.seen_consoles:  # consoles started in a session of their own outlive the group
        with contextlib.suppress(OSError):
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)


# -- the trainer's board ----------------------------------------------------------------


class Board:
    """The operator's board, for "Ripristina" between the measures and for the seats' states."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.token = ""

    async def login(self) -> None:
        async with self.session.post(self.server.http("/formatore/accesso"),
                                     data={"utente": OPERATOR[0], "password": OPERATOR[1]}) as answer:
            page = await answer.text()
        found = re.search(r'name="token" value="([^"]+)"', page)
        if found is None:
            raise RuntimeError(f"accesso alla bacheca non riuscito (HTTP {answer.status})")
        self.token = found.group(1)

    async def states(self) -> dict[int, dict[str, object]]:
        async with self.session.get(self.server.http("/formatore/stato")) as answer:
            answer.raise_for_status()
            return {row["posto"]: row for row in (await answer.json())["posti"]}

    async def until(self, test, what: str, seconds: float = 60.0) -> None:  # noqa: ANN001
        deadline = time.monotonic() + seconds
        while not test(await self.states()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"la bacheca non mostra {what} dopo {seconds:.0f} s: {await self.states()}")
            await asyncio.sleep(0.1)

    async def reset(self, seat: int) -> None:
        """Seat `seat` back to the demo data with no console (its tab must be gone first)."""
        await self.until(lambda s: not s[seat]["collegato"], f"il posto {seat} scollegato")
        async with self.session.post(self.server.http(f"/formatore/posti/{seat}/ripristina"),
                                     data={"token": self.token}) as answer:
            answer.raise_for_status()
        await self.until(lambda s: s[seat]["stato"] == "spento", f"il posto {seat} spento")

    async def close(self) -> None:
        await self.session.close()


# -- a tab and the walk -------------------------------------------------------------------


class _TimedStream:
    """pyte's stream, noting when the message that made an awaited text appear arrived.

    Only the lines the message changed are looked at (pyte's `dirty`), and cheaply: the
    whole screen's `display` costs too much to compute on every message of N tabs."""

    def __init__(self, inner, client: TimedClient) -> None:  # noqa: ANN001
        self.inner = inner
        self.client = client

    def feed(self, data: bytes) -> None:
        arrived = time.monotonic()
        self.inner.feed(data)
        client, screen = self.client, self.client.screen
        awaited = client.awaited
        if awaited is not None and awaited not in client.marks:
            for y in screen.dirty:
                line = screen.buffer[y]
                if awaited in "".join(line[x].data for x in range(screen.columns)):
                    client.marks[awaited] = arrived
                    client.seen.set()
                    break
        screen.dirty.clear()


class TimedClient(SeatClient):
    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)  # the reader task is made, not yet run: the stream is swapped first
        self.awaited: str | None = "Passo 1A"  # the first frames may come before `reach` is called
        self.marks: dict[str, float] = {}
        self.seen = asyncio.Event()
        self.stream = _TimedStream(self.stream, self)

    async def reach(self, text: str, keys: str = "", seconds: float = STEP_SECONDS) -> float:
        """Type `keys`, wait for `text` on screen; the monotonic time its message arrived."""
        if self.awaited != text:
            self.awaited = text  # before the keys: the answer may come while they are being sent
            self.seen.clear()
            if text in self.text():
                self.marks.setdefault(text, time.monotonic())
                self.seen.set()
        if keys:
            await self.type(keys)
        deadline = time.monotonic() + seconds
        while text not in self.marks:
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(f"still waiting for {text!r} (closed={self.closed}); "
                                     f"the screen shows:\n{self.text()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.seen.wait(), 0.5)
        return self.marks[text]

    def messages_pane(self) -> str:
        lines = self.screen.display
        column = next((line.find("Messaggi di questo percorso") for line in lines
                       if "Messaggi di questo percorso" in line), 0)
        text = " ".join(line[max(column - 2, 0):] for line in lines)
        return " ".join(re.sub(r"[│╭╮╰╯─▊]", " ", text).split())

    async def read_code(self, seconds: float) -> str | None:
        """The code in the messages pane, as the trainee reads it; None if it does not show."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.closed:
            found = CODE.search(self.messages_pane())
            if found:
                return found.group(1)
            await asyncio.sleep(0.05)
        return None


@dataclass
class Walk:
    seat: int
    opened_at: float = 0.0  # monotonic: the websocket was open
    connect_began: float = 0.0  # monotonic: the client began connecting (the room: all at once)
    first_bytes: float | None = None  # seconds from the websocket open
    first_1a: float | None = None
    segments: list[float] = field(default_factory=list)
    walk: float | None = None  # seconds from the Enter on 1A to «account creato»
    code_from: str = ""  # "schermo" or "database"
    error: str = ""
    stuck_on: str = ""  # the step on screen when the walk stopped
    pss_1a: int | None = None  # bytes: the seat's console when 1A was drawn (the single seat only)
    client: TimedClient | None = None


def walk_keys(persona: start_at.LessonPersona, burst: bool = False) -> list[tuple[str, str, bool]]:
    """(keys, text to wait for, whether that text ends a segment) for 1A … 6A.

    As a person does: text and Tabs in one burst, and a look at the screen before the
    key that confirms (the sex chosen, the consent ticked). With `burst`, each step's
    keys in one write, confirmation included (typing ahead without looking): under
    load, key_order.py's bounded wait (0.5 s) can run out and a key go astray."""
    steps = [
        ("\r", "Passo 2A", True),  # 1A: Registrati has the focus
        ("\r", "Passo 3A", True),  # 2A: Persona has the focus
        (f"{persona.nome}\t{persona.cognome}\t{persona.data_nascita}\t{persona.sesso}", "Maschio"
         if persona.sesso == "M" else "Femmina", False),  # 3A: M or F typed on the select chooses
        ("\t\r", "Passo 4A", True),  # Tab to Continua, Enter
        (f"{persona.recapito}\r", "Passo 5A", True),  # 4A
        # 5A: password, confirmation, Tab over "Leggi l'informativa", Space on the consent
        (f"{persona.password}\t{persona.password}\t\t ", "▐X▌", False),
        ("\t\r", "Passo 6A", True),  # Tab to Registrati, Enter
    ]
    if not burst:
        return steps
    merged: list[tuple[str, str, bool]] = []
    pending = ""
    for keys, awaited, ends_segment in steps:
        pending += keys
        if ends_segment:
            merged.append((pending, awaited, True))
            pending = ""
    return merged


def code_from_database(folder: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(f"file:{folder / 'areaclienti.db'}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT code FROM outbox WHERE code IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


async def open_and_walk(server: Server, seat: int, persona: start_at.LessonPersona, *, walk: bool = True,
                        began: float | None = None, burst: bool = False, memory_at_1a: bool = False) -> Walk:
    result = Walk(seat, connect_began=began if began is not None else time.monotonic())
    try:
        client = await TimedClient.open(server.ws(seat), COLUMNS, LINES)
    except Exception as error:  # noqa: BLE001 - one seat's failure is reported, the others go on
        result.error = f"connessione: {error!r}"
        return result
    result.client, result.opened_at = client, client.opened_at
    try:
        shown_1a = await client.reach("Passo 1A")
        result.first_bytes = client.first_frame_at - client.opened_at if client.first_frame_at else None
        result.first_1a = shown_1a - client.opened_at
        if memory_at_1a:
            pid = server.consoles().get(seat)
            found = memory(pid) if pid is not None else None
            result.pss_1a = found[1] if found else None
        if not walk:
            return result
        began_walk = last = time.monotonic()
        for typed, awaited, ends_segment in walk_keys(persona, burst):
            now = await client.reach(awaited, typed)
            if ends_segment:
                result.segments.append(now - last)
                last = now
        code = await client.read_code(CODE_ON_SCREEN_SECONDS)  # the code as a trainee reads it
        result.code_from = "schermo"
        if code is None:
            code = await asyncio.to_thread(code_from_database, server.seat_folder(seat))
            result.code_from = "database"
            if code is None:
                raise AssertionError("nessun codice né sullo schermo né nella outbox del posto")
        now = time.monotonic()
        result.segments.append(now - last)
        last = now
        for (_name, marker), typed in zip(SEGMENTS[6:], ["\r", f"{code}\r"], strict=True):  # 6A Continua, 7A
            now = await client.reach(marker, typed)
            result.segments.append(now - last)
            last = now
        result.walk = last - began_walk
    except Exception as error:  # noqa: BLE001
        result.error = f"{type(error).__name__}: {error}"
        step = re.search(r"Passo (\S+)", client.text())
        result.stuck_on = step.group(1) if step else "?"
    return result


# -- memory over time -----------------------------------------------------------------------


class Sampler:
    """Every SAMPLE_EVERY s: the sum of RSS and of PSS over the server and its consoles; the highest."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_rss = self.peak_pss = 0
        self.peak_consoles = 0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    def _once(self) -> None:
        pids = [self.server.pid, *self.server.consoles().values()]
        values = [m for m in map(memory, pids) if m is not None]
        rss, pss = sum(r for r, _ in values), sum(p for _, p in values)
        self.samples += 1
        if pss > self.peak_pss:
            self.peak_pss, self.peak_consoles = pss, len(values) - 1
        self.peak_rss = max(self.peak_rss, rss)

    async def _run(self) -> None:
        while True:
            await asyncio.to_thread(self._once)
            await asyncio.sleep(SAMPLE_EVERY)

    def __enter__(self) -> Sampler:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@dataclass
class Footprint:
    """Memory and CPU of the server and of the consoles, read at one moment."""

    server: tuple[int, int]
    consoles: dict[int, tuple[int, int]]  # seat → (RSS, PSS)
    peaks: dict[int, int]  # seat → VmHWM
    cpu: dict[int, float]  # seat → CPU seconds of its console so far
    server_cpu: float

    @classmethod
    def now(cls, server: Server) -> Footprint:
        pids = server.consoles()
        consoles = {seat: m for seat, pid in pids.items() if (m := memory(pid)) is not None}
        return cls(server=memory(server.pid) or (0, 0), consoles=consoles,
                   peaks={seat: peak_rss(pid) or 0 for seat, pid in pids.items()},
                   cpu={seat: cpu_seconds(pid) or 0.0 for seat, pid in pids.items()},
                   server_cpu=cpu_seconds(server.pid) or 0.0)

    @property
    def total(self) -> tuple[int, int]:
        return (self.server[0] + sum(r for r, _ in self.consoles.values()),
                self.server[1] + sum(p for _, p in self.consoles.values()))


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Single:
    walk: Walk
    footprint: Footprint
    peak: Sampler


@dataclass
class Room:
    walks: list[Walk]
    footprint: Footprint
    peak: Sampler
    clients_cpu: float  # seconds of this process (the N pyte screens) during the room
    server_cpu: float  # seconds of the server during the room
    all_1a_after: float | None  # from the common start to the last «Passo 1A»
    wall: float


async def close_all(walks: list[Walk]) -> None:
    await asyncio.gather(*(w.client.close() for w in walks if w.client is not None), return_exceptions=True)


async def measure(server: Server, seats: int, singles: int, burst: bool) -> tuple[list[Single], Room]:
    persona = start_at.find(start_at.load_personas(), PERSONA)
    board = Board(server)
    try:
        await board.login()
        warm = await open_and_walk(server, 1, persona, walk=False)  # the file cache, as for the room
        await close_all([warm])
        if warm.error:
            raise RuntimeError(f"riscaldamento sul posto 1: {warm.error}")
        await board.reset(1)

        single_runs: list[Single] = []
        for _ in range(singles):
            with Sampler(server) as sampler:
                result = await open_and_walk(server, 1, persona, burst=burst, memory_at_1a=True)
                footprint = await asyncio.to_thread(Footprint.now, server)
            await close_all([result])
            if result.error:
                raise RuntimeError(f"posto 1 da solo: {result.error}")
            single_runs.append(Single(result, footprint, sampler))
            await board.reset(1)
        await board.until(lambda s: all(row["stato"] == "spento" for row in s.values()), "tutti i posti spenti")

        server_cpu = cpu_seconds(server.pid) or 0.0
        cpu = own_cpu()
        began = time.monotonic()
        with Sampler(server) as sampler:
            walks = await asyncio.gather(*(open_and_walk(server, n, persona, began=began, burst=burst)
                                           for n in range(1, seats + 1)))
            wall = time.monotonic() - began
            footprint = await asyncio.to_thread(Footprint.now, server)
        clients_cpu = own_cpu() - cpu
        shown = [w.opened_at + w.first_1a for w in walks if w.first_1a is not None]
        room = Room(list(walks), footprint, sampler, clients_cpu, footprint.server_cpu - server_cpu,
                    max(shown) - began if len(shown) == seats else None, wall)
        await close_all(list(walks))
        return single_runs, room
    finally:
        await board.close()


# -- the report --------------------------------------------------------------------------------


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def mib(value: float | None) -> str:
    return "—" if value is None else f"{value / MIB:.0f}"


def secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def row(label: str, single: list[float], room: list[float], show=secs) -> str:  # noqa: ANN001
    one = statistics.median(single) if single else None
    spread = f" ({show(min(single))}–{show(max(single))})" if len(single) > 1 else ""
    if not room:
        return f"| {label} | {show(one)}{spread} | — | — | — |"
    return (f"| {label} | {show(one)}{spread} | {show(statistics.median(room))} | "
            f"{show(nearest_rank(room, 0.9))} | {show(max(room))} |")


def report(singles: list[Single], room: Room, seats: int, rounds: int, burst: bool, server: Server,
           loads: tuple[tuple[float, ...], tuple[float, ...]], wall: float) -> tuple[str, dict[str, float]]:
    ok = [w for w in room.walks if not w.error and w.walk is not None]
    failed = [w for w in room.walks if w.error]
    s_walks = [s.walk for s in singles]
    n = len(singles)
    keys = ("i tasti di ogni passo in una sola scrittura, conferma compresa (`--raffica`: chi scrive senza guardare)"
            if burst else "testo e Tab di un passo in una sola scrittura, poi uno sguardo allo schermo prima del "
            "tasto che conferma (sesso scelto, consenso spuntato), come fa una persona")
    lines = [
        f"Un server `serve --aula {seats}` (cartella dati temporanea), bcrypt al costo {rounds}"
        + (" (il predefinito del prodotto)" if rounds == 12 else " (non il predefinito 12)")
        + f"; il server ha preparato i {seats} posti e risposto in {server.started_in:.1f} s. "
        f"Ogni scheda è un client websocket del protocollo di textual-serve con uno schermo pyte {COLUMNS}×{LINES} "
        "(`areaclienti_tui/aula/client.py`), tutte nel processo del bench. "
        f"Percorso: registrazione di {PERSONA} da 1A a «account creato»; {keys}; ogni passo parte appena il "
        "precedente è disegnato, senza pause per leggere o pensare (più duro di un'aula vera, dove le persone "
        "si distribuiscono nel tempo); il codice letto dal riquadro dei messaggi. Prima delle misure il posto 1 è "
        "aperto una volta fino a 1A e ripristinato dalla bacheca (riscaldamento); ogni misura del posto da solo "
        f"parte da un posto ripristinato, senza console; poi i {seats} posti si aprono tutti insieme.",
        "",
        f"Carico medio (1 / 5 / 15 min) all'inizio: {' / '.join(f'{v:.2f}' for v in loads[0])}, "
        f"alla fine: {' / '.join(f'{v:.2f}' for v in loads[1])}.",
        "",
        f"Tempi in secondi. Posto da solo: mediana di {n} misure" + (" (min–max)" if n > 1 else "")
        + f"; {seats} insieme: mediana, p90 (rango più vicino) e massimo sui {seats} posti"
        + (f" (percorso: sui {len(ok)} arrivati in fondo)" if len(ok) != seats else "") + ".",
        "",
        f"| misura | un posto da solo | {seats} insieme: mediana | p90 | massimo |",
        "|---|---:|---:|---:|---:|",
        row("websocket aperto → primi byte del terminale", [w.first_bytes for w in s_walks if w.first_bytes],
            [w.first_bytes for w in room.walks if w.first_bytes is not None]),
        row("websocket aperto → «Passo 1A» disegnato", [w.first_1a for w in s_walks],
            [w.first_1a for w in room.walks if w.first_1a is not None]),
        row("registrazione: Invio su 1A → «account creato»", [w.walk for w in s_walks], [w.walk for w in ok]),
    ]
    for index, (name, _marker) in enumerate(SEGMENTS):
        lines.append(row(f"· {name}", [w.segments[index] for w in s_walks], [w.segments[index] for w in ok]))
    room_pss = [p for _, p in room.footprint.consoles.values()]
    room_rss = [r for r, _ in room.footprint.consoles.values()]
    console_cpu = sum(room.footprint.cpu.values())
    lines += [
        row("CPU della console (s), dall'avvio ad «account creato»", [s.footprint.cpu[1] for s in singles],
            list(room.footprint.cpu.values())),
        "",
        "Memoria in MiB da /proc/PID/smaps_rollup, ad «account creato» con le schede ancora aperte. PSS: ogni "
        "pagina condivisa divisa tra i processi che la usano, quindi la somma dei PSS è la memoria occupata "
        "davvero; la somma degli RSS conta più volte le librerie condivise. Picco: la somma più alta campionata "
        f"ogni {SAMPLE_EVERY} s.",
        "",
        f"| memoria (MiB) | un posto da solo | {seats} insieme: mediana | p90 | massimo |",
        "|---|---:|---:|---:|---:|",
        row("console del posto a «Passo 1A», PSS", [w.pss_1a for w in s_walks if w.pss_1a], [], mib),
        row("console del posto, PSS", [s.footprint.consoles[1][1] for s in singles], room_pss, mib),
        row("console del posto, RSS", [s.footprint.consoles[1][0] for s in singles], room_rss, mib),
        row("console del posto, RSS di picco (VmHWM)", [s.footprint.peaks[1] for s in singles],
            list(room.footprint.peaks.values()), mib),
        "",
        f"| memoria (MiB), PSS / RSS | un posto da solo | {seats} posti insieme |",
        "|---|---:|---:|",
        f"| server | {mib(statistics.median(s.footprint.server[1] for s in singles))} / "
        f"{mib(statistics.median(s.footprint.server[0] for s in singles))} | "
        f"{mib(room.footprint.server[1])} / {mib(room.footprint.server[0])} |",
        f"| console (somma) | {mib(statistics.median(s.footprint.consoles[1][1] for s in singles))} / "
        f"{mib(statistics.median(s.footprint.consoles[1][0] for s in singles))} | "
        f"{mib(sum(room_pss))} / {mib(sum(room_rss))} ({len(room_pss)} console) |",
        f"| **server + console** | **{mib(statistics.median(s.footprint.total[1] for s in singles))}"
        f" / {mib(statistics.median(s.footprint.total[0] for s in singles))}** | "
        f"**{mib(room.footprint.total[1])} / {mib(room.footprint.total[0])}** |",
        f"| picco campionato di server + console | {mib(max(s.peak.peak_pss for s in singles))} / "
        f"{mib(max(s.peak.peak_rss for s in singles))} | {mib(room.peak.peak_pss)} / {mib(room.peak.peak_rss)} |",
    ]
    peak_pss = max(room.peak.peak_pss, room.footprint.total[1])
    fits = peak_pss <= TWO_GB
    lines += [
        "",
        f"**{seats} posti in 2 GB: {'sì' if fits else 'no'}**: server + {room.peak.peak_consoles} console "
        f"arrivano a {mib(peak_pss)} MiB (somma dei PSS, picco), cioè il {peak_pss / TWO_GB:.1%} di 2 GB "
        f"(2·10⁹ byte = {TWO_GB / MIB:.0f} MiB) e il {peak_pss / 2**31:.1%} di 2 GiB (2048 MiB); la somma degli "
        f"RSS arriva a {mib(room.peak.peak_rss)} MiB. Per posto (mediana) {mib(statistics.median(room_pss))} MiB di "
        f"PSS, {mib(statistics.median(room_rss))} di RSS; il server {mib(room.footprint.server[1])} MiB di PSS. "
        "Non contati: il sistema, il browser del formatore, i client del bench.",
        "",
        f"Durante i {seats} percorsi ({room.wall:.1f} s dall'apertura comune all'ultimo «account creato»"
        + (f"; l'ultimo «Passo 1A» a {room.all_1a_after:.2f} s" if room.all_1a_after else "")
        + f"): CPU delle {len(room.footprint.cpu)} console {console_cpu:.1f} s "
        f"(in media {console_cpu / room.wall:.2f} dei {os.cpu_count()} core), del server {room.server_cpu:.1f} s, "
        f"dei {seats} client pyte del bench {room.clients_cpu:.1f} s (sulla stessa macchina: in un'aula vera "
        "il terminale gira nei browser degli allievi). "
        f"Codici letti dallo schermo: {sum(w.code_from == 'schermo' for w in room.walks + s_walks)} su "
        f"{sum(bool(w.code_from) for w in room.walks + s_walks)}"
        + (f", {sum(w.code_from == 'database' for w in room.walks + s_walks)} dalla outbox del posto"
           if any(w.code_from == "database" for w in room.walks + s_walks) else "") + ".",
    ]
    if failed:
        lines += ["", f"Posti non arrivati in fondo: {len(failed)} su {seats}."]
        lines += [f"- posto {w.seat}: fermo a {w.stuck_on}; {w.error.splitlines()[0]}" for w in failed]
    lines += ["", f"Durata complessiva della misura: {wall:.0f} s."]
    figures = {"per_seat_pss_mib": statistics.median(room_pss) / MIB, "total_pss_mib": room.footprint.total[1] / MIB,
               "peak_pss_mib": peak_pss / MIB}
    return "\n".join(lines), figures


def problems(server: Server) -> list[str]:
    """The server's log lines that are not its usual greeting (warnings, errors, consoles that ended)."""
    usual = ("Preparo i", "Aula di", "  allievi:", "  formatore:", "Ctrl+C")
    return [line for line in server.output().splitlines() if line.strip() and not line.startswith(usual)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posti", type=int, default=15, help="posti dell'aula, tutti aperti insieme (predefinito 15)")
    parser.add_argument("--singoli", type=int, default=3, help="misure del posto da solo (predefinito 3)")
    parser.add_argument("--bcrypt", type=int, default=12, help="costo bcrypt (predefinito 12, quello del prodotto)")
    parser.add_argument("--raffica", action="store_true",
                        help="i tasti di ogni passo in una sola scrittura, conferma compresa (senza guardare)")
    parser.add_argument("--registra", action="store_true", help="scrive la sezione in bench/RESULTS.md")
    args = parser.parse_args()
    if not 1 <= args.posti <= 60 or args.singoli < 1:
        parser.error("--posti da 1 a 60, --singoli almeno 1")
    began, load_before = time.monotonic(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-aula-") as tmp:
        server = start_server(Path(tmp), args.posti, args.bcrypt)
        try:
            singles, room = asyncio.run(measure(server, args.posti, args.singoli, args.raffica))
        finally:
            stop_server(server)
        odd = problems(server)
    text, figures = report(singles, room, args.posti, args.bcrypt, args.raffica, server,
                           (load_before, os.getloadavg()), time.monotonic() - began)
    if odd:
        text += "\n\nDal registro del server:\n\n" + "\n".join(f"    {line}" for line in odd[:20])
    print(f"Macchina: {describe()}\n")
    print(text)
    for walk in room.walks:
        if walk.error:
            print(f"\n--- posto {walk.seat} ---\n{walk.error}", file=sys.stderr)
    print(f"\nPer il README: {figures['per_seat_pss_mib']:.0f} MiB per posto (PSS, mediana), "
          f"{figures['total_pss_mib']:.0f} MiB per {args.posti} posti con il server "
          f"(picco {figures['peak_pss_mib']:.0f} MiB).")
    if args.registra:
        record_section(SECTION, COMMAND, text,
                       "Obiettivo (issue 11): un'aula di 15 posti su una macchina di 2 core, in 2 GB.")


if __name__ == "__main__":
    main()
