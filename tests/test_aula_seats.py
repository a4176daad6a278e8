"""The classroom as its users meet it: a real `areaclienti-tui serve` in a subprocess, trainees'
tabs as websocket clients reading a terminal screen (aula/client.py), the trainer's board over HTTP.

- seats are sandboxes: their own folder and database; what happens in one never shows in another
- a tab gets a seat (in order, its own again by cookie, none when every seat is watched)
- a reload finds the trainee where they were; a crashed console starts again on 1A; one that
  keeps crashing leaves the seat "in errore"; a seat without a tab is stopped after the idle time
- the board: login (wrong password, lockout), CSRF token, Avvia, Ripristina, audit with the operator
- hostile input: a junk Host header, unknown seats, junk websocket messages, garbage status files
- without --aula, with --indirizzo-pubblico, and never "0.0.0.0" in a page

Most tests share one server of eleven seats (module fixture), each test on seats of its own, so
they do not depend on the order they run in (nor on pytest-xdist giving each worker its own
server). Every wait has a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from areaclienti_tui.aula.client import SeatClient
from areaclienti_tui.services.auth import INVALID_CREDENTIALS, locked_message
from tests.aula_harness import OPERATOR, Server, running_server, server_env

pytest.importorskip("pyte")

SEATS = 11  # of the shared server: 1 reload · 2, 3 crash · 4 crash loop · 5 token · 6 avvia and ripristina ·
#             7, 8 sandboxes · 9 junk from a tab · 10 garbage status file · 11 the outcome of a start
TRAINER = ("formatrice", "Lavagna#Blu2026")  # a second operator, made before the server starts
CONSOLE_SECONDS = 90.0  # a console to start, or to reach a step (2 busy cores, -n 2)
POLL_SECONDS = 0.1
T = TypeVar("T")


# -- servers ------------------------------------------------------------------------------


def add_operator(data_dir: Path, username: str, password: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "areaclienti_tui", "--data-dir", str(data_dir), "operator", "add", username,
         "--name", "Carla Bianchi", "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, env=server_env(data_dir), timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Eleven seats, default idle time: each test below uses seats no other test uses."""
    folder = tmp_path_factory.mktemp("aula")
    add_operator(folder / "dati", *TRAINER)
    with running_server(folder, "--aula", str(SEATS)) as server:
        yield server


@pytest.fixture(scope="module")
def single_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("demo")) as server:
        yield server


# -- helpers ------------------------------------------------------------------------------


async def eventually(probe: Callable[[], Awaitable[T] | T], what: str, seconds: float = CONSOLE_SECONDS) -> T:
    """The first true value `probe` gives, asked again until the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting, after {seconds:.0f} s, for {what}")
        await asyncio.sleep(POLL_SECONDS)


@contextlib.asynccontextmanager
async def tab(server: Server, path: str) -> AsyncIterator[SeatClient]:
    """A browser tab's websocket on `path`, closed on the way out."""
    client = await SeatClient.open(server.ws(path))
    try:
        yield client
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser's cookies (IP addresses included: the servers are reached on 127.0.0.2)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def fetch(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, str, aiohttp.ClientResponse]:  # noqa: ANN401
    """Status, page (as sent: escaped) and response of one request."""
    async with session.request(method, url, **kwargs) as response:
        return response.status, await response.text(), response


def shown(page: str) -> str:
    """The page's text as a browser shows it (the templates escape every apostrophe)."""
    return html.unescape(page)


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, f"no token in the page:\n{page[:2000]}"
    return found.group(1)


async def sign_in(session: aiohttp.ClientSession, server: Server, credentials: tuple[str, str] = OPERATOR) -> str:
    """Signs in to the board; returns the board page's CSRF token."""
    status, page, response = await fetch(session, "POST", server.url("/formatore/accesso"),
                                         data={"utente": credentials[0], "password": credentials[1]})
    assert status == 200 and response.url.path == "/formatore", (status, page[:2000])
    assert "Bacheca del formatore" in page and f"<strong>{credentials[0]}</strong>" in page
    return token_of(page)


async def board_action(session: aiohttp.ClientSession, server: Server, path: str, **fields: str) -> str:
    """A POST of the board's forms; returns the board page it leads back to."""
    status, page, response = await fetch(session, "POST", server.url(path), data=fields)
    assert status == 200 and response.url.path == "/formatore", (status, page[:2000])
    return page


