"""Operator tab "Formatore": reset the demo data, open the journey map, notes for trainers.

``finish_demo_reset`` is what follows a reset (asked here or from the command palette):
the journey restarts at 1A, every outbox pane reloads, the home shows the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Markdown, Static

from areaclienti_tui.services import demo
from areaclienti_tui.steps.base import ConsoleApp, actions
from areaclienti_tui.steps.operator.common import OperatorTab, sign_out_operator
from areaclienti_tui.widgets.literal import literal
from areaclienti_tui.widgets.modals import ConfirmModal
from areaclienti_tui.widgets.outbox_pane import OutboxPane

if TYPE_CHECKING:
    from areaclienti_tui.services.context import Context

TRAINER_NOTES = """\
### Percorsi registrati (scenari)

Un file TOML descrive i passi (`[[step]]`: `type`, `click`, `press`, `choose`, `otp`,
`expect_step`, `expect_text`, `expect_outbox`…) e si esegue senza interfaccia:

```
areaclienti-tui scenario percorso.toml
```

### Il telefono del cliente

In modalità chiosco (`areaclienti-tui --kiosk`) i messaggi non compaiono a schermo:
in un altro terminale

```
areaclienti-tui outbox --follow
```

mostra SMS ed email (con il codice) man mano che partono.

### Tra una dimostrazione e l'altra

**Ripristina dati demo** (qui sopra, o dalla palette dei comandi, o da terminale con
`areaclienti-tui reset-demo`) riporta il database allo stato iniziale.
"""

RESET_QUESTION = (
    "[b]Ripristinare i dati demo?[/b]\n\n"
    "Tutti i dati verranno cancellati: clienti, account, messaggi inviati, richieste di "
    "assistenza e registro audit. Poi verranno ricaricate le personas demo, l'account di "
    "Anna Conti e l'operatore demo. Il percorso del cliente riparte da 1A."
)


@dataclass(frozen=True)
class ResetOutcome:
    summary: str
    operator_kept: bool


def reset_demo_data(ctx: Context, operator: str) -> ResetOutcome:
    """Reset the demo (blocking): the report, and whether the operator still exists afterwards."""
    from sqlmodel import select

    from areaclienti_tui.store.models import Operator

    report = demo.reset(ctx, actor=operator)
    with ctx.db.session() as session:
        kept = session.exec(select(Operator.id).where(Operator.username == operator)).first() is not None
    return ResetOutcome(report.summary(), kept)


class TrainerTab(OperatorTab):
    """Tab "Formatore": reset the demo data; how to play scenarios and follow the outbox."""

    DEFAULT_CSS = """
    TrainerTab #ripristino-esito { margin-top: 1; }
    TrainerTab #note-formatore { margin-top: 1; }
    TrainerTab #mappa-spiegazione { margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(
            "[b]Dati demo[/b]\nCancella tutti i dati e ricarica le personas demo: utile tra una "
            "dimostrazione e l'altra. Chiede conferma."
        )
        yield actions(Button("Ripristina dati demo", id="ripristina-demo", variant="error"))
        yield Static("", id="ripristino-esito")
        yield Static(
            "[b]Mappa del percorso[/b]\nTutti i passi della console e dove porta ogni esito, con il passo "
            "del cliente evidenziato (anche dalla palette dei comandi).", id="mappa-spiegazione"
        )
        yield actions(Button("Mappa del percorso", id="mappa-percorso"))
        yield Markdown(TRAINER_NOTES, id="note-formatore")

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        self.query_one("#ripristina-demo", Button).focus()
        if isinstance(payload, str):
            self.query_one("#ripristino-esito", Static).update(literal(payload))
        if action == "reset":
            self.ask_reset()

    @on(Button.Pressed, "#ripristina-demo")
    def ask_reset(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        self.app.push_screen(ConfirmModal(RESET_QUESTION, confirm_label="Ripristina"), self._answered)

    @on(Button.Pressed, "#mappa-percorso")
    def show_journey_map(self, event: Button.Pressed) -> None:
        event.stop()
        from areaclienti_tui.widgets.journey_map_view import open_journey_map

        open_journey_map(self.app, self.screen)

    def _answered(self, confirmed: bool | None) -> None:
        if not confirmed:
            self.query_one("#ripristino-esito", Static).update("Ripristino annullato: nessun dato è stato modificato.")
            return
        ctx, operator = self.app.ctx, self.operator or "operatore"
        self.query_one("#ripristina-demo", Button).disabled = True
        self.query_one("#ripristino-esito", Static).update("Ripristino dei dati demo in corso…")
        self.run_job(lambda: reset_demo_data(ctx, operator), self._done, group="ripristino")

    def job_failed(self, error: BaseException | None) -> None:
        self.query_one("#ripristina-demo", Button).disabled = False
        self.query_one("#ripristino-esito", Static).update("Il ripristino non è riuscito: riprova.")
        super().job_failed(error)

    def _done(self, outcome: ResetOutcome) -> None:
        finish_demo_reset(self.app, outcome)


def finish_demo_reset(app: ConsoleApp, outcome: ResetOutcome) -> None:
    """After a reset: the journey restarts at 1A, every outbox pane reloads, the home shows the result."""
    text = f"Dati demo ripristinati: {outcome.summary}."
    app.restart()
    for screen in app.screen_stack:
        for pane in screen.query(OutboxPane):
            pane.reload()
    if outcome.operator_kept and app.operator is not None:
        app.advance("1A", "operatore-attivo", initial="formatore", payload=text)
    else:
        sign_out_operator(app, reason="ripristino")
        text += " Il tuo utente operatore non esiste più: accedi con l'operatore demo."
    app.notify(text, title="Dati demo ripristinati")
