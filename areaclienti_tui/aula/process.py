"""One console process speaking Textual's web-driver protocol over its stdin and stdout.

The protocol is the one textual-serve speaks (textual/drivers/web_driver.py): the
console prints ``__GANGLION__`` and then sends packets ``TYPE SIZE(4, big endian)
PAYLOAD`` — ``D`` terminal bytes, ``M`` a JSON meta message, ``P`` a packed file
chunk; it reads packets of the same shape (``D`` keys, ``M`` resize/focus/blur/quit).

A `ConsoleProcess` forwards the terminal bytes to whoever listens (`on_data`, a
browser's websocket or nobody while the tab is away) and tells `on_exit` when the
process ends, for the seat to decide whether it was asked to or it crashed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

READY_LINE = b"__GANGLION__\n"
STOP_SECONDS = 5.0  # a console asked to quit has this long before it is killed
STDERR_KEPT = 8_192  # the last bytes of a console's stderr, logged if it crashes

DataSink = Callable[[bytes], Awaitable[None]]


def packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


class ConsoleProcess:
    """A console started with `argv` and `env`, in a terminal of the size it is given."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], *, on_data: DataSink,
                 on_exit: Callable[[ConsoleProcess], None] | None = None,
                 downloads: Any = None,  # noqa: ANN401 - textual-serve's DownloadManager
                 on_delivery: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.argv = list(argv)
        self.env = env
        self.on_data = on_data
        self.on_exit = on_exit
        self.downloads = downloads
        self.on_delivery = on_delivery  # a file is ready at /download/KEY: tell the tab
        self.app_service_id = uuid.uuid4().hex  # the name textual-serve's DownloadManager knows us by
        self.process: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()  # the console has printed its ready line
        self.first_frame = asyncio.Event()  # terminal bytes have come
        self.stopping = False  # asked to stop: its end is not a crash
        self._reader: asyncio.Task[None] | None = None
        self._stderr = bytearray()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, width: int, height: int) -> None:
        env = dict(self.env, COLUMNS=str(width), ROWS=str(height))
        self.process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env)
        self._reader = asyncio.create_task(self._read(), name=f"console-{self.process.pid}")

    async def send_bytes(self, data: bytes) -> bool:
        return await self._send(packet(b"D", data))

    async def send_meta(self, data: dict[str, object]) -> bool:
        return await self._send(packet(b"M", json.dumps(data).encode("utf-8")))

    async def resize(self, width: int, height: int) -> None:
        await self.send_meta({"type": "resize", "width": width, "height": height})

    async def repaint(self) -> None:
        await self.send_meta({"type": "repaint"})

    async def _send(self, data: bytes) -> bool:
        if not self.running:
            return False
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(data)
            await self.process.stdin.drain()
        except (OSError, RuntimeError):
            return False
        return True

    async def stop(self, seconds: float = STOP_SECONDS) -> None:
        """Ask the console to quit; kill it if it has not within `seconds`."""
        self.stopping = True
        if self.process is None:
            return
        if self.running:
            await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(self.process.wait(), seconds)
            except TimeoutError:
                log.warning("console %s did not quit in %.0f s: killed", self.pid, seconds)
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            await self._reader

    async def wait(self) -> int:
        assert self.process is not None
        code = await self.process.wait()
        if self._reader is not None:
            await self._reader
        return code

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout, stderr = self.process.stdout, self.process.stderr
        keep_stderr = asyncio.create_task(self._keep_stderr(stderr))
        try:
            for _ in range(50):  # a few lines may come before the ready line (warnings)
                line = await stdout.readline()
                if not line:
                    break
                if line == READY_LINE:
                    self.ready.set()
                    break
            if self.ready.is_set():
                await self._packets(stdout)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        finally:
            await self.process.wait()
            await keep_stderr
            if not self.stopping:
                log.warning("console %s ended with code %s; stderr: %s", self.process.pid,
                            self.process.returncode, self._stderr.decode("utf-8", "replace")[-2000:])
            if self.downloads is not None:
                with contextlib.suppress(Exception):
                    await self.downloads.cancel_app_downloads(app_service_id=self.app_service_id)
            if self.on_exit is not None:
                self.on_exit(self)

    async def _packets(self, stdout: asyncio.StreamReader) -> None:
        while True:
            kind = await stdout.readexactly(1)
            size = int.from_bytes(await stdout.readexactly(4), "big")
            payload = await stdout.readexactly(size)
            if kind == b"D":
                self.first_frame.set()
                try:
                    await self.on_data(payload)
                except Exception:  # noqa: BLE001 - a closing websocket must not stop the console
                    log.debug("terminal bytes not delivered", exc_info=True)
            elif kind == b"M":
                await self._meta(payload)
            elif kind == b"P" and self.downloads is not None:
                await self._packed(payload)

    async def _meta(self, payload: bytes) -> None:
        try:
            meta = json.loads(payload)
        except ValueError:
            return
        if not isinstance(meta, dict):
            return
        if meta.get("type") == "deliver_file_start" and self.downloads is not None:
            try:
                await self.downloads.create_download(
                    app_service=self, delivery_key=str(meta["key"]), file_name=os.path.basename(str(meta["path"])),
                    open_method=meta["open_method"], mime_type=meta["mime_type"], encoding=meta["encoding"],
                    name=meta.get("name"))
            except KeyError:
                return
            if self.on_delivery is not None:
                await self.on_delivery(str(meta["key"]))

    async def _packed(self, payload: bytes) -> None:
        from textual_serve._binary_encode import load as binary_load

        unpacked = binary_load(payload)
        if unpacked and unpacked[0] == "deliver_chunk":
            _, key, chunk = unpacked
            await self.downloads.chunk_received(key, chunk)

    async def _keep_stderr(self, stderr: asyncio.StreamReader | None) -> None:
        if stderr is None:
            return
        while data := await stderr.read(4096):
            self._stderr += data
            del self._stderr[:-STDERR_KEPT]
