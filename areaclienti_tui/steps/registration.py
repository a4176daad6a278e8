"""Steps 3A (I tuoi dati), 4A (Nome utente), 5A (Password) and the outcomes of
recognition that end the registration early ("già registrato", "serve almeno
una polizza")."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Checkbox, Input, Select, Static

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.password import validate_password
from areaclienti_tui.rules.personal import parse_birth_date, parse_sex
from areaclienti_tui.rules.text import clean_person_name
from areaclienti_tui.services import registration
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.services.privacy import load_notice
from areaclienti_tui.services.registration import PendingAccount, PersonalData
from areaclienti_tui.steps.base import SEX_OPTIONS, StepScreen, actions, panel
from areaclienti_tui.widgets.date_input import DateInput
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput
from areaclienti_tui.widgets.modals import DocumentModal
from areaclienti_tui.widgets.password_meter import PasswordMeter, password_fields
from areaclienti_tui.widgets.quick_select import QuickSelect, quick_select

def sex_select(value: object) -> QuickSelect:
    """`#sesso`: Enter or the arrows open Maschio/Femmina; ``M`` or ``F`` typed on it chooses at once."""
    return quick_select(SEX_OPTIONS, value, prompt="Seleziona", id="sesso")


class PersonalDataScreen(StepScreen):
    STEP = "3A"
    HEADING = "Inserisci i tuoi dati"
    INTRO = "Inserisci i tuoi dati correttamente, [b]come comunicati ad Inarcassa[/b]."

    def compose_step(self) -> ComposeResult:
        yield Field("Nome", TextInput(self.recall("nome"), placeholder="es. Mario", id="nome"))
        yield Field("Cognome", TextInput(self.recall("cognome"), placeholder="es. Rossi", id="cognome"))
        yield Field(
            "Data di nascita",
            DateInput(self.recall("data-nascita"), placeholder="GG/MM/AAAA", id="data-nascita", max_length=10),
            hint="Anche senza barre: 14031975 diventa 14/03/1975.",
        )
        yield Field("Sesso", sex_select(self.recall("sesso", None)), hint="Scrivi M o F, oppure premi Invio per scegliere.")
        yield actions(Button("Continua", id="continua", variant="primary"), Button("Indietro", id="indietro"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#nome").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#continua")
    def submit(self) -> None:
        self.clear_errors()
        birth_date = self.query_one("#data-nascita", DateInput)
        with self.prevent(Input.Changed):  # its Changed would clear the message shown below
            if birth_date.normalize():
                self.remember("data-nascita", birth_date.value)
        values: dict[str, object] = {}
        checks = {
            "nome": lambda: clean_person_name(self.value_of("nome"), "nome"),
            "cognome": lambda: clean_person_name(self.value_of("cognome"), "cognome"),
            "data-nascita": lambda: parse_birth_date(self.value_of("data-nascita"), self.app.today()),
            "sesso": lambda: parse_sex(_selected(self.query_one("#sesso", Select))),
        }
        first_error: str | None = None
        for widget_id, check in checks.items():
            try:
                values[widget_id] = check()
            except RuleError as error:
                self.show_error(widget_id, error.message, focus=first_error is None)
                first_error = first_error or widget_id
        if first_error:
            return
        self.app.journey.person = PersonalData(
            nome=str(values["nome"]),
            cognome=str(values["cognome"]),
            data_nascita=values["data-nascita"],  # type: ignore[arg-type]
            sesso=str(values["sesso"]),
        )
        self.app.advance(self, "continua")


def _selected(select: Select) -> str | None:
    return None if select.value is Select.NULL else str(select.value)


class UsernameScreen(StepScreen):
    STEP = "4A"
    HEADING = "Scegli il nome utente"
    INTRO = (
        "Inserisci il [b]recapito email o cellulare[/b] da usare come [b]Nome Utente[/b]. "
        "L'email non deve essere una PEC e il recapito non deve essere già usato da altri utenti."
    )

    def compose_step(self) -> ComposeResult:
        yield Field(
            "Email o cellulare",
            TextInput(self.recall("username"), placeholder="nome@esempio.it oppure 3471234567", id="username"),
            hint="Il cellulare va scritto senza +39, senza punti e senza spazi.",
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

        def done(taken: bool) -> None:
            if taken:
                self.show_error("username", registration.USERNAME_TAKEN)
                return
            self.app.journey.username = username
            self.app.advance(self, "continua")

        self.run_busy(lambda: registration.username_taken(self.app.ctx, username), done, label="Verifica del recapito…")


class PasswordScreen(StepScreen):
    STEP = "5A"
    HEADING = "Crea la tua password"
    INTRO = (
        "La password deve avere tra 8 e 16 caratteri e contenere almeno una lettera maiuscola, "
        "una minuscola e un numero. Leggi l'informativa privacy e concludi con [b]Registrati[/b]."
    )

    def compose_step(self) -> ComposeResult:
        yield from password_fields(self.recall("password"), self.recall("conferma-password"))
        yield panel(
            Static("Prima di registrarti leggi l'informativa sul trattamento dei dati personali."),
            Button("Leggi l'informativa privacy", id="informativa", variant="default"),
            classes="riquadro",
        )
        yield Field(
            "Consenso",
            Checkbox("Ho letto l'informativa privacy e acconsento", self.recall("privacy", False), id="privacy"),
        )
        yield actions(Button("Registrati", id="registrati", variant="primary"), Button("Indietro", id="indietro"))

    def on_mount(self) -> None:
        super().on_mount()
        self._refresh_meter(self.value_of("password"))
        self.query_one("#password").focus()

    def _user_inputs(self) -> tuple[str, ...]:
        journey = self.app.journey
        parts = [journey.person.nome, journey.person.cognome] if journey.person else []
        if journey.username:
            parts.append(journey.username.value)
        return tuple(parts)

    def _refresh_meter(self, password: str) -> None:
        self.query_one(PasswordMeter).update_for(password, self._user_inputs())

    @on(Input.Changed, "#password")
    def password_changed(self, event: Input.Changed) -> None:
        self._refresh_meter(event.value)

    @on(Button.Pressed, "#informativa")
    def show_notice(self) -> None:
        notice = load_notice(self.app.settings.privacy_file)
        self.app.push_screen(DocumentModal(f"Informativa privacy (versione {notice.version})", notice.text))

    @on(Input.Submitted)
    @on(Button.Pressed, "#registrati")
    def submit(self) -> None:
        self.clear_errors()
        journey = self.app.journey
        person, username = journey.person, journey.username
        if person is None or username is None:
            self.app.restart()
            return
        password = self.value_of("password")
        failed = False
        try:
            validate_password(
                password,
                self.value_of("conferma-password"),
                nome=person.nome,
                cognome=person.cognome,
                username=username.value,
            )
        except RuleError as error:
            self.show_error(error.field or "password", error.message)
            failed = True
        if not self.query_one("#privacy", Checkbox).value:
            self.show_error("privacy", "Per registrarti devi accettare l'informativa privacy.", focus=not failed)
            failed = True
        if failed:
            return
        ctx = self.app.ctx
        notice = load_notice(self.app.settings.privacy_file)

        def job() -> tuple[registration.Recognition, PendingAccount | None]:
            # Hashed whatever the outcome: path B (1B→4B) creates the account with it too.
            journey.password_hash = hash_password(password, ctx.settings.bcrypt_rounds)
            recognition = registration.recognise(ctx, person, username)
            if recognition.outcome != registration.RECOGNISED or recognition.customer_id is None:
                return recognition, None
            pending = PendingAccount(
                customer_id=recognition.customer_id,
                username=username,
                password_hash=journey.password_hash,
                notice_version=notice.version,
            )
            journey.code = registration.send_code(ctx, pending)
            return recognition, pending

        self.run_busy(job, self._recognised, self._code_refused, label="Stiamo verificando i tuoi dati…")

    def _code_refused(self, error: Exception) -> None:
        """The code could not be sent (too many codes to this contact): say so, keep what was typed."""
        self.app.notify(getattr(error, "message", str(error)), severity="warning", title="Codice non inviato")

    def _recognised(self, result: tuple[registration.Recognition, PendingAccount | None]) -> None:
        recognition, pending = result
        outcome = recognition.outcome
        if outcome == registration.RECOGNISED and pending is not None:
            self.app.journey.pending = pending
            self.app.advance(self, "riconosciuto")
        elif outcome == registration.ALREADY_REGISTERED:
            self.app.advance(self, "gia-registrato")
        elif outcome == registration.NO_POLICY:
            self.app.advance(self, "senza-polizza")
        else:
            self.app.advance(self, "non-riconosciuto")


class AlreadyRegisteredScreen(StepScreen):
    STEP = "gia-registrato"
    BADGE = "Esito della registrazione"
    HEADING = "Risulti già registrato"

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                "Esiste già un account dell'Area Clienti per i dati che hai inserito.\n\n"
                "Puoi accedere con le credenziali che già possiedi. Se non ricordi la password, "
                "dalla pagina di accesso scegli [b]Password dimenticata?[/b]."
            ),
            classes="riquadro avviso",
        )
        yield actions(Button("Accedi", id="accedi", variant="primary"), Button("Indietro", id="indietro"))

    @on(Button.Pressed, "#accedi")
    def login(self) -> None:
        self.app.advance(self, "accedi")


class NoPolicyScreen(StepScreen):
    STEP = "senza-polizza"
    BADGE = "Esito della registrazione"
    HEADING = "Serve almeno una polizza Generali"

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                "Ti abbiamo riconosciuto, ma non risulta a tuo nome nessuna polizza Generali attiva.\n\n"
                "Per registrarti ad Area Clienti devi avere [b]almeno una polizza Generali[/b]. "
                "Se pensi che sia un errore, contatta l'Assistenza."
            ),
            classes="riquadro avviso",
        )
        yield actions(Button("Torna all'inizio", id="inizio", variant="primary"), Button("Indietro", id="indietro"))

    @on(Button.Pressed, "#inizio")
    def home(self) -> None:
        self.app.advance(self, "inizio")
