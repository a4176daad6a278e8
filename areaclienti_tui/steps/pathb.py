"""Path B of the guide: data not recognised (1B), codice fiscale (2B), contacts on
file (3B), code (4B), none suits (5B), generic error (6B). Each screen announces its
outcome (``app.advance``); the journey map says where it leads."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, OptionList, Static

from areaclienti_tui.rules.codice_fiscale import validate_codice_fiscale
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.services import pathb, registration
from areaclienti_tui.services.codes import IssuedCode
from areaclienti_tui.services.registration import PendingAccount, typed_details
from areaclienti_tui.services.privacy import load_notice
from areaclienti_tui.steps.base import StepScreen, actions, form_error, panel
from areaclienti_tui.steps.codes import RegistrationCodeScreen, channel_words
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput, option

FAQ_PAGE = "https://www.generali.it/assistenza/area-employee-benefits-salute-e-assistenza"
FAQ_QUESTION = "Sono un assicurato Inarcassa e ho problemi con la registrazione. Cosa devo fare?"


class NotRecognisedScreen(StepScreen):
    STEP = "1B"
    HEADING = "Non riusciamo a riconoscerti"

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                "[b]I dati inseriti non corrispondono a quelli in nostro possesso.[/b]\n\n"
                "Assicurati di aver inserito correttamente nome, cognome, data di nascita, sesso "
                "e il recapito scelto come nome utente: puoi tornare indietro e correggerli.\n\n"
                "Se i dati sono corretti, premi [b]Continua[/b]: ti chiederemo il codice fiscale."
            ),
            classes="riquadro errore",
        )
        yield actions(
            Button("Continua", id="continua", variant="primary"),
            Button("Correggi i dati", id="indietro"),
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#continua").focus()

    @on(Button.Pressed, "#continua")
    def proceed(self) -> None:
        self.app.advance(self, "continua")

    def action_back(self) -> None:
        """Back to 3A, where every field still holds what was typed."""
        while len(self.app.screen_stack) > 2 and getattr(self.app.screen, "STEP", None) != "3A":
            self.app.pop_screen()


class GenericErrorScreen(StepScreen):
    STEP = "6B"
    HEADING = "Si è verificato un errore"

    def __init__(self, *, unexpected: bool = False) -> None:
        super().__init__()
        self.unexpected = unexpected

    def compose_step(self) -> ComposeResult:
        cause = (
            "Si è verificato un problema imprevisto: i tuoi dati non sono andati persi, "
            "ma l'operazione non è stata completata."
            if self.unexpected
            else "Non è stato possibile completare la registrazione con i dati forniti."
        )
        yield panel(
            Static(
                f"{cause}\n\nÈ probabile che tu abbia bisogno di un'assistenza specifica. "
                f"Consulta la pagina [b]{FAQ_PAGE}[/b], sezione «Accesso», dove trovi la domanda:\n\n"
                f"[i]«{FAQ_QUESTION}»[/i]\n\n"
                "Oppure compila il modulo di assistenza: ti contatteremo via email."
            ),
            classes="riquadro errore",
        )
        yield actions(
            Button("Contatta l'Assistenza", id="contatta-assistenza", variant="primary"),
            Button("Torna all'inizio", id="inizio"),
        )

    @on(Button.Pressed, "#contatta-assistenza")
    def assistance(self) -> None:
        self.app.advance(self, "assistenza", origin="7B")

    @on(Button.Pressed, "#inizio")
    def home(self) -> None:
        self.app.advance(self, "inizio")

    def action_back(self) -> None:
        """Back one step (2B still holds the codice fiscale typed); from a 6B right after 1A, to 1A."""
        if self.busy:
            return
        if len(self.app.screen_stack) > 2:
            self.app.go_back()
        else:
            self.app.restart()


class CodiceFiscaleScreen(StepScreen):
    STEP = "2B"
    HEADING = "Inserisci il tuo codice fiscale"
    INTRO = "Inserisci ora il tuo [b]Codice Fiscale[/b] e premi [b]Continua[/b]."

    def compose_step(self) -> ComposeResult:
        yield Field(
            "Codice fiscale",
            TextInput(self.recall("codice-fiscale"), placeholder="16 caratteri", id="codice-fiscale", max_length=20),
        )
        yield actions(Button("Continua", id="continua", variant="primary"), Button("Indietro", id="indietro"))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#codice-fiscale").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#continua")
    def submit(self) -> None:
        self.clear_errors()
        try:
            info = validate_codice_fiscale(self.value_of("codice-fiscale"), today=self.app.today())
        except RuleError as error:
            self.show_error("codice-fiscale", error.message)
            return
        ctx, pec, journey = self.app.ctx, self.app.pec_domains, self.app.journey
        typed = typed_details(journey.person, journey.username.value if journey.username else "")
        self.run_busy(lambda: pathb.lookup(ctx, info, pec, typed), self._found, label="Ricerca in anagrafe…")

    def _found(self, result: pathb.Lookup) -> None:
        if result.outcome == pathb.FOUND:
            self.app.advance(self, "trovato", found=result)
        elif result.outcome == pathb.ALREADY_REGISTERED:
            self.app.advance(self, "gia-registrato")
        else:
            self.app.advance(self, "non-trovato")


class ChooseContactScreen(StepScreen):
    STEP = "3B"
    HEADING = "Scegli il recapito"
    INTRO = (
        "Ti abbiamo identificato. [b]Seleziona il recapito[/b] che vuoi usare come Nome Utente: "
        "ti invieremo lì un codice di verifica temporaneo."
    )

    def __init__(self, found: pathb.Lookup) -> None:
        super().__init__()
        self.found = found

    def compose_step(self) -> ComposeResult:
        options = [
            option(choice.label, id=str(index), disabled=not choice.usable)
            for index, choice in enumerate(self.found.contacts)
        ]
        if options:
            yield OptionList(*options, id="recapiti")
            yield form_error("recapiti")
        else:
            yield panel(
                Static("Non risultano recapiti a tuo nome: puoi chiedere all'Assistenza di aggiungerne uno."),
                classes="riquadro avviso",
            )
        yield actions(
            Button("Continua", id="continua", variant="primary", disabled=not options),
            Button("Nessuno di questi", id="nessun-recapito"),
            Button("Indietro", id="indietro"),
        )

    def on_mount(self) -> None:
        super().on_mount()
        lists = self.query(OptionList)
        if lists:
            option_list = lists.first(OptionList)
            usable = [i for i, c in enumerate(self.found.contacts) if c.usable]
            if usable:
                option_list.highlighted = usable[0]
            option_list.focus()

    @on(OptionList.OptionSelected, "#recapiti")
    @on(Button.Pressed, "#continua")
    def submit(self) -> None:
        option_list = self.query_one("#recapiti", OptionList)
        index = option_list.highlighted
        if index is None or not self.found.contacts[index].usable:
            self.show_error("recapiti", "Seleziona uno dei recapiti utilizzabili.")
            return
        choice = self.found.contacts[index]
        journey = self.app.journey
        if journey.password_hash is None or self.found.customer_id is None:
            self.app.restart()
            return
        pending = PendingAccount(
            customer_id=self.found.customer_id,
            username=choice.username,
            password_hash=journey.password_hash,
            notice_version=load_notice(self.app.settings.privacy_file).version,
            step="4B",
        )
        ctx = self.app.ctx

        def job() -> IssuedCode | None:
            if registration.username_taken(ctx, choice.username):
                return None
            return registration.send_code(ctx, pending)

        def done(issued: IssuedCode | None) -> None:
            if issued is None:
                self.show_error("recapiti", registration.USERNAME_TAKEN)
                return
            journey.pending, journey.code = pending, issued
            self.app.notify(f"Ti abbiamo inviato {channel_words(issued)} a {issued.masked}.", title="Codice inviato")
            self.app.advance(self, "scelto")

        def failed(error: Exception) -> None:
            self.show_error("recapiti", getattr(error, "message", str(error)))

        self.run_busy(job, done, failed, label="Invio del codice…")

    @on(Button.Pressed, "#nessun-recapito")
    def none_suits(self) -> None:
        self.app.advance(self, "nessuno")


class ContactCodeScreen(RegistrationCodeScreen):
    """4B: the registration code sent to the contact chosen in 3B (the same rules as 7A)."""

    STEP = "4B"


class NoContactScreen(StepScreen):
    STEP = "5B"
    HEADING = "Nessun recapito adatto"

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                "Se non vuoi ricevere il codice di verifica temporaneo su nessuno dei recapiti "
                "indicati, premi [b]Contatta l'Assistenza[/b]: compila il modulo con il recapito "
                "cellulare che desideri e allega un documento d'identità valido."
            ),
            classes="riquadro avviso",
        )
        yield actions(
            Button("Contatta l'Assistenza", id="contatta-assistenza", variant="primary"),
            Button("Indietro", id="indietro"),
        )

    @on(Button.Pressed, "#contatta-assistenza")
    def assistance(self) -> None:
        self.app.advance(self, "assistenza", origin="7B")