async def seat_status(session: aiohttp.ClientSession, server: Server, number: int) -> dict[str, Any]:
    status, text, _ = await fetch(session, "GET", server.url("/formatore/stato"))
    assert status == 200, text
    by_seat = {row["posto"]: row for row in json.loads(text)["posti"]}
    return by_seat[number]


async def seat_status_with(session: aiohttp.ClientSession, server: Server, number: int, step_id: str) -> dict[str, Any] | None:
    status = await seat_status(session, server, number)
    return status if status["passo"] and status["passo"]["id"] == step_id else None


async def seat_status_if(session: aiohttp.ClientSession, server: Server, number: int, state: str) -> dict[str, Any] | None:
    status = await seat_status(session, server, number)
    return status if status["stato"] == state else None


def usernames_at(database: Path) -> set[str]:
    return {name for (name,) in rows(database, "SELECT username FROM accounts")}


def rows(database: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as db:
        return db.execute(query, args).fetchall()


def seat_database(server: Server, number: int) -> Path:
    return server.seat_folder(number) / "areaclienti.db"


def usernames(server: Server, number: int) -> set[str]:
    return usernames_at(seat_database(server, number))


def footprint(server: Server, number: int) -> dict[str, object]:
    """What a journey in a seat would change: its rows and its status file."""
    database = seat_database(server, number)
    counts = {table: rows(database, f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608 - fixed names
              for table in ("accounts", "outbox", "one_time_codes", "audit_events", "privacy_consents")}
    status = server.seat_folder(number) / "posto.json"
    return {**counts, "usernames": usernames(server, number),
            "posto.json": status.read_text(encoding="utf-8") if status.exists() else None}


def status_text(server: Server, number: int) -> str:
    status = server.seat_folder(number) / "posto.json"
    return status.read_text(encoding="utf-8") if status.exists() else ""


def audit(server: Server, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(actor, subject, details) of the server's own audit events of `kind`."""
    found = rows(server.data_dir / "areaclienti.db",
                 "SELECT actor, subject, details FROM audit_events WHERE kind = ? ORDER BY id", kind)
    return [(actor, subject, json.loads(details)) for actor, subject, details in found]


def raw_request(server: Server, request: bytes) -> tuple[int, str]:
    """An HTTP request written by hand (a Host header no client library would send)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n", 1)[0].decode("latin-1")
    return int(head.split()[1]), answer.decode("utf-8", "replace")


def urls_in(page: str) -> list[str]:
    """Every address a page points the browser at."""
    found = re.findall(r'(?:href|src|action|data-session-websocket-url|data-stato)="([^"]*)"', page)
    return found + re.findall(r'url\("([^"]*)"\)', page)


def console_children(server: Server) -> list[int]:
    """The console processes the server runs (its children running areaclienti_tui)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == server.process.pid and b"areaclienti_tui" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


async def one_console(server: Server, number: int) -> int:
    pids = await eventually(lambda: server.console_pids(number), f"the console of seat {number}")
    assert len(pids) == 1, pids
    return pids[0]


# -- 1. seats are sandboxes ------------------------------------------------------------------


async def test_each_seat_has_its_own_database_and_a_journey_stays_in_its_seat(classroom: Server) -> None:
    server = classroom
    model = server.data_dir / "aula" / "modello" / "areaclienti.db"
    databases = [seat_database(server, n) for n in range(1, SEATS + 1)]
    assert all(database.is_file() for database in databases)
    assert len({database.stat().st_ino for database in databases + [model]}) == SEATS + 1
    customers = rows(model, "SELECT COUNT(*) FROM customers")[0][0]
    assert customers > 0 and rows(databases[6], "SELECT COUNT(*) FROM customers")[0][0] == customers

    async with browser() as session, tab(server, "/posto/7/ws") as seven, tab(server, "/posto/8/ws") as eight:
        await seven.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        await eight.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        await eventually(lambda: '"codice": "1A"' in status_text(server, 8), "seat 8 to report 1A")
        before = footprint(server, 8)
        token = await sign_in(session, server)
        await board_action(session, server, "/formatore/posti/7/avvia", token=token, persona="Mario Rossi",
                           passo="7A-fatto")

        await eventually(lambda: "mario.rossi@gmail.com" in usernames(server, 7), "Mario Rossi's account in seat 7")
        seven_status = await eventually(lambda: seat_status_with(session, server, 7, "7A-fatto"),
                                        "seat 7 to report 7A-fatto")
        # What the board shows of the code's email: the recipient masked, no code.
        assert seven_status["messaggio"]["canale"] == "email"
        assert seven_status["messaggio"]["a"] == "m***i@gmail.com"
        written = (server.seat_folder(7) / "posto.json").read_text(encoding="utf-8")
        assert "mario.rossi@gmail.com" not in written
        assert rows(seat_database(server, 7), "SELECT COUNT(*) FROM outbox WHERE recipient = ?",
                    "mario.rossi@gmail.com")[0][0] == 1
        assert not re.search(r"\d{6}", written)  # no code (the times have no six digits in a row)

        # Seat 8: same rows, same status file, still on 1A with the same console.
        assert footprint(server, 8) == before
        assert "Passo 1A" in eight.text() and not eight.closed
        # The server's own database holds no customer's account either.
        assert rows(server.data_dir / "areaclienti.db",
                    "SELECT COUNT(*) FROM accounts WHERE username = ?", "mario.rossi@gmail.com")[0][0] == 0

        # Each seat's data are its own: the same persona registers in seat 8 too.
        await board_action(session, server, "/formatore/posti/8/avvia", token=token, persona="Mario Rossi",
                           passo="7A-fatto")
        await eventually(lambda: "mario.rossi@gmail.com" in usernames(server, 8), "Mario Rossi's account in seat 8")


async def test_tabs_get_seats_in_order_keep_theirs_and_find_a_full_room(tmp_path: Path) -> None:
    with running_server(tmp_path, "--aula", "2") as server:
        landed = []
        for _ in range(2):
            async with browser() as session:
                status, page, response = await fetch(session, "GET", server.url("/"))
                assert status == 200 and "Posto" in page
                landed.append(response.url.path)
                assert [c.value for c in session.cookie_jar if c.key == "posto"] == [response.url.path[-1]]
        assert landed == ["/posto/1", "/posto/2"]

        async with browser() as session:  # a tab that had seat 2 (its cookie) gets it again
            session.cookie_jar.update_cookies({"posto": "2"})
            status, _page, response = await fetch(session, "GET", server.url("/"))
            assert (status, response.url.path) == (200, "/posto/2")

        async with tab(server, "/posto/1/ws") as one, tab(server, "/posto/2/ws") as two:
            await one.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            await two.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            async with browser() as session:
                status, page, _response = await fetch(session, "GET", server.url("/"))
            assert status == 503
            assert "L'aula è piena: tutti i 2 posti sono aperti" in shown(page)
            assert '<html lang="it">' in page and "0.0.0.0" not in page
            async with browser() as session:  # its own seat still opens, full room or not
                session.cookie_jar.update_cookies({"posto": "1"})
                status, _page, response = await fetch(session, "GET", server.url("/"))
                assert (status, response.url.path) == (200, "/posto/1")

        async def seat_one_handed_again() -> bool:  # both tabs closed: a newcomer gets a free seat
            async with browser() as session:
                status, _page, response = await fetch(session, "GET", server.url("/"), allow_redirects=False)
            return status == 303 and response.headers["Location"].endswith("/posto/1")

        await eventually(seat_one_handed_again, "a seat for a new tab once the others closed", 30)


# -- 2. a reload -----------------------------------------------------------------------------


async def test_a_reload_finds_the_trainee_where_they_were(classroom: Server) -> None:
    async with tab(classroom, "/posto/1/ws") as first:
        await first.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        await first.type("\r")  # Registrati
        await first.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)
        pid = await one_console(classroom, 1)
    async with tab(classroom, "/posto/1/ws") as again:  # a new, blank terminal: only a repaint fills it
        await again.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)
        assert "Persona" in again.text()
        assert classroom.console_pids(1) == [pid]
        await again.type("\x1b")  # and it answers: Indietro
        await again.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)


