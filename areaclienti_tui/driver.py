"""Drive the running console: the one module the scenario runner, the gallery,
the Pilot tests and start-at-step (``--persona … --passo …``) move the app with.

A `Driver` works on a running `AreaClientiApp`, with or without a Textual
`Pilot`. Without one (start-at-step inside the real console) it fills fields by
setting their value, which the screen sees as typing (the same ``Changed``
messages), and presses buttons by posting ``Button.Pressed`` (`fill`, `press`,
`choose`, `tick`). With one it can also act as a person does, and only then:
real keys (`key`), a click on what is shown (`click`), typing into a field
(`type_keys`) and choosing in a menu or a list with the keys (`choose_option`).
Waiting is always on a condition (the step shown, a widget mounted, workers
done), never on a fixed sleep.

What a person could not do (a widget never shown, covered, a field that refuses
the text) is a `DriverError` in Italian; `expected` and `seen` give its two
halves to a caller that words the failure itself, as the scenario runner does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot
    from textual.widget import Widget

    from areaclienti_tui.services.context import Context

ROUNDS = 200  # settle rounds before giving up on workers that keep starting
TIMEOUT = 60.0  # seconds a screen may take to come
POLL_SECONDS = 0.05  # between two looks at a condition that does not hold yet
CLICK_TRIES = 3  # a click that lands on a notification dismisses it: tried again
AFTER_REPAINT_ROUNDS = 3  # repaints waited for, at most, by one settle (see _after_repaint)
# How often a Pilot looks whether the app has finished a key (quick_pilot). Each key
# waits for two such looks at least: at 2 ms they were a fifth of a Pilot test's time.
IDLE_POLL_SECONDS = 0.0005


def quick_pilot() -> None:
    """Let Textual's Pilot notice sooner that the app has handled a key.

    After each key `Pilot.press` waits twice until the process is idle, and it
    looks every 1/50 s: at least 40 ms per key whatever the app does, which is
    most of the time a scenario, the gallery or a Pilot test spends typing. Once
    called (it stays for the process), it looks every `IDLE_POLL_SECONDS`
    instead; "idle" means the same (less than 1 ms of CPU between two looks: a
    key still being handled keeps the loop busy longer than a look), so the keys
    are still handled one by one. Textual is pinned (pyproject.toml):
    the value lives in `textual._wait`.
    """
    import textual._wait

    textual._wait.SLEEP_GRANULARITY = IDLE_POLL_SECONDS


class DriverError(Exception):
    """What the driver waited for did not come, or a control could not be used.

    The message is in Italian; when the driver knows them, `expected` and `seen`
    are its two halves (the message is then ``atteso …, visto …``).
    """

    def __init__(self, message: str = "", *, expected: str = "", seen: str = "") -> None:
        super().__init__(message or f"atteso {expected}, visto {seen}")
        self.expected = expected
        self.seen = seen


# -- what the screen shows -------------------------------------------------------------


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plain(value: object) -> str:
    """A label, a prompt or a rendered text as plain text."""
    text = getattr(value, "plain", None)
    if isinstance(text, str):
        return text
    return "" if value is None else str(value)


def normal(text: str) -> str:
    """For comparing what a person reads: spaces collapsed, case ignored."""
    return " ".join(text.split()).casefold()


def is_shown(widget: Any, screen: Any) -> bool:  # noqa: ANN401
    """Displayed with all its ancestors, and visible (visibility is inherited unless
    a widget sets its own, as notifications do inside their hidden rack)."""
    if not widget.visible:
        return False
    node = widget
    while node is not None and node is not screen:
        if not node.display:
            return False
        node = node.parent
    return True


def visible_screens(app: Any) -> list[Any]:  # noqa: ANN401
    """The top screen and, when it is a modal, the screens it is drawn over."""
    stack = list(app.screen_stack)
    for index in range(len(stack) - 1, -1, -1):
        if not stack[index].is_modal:
            return stack[index:]
    return stack


def _widget_text(widget: Any) -> list[str]:  # noqa: ANN401
    from textual.widgets import Button, DataTable, Input, OptionList, Static

    if isinstance(widget, Input):
        return [] if widget.password else [widget.value]
    if isinstance(widget, Button):
        return [plain(widget.label)]
    if isinstance(widget, DataTable):
        texts = [plain(column.label) for column in widget.columns.values()]
        for row_key in widget.rows:
            texts.extend(plain(cell) for cell in widget.get_row(row_key))
        return texts
    if isinstance(widget, OptionList):
        return [plain(option.prompt) for option in widget.options]
    if isinstance(widget, Static):
        return [plain(widget.render())]
    return []


def visible_text(app: Any) -> str:  # noqa: ANN401
    """Everything the customer can read on the current screen (modals included),
    as plain text: texts, labels, buttons, Markdown, table cells, list options,
    field values (not passwords) and notifications. The outbox pane is left out:
    its messages are read from the outbox itself."""
    from areaclienti_tui.widgets.outbox_pane import OutboxPane

    parts: list[str] = []
    for screen in visible_screens(app):
        for widget in screen.walk_children(with_self=False):
            if any(isinstance(node, OutboxPane) for node in widget.ancestors_with_self):
                continue
            if not is_shown(widget, screen):
                continue
            parts.extend(text for text in _widget_text(widget) if text)
    return "\n".join(parts)


def visible_errors(app: Any) -> dict[str, str]:  # noqa: ANN401
    """The field errors shown by the topmost journey screen, by field id."""
    for screen in reversed(app.screen_stack):
        errors = getattr(screen, "errors", None)
        if callable(errors):
            try:
                return dict(errors())
            except Exception:  # noqa: BLE001 - a screen being torn down
                return {}
    return {}


def _match(labels: Sequence[str], wanted: str, *, values: Sequence[str] = (), substring: bool = False) -> int:
    """Index of the label (or value) equal to `wanted`, ignoring case; else the only one that
    starts with it (or contains it, with `substring`); -1 when none, -2 when several."""
    key = normal(wanted)
    for index, label in enumerate(labels):
        if normal(label) == key or (index < len(values) and normal(values[index]) == key):
            return index
    near = [i for i, label in enumerate(labels)
            if (key in normal(label) if substring else normal(label).startswith(key))]
    if len(near) == 1:
        return near[0]
    return -2 if near else -1


def _no_match(selector: str, wanted: str, labels: Sequence[str], found: int) -> DriverError:
    listed = ", ".join(quote(label) for label in labels) or "nessuna"
    what = "più opzioni" if found == -2 else "nessuna opzione"
    return DriverError(
        expected=f"l'opzione {quote(wanted)} in {selector}", seen=f"{what} corrispondenti (opzioni: {listed})"
    )


class Driver:
    """The running console, driven as a person would, without typing delays.

    With a Pilot, `repaint` lets the screen lay out and paint again whenever the
    driver settles or waits, as the running console does on its own timer; without
    it (the gallery's pictures were made so) only the messages sent are handled.
    """

    def __init__(
        self, app: App[Any], pilot: Pilot[Any] | None = None, *, timeout: float = TIMEOUT, repaint: bool = True
    ) -> None:
        self.app: Any = app
        self.pilot = pilot
        self.timeout = timeout
        self.repaint = repaint

    @property
    def ctx(self) -> Context:
        return self.app.ctx

    @property
    def step(self) -> str | None:
        return self.app.current_step

    @property
    def step_code(self) -> str:
        return self.step or "nessun passo"

    def at(self) -> str:
        """Where the console is, for a message: ``al passo 3A``."""
        return f"al passo {self.step_code}"

    def _need_pilot(self, what: str) -> Pilot[Any]:
        if self.pilot is None:
            raise DriverError(f"{what}: si può fare solo con un Pilot")
        return self.pilot

    # -- waiting -------------------------------------------------------------------------

    def _busy(self) -> list[Any]:
        """The app's workers still to finish, except the one this driver runs in."""
        from textual.worker import WorkerState, get_current_worker

        try:
            own = get_current_worker()
        except Exception:  # noqa: BLE001 - not inside a worker
            own = None
        return [w for w in self.app.workers if w is not own and w.state in (WorkerState.PENDING, WorkerState.RUNNING)]

    async def _wait_for_screen(self) -> None:
        """Until the app and every widget of the screen have handled what they were sent."""
        if self.pilot is not None:
            if self.repaint:
                await self.pilot.pause()  # and the screen laid out again: regions are current
            else:
                await self.pilot._wait_for_screen()
            await self._after_repaint()
            return
        try:
            screen = self.app.screen
        except Exception:  # noqa: BLE001 - no screen yet
            return
        pending = 0
        done = asyncio.Event()

        def one_less() -> None:
            nonlocal pending
            pending -= 1
            if pending == 0:
                done.set()

        for node in [self.app, *screen.walk_children(with_self=True)]:
            if node.call_later(one_less):
                pending += 1
        if pending:
            try:
                await asyncio.wait_for(done.wait(), self.timeout)
            except TimeoutError:
                pass

    async def _after_repaint(self) -> None:
        """Until animations have ended and what waits for the screen's next repaint has run (Textual's
        `call_after_refresh`: the scroll that brings a newly focused widget into
        view, a layout's follow-up), as a person sees it a frame later; a few
        repaints at most, for what keeps asking for the next one."""
        try:
            screen = self.app.screen
        except Exception:  # noqa: BLE001 - no screen yet
            return
        try:  # a scroll (to a focused widget, to a result) animates: its end is where it goes
            await asyncio.wait_for(self.app.animator.wait_until_complete(), self.timeout)
        except TimeoutError:
            pass
        for _ in range(AFTER_REPAINT_ROUNDS):
            if not getattr(screen, "_callbacks", None):
                return
            try:
                await asyncio.wait_for(screen.wait_for_refresh(), self.timeout)
            except TimeoutError:
                return

    async def _pause(self, seconds: float) -> None:
        if self.pilot is not None and self.repaint:
            await self.pilot.pause(seconds)
        else:
            await asyncio.sleep(seconds)

    async def settle(self) -> None:
        """Let workers finish (and the ones their results start), then every widget of the
        screen handle what it was sent; workers get at most the driver's timeout.

        A cancelled worker (a reload replaced by a newer one) is not a failure; a
        failed one reaches the app's own handler, which shows 6B.
        """
        from textual.worker import WorkerCancelled, WorkerFailed

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        for _ in range(ROUNDS):
            busy = self._busy()
            if busy:
                try:
                    async with asyncio.timeout(max(0.1, deadline - loop.time())):
                        for worker in busy:
                            try:
                                await worker.wait()
                            except (WorkerCancelled, WorkerFailed):
                                pass
                except TimeoutError:
                    pass
            await self._wait_for_screen()
            if self.pilot is None or not self.repaint:
                await asyncio.sleep(0)
            if not self._busy() or loop.time() >= deadline:
                return

    async def eventually(self, condition: Callable[[], Any], timeout: float | None = None) -> bool:
        """True as soon as `condition()` holds; False when the timeout (the driver's unless
        given) has run out, after at least three tries. A condition that looks for a widget
        not there yet (a step that has come but is still putting its fields on the screen)
        does not hold yet."""
        from textual.css.query import NoMatches

        def holds() -> bool:
            try:
                return bool(condition())
            except NoMatches:
                return False

        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeout if timeout is None else timeout)
        tries = 0
        while True:
            if holds():
                return True
            tries += 1
            if tries > 3 and loop.time() >= deadline:
                return False
            await self.settle()
            if holds():
                return True
            await self._pause(POLL_SECONDS)

    async def until(self, condition: Callable[[], Any], what: str) -> None:
        """Wait until `condition()` holds; DriverError naming `what` after the timeout."""
        if await self.eventually(condition):
            return
        errors = self.errors()
        shown = f", errori: {'; '.join(f'{k}: {v}' for k, v in errors.items())}" if errors else ""
        raise DriverError(f"attesa di {what}: non arriva (passo {self.step}, schermata {self.app.screen!r}{shown})")

    async def on_step(self, step: str) -> None:
        await self.until(lambda: self.step == step and self.app.screen.is_mounted, f"passo {step}")
        await self.settle()

    async def on_screen(self, kind: type) -> None:
        await self.until(lambda: isinstance(self.app.screen, kind) and self.app.screen.is_mounted, kind.__name__)
        await self.settle()

    # -- reading -------------------------------------------------------------------------

    def query(self, selector: str, kind: type | None = None) -> Any:  # noqa: ANN401
        return self.app.screen.query_one(selector, kind) if kind else self.app.screen.query_one(selector)

    def has(self, selector: str) -> bool:
        return bool(self.app.screen.query(selector))

    def errors(self) -> dict[str, str]:
        """The field errors shown (by the topmost screen that has fields), by field id."""
        return visible_errors(self.app)

    def error(self, field_id: str) -> str | None:
        return self.errors().get(field_id)

    def code(self, to: str | None = None) -> str:
        """The newest one-time code in the outbox (to that recipient, if given)."""
        from areaclienti_tui.services import outbox

        found = outbox.newest_code(self.ctx, to)
        if not found:
            raise DriverError(f"nessun codice inviato a {to or 'nessuno'}")
        return found

    def _first(self, selector: str) -> Any:  # noqa: ANN401
        found = self.app.screen.query(selector)
        return found.first() if found else None

    async def find(self, selector: str, *, enabled: bool = True) -> Any:  # noqa: ANN401
        """The widget, once it is on the current screen, shown and (if asked) enabled."""

        def ready() -> bool:
            widget = self._first(selector)
            return widget is not None and is_shown(widget, self.app.screen) and not (enabled and widget.is_disabled)

        if await self.eventually(ready):
            return self._first(selector)
        widget = self._first(selector)
        if widget is None:
            raise DriverError(expected=f"{selector} sullo schermo", seen=f"nessun {selector} {self.at()}")
        if not is_shown(widget, self.app.screen):
            raise DriverError(expected=f"{selector} visibile", seen=f"{selector} nascosto {self.at()}")
        raise DriverError(expected=f"{selector} attivo", seen=f"{selector} disattivato {self.at()}")

    # -- acting, with or without a Pilot -------------------------------------------------

    async def press(self, button_id: str) -> None:
        """Press a button as Enter on it would (it must be shown and enabled)."""
        from textual.widgets import Button

        button = self.query(f"#{button_id}", Button)
        if button.disabled or not button.display:
            raise DriverError(f"il pulsante #{button_id} non si può premere")
        button.post_message(Button.Pressed(button))
        await self.settle()

    async def fill(self, widget_id: str, text: str, *, focus: bool = True) -> None:
        """Write `text` in an Input, as typed: focus first, then the value, cursor at the end."""
        from textual.widgets import Input

        control = self.query(f"#{widget_id}", Input)
        if focus and self.app.focused is not control:
            control.focus()
            await self.settle()  # the focus first: on focus an Input selects what it holds
        control.value = text
        control.cursor_position = len(text)
        await self.settle()

    async def choose(self, widget_id: str, value: str) -> None:
        """Pick the option with this value in a Select."""
        from textual.widgets import Select

        self.query(f"#{widget_id}", Select).value = value
        await self.settle()

    async def tick(self, widget_id: str, value: bool = True) -> None:
        self.query(f"#{widget_id}").value = value  # a Checkbox or a RadioButton
        await self.settle()

    async def focus(self, widget: Widget, what: str) -> None:
        """Give the widget the focus and wait until it has it (`what` names it in the error)."""
        widget.focus()
        if not await self.eventually(lambda: self.app.focused is widget):
            raise DriverError(expected=f"il cursore su {what}", seen=f"il cursore altrove {self.at()}")

    # -- acting as a person, with a Pilot only ---------------------------------------------

    async def key(self, *keys: str) -> None:
        """Real key presses (needs a Pilot)."""
        pilot = self._need_pilot("premere i tasti")
        await pilot.press(*keys)
        await self.settle()

    async def click(self, target: str | Widget, what: str | None = None) -> None:
        """Click a widget as a person would (needs a Pilot).

        A selector is first waited for (`find`: shown and enabled). The widget is
        scrolled into view, then clicked; DriverError when it has no place on the
        screen, or when the click lands on another widget three times (a click on a
        notification dismisses it, so the next one may reach the widget).
        """
        from textual.pilot import OutOfBounds
        from textual.widgets import Button

        pilot = self._need_pilot("un clic")
        if isinstance(target, str):
            widget = await self.find(target)
            what = what or target
        else:
            widget = target
            what = what or (f"#{widget.id}" if widget.id else type(widget).__name__)
        if isinstance(widget, Button) and widget.has_class("-active"):
            # Just pressed: for a moment (Textual's press effect) a button takes no clicks,
            # as a second click of a person that fast would not be one either.
            await self.eventually(lambda: not widget.has_class("-active"))
        for _ in range(CLICK_TRIES):
            if not self.repaint:
                await pilot.pause()  # the widget's place as the screen is drawn now
            screen = self.app.screen
            viewport = screen.query_one("#journey").region if screen.query("#journey") else screen.region
            if not viewport.contains_region(widget.region):
                widget.scroll_visible(animate=False, immediate=True)
                await pilot.pause()
            region = widget.region
            if not region.area:
                raise DriverError(expected=f"un clic su {what}", seen=f"{what} fuori dallo schermo {self.at()}")
            try:
                under, _ = screen.get_widget_at(region.x, region.y)
            except Exception:  # noqa: BLE001 - nothing there
                under = None
            try:
                hit = await pilot.click(widget)
            except OutOfBounds:
                hit = False
            # Landing on a part of the widget (a child) is a click on it too.
            hit = hit or (under is not None and widget in under.ancestors)
            await self.settle()
            if hit:
                return
        raise DriverError(expected=f"un clic su {what}", seen=f"{what} coperto da un altro elemento {self.at()}")

    async def type_keys(self, selector: str, text: str) -> None:
        """Type `text` into the Input as a person would (needs a Pilot): click it, wait
        for the focus, delete what it holds with the keys, type key by key. A field
        that formats as one types (the date: 14031975 → 14/03/1975) must then show
        what it says it shows; DriverError otherwise."""
        from textual.widgets import Input

        pilot = self._need_pilot("scrivere in un campo")
        widget = await self.find(selector)
        if not isinstance(widget, Input):
            raise DriverError(
                expected=f"un campo di testo {selector}", seen=f"un {type(widget).__name__} (per le scelte usa choose)"
            )
        await self.click(widget, selector)
        await self.focus(widget, selector)
        if widget.value:
            await pilot.press("home", "ctrl+k")  # the Input's own "delete all to the right"
        if text:
            await pilot.press(*text)
        await self.settle()
        shown_after_typing = getattr(widget, "shown_after_typing", None)
        expected = shown_after_typing(text) if shown_after_typing else text
        if widget.value != expected:
            raise DriverError(
                expected=f"{selector} con {quote(text)}",
                seen=f"{quote(widget.value)} (il campo non accetta quel testo)",
            )

    async def choose_option(self, selector: str, wanted: str) -> None:
        """Choose with the keys (needs a Pilot) in a Select (open, move, Enter), a RadioSet
        (a click on the button) or an OptionList (the option highlighted). `wanted` is a
        label or a value, ignoring case, or the start of only one label (a part of it, in
        an OptionList)."""
        from textual.widgets import OptionList, RadioSet, Select

        self._need_pilot("scegliere un'opzione")
        widget = await self.find(selector)
        if isinstance(widget, Select):
            await self._choose_select(widget, selector, wanted)
        elif isinstance(widget, RadioSet):
            await self._choose_radio(widget, selector, wanted)
        elif isinstance(widget, OptionList):
            await self._choose_in_list(widget, selector, wanted)
        else:
            raise DriverError(
                expected=f"una scelta (Select, RadioSet, OptionList) {selector}", seen=f"un {type(widget).__name__}"
            )

    async def _move_highlight(self, option_list: Any, index: int) -> bool:  # noqa: ANN401
        pilot = self._need_pilot("scegliere un'opzione")
        for _ in range(option_list.option_count * 2 + 2):
            if option_list.highlighted == index:
                return True
            key = "down" if option_list.highlighted is None or option_list.highlighted < index else "up"
            await pilot.press(key)
        return option_list.highlighted == index

    async def _choose_select(self, select: Any, selector: str, wanted: str) -> None:  # noqa: ANN401
        from textual.widgets._select import SelectOverlay

        pilot = self._need_pilot("scegliere un'opzione")
        options = [(prompt, value) for prompt, value in select._options if value is not select.NULL]
        labels = [plain(prompt) for prompt, _value in options]
        index = _match(labels, wanted, values=[str(value) for _prompt, value in options])
        if index < 0:
            raise _no_match(selector, wanted, labels, index)
        value = options[index][1]
        overlay_index = next(i for i, (_p, v) in enumerate(select._options) if v == value)
        await self.focus(select, selector)
        await pilot.press("enter")
        if not await self.eventually(lambda: select.expanded):
            raise DriverError(expected=f"il menu di {selector} aperto", seen=f"il menu chiuso {self.at()}")
        overlay = select.query_one(SelectOverlay)
        if not await self._move_highlight(overlay, overlay_index):
            raise DriverError(expected=f"{quote(labels[index])} evidenziato in {selector}", seen="un'altra opzione")
        await pilot.press("enter")
        await self.settle()
        if select.value != value:
            raise DriverError(expected=f"{selector} = {quote(labels[index])}", seen=quote(plain(select.value)))

    async def _choose_radio(self, radio_set: Any, selector: str, wanted: str) -> None:  # noqa: ANN401
        from textual.widgets import RadioButton

        buttons = list(radio_set.query(RadioButton))
        labels = [plain(button.label) for button in buttons]
        index = _match(labels, wanted, values=[button.id or "" for button in buttons])
        if index < 0:
            raise _no_match(selector, wanted, labels, index)
        button = buttons[index]
        if not button.value:
            await self.click(button, f"{selector} {quote(labels[index])}")
        if not await self.eventually(lambda: button.value):
            raise DriverError(
                expected=f"{quote(labels[index])} scelto in {selector}", seen="il pulsante non selezionato"
            )

    async def _choose_in_list(self, option_list: Any, selector: str, wanted: str) -> None:  # noqa: ANN401
        labels = [plain(option.prompt) for option in option_list.options]
        index = _match(labels, wanted, substring=True)
        if index < 0:
            raise _no_match(selector, wanted, labels, index)
        if option_list.get_option_at_index(index).disabled:
            raise DriverError(expected=f"l'opzione {quote(labels[index])} utilizzabile", seen="un'opzione disattivata")
        await self.focus(option_list, selector)
        if not await self._move_highlight(option_list, index):
            raise DriverError(expected=f"{quote(labels[index])} evidenziato in {selector}", seen="un'altra opzione")
        await self.settle()
