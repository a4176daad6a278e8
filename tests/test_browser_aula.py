"""`areaclienti-tui serve --aula 2` in a real browser: a trainee's seat and the trainer's board.

One server (`--aula 2` on 0.0.0.0, tests/aula_harness.py) and one headless Chromium
(tests/browser_harness.py) for the module. The browser uses 127.0.0.2: every address
on the pages, every request and the websocket must use it, never 0.0.0.0 (the address
the server listens on) nor another host (no web fonts from the internet).

- the seat: `/` hands out seat 1, its terminal shows 1A; Enter goes to 2A; a reload
  finds the same console on 2A;
- the board: the login form, the Italian error of a wrong password, the table of the
  seats kept up to date by its script (seat 1 connected and on 2A), "Avvia" (seat 2 as
  Alessandro Greco on 3B), "Ripristina" (seat 1's tab back on 1A);
- a seat's status file with markup in it: the board shows it as text, in the page the
  server renders and in the cells the script refreshes.

Every wait polls the page (Runtime.evaluate) with a deadline. Skipped when
/usr/bin/chromium is missing, except in CI (CI set), where it fails.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest

from areaclienti_tui.services.auth import INVALID_CREDENTIALS
from tests.aula_harness import OPERATOR, Server, running_server
from tests.browser_harness import CATCH_TERMINAL, DevTools, first_tab, open_tab, running_chromium, tail

HOST = "127.0.0.2"  # not the address the server listens on (0.0.0.0), nor the usual 127.0.0.1
HOSTILE = "<img src=x onerror=alert(1)>"

# Runs in every page before its own scripts: an alert is recorded, never shown (it would block the page).
RECORD_ALERTS = """
window.__avvisi = [];
window.alert = (message) => { window.__avvisi.push(String(message)); };
"""

# Everything a page loaded or points at: its HTML, its document and resources, its terminal's websocket.
ADDRESSES = """
(() => ({
  html: document.documentElement.outerHTML,
  documento: location.href,
  risorse: performance.getEntriesByType("resource").map((entry) => entry.name),
  websocket: (document.getElementById("terminal") || {dataset: {}}).dataset.sessionWebsocketUrl || null,
}))()
"""


def row(number: int) -> str:
    """The cells of a seat's row on the board, by name (null without the table)."""
    return f"""
(() => {{
  const row = document.getElementById("posto-{number}");
  if (!row) {{ return null; }}
  const cells = {{}};
  for (const cell of row.querySelectorAll("[data-campo]")) {{ cells[cell.dataset.campo] = cell.textContent; }}
  return cells;
}})()
"""


def text_of(selector: str) -> str:
    return f"(document.querySelector({json.dumps(selector)}) || {{}}).textContent || null"


@pytest.fixture(scope="module")
def chromium_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with running_chromium(tmp_path_factory.mktemp("chromium")) as port:
        yield port


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("aula"), "--aula", "2") as server:
        yield server


def server_log(server: Server) -> Callable[[], str]:
    return lambda: f"--- serve.log ---\n{tail(server.log)}"


def foreign(urls: list[str], *origins: str) -> list[str]:
    """The addresses not on one of `origins` (data: and blob: never leave the browser)."""
    return [url for url in urls
            if not url.startswith(("data:", "blob:")) and not any(url.startswith(f"{o}/") for o in origins)]


async def check_addresses(tab: DevTools, server: Server, *, websocket_path: str | None = None) -> None:
    """The page, what it loaded and its websocket are on 127.0.0.2 only; so is every request
    the browser sent for this tab (DevTools' Network events)."""
    origin, ws_origin = server.url("", HOST), server.ws("", HOST)
    page: dict[str, Any] = await tab.evaluate(ADDRESSES)
    assert "0.0.0.0" not in page["html"]
    assert page["documento"].startswith(f"{origin}/")
    assert page["risorse"], "la pagina non ha caricato nulla?"
    assert not foreign(page["risorse"], origin), page["risorse"]
    if websocket_path is not None:
        assert page["websocket"] == f"{ws_origin}{websocket_path}"
    requests = [event["request"]["url"] for event in tab.events_named("Network.requestWillBeSent")]
    sockets = [event["url"] for event in tab.events_named("Network.webSocketCreated")]
    assert requests, "nessun evento Network: Network.enable prima di navigare"
    assert not foreign(requests, origin), requests
    assert not foreign(sockets, ws_origin), sockets
    if websocket_path is not None:
        assert any(url.startswith(f"{ws_origin}{websocket_path}?") for url in sockets), sockets
    failed = [(event.get("errorText"), event.get("blockedReason")) for event in tab.events_named("Network.loadingFailed")
              if not event.get("canceled")]
    assert not failed, failed
    statuses = {event["response"]["url"]: event["response"]["status"]  # what the pages loaded (a document
                for event in tab.events_named("Network.responseReceived")  # may be a 401: a wrong password)
                if event.get("type") != "Document" and not event["response"]["url"].endswith("/favicon.ico")}
    assert all(status < 400 for status in statuses.values()), statuses


