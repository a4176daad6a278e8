"""Steps 1A (Benvenuto) and 2A (Tipo di cliente), with the Azienda explanation."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from areaclienti_tui.steps.base import StepScreen, actions, panel


class WelcomeScreen(StepScreen):
    STEP = "1A"
    HEADING = "Benvenuto nell'Area Clienti Generali"
    INTRO = (
        "Sei un iscritto INARCASSA? Per registrarti all'Area Clienti devi avere almeno "
        "una polizza Generali.\n\nPremi [b]Registrati[/b] per iniziare."
    )

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                "Ti ricordiamo che se ti sei già registrato in passato, sul sito o sull'App "
                "MyGenerali, puoi utilizzare le credenziali già in tuo possesso: premi [b]Accedi[/b].",
                id="promemoria",
            )
        )
        yield actions(
            Button("Registrati", id="registrati", variant="primary"),
            Button("Accedi", id="accedi"),
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#registrati").focus()

    def action_back(self) -> None:
        """1A is the start: there is nothing before it."""

    @on(Button.Pressed, "#registrati")
    def register(self) -> None:
        self.app.start_registration()

    @on(Button.Pressed, "#accedi")
    def login(self) -> None:
        self.app.advance(self, "accedi")


class CustomerTypeScreen(StepScreen):
    STEP = "2A"
    HEADING = "Che tipo di cliente sei?"
    INTRO = "Se sei un [b]Cliente assistito Inarcassa[/b] seleziona [b]Persona[/b]."

    def compose_step(self) -> ComposeResult:
        yield actions(
            Button("Persona", id="persona", variant="primary"),
            Button("Azienda", id="azienda"),
            Button("Indietro", id="indietro"),
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#persona").focus()

    @on(Button.Pressed, "#persona")
    def person(self) -> None:
        self.app.advance(self, "persona")

    @on(Button.Pressed, "#azienda")
    def company(self) -> None:
        self.app.advance(self, "azienda")


class CompanyScreen(StepScreen):
    STEP = "2A"
    BADGE = "Passo 2A · Azienda"
    HEADING = "Registrazione come Azienda"

    def compose_step(self) -> ComposeResult:
        yield panel(
            Static(
                "La registrazione delle aziende non si fa da questa console.\n\n"
                "Le coperture INARCASSA sono intestate alla persona iscritta: "
                "se sei un ingegnere o un architetto assicurato tramite INARCASSA torna "
                "indietro e scegli [b]Persona[/b].\n\n"
                "Le aziende clienti Generali si registrano dal sito generali.it, "
                "sezione Area Clienti Aziende, con la partita IVA."
            )
        )
        yield actions(Button("Indietro", id="indietro", variant="primary"))

    def action_back(self) -> None:
        """Indietro (and Esc) closes the explanation: 2A shows again."""
        if not self.busy:
            self.app.advance(self, "indietro")