# -- 3. crashes ------------------------------------------------------------------------------


async def test_a_crashed_console_starts_again_on_1a_and_the_other_seats_carry_on(classroom: Server) -> None:
    async with tab(classroom, "/posto/2/ws") as crashing, tab(classroom, "/posto/3/ws") as neighbour:
        for client in (crashing, neighbour):
            await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            await client.type("\r")
            await client.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)
        crashed, other = await one_console(classroom, 2), await one_console(classroom, 3)

        os.kill(crashed, signal.SIGKILL)
        await crashing.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        restarted = await one_console(classroom, 2)
        assert restarted != crashed and not crashing.closed
        await crashing.type("\r")  # the new console answers
        await crashing.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)

        assert classroom.console_pids(3) == [other]
        assert "Passo 2A" in neighbour.text() and not neighbour.closed
        await neighbour.type("\x1b")
        await neighbour.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)


async def test_a_console_that_keeps_crashing_leaves_the_seat_in_error_until_a_tab_opens_it(classroom: Server) -> None:
    async with browser() as session:
        await sign_in(session, classroom)
        async with tab(classroom, "/posto/4/ws") as client:
            await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            killed: set[int] = set()
            for _ in range(5):  # more than 4 ends within a minute
                pid = await eventually(lambda: [p for p in classroom.console_pids(4) if p not in killed],
                                       "a console for seat 4")
                killed.add(pid[0])
                os.kill(pid[0], signal.SIGKILL)
            await client.wait_for("Il posto 4 non riesce a ripartire: chiama il formatore.", seconds=CONSOLE_SECONDS)
            status = await eventually(lambda: seat_status_if(session, classroom, 4, "in errore"),
                                      "seat 4 to be shown in error", 30)
            assert status["collegato"] is True
            assert classroom.console_pids(4) == []
            status, page, _ = await fetch(session, "GET", classroom.url("/formatore"))
            assert status == 200 and "in errore" in page
        async with tab(classroom, "/posto/4/ws") as reopened:  # the trainee reloads: a fresh start
            await reopened.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            assert (await seat_status(session, classroom, 4))["stato"] in ("attivo", "in avvio")


