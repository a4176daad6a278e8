"""`areaclienti-tui serve` in a real browser: Debian's Chromium, headless, opens
the page and the console in it shows step 1A.

The server runs as `python -m areaclienti_tui --data-dir TMP serve` on a free
port of 127.0.0.1; Chromium (installed by `scripts/browser-deps`, which
`make test` runs first) is driven through the DevTools protocol over a
websocket with aiohttp, already installed with textual-serve (tests/browser_harness.py).
Chromium resolves no host name, so the test never reaches the network.

The terminal's text is read from xterm's buffer (browser_harness.CATCH_TERMINAL).

Skipped when /usr/bin/chromium is missing, except in CI (CI set), where it fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.browser_harness import CATCH_TERMINAL, START_TIMEOUT, DevTools, first_tab, running_chromium, stop, tail

EXPECTED = ("Passo 1A", "Benvenuto nell'Area Clienti Generali", "Accedi")  # what step 1A shows


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
    with running_chromium(tmp_path) as port:
        yield port


async def test_the_page_shows_step_1a(devtools: int, server: str, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http, DevTools.connect(http, await first_tab(http, devtools)) as browser:
        await browser.call("Page.enable")
        await browser.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
        await browser.call("Page.navigate", url=server)
        text = await browser.wait_screen(*EXPECTED, details=lambda: f"--- serve.log ---\n{tail(tmp_path / 'serve.log')}")
    assert "Passo 1A" in text
