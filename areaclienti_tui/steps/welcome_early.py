"""1A while the console loads (issue 12): the welcome page drawn with Textual alone.

The real program shows this page first, then loads the rest in a thread (settings, the
database and its migrations, the services, the other steps, the operator area) while the
customer reads it; once that is ready the real 1A (`welcome.WelcomeScreen`) takes its
place, looking the same, with the messages pane filled in. The texts are the real 1A's
(step modules do not import each other: tests/test_cli_console_start.py keeps the two
equal); the frame is `steps.base.StepScreen`'s, built from the same ids and classes,
without importing it (it needs the store).

Nothing here acts: the app holds the keys typed meanwhile and hands them, in order, to
the real 1A; a button clicked here is pressed there (`pressed`). While something waits,
the page says so ("Caricamento…", `show_waiting`).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, LoadingIndicator, Static

from areaclienti_tui.breakpoints import take_breakpoint_classes
from areaclienti_tui.widgets.actions import Actions
from areaclienti_tui.widgets.header import StepHeader

STEP = "1A"
HEADING = "Benvenuto nell'Area Clienti Generali"
INTRO = (
    "Sei un iscritto INARCASSA? Per registrarti all'Area Clienti devi avere almeno "
    "una polizza Generali.\n\nPremi [b]Registrati[/b] per iniziare."
)
REMINDER = (
    "Ti ricordiamo che se ti sei già registrato in passato, sul sito o sull'App "
    "MyGenerali, puoi utilizzare le credenziali già in tuo possesso: premi [b]Accedi[/b]."
)
WAITING = "Caricamento…"


class EarlyWelcomeScreen(Screen):
    """1A before the console has loaded: the same page, the messages pane still loading."""

    STEP: ClassVar[str] = STEP

    DEFAULT_CSS = """
    EarlyWelcomeScreen #messaggi-in-arrivo {
        width: 46;
        border-left: tall $primary-muted;
        padding: 0 1;
        color: $text-muted;
    }
    EarlyWelcomeScreen.-stretto #messaggi-in-arrivo {
        width: 1fr;
        height: 1;
        border-left: none;
        background: $boost;
    }
    """

    # The real 1A's key (StepScreen's), so the footer is the same; 1A has nothing before it.
    BINDINGS = [Binding("escape", "back", "Indietro", tooltip="Torna al passo precedente")]
    # No first focus on the scrolling frame (a restyle of the page): on_mount focuses Registrati.
    AUTO_FOCUS = ""

    def __init__(self) -> None:
        super().__init__()
        self.pressed: list[str] = []  # buttons clicked before the console was ready, in order
        take_breakpoint_classes(self)  # the width classes from the first frame

    def compose(self) -> ComposeResult:
        yield StepHeader()
        with Horizontal(id="layout"):
            with VerticalScroll(id="journey"):
                yield Static(f"Passo {STEP}", id="passo", classes="step-badge")
                yield Static(HEADING, id="titolo", classes="step-title")
                yield Static(INTRO, id="intro", classes="step-intro")
                yield Vertical(Static(REMINDER, id="promemoria"), classes="riquadro")
                yield Actions(
                    Button("Registrati", id="registrati", variant="primary"),
                    Button("Accedi", id="accedi"),
                    classes="azioni",
                )
                with Horizontal(id="attesa"):
                    yield Static(WAITING, id="attesa-testo")
            yield Static(f"Messaggi: {WAITING.lower()}", id="messaggi-in-arrivo")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Passo {STEP} · {HEADING}"
        self.query_one("#messaggi-in-arrivo").display = bool(getattr(self.app, "show_outbox", True))
        self.query_one("#registrati", Button).focus()
        if self.waiting:  # a key typed ahead arrived before this page was up
            self.call_after_refresh(self._spin)

    def action_back(self) -> None:
        """1A is the start: there is nothing before it."""

    @on(events.ScreenResume)
    def _shown(self, event: events.ScreenResume) -> None:
        # Shown once, just composed: every widget was styled as it was mounted (the width
        # classes already set); Textual's own handler, after this one, would do it all again.
        event.refresh_styles = False

    @property
    def waiting(self) -> bool:
        return self.has_class("-attesa")

    def show_waiting(self) -> None:
        """Something typed or clicked waits for the console: say so, with a spinner (keys typed
        ahead may come before the page is up: then the spinner comes with it, see on_mount)."""
        if self.waiting:
            return
        self.add_class("-attesa")
        if self.is_mounted:
            self._spin()

    def _spin(self) -> None:
        for row in self.query("#attesa").results(Horizontal):
            if self.waiting and not row.query(LoadingIndicator):
                row.styles.display = "block"  # app.tcss hides it (shown for a busy step only)
                row.mount(LoadingIndicator(), before=0)

    def loaded(self) -> None:
        """The real 1A is on top, for good: nothing waits here any more (no spinner behind it)."""
        self.remove_class("-attesa")
        self.query("#attesa LoadingIndicator").remove()
        for row in self.query("#attesa"):
            row.styles.display = "none"

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id:
            self.pressed.append(event.button.id)
        self.show_waiting()
