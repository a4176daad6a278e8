"""What every code entry shares (6A, 7A, 9A, 4B, recovery, new username): the resend
button and its cooldown, the 6-digit field with its errors, and the two ways a code
is asked for — the registration code (7A and 4B) and the security code (9A).

Shared base classes, not steps of their own: the guide's step modules import them
from here, never from each other.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from areaclienti_tui.services import codes, registration, security
from areaclienti_tui.services.auth import CustomerLogin
from areaclienti_tui.services.codes import CodeError, IssuedCode
from areaclienti_tui.steps.base import StepScreen, actions
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput, template


def channel_words(issued: IssuedCode) -> str:
    return "un'email" if issued.channel == "email" else "un SMS"


class ResendMixin(StepScreen):
    """A #reinvia-codice button that is enabled only after the cooldown."""

    # False where saying where the code went would tell whether an account exists (recovery).
    SHOW_DESTINATION: ClassVar[bool] = True

    def compose_resend(self) -> ComposeResult:
        yield Button("Invia un nuovo codice", id="reinvia-codice")
        yield Static("", id="reinvio-stato", classes="nota")

    def start_resend_timer(self) -> None:
        self._tick()
        self.set_interval(1, self._tick)

    def _tick(self) -> None:
        issued = self.app.journey.code
        if issued is None or self.busy:
            return
        wait = issued.resend_wait(self.app.clock.now(), self.app.settings.resend_cooldown_seconds)
        left = issued.resends_left
        button = self.query_one("#reinvia-codice", Button)
        state = self.query_one("#reinvio-stato", Static)
        if left <= 0:
            button.disabled = True
            state.update("Hai già chiesto il numero massimo di nuovi codici.")
        elif wait > 0:
            button.disabled = True
            state.update(f"Potrai chiedere un nuovo codice tra {wait} s ({left} rimasti).")
        else:
            button.disabled = False
            state.update(f"Non hai ricevuto il codice? Puoi chiederne uno nuovo ({left} rimasti).")

    def resend_job(self) -> IssuedCode:
        raise NotImplementedError

    @on(Button.Pressed, "#reinvia-codice")
    def resend(self) -> None:
        def done(issued: IssuedCode) -> None:
            self.app.journey.code = issued
            if self.SHOW_DESTINATION:
                self.app.notify(f"Nuovo codice inviato a {issued.masked}.", title="Codice inviato")
            else:  # recovery: the same words whether the name has an account or not
                self.app.notify("Se il nome utente esiste, gli abbiamo inviato un nuovo codice.", title="Codice inviato")
            self.code_resent(issued)
            self._tick()

        def failed(error: Exception) -> None:
            message = error.message if isinstance(error, CodeError) else str(error)
            self.app.notify(message, severity="warning", title="Nuovo codice non inviato")
            self._tick()

        self.run_busy(self.resend_job, done, failed, label="Invio di un nuovo codice…")

    def code_resent(self, issued: IssuedCode) -> None:
        """Hook for screens that show the destination or expiry."""


def registration_resend(screen: StepScreen) -> IssuedCode:
    journey = screen.app.journey
    assert journey.pending is not None and journey.code is not None
    return registration.send_code(screen.app.ctx, journey.pending, journey.code.flow_id)


class CodeEntryScreen(ResendMixin):
    """Enter a 6-digit code; subclasses say what it confirms."""

    SUBMIT_LABEL: ClassVar[str] = "Continua"

    def compose_step(self) -> ComposeResult:
        issued = self.app.journey.code
        target = " inviato a [b]$masked[/b]" if issued and self.SHOW_DESTINATION else ""
        yield Static(template(f"Inserisci il codice di verifica temporaneo{target}.",
                              masked=issued.masked if issued else ""), id="destinazione")
        yield Field("Codice di verifica", TextInput(placeholder="6 cifre", id="otp", max_length=6, restrict=r"[0-9]*"))
        yield actions(
            Button(self.SUBMIT_LABEL, id="continua", variant="primary"),
            *self.compose_resend(),
            Button("Indietro", id="indietro"),
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.start_resend_timer()
        self.query_one("#otp").focus()

    def code_resent(self, issued: IssuedCode) -> None:
        self.query_one("#otp", Input).value = ""
        self.clear_errors()
        if not self.SHOW_DESTINATION:
            return
        self.query_one("#destinazione", Static).update(
            template("Inserisci il nuovo codice di verifica temporaneo inviato a [b]$masked[/b].", masked=issued.masked)
        )

    def confirm_job(self, code: str) -> object:
        raise NotImplementedError

    def confirmed(self, result: object) -> None:
        raise NotImplementedError

    def refused(self, error: Exception) -> None:
        message = getattr(error, "message", str(error))
        self.show_error("otp", message)
        self._tick()

    @on(Input.Submitted, "#otp")
    @on(Button.Pressed, "#continua")
    def submit(self) -> None:
        self.clear_errors()
        try:
            code = codes.validate_code_format(self.value_of("otp"))
        except CodeError as error:
            self.show_error("otp", error.message)
            return
        self.run_busy(lambda: self.confirm_job(code), self.confirmed, self.refused, label="Verifica del codice…")


class RegistrationCodeScreen(CodeEntryScreen):
    """The registration code: 7A, and 4B on path B (same rules, same outcomes).

    Outcomes: ``confermato`` (the account exists now), ``gia-registrato`` (someone was quicker)."""

    HEADING = "Inserisci il codice di verifica"
    INTRO = "Inserisci il codice e premi [b]Continua[/b] per concludere la creazione del tuo nuovo account."

    def resend_job(self) -> IssuedCode:
        return registration_resend(self)

    def confirm_job(self, code: str) -> object:
        journey = self.app.journey
        assert journey.pending is not None and journey.code is not None
        return registration.complete(self.app.ctx, journey.code.flow_id, code, journey.pending)

    def confirmed(self, result: object) -> None:
        pending = self.app.journey.pending
        assert pending is not None
        self.app.advance(self, "confermato", username=pending.username.value, step=self.STEP)

    def refused(self, error: Exception) -> None:
        if isinstance(error, registration.AlreadyRegistered):
            self.app.advance(self, "gia-registrato")
            return
        super().refused(error)


def request_security_code(screen: StepScreen, login: CustomerLogin, purpose: str, outcome: str, /,
                          **onward: Any) -> None:
    """Send a 9A code to the mobile on file and ask for it (``codice-di-sicurezza``); 10A when
    there is no mobile (``senza-cellulare``).

    `outcome` is what 9A announces once the code is right (``entrato``, ``cambio-password``,
    ``cambio-username``): the journey map says where it leads; `onward` is what that screen
    needs (for ``entrato``, the login's `method`)."""
    app = screen.app
    ctx = app.ctx

    def done(issued: IssuedCode) -> None:
        app.journey.code = issued
        app.advance(screen, "codice-di-sicurezza", login=login, purpose=purpose, outcome=outcome, onward=onward)

    def failed(error: Exception) -> None:
        if isinstance(error, security.NoMobile):
            app.advance(screen, "senza-cellulare", login=login)
        else:
            app.notify(getattr(error, "message", str(error)), severity="warning")

    screen.run_busy(lambda: security.send_security_code(ctx, login, purpose), done, failed,
                    label="Invio del codice di sicurezza…")
