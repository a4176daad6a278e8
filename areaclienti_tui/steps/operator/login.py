"""The operator login: the way into the operator area, and where its screens send
anyone who opens them without a signed-in operator."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input

from areaclienti_tui.services import auth
from areaclienti_tui.services.auth import LoginError
from areaclienti_tui.steps.base import actions
from areaclienti_tui.steps.operator.common import OperatorScreen, attempt
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput


class OperatorLoginScreen(OperatorScreen):
    HEADING = "Accesso operatore"
    INTRO = "L'area operatore è riservata: accedi con le tue credenziali di operatore."
    REQUIRES_OPERATOR = False

    def __init__(self, then: tuple[str | None, str | None] | None = None) -> None:
        super().__init__()
        # (tab id, action) to open once signed in: set by the command palette.
        self.then = then

    def compose_step(self) -> ComposeResult:
        yield Field("Nome utente operatore", TextInput(placeholder="es. operatore", id="operatore-username"))
        yield Field("Password", TextInput(password=True, id="operatore-password"))
        yield actions(Button("Accedi", id="operatore-accedi", variant="primary"), Button("Indietro", id="indietro"))

    def ready(self) -> None:
        self.query_one("#operatore-username").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#operatore-accedi")
    def submit(self) -> None:
        self.clear_errors()
        username, password = self.value_of("operatore-username"), self.value_of("operatore-password")
        if not username.strip():
            self.show_error("operatore-username", "Inserisci il nome utente dell'operatore.")
            return
        if not password:
            self.show_error("operatore-password", "Inserisci la password.")
            return
        ctx = self.app.ctx
        self.run_busy(attempt(lambda: auth.operator_login(ctx, username, password).username, LoginError),
                      self.answered, label="Accesso in corso…")

    def answered(self, result: str | LoginError) -> None:
        if isinstance(result, LoginError):
            self.refused(result)
        else:
            self.signed_in(result)

    def refused(self, error: LoginError) -> None:
        message = error.message
        self._clear_password()
        self.show_error("operatore-password", message)

    def _clear_password(self) -> None:
        # Without prevent(), the Changed message of the emptied field would clear the error again.
        password = self.query_one("#operatore-password", Input)
        with password.prevent(Input.Changed):
            password.value = ""

    def signed_in(self, username: str) -> None:
        self._clear_password()
        self.app.operator = username
        tab, action = self.then or (None, None)
        self.app.advance(self, "entrato", initial=tab, action=action)  # the home takes the login's place

    def action_back(self) -> None:
        if not self.busy:
            self.leave_area()


# A screen of the area opened without an operator gives way to this one (OperatorScreen).
OperatorScreen.LOGIN_SCREEN = OperatorLoginScreen
