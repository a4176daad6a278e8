"""The console: the customer journey beside the outbox, with the step in the header.

Two ways to start (issue 12, "1A first, the rest behind it"):

- `create_app(...)` (tests, tools, the scenario runner) opens the database and loads
  everything before returning, as it always did;
- `loading_app(load, ...)` (the real program, see cli.py) draws 1A at once with this
  module's light imports only, and runs `load` (settings, database, migrations) and
  `load_console_modules` (services, steps, the operator area, image libraries) in a thread
  worker while the customer reads it. Keys typed meanwhile wait in the app, with
  "Caricamento…" on screen, and go to the real 1A, in order, once it is there; a failure
  ends the app with `load_error` set, for the command line to tell in Italian.

So this module imports, at the top, nothing that needs the store, the rules' libraries
(phonenumbers, email-validator, zxcvbn) or textual-image: those come inside the methods
that run once the console is loaded.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import ThemeProvider

from areaclienti_tui import preferences
from areaclienti_tui.clock import Clock, rome
from areaclienti_tui.key_order import KeysInOrder
from areaclienti_tui.steps.welcome_early import EarlyWelcomeScreen
from areaclienti_tui.widgets import textual_it

if TYPE_CHECKING:
    from areaclienti_tui.aula.report import SeatReport
    from areaclienti_tui.journey import Journey
    from areaclienti_tui.journey_map import Transition
    from areaclienti_tui.services.auth import CustomerLogin
    from areaclienti_tui.services.context import Context
    from areaclienti_tui.services.events import Event
    from areaclienti_tui.settings import Settings
    from areaclienti_tui.widgets.literal import TextInput

textual_it.install()  # Italian key descriptions, checkbox marks, Enter on checkboxes

log = logging.getLogger(__name__)
START = "1A"  # journey_map.START, where every journey starts (a test keeps them equal)


def load_console_modules(*, terminal_in_use: bool = False) -> None:
    """Import what the console needs beyond 1A: the journey, the services the app calls,
    the step frame and 1A–2A, the messages pane, the help, the operator area.

    Run before the app starts (`create_app`, or an app built on a ready context), or in
    the loading worker once 1A is on screen (`loading_app`, `terminal_in_use`). The
    operator area loads textual-image, which asks the terminal about graphics when
    imported: once Textual owns the terminal the question cannot be asked (the answer
    would reach Textual as keys, and the reply's wait would take the customer's keys), so
    it is refused at once, as by a terminal that does not answer, and documents are
    previewed with half blocks.
    """
    import areaclienti_tui.aula.report  # noqa: F401 - a classroom seat's report
    import areaclienti_tui.journey  # noqa: F401
    import areaclienti_tui.services.auth  # noqa: F401
    import areaclienti_tui.services.documents  # noqa: F401
    import areaclienti_tui.services.security  # noqa: F401
    import areaclienti_tui.widgets.help  # noqa: F401
    import areaclienti_tui.widgets.literal  # noqa: F401
    import areaclienti_tui.widgets.outbox_pane  # noqa: F401
    from areaclienti_tui import navigator

    navigator.screen_class(START)  # the journey map, steps.base and the welcome steps
    if terminal_in_use and "areaclienti_tui.steps.operator" not in sys.modules:
        _refuse_terminal_queries()
    import areaclienti_tui.steps.operator  # noqa: F401


def _refuse_terminal_queries() -> None:
    """textual-image's terminal queries fail at once (before it is first imported)."""
    try:
        from textual_image import _terminal
    except Exception:  # noqa: BLE001 - not installed: the preview does without it
        return

    def refused(*_args: object, **_kwargs: object) -> Any:
        raise _terminal.TerminalError("il terminale è della console")

    _terminal.capture_terminal_response = refused
    logging.getLogger("textual_image").setLevel(logging.ERROR)  # "assuming VT340 sizes": expected


class OutboxUpdated(Message):
    """A message was sent: outbox panes reload."""


class AuditUpdated(Message):
    """An audit event was recorded: the live operator views (audit log, accounts) reload."""