# -- 4. idle seats -----------------------------------------------------------------------------


async def test_a_seat_without_a_tab_is_stopped_and_starts_again_at_1a(tmp_path: Path) -> None:
    with running_server(tmp_path, "--aula", "1", "--inattivo-dopo", "0.02") as server:  # 1.2 seconds
        async with tab(server, "/posto/1/ws") as client:
            await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            await client.type("\r")
            await client.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)
            first = await one_console(server, 1)
        await eventually(lambda: not server.console_pids(1), "the idle console of seat 1 to stop")
        async with tab(server, "/posto/1/ws") as again:
            text = await again.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            assert "Passo 2A" not in text
            assert await one_console(server, 1) != first


# -- 5. the board ------------------------------------------------------------------------------


async def test_the_board_asks_for_an_operator_and_keeps_the_name_typed(classroom: Server) -> None:
    async with browser() as session:
        status, page, _ = await fetch(session, "GET", classroom.url("/formatore"))
        assert status == 200
        assert f'action="{classroom.url("/formatore/accesso")}"' in page
        assert 'name="utente"' in page and 'name="password"' in page and 'name="token"' not in page

        status, page, _ = await fetch(session, "POST", classroom.url("/formatore/accesso"),
                                      data={"utente": "", "password": ""})
        assert status == 400 and "Scrivi nome utente e password dell'operatore." in shown(page)

        status, page, _ = await fetch(session, "POST", classroom.url("/formatore/accesso"),
                                      data={"utente": OPERATOR[0], "password": "Sbagliata#1"})
        assert status == 401
        assert INVALID_CREDENTIALS in shown(page)
        assert f'value="{OPERATOR[0]}"' in page
        assert not [c for c in session.cookie_jar if c.key == "formatore"]

        status, page, _ = await fetch(session, "POST", classroom.url("/formatore/accesso"),
                                      data={"utente": "<script>alert(1)</script>", "password": "x"})
        assert status == 401 and "<script>alert" not in page and "&lt;script&gt;" in page

        status, page, _ = await fetch(session, "GET", classroom.url("/formatore/stato"))
        assert status == 401

        token = await sign_in(session, classroom)
        _, page, _ = await fetch(session, "GET", classroom.url("/formatore"))
        assert sorted(int(n) for n in re.findall(r'<tr id="posto-(\d+)"', page)) == list(range(1, SEATS + 1))
        for number in (1, SEATS):
            assert f'action="{classroom.url(f"/formatore/posti/{number}/ripristina")}"' in page
            assert f'action="{classroom.url(f"/formatore/posti/{number}/avvia")}"' in page
        assert '<option value="Alessandro Greco">' in page and '<option value="3B">' in page
        status, text, _ = await fetch(session, "GET", classroom.url("/formatore/stato"))
        assert status == 200 and [row["posto"] for row in json.loads(text)["posti"]] == list(range(1, SEATS + 1))

        page = await board_action(session, classroom, "/formatore/esci", token=token)
        assert 'name="utente"' in page
        status, _, _ = await fetch(session, "GET", classroom.url("/formatore/stato"))
        assert status == 401


