"""A seat's console seen the way a browser tab sees it: a websocket client and a terminal.

Speaks textual-serve's client protocol (JSON ``["stdin", keys]``, ``["resize", {…}]``)
and feeds the terminal bytes to a pyte screen, so a test or the load bench can wait
for what a trainee would read. Used by tests/test_aula*.py and bench/aula.py; pyte
comes with the test tools (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import aiohttp


class SeatClient:
    """One tab: `await SeatClient.open(url)`, then `wait_for`, `type`, `close`."""

    def __init__(self, session: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse,
                 columns: int, lines: int) -> None:
        import pyte

        self.session = session
        self.socket = socket
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.opened_at = time.monotonic()
        self.first_frame_at: float | None = None
        self.closed = False
        self._reader = asyncio.create_task(self._read())
        self._changed = asyncio.Event()

    @classmethod
    async def open(cls, url: str, columns: int = 120, lines: int = 40) -> SeatClient:
        """`url` is the websocket's (``ws://host:port/posto/3/ws``)."""
        session = aiohttp.ClientSession()
        try:
            socket = await session.ws_connect(f"{url}?width={columns}&height={lines}", heartbeat=30)
        except BaseException:
            await session.close()
            raise
        client = cls(session, socket, columns, lines)
        await client.send(["resize", {"width": columns, "height": lines}])
        return client

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                if message.type == aiohttp.WSMsgType.BINARY:
                    if self.first_frame_at is None and len(message.data) > 10:
                        self.first_frame_at = time.monotonic()
                    self.stream.feed(message.data)
                    self._changed.set()
        finally:
            self.closed = True
            self._changed.set()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def send(self, envelope: list[object]) -> None:
        await self.socket.send_str(json.dumps(envelope))

    async def type(self, keys: str) -> None:
        await self.send(["stdin", keys])

    async def wait_for(self, condition: Callable[[str], bool] | str, *, seconds: float = 60.0) -> str:
        """Until the screen shows `condition` (a text, or a test of the whole screen)."""
        test = (lambda text: condition in text) if isinstance(condition, str) else condition
        deadline = time.monotonic() + seconds
        while True:
            text = self.text()
            if test(text):
                return text
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.closed and not test(self.text())):
                what = condition if isinstance(condition, str) else "the expected screen"
                raise AssertionError(f"still waiting for {what!r} (closed={self.closed}); the screen shows:\n{text}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
            except TimeoutError:
                pass

    async def close(self) -> None:
        await self.socket.close()
        await self.session.close()
        self._reader.cancel()
        try:
            await self._reader
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing anyway
            pass
