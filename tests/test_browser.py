"""`areaclienti-tui serve` in a real browser: Debian's Chromium, headless, opens
the page and the console in it shows step 1A.

The server runs as `python -m areaclienti_tui --data-dir TMP serve` on a free
port of 127.0.0.1; Chromium (installed by `scripts/browser-deps`, which
`make test` runs first) is driven through the DevTools protocol over a
websocket with aiohttp, already installed with textual-serve. Chromium
resolves no host but 127.0.0.1, so the test never reaches the network.

textual-serve draws the terminal with xterm.js on a canvas: the text is read
from xterm's buffer. The page does not expose its Terminal, so a script added
before the page loads catches it when textual-serve's client stores its
`fitAddon` (the client sets `terminal` just before).

Skipped when /usr/bin/chromium is missing, except in CI (CI set), where it fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT = 60.0  # seconds for the server, the browser and the console to come up
EXPECTED = ("Passo 1A", "Benvenuto nell'Area Clienti Generali", "Accedi")  # what step 1A shows
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
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`areaclienti-tui serve` on a free port, on its own data folder with the demo personas."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("AREACLIENTI_")}
    env["AREACLIENTI_BCRYPT_ROUNDS"] = "4"
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "areaclienti_tui", "--data-dir", str(tmp_path / "dati"),
               "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   env=env, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(port):
            if process.poll() is not None:
                pytest.fail(f"`serve` è uscito con il codice {process.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"`serve` non risponde sulla porta {port}:\n{tail(log)}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(process)


@pytest.fixture
def devtools(tmp_path: Path) -> Iterator[int]:
    """Headless Chromium on a throwaway profile; yields its DevTools port."""
    browser = chromium()
    profile = tmp_path / "chromium-profilo"
    log = tmp_path / "chromium.log"
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


class DevTools:
    """The smallest DevTools protocol client: one page, one call at a time."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.last_id = 0

    async def call(self, method: str, **params: object) -> dict:
        self.last_id += 1
        call_id = self.last_id
        await self.websocket.send_str(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = await self.websocket.receive(timeout=START_TIMEOUT)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"DevTools ha chiuso la connessione ({message.type!r}) durante {method}")
            answer = json.loads(message.data)
            if answer.get("id") == call_id:  # events (no id) are not needed here
                if "error" in answer:
                    raise AssertionError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    async def evaluate(self, expression: str) -> object:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"errore JavaScript: {result['exceptionDetails']}")
        return result["result"].get("value")


async def test_the_page_shows_step_1a(devtools: int, server: str, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{devtools}/json/list") as response:
            targets = await response.json()
        page = next(target for target in targets if target.get("type") == "page")
        async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as websocket:
            browser = DevTools(websocket)
            await browser.call("Page.enable")
            await browser.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
            await browser.call("Page.navigate", url=server)

            text: object = None
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                text = await browser.evaluate(SCREEN_TEXT)
                if isinstance(text, str) and all(words in text for words in EXPECTED):
                    break
                await asyncio.sleep(0.25)
            else:
                pytest.fail(
                    f"la console nel browser non mostra {' / '.join(EXPECTED)} entro "
                    f"{START_TIMEOUT:.0f} s; schermo:\n{text}\n--- serve.log ---\n{tail(tmp_path / 'serve.log')}"
                )
    assert isinstance(text, str) and "Passo 1A" in text