async def test_repeated_wrong_passwords_lock_the_operator(classroom: Server) -> None:
    username, password = TRAINER
    async with browser() as session:
        answers = []
        for _ in range(5):
            status, page, _ = await fetch(session, "POST", classroom.url("/formatore/accesso"),
                                          data={"utente": username, "password": "Sbagliata#123"})
            answers.append((status, INVALID_CREDENTIALS in shown(page), locked_message(60) in shown(page)))
            assert f'value="{username}"' in page
        assert answers == [(401, True, False)] * 4 + [(401, False, True)]

        status, page, _ = await fetch(session, "POST", classroom.url("/formatore/accesso"),
                                      data={"utente": username, "password": password})
        assert status == 401 and locked_message(60) in shown(page)  # the right password waits too
        assert "Troppi tentativi non riusciti: accesso bloccato. Riprova tra 1 minuto." in shown(page)
    async with browser() as session:  # another operator is not locked out
        await sign_in(session, classroom)


async def test_the_board_acts_only_with_its_token_and_explains_a_wrong_start(classroom: Server) -> None:
    async with browser() as stranger:  # not signed in: sent to the login, nothing done
        status, _, response = await fetch(stranger, "POST", classroom.url("/formatore/posti/5/ripristina"),
                                          data={"token": "x"}, allow_redirects=False)
        assert status == 303 and response.headers["Location"] == classroom.url("/formatore")

    async with browser() as session, browser() as other, tab(classroom, "/posto/5/ws") as client:
        token = await sign_in(session, classroom)
        other_token = await sign_in(other, classroom)
        await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        await client.type("\r")
        await client.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)
        pid = await one_console(classroom, 5)

        for fields in ({}, {"token": ""}, {"token": token[:-1]}, {"token": other_token}, {"token": "città"},
                       {"token": "x" * 5000}):
            for action in ("ripristina", "avvia"):
                status, page, _ = await fetch(session, "POST", classroom.url(f"/formatore/posti/5/{action}"),
                                              data={**fields, "persona": "Mario Rossi", "passo": "3B"})
                assert status == 403, (fields, action, status, page[:500])
                assert "Modulo scaduto" in shown(page)
        status, _, _ = await fetch(session, "POST", classroom.url("/formatore/posti/ripristina-tutti"), data={})
        assert status == 403

        page = await board_action(session, classroom, "/formatore/posti/5/avvia", token=token,
                                  persona="Nessuno Qui", passo="3B")
        assert "Posto 5: nessuna persona si chiama «Nessuno Qui»." in shown(page)
        page = await board_action(session, classroom, "/formatore/posti/5/avvia", token=token,
                                  persona="Mario Rossi", passo="9Z")
        assert "Posto 5: il passo «9Z» non è un passo della mappa." in shown(page)
        page = await board_action(session, classroom, "/formatore/posti/5/avvia", token=token, persona="", passo="")
        assert "Posto 5: scegli una persona e un passo" in page
        status, page, _ = await fetch(session, "POST", classroom.url("/formatore/posti/999/avvia"),
                                      data={"token": token, "persona": "Mario Rossi", "passo": "3B"})
        assert status == 404 and f"Il posto 999 non c'è: i posti vanno da 1 a {SEATS}." in shown(page)

        assert classroom.console_pids(5) == [pid] and not client.closed
        assert "Passo 2A" in client.text()
        await client.type("\x1b")  # the same console, still answering
        await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        assert not [event for event in audit(classroom, "aula_avvio") if event[1] == "posto 5"]
        assert not [event for event in audit(classroom, "aula_ripristino") if event[1] == "posto 5"]


