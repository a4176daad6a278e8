"""Keys handled in the order they were typed, even when they arrive in one burst.

An operator on the phone types ahead: ``Mario``, Tab, ``Rossi``, Tab,
``14/03/1975``. A terminal delivers such a burst in one read, and Textual hands
every key to the widget focused *when the key arrives*: the Tab is queued to the
Nome field, bubbles up to the screen's ``focus_next`` binding a moment later,
and by then ``Rossi`` has already been queued to Nome too. A bare Textual app
loses the second Tab the same way.

Two rules restore the order a person expects:

* **Tab and Shift+Tab move the focus at once**, in the App, before the next key
  is looked at, whenever Textual would have moved it anyway (the screen's own
  ``focus_next``/``focus_previous`` binding is the one the key would reach; a
  widget that takes Tab itself still gets it).
* **Any other key** (Enter, Esc, Space on a button, a digit that opens an
  operator tab, but also End, Backspace and the arrows, whose bindings run only
  once the key has bubbled up to the App) closes a gate: keys arriving after it
  wait in the App until every widget of the screen (the new screen, if the key
  opened one) has handled what it was sent, and the step is no longer busy (an
  Enter at 4A checks the username in a worker, then opens 5A), and then go, in
  order, to whatever is focused by then. Characters typed into a text field are
  inserted by the field itself, in order: they never close the gate, so typing
  is never delayed.

The wait is bounded (``SETTLE_SECONDS``, ``BUSY_SECONDS``): a key is never
lost, at worst it goes where it would have gone without this module. The settle
bound counts the event loop's own CPU time, not the clock's: on a machine shared
by many consoles (a classroom of fifteen on two cores) a console may wait seconds
for the processor, and a wall-clock bound would let the held keys go before the
previous key took effect. ``SETTLE_WALL_SECONDS`` still caps the wait by the clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.widgets import Input

FOCUS_MOVES = {"tab": "focus_next", "shift+tab": "focus_previous"}
SETTLE_SECONDS = 0.5  # the longest a key waits for the previous one to take effect (loop CPU time)
SETTLE_WALL_SECONDS = 5.0  # and by the clock, however starved the console is
QUIET_ROUNDS = 2  # rounds in a row with every message queue of the screen empty
BUSY_SECONDS = 3.0  # the longest keys wait for a step that is working (StepScreen.busy)
BUSY_POLL_SECONDS = 0.02


class KeysInOrder(App):
    """An App that hands keys to widgets in arrival order, focus moves included."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self._held_keys: deque[events.Key] = deque()
        self._keys_gate_closed = False  # a key that may move the focus is still being handled
        self._settling: asyncio.Task[None] | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._keys_gate_closed or self._held_keys:
                self._held_keys.append(event)
                return
            await self._dispatch_key_in_order(event)
            return
        await super().on_event(event)

    async def _dispatch_key_in_order(self, event: events.Key) -> None:
        if event.key in FOCUS_MOVES and self._screen_moves_focus(event.key):
            self.app_focus = True
            if await self._check_bindings(event.key, priority=True):
                return
            screen = self.screen
            try:
                screen._clear_tooltip()
            except Exception:  # noqa: BLE001 - no tooltip to clear
                pass
            if event.key == "tab":
                screen.focus_next()
            else:
                screen.focus_previous()
            return
        # A character typed into a field is inserted by the field itself, in queue order.
        # Every other key may act through a binding, and bindings run only once the key has
        # bubbled up to the App: End, Backspace, arrows too must take effect before the next key.
        typing = event.is_printable and isinstance(self.focused, Input)
        await super().on_event(event)
        if not typing:
            self._close_key_gate()

    def _screen_moves_focus(self, key: str) -> bool:
        """Would this key reach the screen's own focus binding (no widget takes it first)?"""
        screen = self.screen
        focused = screen.focused
        if focused is not None and focused.check_consume_key(key, None):
            return False
        key_method = f"key_{key.replace('+', '_')}"
        for node, bindings in screen._modal_binding_chain:
            for binding in bindings.key_to_bindings.get(key, ()):
                if not binding.priority:
                    action = binding.action.removeprefix("app.")
                    return node is screen and action == FOCUS_MOVES[key]
            if node is screen:
                return False
            if callable(getattr(node, key_method, None)):
                return False  # a widget with its own key_tab method
        return False

    # -- the gate ------------------------------------------------------------------

    def _close_key_gate(self) -> None:
        self._keys_gate_closed = True
        if self._settling is None:
            self._settling = asyncio.get_running_loop().create_task(self._settle_then_release())

    def _message_pumps(self) -> list[MessagePump]:
        try:
            screen = self.screen
        except Exception:  # noqa: BLE001 - no screen (closing down)
            return [self]
        return [self, *screen.walk_children(with_self=True)]

    def _pumps_quiet(self, pumps: list[MessagePump]) -> bool:
        if pumps != self._message_pumps():
            return False  # a screen came or went, or widgets were mounted: look again
        return all(pump._message_queue.empty() and pump._is_mounted for pump in pumps)

    def _screen_busy(self) -> bool:
        try:
            return bool(getattr(self.screen, "busy", False))
        except Exception:  # noqa: BLE001 - no screen (closing down)
            return False

    async def _settle_then_release(self) -> None:
        loop = asyncio.get_running_loop()
        cpu_deadline = time.thread_time() + SETTLE_SECONDS  # the loop's thread: it runs every handler
        wall_deadline = loop.time() + SETTLE_WALL_SECONDS
        busy_deadline = loop.time() + BUSY_SECONDS

        def settle_left() -> float:
            return min(cpu_deadline - time.thread_time(), wall_deadline - loop.time())

        try:
            quiet = 0
            while quiet < QUIET_ROUNDS and settle_left() > 0:
                pumps = self._message_pumps()
                await self._every_pump_caught_up(pumps, min(SETTLE_SECONDS, wall_deadline - loop.time()))
                quiet = quiet + 1 if self._pumps_quiet(pumps) else 0
                while self._screen_busy() and loop.time() < busy_deadline:
                    # The step is working (a check, a code, a password hash): what was typed
                    # after the Enter belongs to the screen that comes next.
                    await asyncio.sleep(BUSY_POLL_SECONDS)
                    quiet = 0
                    cpu_deadline = max(cpu_deadline, time.thread_time() + SETTLE_SECONDS)
                    wall_deadline = max(wall_deadline, loop.time() + SETTLE_WALL_SECONDS)
        finally:
            self._settling = None
            if not self.call_later(self._release_held_keys):
                self._keys_gate_closed = False

    async def _every_pump_caught_up(self, pumps: list[MessagePump], timeout: float) -> None:
        """Wait until each pump has handled every message it held when this was called."""
        remaining = 0
        caught_up = asyncio.Event()

        def one_more() -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                caught_up.set()

        for pump in pumps:
            if pump.call_later(one_more):
                remaining += 1
        if remaining:
            try:
                await asyncio.wait_for(caught_up.wait(), max(timeout, 0.001))
            except TimeoutError:
                pass
        else:
            await asyncio.sleep(0)

    async def _release_held_keys(self) -> None:
        self._keys_gate_closed = False
        while self._held_keys and not self._keys_gate_closed:
            await self._dispatch_key_in_order(self._held_keys.popleft())
