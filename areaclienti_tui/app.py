"""The console: the customer journey beside the outbox, with the step in the header."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen

from areaclienti_tui.clock import Clock
from areaclienti_tui.journey import Journey
from areaclienti_tui.key_order import KeysInOrder
from areaclienti_tui.rules.username import load_pec_domains
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.services import auth, documents, security
from areaclienti_tui.services.auth import CustomerLogin
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.events import Event, OutboxChanged
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from areaclienti_tui.steps.base import StepScreen
from areaclienti_tui import journey_map, navigator
from areaclienti_tui.aula.report import SeatReport

# -- operator area ------------------------------------------------------------
# Imported at start-up on purpose: it loads textual-image, which asks the
# terminal about graphics support and can do so only before Textual starts.
from areaclienti_tui.steps import operator as operator_area  # noqa: E402
from datetime import timedelta  # noqa: E402
from textual import events  # noqa: E402
from areaclienti_tui.services.events import AuditRecorded  # noqa: E402
# -- end operator area --------------------------------------------------------
from areaclienti_tui.widgets.literal import Plain, TextInput, shown
from areaclienti_tui.widgets.outbox_pane import OutboxPane
# -- help, palette and theme (issue 8) ---------------------------------------------
from collections.abc import Iterable  # noqa: E402
from textual.app import SystemCommand  # noqa: E402
from textual.command import CommandPalette  # noqa: E402
from textual.theme import ThemeProvider  # noqa: E402
from areaclienti_tui import preferences  # noqa: E402
from areaclienti_tui.widgets import textual_it  # noqa: E402
from areaclienti_tui.widgets.help import HelpModal  # noqa: E402

textual_it.install()  # Italian key descriptions, checkbox marks, Enter on checkboxes
# -- end help, palette and theme ---------------------------------------------------

log = logging.getLogger(__name__)
ROME = ZoneInfo("Europe/Rome")


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

    # Every operator action is in the command palette too (never at a kiosk: see __init__).
    COMMANDS = App.COMMANDS | {operator_area.OperatorCommands}

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

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.journey = Journey()
        self.crossed: list[journey_map.Transition] = []  # every journey-map transition taken (see advance)
        self.pec_domains = load_pec_domains(ctx.settings.pec_domains_file)
        self.device = security.device_id(ctx.settings.device_file)
        try:  # the only folder the kiosk file picker opens (SPEC §4, uploads)
            documents.ensure_uploads_dir(ctx.settings)
        except RuleError as error:
            log.warning("uploads folder %s: %s", ctx.settings.uploads_dir, error.message)
        self.raise_unexpected = False
        self.operator: str | None = None  # username of the signed-in operator (operator area)
        self.start_when_ready: tuple[str, str] | None = None  # (persona, step) to start at, see start_at
        self.seat_report: SeatReport | None = None  # a classroom seat tells the trainer's board (aula/report.py)
        if ctx.settings.seat_status_file is not None:
            self.seat_report = SeatReport(ctx.settings.seat_status_file, ctx.clock.now)
        self._unsubscribe = ctx.bus.subscribe(self._on_service_event)
        # -- kiosk (SPEC §3, §4): no palette, no outbox on screen, idle journeys cleared
        self.idle_check_seconds = 1.0
        self.last_activity = ctx.clock.now()
        if ctx.settings.kiosk:
            self.use_command_palette = False
            self.set_reactive(AreaClientiApp.show_outbox, False)
        # -- theme: the high-contrast one is offered; the choice is remembered (issue 8)
        self.register_theme(textual_it.HIGH_CONTRAST)
        saved = preferences.load(ctx.settings.data_dir).get("tema")
        if isinstance(saved, str) and saved in self.available_themes:
            self.set_reactive(App.theme, saved)

    # -- shortcuts -----------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    def today(self) -> date:
        return self.clock.now().astimezone(ROME).date()

    @property
    def current_step(self) -> str | None:
        """The guide's step code of the screen the customer sees (e.g. "3A")."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, StepScreen):
                return screen.STEP
        return None

    # -- lifecycle -------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(navigator.screen_class(journey_map.START)())
        if self.start_when_ready is not None:
            self.call_after_refresh(self.start_at, *self.start_when_ready)
        if self.settings.kiosk:
            self.set_interval(self.idle_check_seconds, self.check_kiosk_idle, name="chiosco-inattivita")
        if self.seat_report is not None:
            # every screen change, however brief (a start driven through 1B), and a slow look
            # for what a change of screen does not show (a dialog closed over the same step)
            self.screen_change_signal.subscribe(self, lambda _screen: self.report_seat())
            self.set_interval(0.5, self.report_seat, name="stato-posto")

    def on_unmount(self) -> None:
        self._unsubscribe()

    def report_seat(self) -> None:
        """A classroom seat: the step on screen (the nearest one under a dialog) to the board."""
        if self.seat_report is None:
            return
        step = None
        for screen in reversed(self.screen_stack):
            if (step := journey_map.step_of(screen)) is not None:
                break
        self.seat_report.step(step)

    def _on_service_event(self, event: Event) -> None:
        if isinstance(event, OutboxChanged):
            if self.seat_report is not None:
                self.seat_report.message(event.channel, event.recipient, None)
            self.post_message(OutboxUpdated())
        elif isinstance(event, AuditRecorded):
            self.post_message(AuditUpdated())

    def on_outbox_updated(self, _message: OutboxUpdated) -> None:
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
        if action == "operator" and self.settings.kiosk:
            return False  # kiosk: no operator view, not even its key in the footer
        if action in ("command_palette", "toggle_outbox", "toggle_outbox_scope") and self.settings.kiosk:
            return False  # kiosk: no palette way out; codes reach the customer by `outbox --follow`
        return True

    def on_audit_updated(self, _message: AuditUpdated) -> None:
        if not self.screen_stack:
            return  # closing down
        for tab in self.screen.query(operator_area.OperatorTab):
            if tab.LIVE:
                tab.reload()

    # -- kiosk -------------------------------------------------------------------

    async def action_quit(self) -> None:
        """At a kiosk the quit key asks for an operator instead of quitting."""
        if self.settings.kiosk:
            self.action_kiosk_unlock()
            return
        await super().action_quit()

    def action_kiosk_unlock(self) -> None:
        if isinstance(self.screen, operator_area.KioskUnlockModal):
            return
        self.push_screen(operator_area.KioskUnlockModal(), lambda choice: operator_area.kiosk_unlocked(self, choice))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.last_activity = self.clock.now()  # a key or the mouse: someone is there
        await super().on_event(event)

    def check_kiosk_idle(self) -> bool:
        """Kiosk: after `idle_timeout_seconds` without input, clear the journey back to 1A (SPEC §4)."""
        if not self.settings.kiosk:
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
            self.run_worker(lambda: auth.logout(ctx, login), thread=True, group="audit")
        if self.operator is not None:
            operator_area.sign_out_operator(self, reason="inattività")
        self.restart()
        minutes, seconds = divmod(self.settings.idle_timeout_seconds, 60)
        span = f"{minutes} minut{'o' if minutes == 1 else 'i'}" if not seconds else f"{self.settings.idle_timeout_seconds} secondi"
        self.notify(f"Nessuna attività per {span}: il percorso è ricominciato e i dati inseriti sono stati cancellati.",
                    title="Sessione scaduta", timeout=15)
        return True

    def action_operator(self) -> None:
        """Open the operator area: its login, or its home when an operator is signed in."""
        if isinstance(self.screen, operator_area.OperatorScreen) or self.screen.is_modal:
            return
        self.advance(journey_map.START, "operatore-attivo" if self.operator else "operatore")

    # -- end operator area -----------------------------------------------------

    # -- help, command palette and theme (issue 8) --------------------------------

    def action_help(self) -> None:
        """F1 (or ? outside a field): the keys and the guide's text for the screen in front."""
        if isinstance(self.screen, (HelpModal, CommandPalette)):
            return
        screen = self.screen
        step = getattr(screen, "STEP", None) or self.current_step
        self.push_screen(HelpModal(screen, step))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(textual_it.Palette(id="--command-palette", placeholder="Cerca un comando…"))

    def action_choose_theme(self) -> None:
        self.push_screen(textual_it.Palette(providers=[ThemeProvider], placeholder="Cerca un tema…"))

    def action_toggle_high_contrast(self) -> None:
        high = textual_it.HIGH_CONTRAST.name
        self.theme = textual_it.DEFAULT_THEME if self.theme == high else high

    def watch_theme(self, theme: str) -> None:
        """Remember the theme for the next start (a small file in the data folder)."""
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

    def advance(self, source: Screen | str, outcome: str, /, **payload: object) -> journey_map.Transition:
        """`source` (a screen, or a step id for the app's own helpers) announces `outcome`: show
        where the map says it leads, `payload` being the target screen's arguments. KeyError if
        the map has no such outcome for that step."""
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
        self.journey = Journey()
        self.advance(journey_map.START, "registrati")

    def finish_login(self, login: CustomerLogin, *, method: str = "password", trust: bool = False,
                     source: Screen | str = "8A") -> None:
        """Every factor passed: record it, remember this console if asked, show the products
        (`source`, 8A or 9A, announces ``entrato``)."""
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
            ctx = self.ctx
            self.run_worker(lambda: auth.logout(ctx, login), thread=True, group="audit")
        self.advance(source, "esci")
        self.notify("Sei uscito dall'Area Clienti.", title="Arrivederci")

    # -- text on screen (SPEC §4): data is shown literally ------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications often quote data (a username, a file): their text is never markup."""
        super().notify(message if markup else shown(message, keep_newlines=True), title=shown(title),
                       severity=severity, timeout=timeout, markup=markup)

    def on_text_input_refused(self, event: TextInput.Refused) -> None:
        """A control character was refused by a field: its message goes next to the field.

        Handled here, last on the way up, so it lands after the screen has handled the
        field's Changed (which clears the field's previous error).
        """
        from areaclienti_tui.widgets.field import Field, error_id

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
        log.error("unexpected error", exc_info=error)
        if self.raise_unexpected and isinstance(error, Exception):
            super()._handle_exception(error)
            return
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
    ctx = open_context(settings, clock, seed_demo=seed_demo)
    return AreaClientiApp(ctx)