async def test_avvia_takes_a_seat_to_a_step_and_ripristina_brings_back_the_demo_data(classroom: Server) -> None:
    model = usernames_at(classroom.data_dir / "aula" / "modello" / "areaclienti.db")
    async with browser() as session, tab(classroom, "/posto/6/ws") as client:
        token = await sign_in(session, classroom)
        await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)

        page = await board_action(session, classroom, "/formatore/posti/6/avvia", token=token,
                                  persona="Alessandro Greco", passo="3B")
        assert "Posto 6: Alessandro Greco al passo 3B." in shown(page)
        await client.wait_for("Passo 3B", seconds=CONSOLE_SECONDS)
        status = await eventually(lambda: seat_status_with(session, classroom, 6, "3B"), "seat 6 to report 3B")
        assert status["passo"]["codice"] == "3B"
        assert status["avvio"] == {"persona": "Alessandro Greco", "passo": "3B"}
        assert status["collegato"] is True and status["stato"] == "attivo"
        assert ("operatore", "posto 6", {"passo": "3B", "persona": "Alessandro Greco"}) in audit(classroom, "aula_avvio")

        await board_action(session, classroom, "/formatore/posti/6/avvia", token=token, persona="Mario Rossi",
                           passo="7A-fatto")
        await eventually(lambda: seat_status_with(session, classroom, 6, "7A-fatto"), "seat 6 to report 7A-fatto")
        assert "mario.rossi@gmail.com" in usernames(classroom, 6)
        assert rows(seat_database(classroom, 6), "SELECT COUNT(*) FROM outbox")[0][0] > 0

        page = await board_action(session, classroom, "/formatore/posti/6/ripristina", token=token)
        assert "Posto 6 ripristinato" in page
        await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        assert usernames(classroom, 6) == model
        assert rows(seat_database(classroom, 6), "SELECT COUNT(*) FROM outbox")[0][0] == 0
        status = await eventually(lambda: seat_status_with(session, classroom, 6, "1A"), "seat 6 to report 1A")
        assert status["avvio"] is None and status["esito"] is None and status["messaggio"] is None
        assert ("operatore", "posto 6", {}) in audit(classroom, "aula_ripristino")
        await client.type("\r")  # the restarted console answers
        await client.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)


async def test_the_board_keeps_the_outcome_a_start_went_through(classroom: Server) -> None:
    async with browser() as session, tab(classroom, "/posto/11/ws") as client:
        token = await sign_in(session, classroom)
        await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        await board_action(session, classroom, "/formatore/posti/11/avvia", token=token,
                           persona="Alessandro Greco", passo="3B")
        await client.wait_for("Passo 3B", seconds=CONSOLE_SECONDS)
        status = await eventually(lambda: seat_status_with(session, classroom, 11, "3B"), "seat 11 to report 3B")
        assert status["esito"] is not None and status["esito"]["id"] == "1B"  # 3B comes after "Dati non riconosciuti"


# -- 6. hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/posto/1", "/formatore", "/posto/999", "/posto/1/ws"])
def test_a_junk_host_header_is_refused_and_never_reflected(classroom: Server, path: str) -> None:
    for host in ("a b<script>", "<script>alert(1)</script>", "x\"onmouseover=\"alert(1)", "a" * 300):
        status, answer = raw_request(classroom, f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                                     .encode())
        if path == "/posto/1/ws":  # not a websocket handshake: refused before any address is built
            assert status in (400, 404, 405, 426), answer[:300]
        else:
            assert status == 400, answer[:500]
        assert "<script>" not in answer and "onmouseover" not in answer


