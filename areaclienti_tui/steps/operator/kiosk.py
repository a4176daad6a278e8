"""Kiosk mode: leaving it takes an operator.

At a kiosk the quit key opens ``KioskUnlockModal``: an operator signs in, then closes
the kiosk, opens the operator area or goes back to the kiosk (``kiosk_unlocked``).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from areaclienti_tui.services import auth
from areaclienti_tui.services.auth import LoginError
from areaclienti_tui.steps.base import ConsoleApp
from areaclienti_tui.steps.operator.common import attempt, record_kiosk_exit, record_operator_logout
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput, template


class KioskUnlockModal(ModalScreen[tuple[str, str] | None]):
    """At a kiosk, the quit key asks for an operator: then close the kiosk or open the area.

    Dismisses with ("exit" | "operator" | "stay", operator username), or None when cancelled.
    """

    BINDINGS = [Binding("escape", "cancel", "Annulla")]
    DEFAULT_CSS = """
    KioskUnlockModal { align: center middle; }
    KioskUnlockModal > Vertical {
        width: 80; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    KioskUnlockModal Input { max-width: 100%; }
    KioskUnlockModal Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    KioskUnlockModal Button { margin-left: 1; }
    KioskUnlockModal #kiosk-scelta { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.operator: str | None = None
        self._login: Worker | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Uscita dalla modalità chiosco[/b]\n\n"
                         "Riservato agli operatori: accedi con le tue credenziali di operatore.",
                         id="kiosk-titolo")
            with Vertical(id="kiosk-credenziali"):
                yield Field("Nome utente operatore", TextInput(id="kiosk-operatore"))
                yield Field("Password", TextInput(password=True, id="kiosk-password"))
                with Horizontal():
                    yield Button("Annulla", id="kiosk-annulla")
                    yield Button("Accedi", id="kiosk-accedi", variant="primary")
            with Vertical(id="kiosk-scelta"):
                yield Static("", id="kiosk-benvenuto")
                with Horizontal():
                    yield Button("Torna al chiosco", id="kiosk-resta")
                    yield Button("Apri l'area operatore", id="kiosk-area-operatore", variant="primary")
                    yield Button("Chiudi il chiosco", id="kiosk-esci", variant="error")

    def on_mount(self) -> None:
        self.query_one("#kiosk-scelta").display = False
        self.query_one("#kiosk-operatore").focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        field = self.query(f"#campo-{event.input.id}")
        if field:
            field.first(Field).set_error(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#kiosk-accedi")
    def submit(self) -> None:
        if self._login is not None or self.operator is not None:
            return
        username = self.query_one("#kiosk-operatore", Input).value
        password = self.query_one("#kiosk-password", Input).value
        if not username.strip():
            self._error("kiosk-operatore", "Inserisci il nome utente dell'operatore.")
            return
        if not password:
            self._error("kiosk-password", "Inserisci la password.")
            return
        ctx = self.app.ctx  # type: ignore[attr-defined]
        for button in self.query("#kiosk-credenziali Button"):
            button.disabled = True
        self._login = self.run_worker(
            attempt(lambda: auth.operator_login(ctx, username, password).username, LoginError),
            thread=True, exclusive=True, exit_on_error=False, group="chiosco-accesso",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._login or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self._login = None
        for button in self.query("#kiosk-credenziali Button"):
            button.disabled = False
        if event.state == WorkerState.ERROR:
            self.app.report_unexpected(event.worker.error)  # type: ignore[attr-defined]
            return
        result = event.worker.result
        password = self.query_one("#kiosk-password", Input)
        with password.prevent(Input.Changed):
            password.value = ""
        if isinstance(result, LoginError):
            self._error("kiosk-password", result.message)
            return
        self.operator = result
        self.query_one("#kiosk-titolo", Static).update("[b]Uscita dalla modalità chiosco[/b]")
        self.query_one("#kiosk-credenziali").display = False
        self.query_one("#kiosk-benvenuto", Static).update(template(
            "Operatore [b]$name[/b]: puoi chiudere il chiosco, aprire l'area operatore o tornare al chiosco.",
            name=result,
        ))
        self.query_one("#kiosk-scelta").display = True
        self.query_one("#kiosk-resta").focus()

    def _error(self, widget_id: str, message: str) -> None:
        self.query_one(f"#campo-{widget_id}", Field).set_error(message)
        self.query_one(f"#{widget_id}").focus()

    def errors(self) -> dict[str, str]:
        return {f.control.id or "": f.error for f in self.query(Field) if f.error}

    @on(Button.Pressed, "#kiosk-esci")
    def _exit(self) -> None:
        if self.operator:
            self.dismiss(("exit", self.operator))

    @on(Button.Pressed, "#kiosk-area-operatore")
    def _area(self) -> None:
        if self.operator:
            self.dismiss(("operator", self.operator))

    @on(Button.Pressed, "#kiosk-resta")
    def _stay(self) -> None:
        if self.operator:
            self.dismiss(("stay", self.operator))

    @on(Button.Pressed, "#kiosk-annulla")
    def action_cancel(self) -> None:
        if self.operator:
            self.dismiss(("stay", self.operator))
        elif self._login is None:
            self.dismiss(None)


def kiosk_unlocked(app: ConsoleApp, choice: tuple[str, str] | None) -> None:
    """What the operator chose in the KioskUnlockModal."""
    if choice is None:
        return
    what, username = choice
    ctx = app.ctx
    if what == "exit":
        def close() -> None:
            try:
                record_kiosk_exit(ctx, username)
            finally:
                app.call_from_thread(app.exit)

        app.run_worker(close, thread=True, group="chiosco-uscita", exit_on_error=False)
    elif what == "operator":
        app.operator = username
        app.advance("1A", "operatore-attivo")
    else:
        app.run_worker(lambda: record_operator_logout(ctx, username, motivo="chiosco"), thread=True, group="audit")
