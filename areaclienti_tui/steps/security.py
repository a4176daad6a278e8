"""Step 9A (codice di sicurezza) and 10A (cellulare mancante), with what they
protect: the login, change of password and of username, password recovery and
the simulated biometric login."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.password import validate_password
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import codes, security
from areaclienti_tui.services.auth import CustomerLogin
from areaclienti_tui.services.codes import IssuedCode
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.steps.base import StepScreen, actions, panel
from areaclienti_tui.steps.verification import CodeEntryScreen
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput, option
from areaclienti_tui.widgets.password_meter import PasswordMeter, password_fields

PURPOSE_TEXT = {
    "accesso": "per completare l'accesso",
    "operazione": "per confermare un'operazione che richiede maggiore sicurezza",
}


def request_security_code(screen: StepScreen, login: CustomerLogin, purpose: str, then: Callable[[], None]) -> None:
    """Send a 9A code to the mobile on file and ask for it; 10A when there is no mobile."""
    app = screen.app
    ctx = app.ctx

    def done(issued: IssuedCode) -> None:
        app.journey.code = issued
        app.go(SecurityCodeScreen(login, purpose, then))

    def failed(error: Exception) -> None:
        if isinstance(error, security.NoMobile):
            app.go(MissingMobileScreen(login))
        else:
            app.notify(getattr(error, "message", str(error)), severity="warning")

    screen.run_busy(lambda: security.send_security_code(ctx, login, purpose), done, failed,
                    label="Invio del codice di sicurezza…")


def begin_session(screen: StepScreen, login: CustomerLogin, *, method: str = "password") -> None:
    """After the password (or the simulated fingerprint): 9A if the policy wants it, then in."""
    app = screen.app
    ctx, device = app.ctx, app.device

    def decided(needed: bool) -> None:
        if not needed:
            app.finish_login(login, method=method)
            return
        request_security_code(screen, login, "accesso", lambda: app.finish_login(login, method=method, trust=True))

    screen.run_busy(lambda: security.login_needs_code(ctx, login, device), decided, label="Accesso in corso…")


class SecurityCodeScreen(CodeEntryScreen):
    STEP = "9A"
    HEADING = "Codice di sicurezza"

    def __init__(self, login: CustomerLogin, purpose: str, then: Callable[[], None]) -> None:
        super().__init__()
        self.login = login
        self.purpose = purpose
        self.then = then

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
        self.then()


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
        from areaclienti_tui.steps.assistance import AssistanceFormScreen

        self.app.go(AssistanceFormScreen(origin="11A", customer_id=self.login.customer_id))


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
            from areaclienti_tui.steps.login import LoginScreen

            self.app.restart(then=LoginScreen(username=self.names[2]))
        else:
            self.app.back_to_products()


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
            self.app.go(NewUsernameCodeScreen(login, username))

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
        self.app.back_to_products()


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
            self.app.go(RecoveryCodeScreen(recovery, text))

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
        self.app.go(NewPasswordScreen(self.recovery.account_id, result, recovery=True))  # type: ignore[arg-type]


class BiometricModal(ModalScreen[int | None]):
    """The simulated fingerprint: choose the enrolled account and confirm."""

    BINDINGS = [Binding("escape", "cancel", "Annulla")]

    DEFAULT_CSS = """
    BiometricModal { align: center middle; }
    BiometricModal > Vertical {
        width: 70; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    BiometricModal OptionList { height: auto; max-height: 8; margin: 1 0; }
    """

    def __init__(self, enrolments: list[security.Enrolment]) -> None:
        super().__init__()
        self.enrolments = enrolments

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "[b]Riconoscimento biometrico (SIMULATO)[/b]\n\n"
                "Questa console non ha un sensore: la conferma qui sotto simula l'impronta o il volto "
                "riconosciuti dal dispositivo."
            )
            yield OptionList(*(option(e.masked, id=str(e.account_id)) for e in self.enrolments), id="account-biometrici")
            yield actions(
                Button("Simula riconoscimento", id="conferma-biometrico", variant="primary"),
                Button("Annulla", id="annulla"),
            )

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = 0
        option_list.focus()

    @on(OptionList.OptionSelected)
    @on(Button.Pressed, "#conferma-biometrico")
    def confirm(self) -> None:
        index = self.query_one(OptionList).highlighted
        self.dismiss(self.enrolments[index].account_id if index is not None else None)

    @on(Button.Pressed, "#annulla")
    def action_cancel(self) -> None:
        self.dismiss(None)