class AreaClientiApp(KeysInOrder):
    CSS_PATH = "app.tcss"
    TITLE = "Area Clienti Generali · INARCASSA"

    BINDINGS = [
        Binding("f2", "toggle_outbox", "Messaggi", tooltip="Mostra o nasconde i messaggi inviati (SMS ed email); "
                "sotto i 110 caratteri di larghezza li apre a tutto schermo"),
        Binding("f3", "toggle_outbox_scope", "Tutti/percorso",
                tooltip="Messaggi: solo quelli di questo percorso oppure tutti quelli inviati"),
        Binding("ctrl+q", "quit", "Esci", priority=True),
        Binding("f9", "operator", "Operatore", tooltip="Apre l'area operatore (accesso riservato agli operatori)"),
        Binding("f1", "help", "Aiuto", tooltip="Tasti e indicazioni della guida per questa schermata"),
        Binding("question_mark", "help", "Aiuto", show=False),  # a field takes "?" as text first
        Binding("ctrl+p", "command_palette", "Comandi", show=False, priority=True,
                tooltip="Apre la palette dei comandi"),
    ]

    # Every operator action is in the command palette too (never at a kiosk: see __init__);
    # the operator area is imported when the palette first asks for it (it is loaded by then).
    COMMANDS = App.COMMANDS | {lambda: _operator_area().OperatorCommands}

    show_outbox: reactive[bool] = reactive(True)
    # -- outbox pane (issue 8): folded into a strip below 110 columns (the screen's class
    # "-stretto"), open full with F2 there; the current journey's messages unless F3.
    HORIZONTAL_BREAKPOINTS = [(0, "-stretto"), (110, "-largo")]
    outbox_open: reactive[bool] = reactive(False)
    outbox_all: reactive[bool] = reactive(False)

    @property
    def journey(self) -> Journey:
        """The current customer's way through the steps (its start is stamped when it begins)."""
        return self._journey

    @journey.setter
    def journey(self, journey: Journey) -> None:
        if journey.started_at is None:
            journey.started_at = self.ctx.clock.now()
        self._journey = journey

    def __init__(self, ctx: Context | None = None, *, load: Callable[[], Context] | None = None,
                 kiosk: bool = False, data_dir: Path | None = None) -> None:
        """On a ready context (`ctx`), or, with `load` instead, loading in a worker once 1A is
        drawn (see `loading_app`): `kiosk` and `data_dir` (its theme) say how to draw 1A
        until the settings that `load` reads are there."""
        if (ctx is None) == (load is None):
            raise TypeError("AreaClientiApp vuole un contesto pronto oppure una funzione che lo carica")
        super().__init__()
        self._ctx: Context | None = None
        self._load = load
        self.load_error: BaseException | None = None  # why loading failed (the app then exits)
        self.crossed: list[Transition] = []  # every journey-map transition taken (see advance)
        self.raise_unexpected = False
        self.operator: str | None = None  # username of the signed-in operator (operator area)
        self.start_when_ready: tuple[str, str] | None = None  # (persona, step) to start at, see start_at
        self.seat_report: SeatReport | None = None  # a classroom seat tells the trainer's board (aula/report.py)
        self._unsubscribe: Callable[[], None] = lambda: None
        self._after_loading: list[Callable[[], object]] = []  # asked for on the early 1A (_when_loaded)
        self.idle_check_seconds = 1.0
        self.register_theme(textual_it.HIGH_CONTRAST)
        if ctx is not None:
            load_console_modules()
            self._attach(ctx)
        else:
            self._keys_gate_closed = True  # keys wait (KeysInOrder) until the real 1A is there
            self._draw_as(kiosk=kiosk, theme=_saved_theme(data_dir))

    def _draw_as(self, *, kiosk: bool, theme: object) -> None:
        """Kiosk or not, and the remembered theme (`theme`, as read from the preferences):
        how the console looks from its first frame (again with the settings once loaded:
        the same, unless they say otherwise)."""
        # -- kiosk (SPEC §3, §4): no palette, no outbox on screen, idle journeys cleared
        changed = kiosk != getattr(self, "kiosk", False)
        self.kiosk = kiosk
        self.use_command_palette = not kiosk
        if not self.is_running:
            self.set_reactive(AreaClientiApp.show_outbox, not kiosk)
        elif changed:
            self.show_outbox = not kiosk
            self.refresh_bindings()
        # -- theme: the high-contrast one is offered; the choice is remembered (issue 8)
        if isinstance(theme, str) and theme in self.available_themes and theme != self.theme:
            if self.is_running:
                self.theme = theme
            else:
                self.set_reactive(App.theme, theme)

    def _attach(self, ctx: Context, files: _ConsoleFiles | None = None) -> None:
        """The console on its context: everything that needs the settings, the database or
        the services (called once the modules of `load_console_modules` are loaded).
        `files`: what it reads from disk, read beforehand off the event loop (the loading
        worker); read here when the app is not running yet."""
        from areaclienti_tui.journey import Journey

        files = files or _ConsoleFiles.read(ctx)
        self._ctx = ctx
        self.journey = Journey()
        self.pec_domains = files.pec_domains
        self.device = files.device
        if ctx.settings.seat_status_file is not None:
            from areaclienti_tui.aula.report import SeatReport

            self.seat_report = SeatReport(ctx.settings.seat_status_file, ctx.clock.now)
        self._unsubscribe = ctx.bus.subscribe(self._on_service_event)
        self.last_activity = ctx.clock.now()
        self._draw_as(kiosk=ctx.settings.kiosk, theme=files.theme)

    # -- shortcuts -----------------------------------------------------------

    @property
    def ctx(self) -> Context:
        """The settings, the database, the clock and the event bus (once loaded)."""
        if self._ctx is None:
            raise RuntimeError("la console non ha ancora caricato il database")
        return self._ctx

    @property
    def loaded(self) -> bool:
        """The settings, the database and the console's modules are loaded (always, but while
        the real program draws its first 1A: see loading_app)."""
        return self._ctx is not None

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    def today(self) -> date:
        return self.clock.now().astimezone(rome()).date()

    @property
    def current_step(self) -> str | None:
        """The guide's step code of the screen the customer sees (e.g. "3A")."""
        step_screen = _step_screen_class() if self.loaded else None
        for screen in reversed(self.screen_stack):
            if isinstance(screen, EarlyWelcomeScreen) or (step_screen and isinstance(screen, step_screen)):
                return screen.STEP
        return None

    # -- lifecycle -------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        """The real program's first screen is its early 1A, drawn with Textual alone (cheaper
        than a screen pushed over an empty one); the real 1A goes on top of it once loaded,
        where every other start puts it, so the stack is [first screen, 1A, …] either way."""
        if self.loaded:
            return super().get_default_screen()
        return EarlyWelcomeScreen()

    def on_mount(self) -> None:
        if not self.loaded:  # the real program: 1A is on screen; the rest loads behind it
            self.call_after_refresh(self._start_loading)
            return
        from areaclienti_tui import navigator

        self.push_screen(navigator.screen_class(START)())
        self._start_timers()

    def _start_timers(self) -> None:
        if self.start_when_ready is not None:
            self.call_after_refresh(self.start_at, *self.start_when_ready)
        if self.kiosk:
            self.set_interval(self.idle_check_seconds, self.check_kiosk_idle, name="chiosco-inattivita")
        if self.seat_report is not None:
            # every screen change, however brief (a start driven through 1B), and a slow look
            # for what a change of screen does not show (a dialog closed over the same step)
            self.screen_change_signal.subscribe(self, lambda _screen: self.report_seat())
            self.set_interval(0.5, self.report_seat, name="stato-posto")

    def on_unmount(self) -> None:
        self._unsubscribe()

    # -- loading behind 1A (issue 12) ------------------------------------------------

    def _start_loading(self) -> None:
        """1A is on screen: load the rest in a thread (see `loading_app`)."""
        self.run_worker(self._load_in_thread, thread=True, exclusive=True, exit_on_error=False,
                        group="caricamento", name="caricamento della console")

    def _load_in_thread(self) -> None:
        """The worker: `load` (settings, database), then the console's modules; the app
        goes on on its own thread (`_loaded`), or ends with the failure (`_not_loaded`)."""
        assert self._load is not None
        try:
            ctx = self._load()
        except BaseException as error:  # noqa: BLE001 - told by the command line, in Italian
            self._tell_not_loaded(error)
            return
        try:
            load_console_modules(terminal_in_use=not self.is_headless)
            files = _ConsoleFiles.read(ctx)
            self.call_from_thread(self._loaded, ctx, files)
        except BaseException as error:  # noqa: BLE001 - as above; the database is let go
            if not self.loaded:
                ctx.db.dispose()
            self._tell_not_loaded(error)

    def _tell_not_loaded(self, error: BaseException) -> None:
        """From the worker: the console could not load (`_not_loaded`), unless it closed meanwhile."""
        if not self.is_running:
            return
        try:
            self.call_from_thread(self._not_loaded, error)
        except RuntimeError:  # closed in between: nobody to tell
            pass

    def _not_loaded(self, error: BaseException) -> None:
        if self.load_error is None:  # the first failure is the one to tell
            self.load_error = error
        self.exit(return_code=1)

    async def _loaded(self, ctx: Context, files: _ConsoleFiles) -> None:
        """On the app's thread: the context in, the real 1A in place of the early one (the
        same page, the messages pane filled in), then what was typed or clicked meanwhile."""
        from areaclienti_tui import navigator

        early = self.screen_stack[0] if isinstance(self.screen_stack[0], EarlyWelcomeScreen) else None
        self._attach(ctx, files)
        welcome = navigator.screen_class(START)()
        await self.push_screen(welcome)
        if early is not None:
            early.loaded()
        self._start_timers()
        for button in early.pressed if early is not None else []:
            self.call_after_refresh(self._press, welcome, button)
        for action in self._after_loading:
            self.call_after_refresh(action)
        self._after_loading.clear()
        # The keys held since the start (KeysInOrder's gate, closed in __init__) go once the
        # real 1A has mounted and settled, in the order they were typed.
        self._close_key_gate()

    def _when_loaded(self, action: Callable[[], object]) -> None:
        """Something asked for on the early 1A by the mouse (keys wait in KeysInOrder): done
        once the console has loaded, with "Caricamento…" meanwhile."""
        self._after_loading.append(action)
        if isinstance(self.screen, EarlyWelcomeScreen):
            self.screen.show_waiting()

    def _press(self, screen: Screen, button_id: str) -> None:
        from textual.widgets import Button

        if screen.is_current:
            for button in screen.query(f"#{button_id}").results(Button):
                button.press()

    def report_seat(self) -> None:
        """A classroom seat: the step on screen (the nearest one under a dialog) to the board."""
        if self.seat_report is None:
            return
        from areaclienti_tui import journey_map

        step = None
        for screen in reversed(self.screen_stack):
            if (step := journey_map.step_of(screen)) is not None:
                break
        self.seat_report.step(step)

    def _on_service_event(self, event: Event) -> None:
        from areaclienti_tui.services.events import AuditRecorded, OutboxChanged

        if isinstance(event, OutboxChanged):
            if self.seat_report is not None:
                self.seat_report.message(event.channel, event.recipient, None)
            self.post_message(OutboxUpdated())
        elif isinstance(event, AuditRecorded):
            self.post_message(AuditUpdated())

    def on_outbox_updated(self, _message: OutboxUpdated) -> None:
        from areaclienti_tui.widgets.outbox_pane import OutboxPane

        for screen in self.screen_stack:  # the screens behind too: Back shows them up to date
            for pane in screen.query(OutboxPane):
                pane.reload()

    def action_toggle_outbox(self) -> None:
        """Wide: show or hide the pane. Narrow (a one-line strip): open it full or fold it back."""
        if self.screen.has_class("-stretto"):
            opening = not (self.outbox_open and self.show_outbox)
            if opening:
                self.show_outbox = True
            self.outbox_open = opening
        else:
            self.show_outbox = not self.show_outbox

    def action_toggle_outbox_scope(self) -> None:
        """The current journey's messages, or every message sent."""
        self.outbox_all = not self.outbox_all
        self.notify("Messaggi: tutti quelli inviati." if self.outbox_all
                    else "Messaggi: solo quelli di questo percorso.", timeout=3)

    # -- operator area ---------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "operator" and self.kiosk:
            return False  # kiosk: no operator view, not even its key in the footer
        if action in ("command_palette", "toggle_outbox", "toggle_outbox_scope") and self.kiosk:
            return False  # kiosk: no palette way out; codes reach the customer by `outbox --follow`
        return True

    def on_audit_updated(self, _message: AuditUpdated) -> None:
        if not self.screen_stack:
            return  # closing down
        for tab in self.screen.query(_operator_area().OperatorTab):
            if tab.LIVE:
                tab.reload()

    # -- kiosk -------------------------------------------------------------------

    async def action_quit(self) -> None:
        """At a kiosk the quit key asks for an operator instead of quitting."""
        if self.kiosk:
            self.action_kiosk_unlock()
            return
        await super().action_quit()

    def action_kiosk_unlock(self) -> None:
        operator_area = _operator_area()
        if isinstance(self.screen, operator_area.KioskUnlockModal):
            return
        self.push_screen(operator_area.KioskUnlockModal(), lambda choice: operator_area.kiosk_unlocked(self, choice))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            if self.loaded:
                self.last_activity = self.clock.now()  # a key or the mouse: someone is there
            elif isinstance(event, events.Key) and isinstance(self.screen, EarlyWelcomeScreen):
                if event.key == "ctrl+j" and not event.is_forwarded:
                    # Typed ahead before the console took the terminal, Enter reached it as a
                    # newline (the terminal's line mode turns CR into LF): it is an Enter.
                    event = events.Key("enter", "\r")
                self.screen.show_waiting()  # held until the real 1A is there (KeysInOrder): say so
        await super().on_event(event)

    def check_kiosk_idle(self) -> bool:
        """Kiosk: after `idle_timeout_seconds` without input, clear the journey back to 1A (SPEC §4)."""
        from areaclienti_tui.journey import Journey

        if not self.kiosk:
            return False
        now = self.clock.now()
        if now - self.last_activity < timedelta(seconds=self.settings.idle_timeout_seconds):
            return False
        self.last_activity = now
        at_rest = len(self.screen_stack) <= 2 and self.journey == Journey() and self.operator is None
        if at_rest:
            return False
        login, ctx = self.journey.login, self.ctx
        if login is not None:
            from areaclienti_tui.services import auth

            self.run_worker(lambda: auth.logout(ctx, login), thread=True, group="audit")
        if self.operator is not None:
            _operator_area().sign_out_operator(self, reason="inattività")
        self.restart()
        minutes, seconds = divmod(self.settings.idle_timeout_seconds, 60)
        span = f"{minutes} minut{'o' if minutes == 1 else 'i'}" if not seconds else f"{self.settings.idle_timeout_seconds} secondi"
        self.notify(f"Nessuna attività per {span}: il percorso è ricominciato e i dati inseriti sono stati cancellati.",
                    title="Sessione scaduta", timeout=15)
        return True

    def action_operator(self) -> None:
        """Open the operator area: its login, or its home when an operator is signed in."""
        if isinstance(self.screen, _operator_area().OperatorScreen) or self.screen.is_modal:
            return
        self.advance(START, "operatore-attivo" if self.operator else "operatore")

    # -- end operator area -----------------------------------------------------

    # -- help, command palette and theme (issue 8) --------------------------------

    def action_help(self) -> None:
        """F1 (or ? outside a field): the keys and the guide's text for the screen in front."""
        from areaclienti_tui.widgets.help import HelpModal

        if isinstance(self.screen, (HelpModal, CommandPalette)):
            return
        screen = self.screen
        step = getattr(screen, "STEP", None) or self.current_step
        self.push_screen(HelpModal(screen, step))

    def action_command_palette(self) -> None:
        if not self.loaded:  # the header's icon, clicked on the early 1A: the palette once loaded
            self._when_loaded(self.action_command_palette)
            return
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(textual_it.Palette(id="--command-palette", placeholder="Cerca un comando…"))

    def action_choose_theme(self) -> None:
        self.push_screen(textual_it.Palette(providers=[ThemeProvider], placeholder="Cerca un tema…"))

    def action_toggle_high_contrast(self) -> None:
        high = textual_it.HIGH_CONTRAST.name
        self.theme = textual_it.DEFAULT_THEME if self.theme == high else high

    def watch_theme(self, theme: str) -> None:
        """Remember the theme for the next start (a small file in the data folder)."""
        if not self.loaded:
            return  # not chosen: read from that file, or the settings' first look (_draw_as)
        data_dir = self.settings.data_dir
        self.run_worker(lambda: preferences.save(data_dir, tema=theme), thread=True, group="preferenze")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, in Italian (the operator's are in OperatorCommands)."""
        yield SystemCommand("Aiuto", "Tasti e indicazioni della guida per questa schermata", self.action_help)
        from areaclienti_tui.widgets.journey_map_view import open_journey_map  # the journey map (trainers)

        yield SystemCommand("Mappa del percorso", "Tutti i passi e dove porta ogni esito, con il passo del "
                            "cliente evidenziato", lambda: open_journey_map(self, screen))
        if self.theme == textual_it.HIGH_CONTRAST.name:
            yield SystemCommand("Tema normale", "Torna ai colori predefiniti (la scelta viene ricordata)",
                                self.action_toggle_high_contrast)
        else:
            yield SystemCommand("Tema ad alto contrasto", "Testo bianco su nero, evidenziazioni in giallo "
                                "(la scelta viene ricordata)", self.action_toggle_high_contrast)
        yield SystemCommand("Tema dei colori", "Sceglie il tema dei colori tra quelli disponibili",
                            self.action_choose_theme)
        if screen.maximized is not None:
            yield SystemCommand("Riduci", "Riporta il riquadro ingrandito alla dimensione normale",
                                screen.action_minimize)
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand("Ingrandisci", "Ingrandisce il riquadro attivo a tutto schermo", screen.action_maximize)
        yield SystemCommand("Salva un'immagine dello schermo", "Salva la schermata come immagine SVG",
                            lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand("Esci", "Chiude l'applicazione", self.action_quit)

    # -- end help, command palette and theme ----------------------------------------

    # -- navigation ------------------------------------------------------------
    # Screens announce outcomes with advance(); the journey map (journey_map.py) says where
    # each leads and navigator.py takes the way. Esc (go_back) is not a transition of the map.

    def advance(self, source: Screen | str, outcome: str, /, **payload: object) -> Transition:
        """`source` (a screen, or a step id for the app's own helpers) announces `outcome`: show
        where the map says it leads, `payload` being the target screen's arguments. KeyError if
        the map has no such outcome for that step."""
        from areaclienti_tui import navigator

        return navigator.advance(self, source, outcome, **payload)

    def go(self, screen: Screen) -> None:
        """Push a screen directly (tests and tools; the journey moves on with advance())."""
        self.push_screen(screen)

    def go_back(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def restart(self, then: Screen | None = None) -> None:
        """Back to 1A with a clean journey (nothing the customer typed lingers).

        With `then`, the same customer goes on (to the login, to the products): the
        outbox pane keeps showing their journey's messages.
        """
        from areaclienti_tui.journey import Journey

        previous = self.journey
        self.journey = Journey()
        if then is not None:
            self.journey.continue_from(previous)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if then is not None:
            self.push_screen(then)

    def start_at(self, persona: str, passo: str) -> bool:
        """Restart the journey and take the demo persona to the step (start_at.py), through the
        real screens; False, with a notice, when the persona or the step is unknown."""
        from areaclienti_tui import start_at

        try:
            who = start_at.find(start_at.load_personas(), persona)
            target = start_at.resolve_step(passo)
        except start_at.StartError as error:
            self.notify(error.message, title="Avvio non possibile", severity="error", markup=False)
            return False
        self.restart()
        self.run_worker(self._drive_to(who, target), group="avvio", exclusive=True, exit_on_error=False)
        return True

    async def _drive_to(self, who: object, target: str) -> None:
        from areaclienti_tui import start_at
        from areaclienti_tui.driver import Driver, DriverError

        assert isinstance(who, start_at.LessonPersona)
        self.notify(f"{who.persona}: avvio al passo {target}…", title="Avvio", markup=False, timeout=3)
        self.audit_start(who.persona, target)
        try:
            await start_at.drive(Driver(self), who, target)
        except (start_at.StartError, DriverError) as error:
            log.info("start at %s for %s stopped: %s", target, who.persona, error)
            self.notify(str(error), title="Avvio non riuscito", severity="error", markup=False, timeout=10)

    def audit_start(self, persona: str, target: str) -> None:
        from areaclienti_tui import start_at

        ctx, actor = self.ctx, self.operator or "formatore"
        self.run_worker(lambda: start_at.record_start(ctx, persona, target, actor=actor), thread=True, group="audit")

    def start_registration(self) -> None:
        from areaclienti_tui.journey import Journey

        self.journey = Journey()
        self.advance(START, "registrati")

    def finish_login(self, login: CustomerLogin, *, method: str = "password", trust: bool = False,
                     source: Screen | str = "8A") -> None:
        """Every factor passed: record it, remember this console if asked, show the products
        (`source`, 8A or 9A, announces ``entrato``)."""
        from areaclienti_tui.services import auth, security

        ctx, device = self.ctx, self.device

        def record() -> None:
            auth.complete_customer_login(ctx, login, method=method)
            if trust:
                security.trust_device(ctx, login, device)

        self.run_worker(record, thread=True, group="audit")
        self.advance(source, "entrato")
        self.journey.login = login

    def back_to_products(self, source: Screen | str, outcome: str) -> None:
        """After a sensitive operation (`source` announces `outcome`): back to "I tuoi prodotti",
        refreshed, still signed in."""
        login = self.journey.login
        if login is None:  # nobody signed in: nothing to go back to
            self.restart()
            return
        self.advance(source, outcome)
        self.journey.login = login

    def logout(self, source: Screen | str = "8A-prodotti") -> None:
        login = self.journey.login
        if login is not None:
            from areaclienti_tui.services import auth

            ctx = self.ctx
            self.run_worker(lambda: auth.logout(ctx, login), thread=True, group="audit")
        self.advance(source, "esci")
        self.notify("Sei uscito dall'Area Clienti.", title="Arrivederci")

    # -- text on screen (SPEC §4): data is shown literally ------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications often quote data (a username, a file): their text is never markup."""
        from areaclienti_tui.widgets.literal import shown

        super().notify(message if markup else shown(message, keep_newlines=True), title=shown(title),
                       severity=severity, timeout=timeout, markup=markup)

    def on_text_input_refused(self, event: TextInput.Refused) -> None:
        """A control character was refused by a field: its message goes next to the field.

        Handled here, last on the way up, so it lands after the screen has handled the
        field's Changed (which clears the field's previous error).
        """
        from areaclienti_tui.widgets.field import Field, error_id
        from areaclienti_tui.widgets.literal import Plain

        control = event.text_input
        if isinstance(control.parent, Field):
            control.parent.set_error(event.message)
            return
        lines = control.screen.query(f"#{error_id(control.id or '')}") if control.id else None
        line = lines.first() if lines else None
        if isinstance(line, Plain):
            line.update(event.message)
            line.display = True
            control.error_line = line
        else:
            self.notify(event.message, severity="warning")

    # -- failures --------------------------------------------------------------

    def report_unexpected(self, error: BaseException | None) -> None:
        """Log a fault and show the generic error page instead of a traceback."""
        if self.raise_unexpected and isinstance(error, Exception):
            log.error("unexpected error", exc_info=error)
            super()._handle_exception(error)
            return
        if not self.loaded:  # still loading: no 6B, no log file yet; the command line tells it
            self._not_loaded(error or RuntimeError("errore durante il caricamento della console"))
            return
        log.error("unexpected error", exc_info=error)
        from areaclienti_tui.journey import Journey

        from areaclienti_tui import navigator

        GenericErrorScreen = navigator.screen_class("6B")  # noqa: N806 - from any step: not a map transition

        if not isinstance(self.screen, GenericErrorScreen):
            self.journey = Journey()
            self.push_screen(GenericErrorScreen(unexpected=True))

    def _handle_exception(self, error: Exception) -> None:
        if self.raise_unexpected or getattr(self, "_handling_unexpected", False):
            super()._handle_exception(error)
            return
        self._handling_unexpected = True
        try:
            self.report_unexpected(error)
        except Exception:  # noqa: BLE001 - last resort: let Textual close the app
            super()._handle_exception(error)
        finally:
            self._handling_unexpected = False


def create_app(
    *,
    db: str | None = None,
    settings: Settings | None = None,
    clock: Clock | None = None,
    seed_demo: bool | None = None,
    data_dir: str | Path | None = None,
) -> AreaClientiApp:
    """The console on a database (created and migrated if new).

    `create_app(db="sqlite:///path.db")` gives an app without demo personas
    unless `seed_demo=True`; without `db` the settings decide (the default
    SQLite file in the user data folder, filled with the demo on first start).
    """
    if settings is None:
        from areaclienti_tui.settings import Settings

        overrides: dict[str, object] = {}
        if db is not None:
            overrides["db"] = db
            if data_dir is None:
                database = db.removeprefix("sqlite:///")
                if db.startswith("sqlite:///") and database not in ("", ":memory:"):
                    overrides["data_dir"] = Path(database).resolve().parent / "areaclienti-dati"
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir)
        settings = Settings(**overrides)
        if db is not None and seed_demo is None:
            seed_demo = False
    from areaclienti_tui.services.setup import open_context

    ctx = open_context(settings, clock, seed_demo=seed_demo)
    return AreaClientiApp(ctx)


def loading_app(load: Callable[[], Context], *, kiosk: bool = False, data_dir: Path | None = None) -> AreaClientiApp:
    """The console as the real program starts it (issue 12): 1A at once, everything else behind it.

    `load` runs in a thread worker once 1A is on screen: it reads the settings and opens
    (migrates, seeds) the database, returning the context, or raises what the command
    line tells in Italian (`app.load_error` after `run()`, the app having ended with
    return code 1). The console's modules load after it, in the same thread. Until then
    1A is `EarlyWelcomeScreen`, drawn as `kiosk` says and in the theme remembered in
    `data_dir`; keys wait, in order, with "Caricamento…" on screen.
    """
    return AreaClientiApp(load=load, kiosk=kiosk, data_dir=data_dir)


def _saved_theme(data_dir: Path | None) -> object:
    """The theme remembered in `data_dir` (a small file; see watch_theme), if any."""
    return preferences.load(data_dir).get("tema") if data_dir is not None else None


@dataclass(frozen=True)
class _ConsoleFiles:
    """What the console reads from disk as it attaches to its context: the PEC domains,
    this installation's identity, the remembered theme; the uploads folder is made."""

    pec_domains: frozenset[str]
    device: str
    theme: object

    @classmethod
    def read(cls, ctx: Context) -> _ConsoleFiles:
        from areaclienti_tui.rules.errors import RuleError
        from areaclienti_tui.rules.username import load_pec_domains
        from areaclienti_tui.services import documents, security

        try:  # the only folder the kiosk file picker opens (SPEC §4, uploads)
            documents.ensure_uploads_dir(ctx.settings)
        except RuleError as error:
            log.warning("uploads folder %s: %s", ctx.settings.uploads_dir, error.message)
        return cls(
            pec_domains=load_pec_domains(ctx.settings.pec_domains_file),
            device=security.device_id(ctx.settings.device_file),
            theme=_saved_theme(ctx.settings.data_dir),
        )


def _operator_area() -> Any:
    """The operator area's package (loaded with the console: see load_console_modules)."""
    from areaclienti_tui.steps import operator

    return operator


def _step_screen_class() -> type[Screen]:
    from areaclienti_tui.steps.base import StepScreen

    return StepScreen
