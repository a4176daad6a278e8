"""Steps 6A (Codice inviato) and 7A (Verifica), ending with the new account.

The code entry itself is shared with 4B (path B) and lives in `steps/codes.py`:
`CodeEntryScreen` checks the 6-digit format, counts down the resend cooldown and
shows wrong, expired and exhausted codes at the `#otp` field; `RegistrationCodeScreen`
confirms the registration code and announces ``confermato`` or ``gia-registrato``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from areaclienti_tui.rules.username import display_contact
from areaclienti_tui.services.codes import IssuedCode
from areaclienti_tui.steps.base import StepScreen, actions, panel
from areaclienti_tui.steps.codes import (  # noqa: F401 - CodeEntryScreen, ResendMixin: their old home
    CodeEntryScreen,
    RegistrationCodeScreen,
    ResendMixin,
    channel_words,
    registration_resend,
)
from areaclienti_tui.widgets.literal import template


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
        self.app.advance(self, "continua")

    def action_back(self) -> None:
        """Leaving now would lose the registration: go back only from 7A."""
        self.app.notify("Non chiudere questa pagina: inserisci il codice che hai ricevuto.", severity="warning")


class VerifyCodeScreen(RegistrationCodeScreen):
    """The registration code of path A (7A); path B's 4B is its sibling in pathb.py."""

    STEP = "7A"


class AccountCreatedScreen(StepScreen):
    """The new account: 7A-fatto, or 4B-fatto on path B (`step` says which)."""

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
        self.app.advance(self, "accedi", username=self._username)
