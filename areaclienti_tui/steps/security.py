"""Step 9A (codice di sicurezza) and 10A (cellulare mancante), with what they
protect: the login, change of password and of username, password recovery and
the simulated biometric login.

Each screen announces its outcome (``app.advance``); the journey map says where it leads.
9A is asked for with `request_security_code(screen, login, purpose, outcome)` (steps/codes.py):
`outcome` is what 9A announces once the code is right."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.password import validate_password
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import codes, security
from areaclienti_tui.services.auth import CustomerLogin
from areaclienti_tui.services.codes import IssuedCode
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.steps.base import StepScreen, actions, panel
from areaclienti_tui.steps.codes import CodeEntryScreen, request_security_code  # noqa: F401 - re-exported
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput
from areaclienti_tui.widgets.modals import BiometricModal  # noqa: F401 - re-exported: its old home
from areaclienti_tui.widgets.password_meter import PasswordMeter, password_fields

PURPOSE_TEXT = {
    "accesso": "per completare l'accesso",
    "operazione": "per confermare un'operazione che richiede maggiore sicurezza",
}


class SecurityCodeScreen(CodeEntryScreen):
    """9A: once the code is right it announces `outcome` (``entrato``: the login completes;
    ``cambio-password``, ``cambio-username``: the operation's screen, built with `onward`)."""

    STEP = "9A"
    HEADING = "Codice di sicurezza"

    def __init__(self, login: CustomerLogin, purpose: str, outcome: str, onward: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.login = login
        self.purpose = purpose
        self.outcome = outcome
        self.onward = dict(onward or {})

    def compose_step(self) -> ComposeResult:
        yield Static(
            f"Ti abbiamo inviato un SMS con un codice di verifica temporaneo di sei cifre "
            f"{PURPOSE_TEXT.get(self.purpose, '')}. Inseriscilo: così confermiamo la tua identità "
            "e puoi proseguire in sicurezza.",
            classes="step-intro",
        )
        yield from super().compose_step()

    def resend_job(self) -> IssuedCode:
        issued = self.app.journey.code
        assert issued is not None
        return security.send_security_code(self.app.ctx, self.login, self.purpose, issued.flow_id)

    def confirm_job(self, code: str) -> object:
        issued = self.app.journey.code
        assert issued is not None
        return codes.verify(self.app.ctx, issued.flow_id, code, actor=self.login.username)

    def confirmed(self, result: object) -> None:
        self.app.journey.code = None
        if self.outcome == "entrato":  # the login completes: recorded, this console trusted
            self.app.finish_login(self.login, trust=True, source=self, **self.onward)
        else:
            self.app.advance(self, self.outcome, **self.onward)


class MissingMobileScreen(StepScreen):
    STEP = "10A"
    HEADING = "Cellulare non registrato"

    def __init__(self, login: CustomerLogin) -> None:
        super().__init__()
        self.login = login

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                "Per proseguire ti inviamo un codice di sicurezza per SMS, ma [b]non risulta registrato "
                "nei nostri sistemi un numero di cellulare[/b], oppure non lo hai comunicato ad Inarcassa.\n\n"
                "Registra il tuo cellulare premendo [b]Richiedi assistenza[/b] e compila il modulo: "
                "tieni a portata di mano un documento d'identità valido."
            ),
            classes="riquadro avviso",
        )
        yield actions(
            Button("Richiedi assistenza", id="richiedi-assistenza", variant="primary"),
            Button("Indietro", id="indietro"),
        )

    @on(Button.Pressed, "#richiedi-assistenza")
    def assistance(self) -> None:
        self.app.advance(self, "assistenza", origin="11A", customer_id=self.login.customer_id)


