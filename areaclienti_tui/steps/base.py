"""The frame every journey step shares: header with the step code, the step's
form beside the outbox pane, the footer; form memory, field errors, busy state.

A step never chooses the screen that follows it: it announces an outcome with
``self.app.advance(self, "continua", **payload)`` and the journey map
(`areaclienti_tui.journey_map`) says where that leads. Steps never import the app
either: `ConsoleApp` says what they use of it.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import (
    Button, Checkbox, DataTable, Input, LoadingIndicator, OptionList, Select, Static, TabbedContent, TabPane,
    Tabs,
)
from textual.worker import Worker, WorkerState

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.username import Username, parse_username
from areaclienti_tui.breakpoints import breakpoint_classes, take_breakpoint_classes
from areaclienti_tui.widgets.actions import Actions
from areaclienti_tui.widgets.field import Field, error_id
from areaclienti_tui.widgets.footer import StepFooter
from areaclienti_tui.widgets.header import StepHeader
from areaclienti_tui.widgets.literal import Plain
from areaclienti_tui.widgets.outbox_pane import OutboxPane

if TYPE_CHECKING:
    from datetime import date

    from textual.worker import Worker as _Worker

    from areaclienti_tui.clock import Clock
    from areaclienti_tui.journey import Journey
    from areaclienti_tui.journey_map import Transition
    from areaclienti_tui.services.auth import CustomerLogin
    from areaclienti_tui.services.context import Context
    from areaclienti_tui.settings import Settings

log = logging.getLogger(__name__)

SEX_OPTIONS = [("Maschio", "M"), ("Femmina", "F")]  # 3A, the assistance form, the operator's tools

_start_up_frozen = False


def collect_between_steps(covered: Iterable[Widget] = ()) -> None:
    """The garbage collector's full pass, out of the way of step changes (issue 12); called
    once a new step has been drawn, with the steps under it (`covered`, hidden by it).

    Each step change makes some twenty thousand objects, enough for Python to start a full
    pass every step or two, in the middle of the next change: over the ~130 000 objects of
    start-up that pass held the event loop 40–80 ms, the longest stall of a step change.

    - The first time (the first step on screen: start-up is over), what start-up built
      (modules, Textual, SQLAlchemy's tables, the app and its stylesheet, 1A) is left out
      of every later pass (`gc.freeze`): it lives as long as the process anyway.
    - Later, when a full pass is at least half-way due (Python counts the younger passes
      since the last full one), it runs now, right after the step is drawn, instead of
      inside the next change. Its cost is that of the objects made since start-up, a
      third of them the lines the covered steps drew last (each line is ten objects):
      those are let go first, and drawn again if the person goes back (Esc) to a step.
    """
    global _start_up_frozen
    if not _start_up_frozen:
        _start_up_frozen = True
        gc.freeze()
        return
    if gc.isenabled() and gc.get_count()[2] * 2 >= gc.get_threshold()[2]:
        for step in covered:
            for widget in step.walk_children(Widget, with_self=True):
                widget._styles_cache.clear()  # drawn again when shown (StylesCache.render)
        gc.collect()


def forget_closed_widgets_styles() -> None:
    """Let the drawn lines of closed steps go (called as a step closes).

    Textual 8 caches `StylesCache.get_inner_outer` with an ``lru_cache`` on the method, so
    its 1024 entries keep the style caches of 1024 widgets alive, with every line they drew,
    long after the widgets are gone (Textualize/textual#6665): some 15 000 objects per
    journey, up to the cache's size, that each full pass of the garbage collector walks
    again. Emptying it costs a few style computations on the next frame."""
    from textual._styles_cache import StylesCache

    clear = getattr(getattr(StylesCache, "get_inner_outer", None), "cache_clear", None)
    if clear is not None:
        clear()


class ConsoleApp(Protocol):
    """What the steps use of the console (AreaClientiApp provides it): steps never import the app."""

    ctx: Context
    journey: Journey
    pec_domains: frozenset[str]
    device: str
    operator: str | None  # the signed-in operator (operator area)
    show_outbox: bool
    crossed: list[Transition]  # every journey-map transition taken, in order

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    def today(self) -> date: ...

    # -- moving on: the journey map says where an outcome leads
    def advance(self, source: Screen | str, outcome: str, /, **payload: Any) -> Transition: ...

    def go_back(self) -> None: ...

    def restart(self, then: Screen | None = None) -> None: ...

    def start_registration(self) -> None: ...

    def start_at(self, persona: str, passo: str) -> bool: ...

    def finish_login(self, login: CustomerLogin, *, method: str = "password", trust: bool = False,
                     source: Screen | str = "8A") -> None: ...

    def back_to_products(self, source: Screen | str, outcome: str) -> None: ...

    def logout(self, source: Screen | str = "8A-prodotti") -> None: ...

    def report_unexpected(self, error: BaseException | None) -> None: ...

    # -- Textual's App, as the steps use it
    @property
    def screen(self) -> Screen: ...

    @property
    def screen_stack(self) -> list[Screen]: ...

    def push_screen(self, screen: Screen, callback: Callable[[Any], Any] | None = None) -> Any: ...

    def pop_screen(self) -> Any: ...

    def switch_screen(self, screen: Screen) -> Any: ...

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None: ...

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> _Worker[Any]: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def exit(self, *args: Any, **kwargs: Any) -> None: ...


def expected_errors() -> tuple[type[Exception], ...]:
    """Errors that are answers for the customer, not faults of the program."""
    from areaclienti_tui.rules.errors import RuleError
    from areaclienti_tui.services.auth import LoginError
    from areaclienti_tui.services.codes import CodeError
    from areaclienti_tui.services.registration import AlreadyRegistered
    from areaclienti_tui.services.security import NoMobile, UsernameUnavailable

    return (RuleError, LoginError, CodeError, AlreadyRegistered, NoMobile, UsernameUnavailable)


@dataclass(frozen=True)
class Refusal:
    """A worker's job ended with an answer for the customer (wrong code, locked account…)."""

    error: Exception


class StepScreen(Screen):
    """One step of the guide. Subclasses set STEP and HEADING and write compose_step()."""

    STEP: ClassVar[str] = ""
    HEADING: ClassVar[str] = ""
    INTRO: ClassVar[str] = ""
    BADGE: ClassVar[str | None] = None
    # A success page (account created, request sent): Esc neither goes back (it would redo
    # what is done) nor forward (the operator presses the button); it is not in the footer.
    DONE: ClassVar[bool] = False
    # A page to read whose actions are keys (the operator's request detail): the scrolling
    # frame it focuses is deliberate, focus_where_the_operator_acts leaves it there.
    READ_FIRST: ClassVar[bool] = False

    BINDINGS = [Binding("escape", "back", "Indietro", tooltip="Torna al passo precedente")]

    # No focus handed out by Textual as the screen composes: it would go to the journey's
    # scrolling frame (the first focusable widget) and restyle it with everything inside,
    # then again when the step focuses its field. focus_where_the_operator_acts decides.
    AUTO_FOCUS = ""

    def __init__(self) -> None:
        super().__init__()
        self._step_jobs: dict[Worker, tuple[Callable[[Any], None], Callable[[Exception], None] | None]] = {}
        self._shown_before = False
        take_breakpoint_classes(self)  # the app's width classes from the start (areaclienti_tui/breakpoints.py)

    @property
    def app(self) -> ConsoleApp:  # type: ignore[override]
        return super().app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StepHeader()
        with Horizontal(id="layout"):
            with VerticalScroll(id="journey"):
                yield Static(self.BADGE or f"Passo {self.STEP}", id="passo", classes="step-badge")
                yield Static(self.HEADING, id="titolo", classes="step-title")
                if self.INTRO:
                    yield Static(self.INTRO, id="intro", classes="step-intro")
                yield from self.compose_step()
                with Horizontal(id="attesa"):
                    yield Static("Attendere…", id="attesa-testo")
            yield OutboxPane(id="outbox-pane")
        yield StepFooter()

    def compose_step(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        badge = self.BADGE or f"Passo {self.STEP}"
        # A badge may already name the screen ("Passo 8A · I tuoi prodotti"): the title says it once.
        self.sub_title = badge if self.HEADING in badge else f"{badge} · {self.HEADING}"
        self.query_one(OutboxPane).display = self.app.show_outbox

    def on_unmount(self) -> None:
        forget_closed_widgets_styles()

    @on(events.Resize)
    def _laid_out_already(self, event: events.Resize) -> None:
        """The Resize a step's first layout sends to the step itself: Textual would lay the
        whole step out again at the size it was just laid out at (issue 12). Then only the
        width classes are checked; a real resize of the terminal goes through as always."""
        if event.size == self._compositor.size:
            self.update_classes(breakpoint_classes(self, event.size), animate=False)
            event.prevent_default()

    # -- focus on arrival (issue 8) ------------------------------------------

    @on(events.ScreenResume)
    def _screen_shown(self, event: events.ScreenResume) -> None:
        if not self._shown_before:
            # Shown for the first time, just composed: every widget was styled as it was
            # mounted, with the screen's classes already set (take_breakpoint_classes).
            # Textual's own handler, which runs after this one, would restyle the whole
            # step again (issue 12); it still does when the step shows again after Esc.
            self._shown_before = True
            event.refresh_styles = False
            self.call_after_refresh(self._between_steps)
        # After the screen's own on_mount/resumed code and a first layout: a screen that
        # focuses something deliberately keeps it.
        self.call_after_refresh(self.focus_where_the_operator_acts)

    def _between_steps(self) -> None:
        covered = [screen for screen in self.app.screen_stack if isinstance(screen, StepScreen) and screen is not self]
        collect_between_steps(covered if self.is_current else ())

    def focus_where_the_operator_acts(self) -> None:
        """Unless a control already has the focus: the first empty field, else the primary
        button, else the first control (never the scrolling frame nor the messages pane)."""
        if not self.is_current or self.busy:
            return
        focused = self.focused
        if focused is not None and not focused.disabled and (
            self.READ_FIRST or not _is_frame(focused) or any(isinstance(node, OutboxPane) for node in focused.ancestors)
        ):
            return  # a control, the messages the operator opened, or a page to read
        target = _first_empty_field(self) or _primary_button(self) or _first_control(self)
        if target is None and focused is None and self.focus_chain:
            target = self.focus_chain[0]  # no control at all: where Textual's own first focus went
        if target is not None:
            target.focus()

    _clicked_last = False  # the last input that reached this screen was the mouse, not a key

    @on(events.MouseDown)
    def _mouse_used(self) -> None:
        self._clicked_last = True

    @on(events.Key)
    def _key_used(self) -> None:
        self._clicked_last = False

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        focused = self.focused
        if focused is not None and _in_other_pane(focused, event.tabbed_content, event.pane):
            # The focus is in the tab just hidden: move it now, before the hidden field's own
            # Hide event would hand it to a neighbour and bring its tab back.
            self._focus_in_tab(event.tabbed_content, event.pane)
        self.call_after_refresh(self._focus_in_tab, event.tabbed_content, event.pane)

    def _focus_in_tab(self, tabs: TabbedContent, pane: Widget) -> None:
        """A tab opened by a click leaves the focus on the tab labels: move it into the tab
        (arrows on the labels, from the keyboard, keep it there to go on to the next tab).

        By the time the screen has refreshed another tab may have been chosen: focusing into
        this one then would bring it back, so it is left alone."""
        focused = self.focused
        if tabs.active_pane is not pane:
            return
        if not self.is_current or (focused is not None and pane in focused.ancestors):
            return
        if isinstance(focused, Tabs) and not self._clicked_last:
            return
        if (focused is not None and not isinstance(focused, Tabs) and not _is_frame(focused)
                and not _in_other_pane(focused, tabs, pane)):
            return
        target = _first_empty_field(self, pane) or _primary_button(self, pane) or _first_control(self, pane)
        if target is not None:
            target.focus()

    # -- form memory -------------------------------------------------------

    def recall(self, widget_id: str, default: Any = "") -> Any:
        return self.app.journey.recall(self.STEP, widget_id, default)

    def remember(self, widget_id: str, value: object) -> None:
        self.app.journey.remember(self.STEP, widget_id, value)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self.remember(event.input.id, event.value)
            self.clear_error(event.input.id)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id:
            self.remember(event.select.id, event.value)
            self.clear_error(event.select.id)

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id:
            self.remember(event.checkbox.id, event.value)
            self.clear_error(event.checkbox.id)

    def value_of(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def read_username(self, widget_id: str = "username") -> Username | None:
        """The email or mobile typed as username, or None after showing why it can't be one."""
        try:
            return parse_username(self.value_of(widget_id), self.app.pec_domains)
        except RuleError as error:
            self.show_error(widget_id, error.message)
            return None

    # -- errors ------------------------------------------------------------

    def _field(self, widget_id: str) -> Field | None:
        results = self.query(f"#campo-{widget_id}")
        return results.first(Field) if results else None

    def show_error(self, widget_id: str, message: str, *, focus: bool = True) -> None:
        field = self._field(widget_id)
        if field is not None:
            field.set_error(message)
        else:
            target = self.query_one(f"#{error_id(widget_id)}", Static)
            target.update(message)
            target.display = True
        if focus:
            self.query_one(f"#{widget_id}").focus()

    def clear_error(self, widget_id: str) -> None:
        field = self._field(widget_id)
        if field is not None:
            field.set_error(None)

    def clear_errors(self) -> None:
        for field in self.query(Field):
            field.set_error(None)
        for line in self.query(".form-error"):
            line.display = False

    def errors(self) -> dict[str, str]:
        """Visible error messages by the id of their field."""
        found: dict[str, str] = {}
        for field in self.query(Field):
            if field.error and field.control.id:
                found[field.control.id] = field.error
        for line in self.query(".form-error"):
            if line.display and line.id:
                found[line.id.removesuffix("-errore")] = str(line.render())
        return found

    # -- busy state and workers -------------------------------------------

    def set_busy(self, busy: bool, label: str = "Attendere…") -> None:
        self.query_one("#attesa-testo", Static).update(label)
        waiting = self.query_one("#attesa")
        # Only the waiting line looks at the screen's "-busy" class (app.tcss): it alone is
        # restyled, not the whole step twice per check (issue 12).
        self.set_class(busy, "-busy", update=False)
        # The spinner animates all the time it exists, so it lives only while busy.
        if busy:
            waiting.mount(LoadingIndicator(), before=0)
        else:
            self.query("#attesa LoadingIndicator").remove()
        waiting.update_node_styles()
        for button in self.query(Button):
            button.disabled = busy
        if not busy:  # a disabled button loses the focus: give it back to where the operator acts
            self.call_after_refresh(self.focus_where_the_operator_acts)

    @property
    def busy(self) -> bool:
        return self.has_class("-busy")

    def run_busy(
        self,
        job: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
        *,
        label: str = "Attendere…",
    ) -> Worker | None:
        """Run blocking work in a thread, showing the busy state; `done` gets its result."""
        if self.busy:
            return None
        self.set_busy(True, label)
        refusals = expected_errors()

        def guarded() -> Any:
            try:
                return job()
            except refusals as error:
                return Refusal(error)

        worker = self.run_worker(guarded, thread=True, exclusive=True, exit_on_error=False, group="passo")
        self._step_jobs[worker] = (done, failed)
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        callbacks = self._step_jobs.get(event.worker)
        if callbacks is None or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        del self._step_jobs[event.worker]
        self.set_busy(False)
        done, failed = callbacks
        result = event.worker.result
        if event.state == WorkerState.ERROR:
            self.app.report_unexpected(event.worker.error)
        elif isinstance(result, Refusal):
            if failed is not None:
                failed(result.error)
            else:
                self.app.report_unexpected(result.error)
        elif event.state == WorkerState.SUCCESS:
            done(result)

    # -- navigation ----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and self.DONE:
            return False
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if not self.busy:
            self.app.go_back()

    @on(Button.Pressed, "#indietro")
    def _back_pressed(self) -> None:
        self.action_back()


def _in_other_pane(widget: Widget, tabs: TabbedContent, pane: Widget) -> bool:
    """Is the widget inside one of `tabs`' panes other than `pane` (a tab no longer shown)?"""
    for ancestor in widget.ancestors:
        if ancestor is pane:
            return False
        if isinstance(ancestor, TabPane) and ancestor.parent is not None and ancestor.parent.parent is tabs:
            return True
    return False


def _is_frame(widget: Widget) -> bool:
    """A scrolling container (the journey's frame), not a control that scrolls (Input, DataTable…)."""
    return isinstance(widget, ScrollableContainer) and not isinstance(widget, ScrollView)


def _controls(screen: Screen, within: Widget | None = None) -> list[Widget]:
    """The screen's focusable controls in Tab order (those inside `within` if given), without
    scrolling frames and the messages pane."""
    panes = list(screen.query(OutboxPane))
    return [
        widget for widget in screen.focus_chain
        if not _is_frame(widget) and not any(pane in widget.ancestors_with_self for pane in panes)
        and (within is None or within in widget.ancestors)
    ]


def _first_empty_field(screen: Screen, within: Widget | None = None) -> Widget | None:
    for widget in _controls(screen, within):
        if isinstance(widget, Input) and not widget.value:
            return widget
        if isinstance(widget, Select) and widget.is_blank():
            return widget
    return None


def _primary_button(screen: Screen, within: Widget | None = None) -> Widget | None:
    for widget in _controls(screen, within):
        if isinstance(widget, Button) and widget.variant == "primary":
            return widget
    return None


def _first_control(screen: Screen, within: Widget | None = None) -> Widget | None:
    """A list or table first (where Enter opens something), else a button that does no harm."""
    controls = _controls(screen, within)
    for kinds in ((DataTable, OptionList), (Input, Select, Checkbox)):
        for widget in controls:
            if isinstance(widget, kinds):
                return widget
    for widget in controls:
        if not (isinstance(widget, Button) and widget.variant == "error") and not isinstance(widget, Tabs):
            return widget
    return controls[0] if controls else None


def actions(*buttons: Button) -> Actions:
    """A row of buttons at the bottom of a step; it wraps onto new lines when narrow."""
    return Actions(*buttons, classes="azioni")


def form_error(widget_id: str) -> Static:
    """An error line that belongs to a whole form (or a non-Field control)."""
    line = Plain("", id=error_id(widget_id), classes="form-error")  # messages may quote data: text, not markup
    line.display = False
    return line


def panel(*children, classes: str = "riquadro") -> Vertical:  # noqa: ANN002
    return Vertical(*children, classes=classes)