@pytest.mark.parametrize(("path", "message"), [
    ("/posto/0", f"Il posto 0 non c'è: i posti vanno da 1 a {SEATS}."),
    ("/posto/999", f"Il posto 999 non c'è: i posti vanno da 1 a {SEATS}."),
    ("/posto/1000", "non c'è"),
    ("/posti", "non c'è"),
    ("/formatore/posti/1/avvia", "non c'è"),  # a GET of a form's address
])
async def test_a_page_that_is_not_there_is_an_italian_page(classroom: Server, path: str, message: str) -> None:
    async with browser() as session:
        status, page, response = await fetch(session, "GET", classroom.url(path))
    assert status in (404, 405), status
    assert response.content_type == "text/html"
    assert message in shown(page) and '<html lang="it">' in page
    assert f'href="{classroom.url("/")}"' in page


async def test_junk_from_a_tab_leaves_its_console_working(classroom: Server) -> None:
    async with tab(classroom, "/posto/9/ws") as client:
        await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
        pid = await one_console(classroom, 9)
        junk = [
            "non è JSON", "{", "[", "]", "", '{"stdin": "\\r"}', "[]", "[1, 2]", "[null]", '["stdin"]',
            '["stdin", 5]', '["stdin", ["\\r"]]', '["stdin", {"keys": "\\r"}]', '["resize"]', '["resize", "120x40"]',
            '["resize", {"width": "abc", "height": null}]', '["resize", {"width": -5, "height": 1000000}]',
            '["resize", {"width": 1e308, "height": -1e308}]', '["resize", {"width": NaN, "height": Infinity}]',
            '["resize", {"width": 20.5, "height": [1]}]', json.dumps(["resize", {"width": "9" * 5000, "height": 7}]),
            '["resize", {"width": ' + "9" * 5000 + ', "height": 7}]',  # beyond Python's digits for an int
            '["ping", 42]', '["ping", "' + "p" * 10_000 + '"]', '["focus", 1, 2, 3]', '["blur"]', '["quit"]',
            '["deliver_file_start", "../../etc/passwd"]', "[" * 100_000, json.dumps("x" * 200_000),
        ]
        for message in junk:
            await client.socket.send_str(message)
        await client.socket.send_bytes(b"\x00\xff" * 1000)
        await client.send(["stdin", "x" * (1 << 20)])  # 1 MB of keys in one message
        await client.send(["stdin", "\x1b[200~" + "incollato " * 10_000 + "\x1b[201~"])  # a paste above the limit

        await client.send(["resize", {"width": 120, "height": 40}])
        await client.type("\r")
        await client.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)
        assert not client.closed
        assert classroom.console_pids(9) == [pid]
        await client.type("\x1b")
        await client.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
    async with browser() as session:
        status, _, _ = await fetch(session, "GET", classroom.url("/posto/9"))
        assert status == 200


async def test_the_board_renders_whatever_a_seat_left_in_its_status_file(classroom: Server) -> None:
    status_file = classroom.seat_folder(10) / "posto.json"
    contents = [
        b"\x00\xff garbage",
        b"[" * 15_000,
        b'{"passo": ' * 3000,
        b" " * (10 * 1024 * 1024) + b'{"passo": {"codice": "3B"}}',
        json.dumps({"passo": {"codice": "<script>alert(1)</script>", "titolo": "x" * 10_000},
                    "esito": {"testo": "</td></tr><tr><td>"}, "messaggio": {"canale": 5, "a": None}}).encode(),
    ]
    async with browser() as session:
        await sign_in(session, classroom)
        for content in contents:
            status_file.write_bytes(content)
            status, page, _ = await fetch(session, "GET", classroom.url("/formatore"))
            assert status == 200, page[:500]
            assert '<tr id="posto-10"' in page and '<tr id="posto-1"' in page
            assert "<script>alert" not in page and "</td></tr><tr><td>" not in page
            status, text, _ = await fetch(session, "GET", classroom.url("/formatore/stato"))
            assert status == 200
            row = {r["posto"]: r for r in json.loads(text)["posti"]}[10]
            assert set(row) >= {"passo", "esito", "messaggio", "stato"}
        assert row["passo"]["codice"] == "<script>alert(1)</script>" and len(row["passo"]["titolo"]) <= 120
        status_file.unlink()


# -- 7. without --aula -----------------------------------------------------------------------------