class NewPasswordScreen(StepScreen):
    """A new password under the 5A policy: after 9A (change) or a recovery code."""

    STEP = "cambio-password"
    HEADING = "Scegli la nuova password"
    INTRO = "Tra 8 e 16 caratteri, con almeno una lettera maiuscola, una minuscola e un numero."

    def __init__(self, account_id: int, names: tuple[str, str, str], *, recovery: bool = False) -> None:
        super().__init__()
        self.account_id = account_id
        self.names = names
        self.recovery = recovery
        if recovery:
            self.STEP = "recupero-password"

    def compose_step(self) -> ComposeResult:
        yield from password_fields(label="Nuova password")
        yield actions(Button("Salva la password", id="continua", variant="primary"), Button("Indietro", id="indietro"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#password").focus()

    @on(Input.Changed, "#password")
    def password_changed(self, event: Input.Changed) -> None:
        self.query_one(PasswordMeter).update_for(event.value, self.names)

    @on(Input.Submitted)
    @on(Button.Pressed, "#continua")
    def submit(self) -> None:
        self.clear_errors()
        nome, cognome, username = self.names
        password = self.value_of("password")
        try:
            validate_password(password, self.value_of("conferma-password"), nome=nome, cognome=cognome,
                              username=username)
        except RuleError as error:
            self.show_error(error.field or "password", error.message)
            return
        ctx, account_id = self.app.ctx, self.account_id
        reason = "recupero" if self.recovery else "cambio"

        def job() -> None:
            security.change_password(ctx, account_id, hash_password(password, ctx.settings.bcrypt_rounds),
                                     actor=username, reason=reason)

        self.run_busy(job, self._saved, label="Salvataggio della password…")

    def _saved(self, _result: object) -> None:
        self.app.notify("La password è stata cambiata.", title="Fatto")
        if self.recovery:
            self.app.advance(self, "salvata", username=self.names[2])
        else:
            self.app.back_to_products(self, "salvata")


class NewUsernameScreen(StepScreen):
    STEP = "cambio-username"
    HEADING = "Cambia il nome utente"
    INTRO = (
        "Scrivi il nuovo recapito email o cellulare da usare come nome utente: ti invieremo "
        "un codice per verificare che sia tuo."
    )

    def __init__(self, login: CustomerLogin) -> None:
        super().__init__()
        self.login = login

    def compose_step(self) -> ComposeResult:
        yield Field(
            "Nuovo nome utente",
            TextInput(placeholder="nome@esempio.it oppure 3471234567", id="username"),
            hint="Il cellulare va scritto senza +39, senza punti e senza spazi; l'email non può essere una PEC.",
        )
        yield actions(Button("Continua", id="continua", variant="primary"), Button("Indietro", id="indietro"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#username").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#continua")
    def submit(self) -> None:
        self.clear_errors()
        username = self.read_username()
        if username is None:
            return
        ctx, login = self.app.ctx, self.login

        def done(issued: IssuedCode) -> None:
            self.app.journey.code = issued
            self.app.advance(self, "continua", login=login, username=username)

        def failed(error: Exception) -> None:
            self.show_error("username", getattr(error, "message", str(error)))

        self.run_busy(lambda: security.send_username_code(ctx, login, username), done, failed,
                      label="Invio del codice al nuovo recapito…")


class NewUsernameCodeScreen(CodeEntryScreen):
    STEP = "cambio-username"
    HEADING = "Verifica il nuovo recapito"

    def __init__(self, login: CustomerLogin, username: Username) -> None:
        super().__init__()
        self.login = login
        self.username = username

    def resend_job(self) -> IssuedCode:
        issued = self.app.journey.code
        assert issued is not None
        return security.send_username_code(self.app.ctx, self.login, self.username, issued.flow_id)

    def confirm_job(self, code: str) -> object:
        issued = self.app.journey.code
        assert issued is not None
        codes.verify(self.app.ctx, issued.flow_id, code, actor=self.login.username)
        return security.change_username(self.app.ctx, self.login, self.username)

    def confirmed(self, result: object) -> None:
        assert isinstance(result, CustomerLogin)
        self.app.journey.login = result
        self.app.journey.code = None
        self.app.notify(f"Il tuo nuovo nome utente è {self.username.display}.", title="Fatto")
        self.app.back_to_products(self, "confermato")


class RecoveryScreen(StepScreen):
    STEP = "recupero-password"
    HEADING = "Password dimenticata?"
    INTRO = (
        "Scrivi il tuo nome utente (l'email o il cellulare con cui ti sei registrato): "
        "ti invieremo lì un codice per scegliere una nuova password."
    )

    def __init__(self, username: str = "") -> None:
        super().__init__()
        self._username = username

    def compose_step(self) -> ComposeResult:
        yield Field("Nome utente", TextInput(self._username, placeholder="nome@esempio.it oppure 3471234567", id="username"))
        yield actions(Button("Invia il codice", id="continua", variant="primary"), Button("Indietro", id="indietro"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#username").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#continua")
    def submit(self) -> None:
        self.clear_errors()
        text = self.value_of("username")
        if not text.strip():
            self.show_error("username", "Inserisci il nome utente: l'email o il cellulare con cui ti sei registrato.")
            return
        ctx = self.app.ctx

        def done(recovery: security.Recovery) -> None:
            self.app.journey.code = recovery.issued
            self.app.advance(self, "continua", recovery=recovery, username_text=text)

        def failed(error: Exception) -> None:
            self.show_error("username", getattr(error, "message", str(error)))

        self.run_busy(lambda: security.start_recovery(ctx, text), done, failed, label="Invio del codice…")


class RecoveryCodeScreen(CodeEntryScreen):
    STEP = "recupero-password"
    HEADING = "Inserisci il codice di recupero"
    SHOW_DESTINATION = False  # the same screen for known and unknown names
    NOTICE: ClassVar[str] = (
        "Se esiste un account con il nome utente indicato, gli abbiamo inviato un codice di verifica temporaneo."
    )

    def __init__(self, recovery: security.Recovery, username_text: str) -> None:
        super().__init__()
        self.recovery = recovery
        self.username_text = username_text

    def compose_step(self) -> ComposeResult:
        yield Static(self.NOTICE, classes="step-intro")
        yield from super().compose_step()

    def resend_job(self) -> IssuedCode:
        return security.resend_recovery(self.app.ctx, self.recovery)

    def confirm_job(self, code: str) -> object:
        security.verify_recovery(self.app.ctx, self.recovery, code)
        assert self.recovery.account_id is not None
        return security.account_names(self.app.ctx, self.recovery.account_id)

    def confirmed(self, result: object) -> None:
        assert self.recovery.account_id is not None
        self.app.journey.code = None
        self.app.advance(self, "confermato", account_id=self.recovery.account_id, names=result, recovery=True)