async def prepared_tab(tab: DevTools, *scripts: str) -> None:
    await tab.call("Page.enable")
    await tab.call("Network.enable")
    for script in scripts:
        await tab.call("Page.addScriptToEvaluateOnNewDocument", source=script)


async def log_in(board: DevTools, username: str, password: str) -> None:
    """Fill the board's login form and press "Accedi"."""
    submitted = await board.evaluate(f"""
(() => {{
  const form = document.getElementById("accesso");
  if (!form) {{ return false; }}
  document.getElementById("utente").value = {json.dumps(username)};
  document.getElementById("password").value = {json.dumps(password)};
  document.getElementById("accedi").click();
  return true;
}})()
""")
    assert submitted, "il modulo di accesso non c'è"


async def the_board(board: DevTools, server: Server) -> None:
    """The board's table, logging in if the browser has no session yet."""
    page = await board.wait_for(
        "document.getElementById('posti') ? 'tabella' : document.getElementById('accesso') ? 'accesso' : null",
        what="la bacheca non si è aperta", details=server_log(server))
    if page == "accesso":
        await log_in(board, *OPERATOR)
    await board.wait_for("document.querySelectorAll('#posti tbody tr').length", lambda n: n == 2,
                         what="la tabella dei posti non ha 2 righe", details=server_log(server))


@pytest.mark.long(11)
async def test_a_seat_and_the_board(chromium_port: int, classroom: Server) -> None:
    details = server_log(classroom)
    async with aiohttp.ClientSession() as http, \
            DevTools.connect(http, await first_tab(http, chromium_port)) as seat, \
            DevTools.connect(http, await open_tab(http, chromium_port)) as board:
        # The seat: "/" on 127.0.0.2 hands out seat 1, its console shows 1A.
        await prepared_tab(seat, CATCH_TERMINAL)
        await seat.call("Page.bringToFront")
        await seat.call("Page.navigate", url=classroom.url("/", HOST))
        await seat.wait_screen("Passo 1A", details=details)
        assert await seat.evaluate("location.href") == classroom.url("/posto/1", HOST)
        await check_addresses(seat, classroom, websocket_path="/posto/1/ws")
        consoles = set(classroom.console_pids(1))
        assert consoles, "nessuna console per il posto 1"

        # The board, in a second tab: the login form, a wrong password, then the table.
        await prepared_tab(board, RECORD_ALERTS)
        await board.call("Page.bringToFront")
        await board.call("Page.navigate", url=classroom.url("/formatore", HOST))
        await board.wait_for("['#accesso #utente', '#accesso #password', '#accesso #accedi']"
                             ".every((selector) => document.querySelector(selector))",
                             what="il modulo di accesso della bacheca", details=details)
        await log_in(board, OPERATOR[0], "non-la-password")
        error = await board.wait_for(text_of("#accesso #errore-accesso"), what="l'errore di accesso", details=details)
        assert error.strip() == INVALID_CREDENTIALS
        assert await board.evaluate("document.getElementById('posti')") is None
        await log_in(board, *OPERATOR)
        await board.wait_for("document.querySelectorAll('#posti tbody tr').length", lambda n: n == 2,
                             what="la tabella dei posti non ha 2 righe", details=details)
        await check_addresses(board, classroom)
        await board.wait_for(row(1), lambda cells: cells["collegato"].startswith("● sì")
                             and cells["passo"].startswith("1A"), what="il posto 1 collegato su 1A", details=details)

        # Enter in the seat's terminal: 2A; the board sees it without being reloaded (its script).
        await board.evaluate("window.__stessa_pagina = true")
        await seat.call("Page.bringToFront")
        await seat.evaluate("window.__terminals[0].focus()")
        await seat.press("Enter", "Enter", 13, "\r")
        await seat.wait_screen("Passo 2A", absent=("Passo 1A",), details=details)
        cells = await board.wait_for(row(1), lambda cells: cells["passo"].startswith("2A"),
                                     what="la bacheca non mostra il posto 1 su 2A", details=details)
        # the tab's own address: a connection to 127.0.0.2 comes from 127.0.0.1 on Linux
        assert re.fullmatch(r"● sì, 127\.0\.0\.\d+ dalle \d\d:\d\d", cells["collegato"]), cells
        assert await board.evaluate("window.__stessa_pagina") is True, "la bacheca si è ricaricata"
        assert (await board.evaluate(text_of("#aggiornato")) or "").startswith("Aggiornato alle ")

        # A reload of the seat's tab: the same seat, the same console, still on 2A.
        await seat.evaluate("window.__prima_di_ricaricare = true")
        await seat.call("Page.reload")
        await seat.wait_for("window.__prima_di_ricaricare === undefined && document.readyState === 'complete'",
                            what="la scheda del posto non si è ricaricata")
        await seat.wait_screen("Passo 2A", details=details)
        assert await seat.evaluate("location.href") == classroom.url("/posto/1", HOST)
        assert set(classroom.console_pids(1)) == consoles, "un'altra console per il posto 1"

        # "Avvia" on seat 2: Alessandro Greco on 3B.
        await board.call("Page.bringToFront")
        chosen = await board.evaluate("""
(() => {
  const persona = document.getElementById("persona-2"), step = document.getElementById("passo-2");
  persona.value = "Alessandro Greco";
  step.value = "3B";
  if (persona.value !== "Alessandro Greco" || step.value !== "3B") { return [persona.value, step.value]; }
  document.getElementById("avvia-2").click();
  return true;
})()
""")
        assert chosen is True, f"persona o passo non tra le scelte: {chosen}"
        notice = await board.wait_for(text_of("#avviso"), lambda text: bool(text) and "Posto 2" in text,
                                      what="l'avviso dopo «Avvia»", details=details)
        assert notice.strip() == "Posto 2: Alessandro Greco al passo 3B."
        cells = await board.wait_for(row(2), lambda cells: cells["passo"].startswith("3B"),
                                     what="la bacheca non mostra il posto 2 su 3B", details=details)
        assert "Alessandro Greco → 3B" in cells["stato"], cells

        # "Ripristina" on seat 1: its tab shows 1A again.
        await board.evaluate("document.getElementById('ripristina-1').click()")
        notice = await board.wait_for(text_of("#avviso"), lambda text: bool(text) and "Posto 1" in text,
                                      what="l'avviso dopo «Ripristina»", details=details)
        assert notice.strip().startswith("Posto 1 ripristinato")
        await seat.wait_screen("Passo 1A", absent=("Passo 2A",), details=details)
        await board.wait_for(row(1), lambda cells: cells["passo"].startswith("1A"),
                             what="la bacheca non mostra il posto 1 su 1A", details=details)
        assert await board.evaluate("window.__avvisi") == []
        await check_addresses(board, classroom)


