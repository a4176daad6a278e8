"""Debian's Chromium, headless, driven through the DevTools protocol with aiohttp: for
the browser tests (tests/test_browser.py, tests/test_browser_aula.py). Not a test file.

`running_chromium(folder)` starts the browser on a throwaway profile and yields its
DevTools port; `DevTools.connect(http, target)` opens one tab's protocol session
(every event it sends is kept in `events`); `open_tab(http, port)` makes a new tab.
Every wait has a deadline: `DevTools.wait_for` polls an expression in the page.

Chromium reaches 127.0.0.1 and 127.0.0.2 only (`--host-resolver-rules`): the rule
`MAP * ~NOTFOUND` applies to IP literals too (an address not excluded fails with
ERR_NAME_NOT_RESOLVED), so each loopback address the tests use is excluded by name;
with `--no-proxy-server` no proxy of the environment is used either.

textual-serve draws the terminal with xterm.js on a canvas: the text is read from
xterm's buffer. The page does not expose its Terminal, so a script added before the
page loads (CATCH_TERMINAL) catches it when textual-serve's client stores its
`fitAddon` (the client sets `terminal` just before).

`chromium()` skips the test when /usr/bin/chromium is missing, except in CI (CI set),
where it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT = 60.0  # seconds for a server, the browser or a console to come up
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2",
    "--window-size=1280,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]

# Runs in the page before its own scripts: keeps the xterm.js Terminal of textual-serve's client.
CATCH_TERMINAL = """
window.__terminals = [];
Object.defineProperty(Object.prototype, "fitAddon", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    Object.defineProperty(this, "fitAddon", {value, writable: true, configurable: true, enumerable: true});
    if (this.terminal) { window.__terminals.push(this.terminal); }
  },
});
"""

# What the terminal shows, one line per row (null until the client has made its terminal).
SCREEN_TEXT = """
(() => {
  const terminal = window.__terminals && window.__terminals[0];
  if (!terminal) { return null; }
  const buffer = terminal.buffer.active;
  const rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()
"""


def chromium() -> Path:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"{CHROMIUM} non c'è: `scripts/browser-deps` installa il pacchetto Debian 'chromium'"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def stop(process: subprocess.Popen) -> None:
    """End the process and whatever it started (its own process group, made at start)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(nessun log)"


@contextlib.contextmanager
def running_chromium(folder: Path) -> Iterator[int]:
    """Headless Chromium on a throwaway profile in `folder`; yields its DevTools port."""
    browser = chromium()
    profile = folder / "chromium-profilo"
    log = folder / "chromium.log"
    command = [str(browser), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while not (active.is_file() and active.read_text().strip()):
            if process.poll() is not None:
                pytest.fail(f"Chromium è uscito con il codice {process.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"Chromium non ha aperto la porta DevTools:\n{tail(log)}")
            time.sleep(0.1)
        yield int(active.read_text().split()[0])
    finally:
        stop(process)


async def first_tab(http: aiohttp.ClientSession, port: int) -> dict[str, Any]:
    """The tab Chromium opened at start (about:blank)."""
    async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
        targets = await response.json()
    return next(target for target in targets if target.get("type") == "page")


async def open_tab(http: aiohttp.ClientSession, port: int) -> dict[str, Any]:
    """A new blank tab in the same browser (same profile, same cookies)."""
    async with http.put(f"http://127.0.0.1:{port}/json/new?about:blank") as response:
        response.raise_for_status()
        return await response.json()


class DevToolsError(AssertionError):
    """A protocol call answered with an error (e.g. evaluating while the page navigates)."""


class DevTools:
    """A small DevTools protocol client for one tab: calls, and every event the tab sends."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.last_id = 0
        self.pending: dict[int, asyncio.Future[dict]] = {}
        self.events: list[dict[str, Any]] = []  # {"method": ..., "params": ...}, in arrival order
        self.closed: str | None = None
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, http: aiohttp.ClientSession, target: dict[str, Any]) -> AsyncIterator[DevTools]:
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as websocket:
            tab = cls(websocket)
            tab._reader = asyncio.create_task(tab._read())
            try:
                yield tab
            finally:
                tab._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await tab._reader

    async def _read(self) -> None:
        try:
            async for message in self.websocket:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                answer = json.loads(message.data)
                future = self.pending.pop(answer.get("id", -1), None)
                if future is not None:
                    if not future.done():
                        future.set_result(answer)
                elif "method" in answer:
                    self.events.append(answer)
        finally:
            self.closed = "DevTools ha chiuso la connessione"
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(AssertionError(self.closed))
            self.pending.clear()

    async def call(self, method: str, **params: object) -> dict:
        if self.closed:
            raise AssertionError(f"{self.closed} (prima di {method})")
        self.last_id += 1
        future: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self.pending[self.last_id] = future
        await self.websocket.send_str(json.dumps({"id": self.last_id, "method": method, "params": params}))
        try:
            answer = await asyncio.wait_for(future, START_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"DevTools non ha risposto a {method} entro {START_TIMEOUT:.0f} s") from None
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    async def evaluate(self, expression: str) -> Any:  # noqa: ANN401 - whatever the page returns
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise DevToolsError(f"errore JavaScript: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, accept: Callable[[Any], bool] = bool, *, what: str,
                       timeout: float = START_TIMEOUT, details: Callable[[], str] = lambda: "") -> Any:  # noqa: ANN401
        """Evaluate `expression` until `accept(value)`; its value. Fails after `timeout` seconds
        with `what` (what was awaited), the last value or error and `details()`."""
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            try:
                value = await self.evaluate(expression)
            except DevToolsError as error:  # e.g. the page is between two documents
                last = error
            else:
                if accept(value):
                    return value
                last = value
            if time.monotonic() > deadline:
                more = details()
                raise AssertionError(f"{what}: non avvenuto entro {timeout:.0f} s; ultimo valore:\n{last}"
                                     + (f"\n{more}" if more else ""))
            await asyncio.sleep(0.2)

    async def screen(self) -> str | None:
        """The terminal's text (None until the page's client made its terminal)."""
        return await self.evaluate(SCREEN_TEXT)

    async def wait_screen(self, *words: str, absent: tuple[str, ...] = (), timeout: float = START_TIMEOUT,
                          details: Callable[[], str] = lambda: "") -> str:
        """The terminal's text once it shows every one of `words` and none of `absent`."""
        def shown(text: object) -> bool:
            return isinstance(text, str) and all(w in text for w in words) and not any(w in text for w in absent)

        return await self.wait_for(SCREEN_TEXT, shown, what=f"il terminale non mostra {' / '.join(words)}",
                                   timeout=timeout, details=details)

    async def press(self, key: str, code: str, key_code: int, text: str = "") -> None:
        """One key pressed and released, as the keyboard would (to the focused element)."""
        down: dict[str, object] = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": key_code}
        if text:
            down |= {"text": text, "unmodifiedText": text}
        await self.call("Input.dispatchKeyEvent", **down)
        await self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=key_code)

    def events_named(self, method: str) -> list[dict[str, Any]]:
        return [event["params"] for event in self.events if event.get("method") == method]
