"""Steps 6A (Codice inviato) and 7A (Verifica), ending with the new account.

The same code entry serves 4B: `CodeEntryScreen` checks the 6-digit format,
counts down the resend cooldown and shows wrong, expired and exhausted codes at
the `#otp` field.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from areaclienti_tui.rules.username import display_contact
from areaclienti_tui.services import codes, registration
from areaclienti_tui.services.codes import CodeError, IssuedCode
from areaclienti_tui.steps.base import StepScreen, actions, panel
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


class CodeSentScreen(ResendMixin):
    STEP = "6A"
    HEADING = "Ti abbiamo inviato un codice"

    def compose_step(self) -> ComposeResult:
        issued = self.app.journey.code
        assert issued is not None
        yield panel(
            Static(
                template(f"Abbiamo inviato {channel_words(issued)} a [b]$masked[/b] con il "
                         "[b]codice di verifica temporaneo[/b] di 6 cifre.", masked=issued.masked),
                id="destinazione",
            ),
            Static(self.expiry_text(issued), id="scadenza", classes="nota"),
        )
        yield panel(
            Static("[b]Attenzione:[/b] non chiudere l'app o il sito finché non avrai inserito il codice di verifica."),
            classes="riquadro avviso",
        )
        yield actions(Button("Continua", id="continua", variant="primary"), *self.compose_resend())

    def expiry_text(self, issued: IssuedCode) -> str:
        return f"Il codice vale {self.app.ctx.settings.code_ttl_seconds // 60} minuti."

    def on_mount(self) -> None:
        super().on_mount()
        self.start_resend_timer()
        self.query_one("#continua").focus()

    def resend_job(self) -> IssuedCode:
        return registration_resend(self)

    def code_resent(self, issued: IssuedCode) -> None:
        self.query_one("#destinazione", Static).update(
            template(f"Abbiamo inviato {channel_words(issued)} a [b]$masked[/b] con un nuovo codice di verifica.",
                     masked=issued.masked)
        )

    @on(Button.Pressed, "#continua")
    def proceed(self) -> None:
        self.app.go(VerifyCodeScreen())

    def action_back(self) -> None:
        """Leaving now would lose the registration: go back only from 7A."""
        self.app.notify("Non chiudere questa pagina: inserisci il codice che hai ricevuto.", severity="warning")


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


class VerifyCodeScreen(CodeEntryScreen):
    """The registration code: 7A, and 4B on path B (same rules, same outcome)."""

    STEP = "7A"
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
        self.app.go(AccountCreatedScreen(pending.username.value, step=self.STEP))

    def refused(self, error: Exception) -> None:
        if isinstance(error, registration.AlreadyRegistered):
            from areaclienti_tui.steps.registration import AlreadyRegisteredScreen

            self.app.go(AlreadyRegisteredScreen())
            return
        super().refused(error)


class AccountCreatedScreen(StepScreen):
    STEP = "7A"
    BADGE = "Passo 7A · Fatto"
    HEADING = "Il tuo account è stato creato"
    DONE = True  # Esc stays here: the way on is Accedi

    def __init__(self, username: str, shown: str | None = None, *, step: str = "7A") -> None:
        super().__init__()
        self.STEP = step
        self.BADGE = f"Passo {step} · Fatto"
        self._username = username
        self._shown = display_contact(username) if shown is None else shown

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                template("Registrazione completata. Il tuo nome utente è [b]$username[/b].\n\n"
                         "Ora puoi accedere all'Area Clienti con il nome utente e la password che hai scelto.",
                         username=self._shown)
            ),
            classes="riquadro successo",
        )
        yield actions(Button("Accedi", id="accedi", variant="primary"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#accedi").focus()

    def action_back(self) -> None:
        """Nothing to go back to (the code is used), and Esc never goes forward to 8A."""

    @on(Button.Pressed, "#accedi")
    def login(self) -> None:
        from areaclienti_tui.steps.login import LoginScreen

        self.app.restart(then=LoginScreen(username=self._username))