async def test_the_board_shows_a_seats_texts_as_text(chromium_port: int, classroom: Server) -> None:
    details = server_log(classroom)
    markup = ".every((cell) => !cell.querySelector('*'))"
    async with aiohttp.ClientSession() as http, DevTools.connect(http, await open_tab(http, chromium_port)) as board:
        await prepared_tab(board, RECORD_ALERTS)
        await board.call("Page.bringToFront")
        await board.call("Page.navigate", url=classroom.url("/formatore", HOST))
        await the_board(board, classroom)
        await board.evaluate("window.__stessa_pagina = true")

        # The console of seat 2 would write this file; here it is written with markup in every text.
        status = {
            "passo": {"id": "3B", "codice": HOSTILE, "titolo": HOSTILE, "dal": "2026-03-02T09:00:00+00:00"},
            "esito": {"id": "6B", "testo": HOSTILE, "alle": "2026-03-02T09:00:00+00:00"},
            "messaggio": {"canale": HOSTILE, "a": "<b>a</b>", "oggetto": HOSTILE, "alle": "2026-03-02T09:00:00+00:00"},
        }
        folder = classroom.seat_folder(2)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / ".posto.json.prova"
        partial.write_text(json.dumps(status), encoding="utf-8")
        os.replace(partial, folder / "posto.json")

        def shown(cells: dict[str, str] | None) -> bool:
            return bool(cells) and cells["passo"] == f"{HOSTILE} · {HOSTILE}" and cells["esito"] == HOSTILE \
                and cells["messaggio"] == f"{HOSTILE} a <b>a</b>"

        # The script refreshes the cells as text...
        await board.wait_for(row(2), shown, what="la bacheca non mostra il testo del file di stato", details=details)
        assert await board.evaluate("window.__stessa_pagina") is True, "la bacheca si è ricaricata"
        assert await board.evaluate("document.querySelectorAll('#posti img, #posti b').length") == 0
        assert await board.evaluate(f"[...document.querySelectorAll('#posto-2 [data-campo]')]{markup}") is True

        # ...and so does the page the server renders.
        await board.call("Page.reload")
        await board.wait_for("window.__stessa_pagina === undefined && document.readyState === 'complete'",
                             what="la bacheca non si è ricaricata")
        assert shown(await board.evaluate(row(2)))
        assert "<img" not in await board.evaluate("document.getElementById('posti').innerHTML")
        assert await board.evaluate("document.querySelectorAll('#posti img, #posti b').length") == 0
        assert await board.evaluate("window.__avvisi") == []
        assert not board.events_named("Page.javascriptDialogOpening")