async def test_without_seats_every_tab_has_a_console_of_its_own(single_demo: Server) -> None:
    server = single_demo
    async with browser() as session:
        status, page, _ = await fetch(session, "GET", server.url("/"))
        assert status == 200 and f'data-session-websocket-url="{server.ws("/ws")}"' in page
        status, page, _ = await fetch(session, "GET", server.url("/posto/1"))
        assert status == 404 and "Questa console non ha posti" in page
        status, page, _ = await fetch(session, "GET", server.url("/formatore"))
        assert status == 404 and "La bacheca del formatore c'è solo con «serve --aula N»." in shown(page)
        status, page, _ = await fetch(session, "POST", server.url("/formatore/accesso"),
                                      data={"utente": OPERATOR[0], "password": OPERATOR[1]})
        assert status == 404 and "serve --aula N" in page

    async with tab(server, "/ws") as first:
        async with tab(server, "/ws") as second:
            await first.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            await second.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)
            both = await eventually(lambda: len(console_children(server)) == 2 and console_children(server),
                                    "a console for each tab")
            await first.type("\r")
            await first.wait_for("Passo 2A", seconds=CONSOLE_SECONDS)
            assert "Passo 1A" in second.text()  # not the same console
        await eventually(lambda: len(console_children(server)) == 1, "the closed tab's console to stop")
        assert console_children(server)[0] in both
        await first.type("\x1b")
        await first.wait_for("Passo 1A", seconds=CONSOLE_SECONDS)


# -- 8. addresses ---------------------------------------------------------------------------------


async def test_a_public_address_is_the_one_every_page_uses(tmp_path: Path) -> None:
    public = "https://aula.example/x"
    with running_server(tmp_path, "--aula", "1", "--indirizzo-pubblico", public + "/") as server:
        async with browser() as session:
            status, _, response = await fetch(session, "GET", server.url("/"), allow_redirects=False)
            assert status == 303 and response.headers["Location"] == f"{public}/posto/1"
            pages = {}
            for path in ("/posto/1", "/formatore", "/posto/7"):
                status, pages[path], _ = await fetch(session, "GET", server.url(path))
                assert status in (200, 404)
        assert f'data-session-websocket-url="wss://aula.example/x/posto/1/ws"' in pages["/posto/1"]
        assert f'action="{public}/formatore/accesso"' in pages["/formatore"]
        for path, page in pages.items():
            addresses = urls_in(page)
            assert addresses, path
            assert all(a.startswith((f"{public}/", "wss://aula.example/x/")) for a in addresses), (path, addresses)
            assert "127.0.0.2" not in page and "0.0.0.0" not in page
        status, answer = raw_request(server, b"GET /posto/1 HTTP/1.1\r\nHost: a b<script>\r\nConnection: close\r\n\r\n")
        assert status == 200 and "a b<script>" not in answer and "a b&lt;" not in answer  # Host not used


@pytest.mark.parametrize(("address", "message"), [
    ("http://0.0.0.0:1", "0.0.0.0 non è un indirizzo che un browser possa raggiungere"),
    ("ftp://x", "l'indirizzo pubblico va scritto come http://nome:porta o https://nome/percorso"),
])
def test_serve_refuses_a_public_address_no_browser_can_use(tmp_path: Path, address: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "areaclienti_tui", "--data-dir", str(tmp_path / "dati"), "serve", "--aula", "2",
         "--port", "1", "--indirizzo-pubblico", address],
        capture_output=True, text=True, env=server_env(tmp_path / "dati"), timeout=120)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr + result.stdout


async def test_no_page_names_the_address_the_server_listens_on(classroom: Server, single_demo: Server) -> None:
    """Both servers listen on 0.0.0.0; pages use the address the browser asked for."""
    pages = []
    async with browser() as session:
        for server, path in ((classroom, "/posto/3"), (classroom, "/formatore"), (classroom, "/posto/0"),
                             (classroom, "/niente"), (single_demo, "/"), (single_demo, "/formatore")):
            _status, page, _ = await fetch(session, "GET", server.url(path))
            pages.append(page)
        await sign_in(session, classroom)
        pages.append((await fetch(session, "GET", classroom.url("/formatore")))[1])
    for page in pages:
        assert "0.0.0.0" not in page
        assert all(a.startswith(("http://127.0.0.2:", "ws://127.0.0.2:")) for a in urls_in(page)), urls_in(page)
    for server in (classroom, single_demo):
        assert "0.0.0.0" not in server.output()
