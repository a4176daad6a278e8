"""Operator tab "Audit": every security event of the audit log, newest first, filterable, live."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Select, Static

from areaclienti_tui.services import audit
from areaclienti_tui.steps.base import form_error
from areaclienti_tui.steps.operator.common import OperatorTab, fill_table, when
from areaclienti_tui.widgets.literal import PlainTable, TextInput

AUDIT_KINDS: dict[str, str] = {
    "accesso": "Accesso cliente",
    "uscita": "Uscita cliente",
    "accesso_operatore": "Accesso operatore",
    "uscita_operatore": "Uscita operatore",
    "riconoscimento": "Riconoscimento (Registrati)",
    "ricerca_codice_fiscale": "Ricerca codice fiscale (2B)",
    "codice_inviato": "Codice inviato",
    "codice_reinviato": "Codice reinviato",
    "codice_reinvio": "Reinvio codice rifiutato",
    "codice_verifica": "Verifica codice",
    "codice_sicurezza": "Codice di sicurezza (9A)",
    "account_creato": "Account creato",
    "account_sbloccato": "Account sbloccato",
    "password_cambiata": "Password cambiata",
    "recupero_password": "Recupero password",
    "nome_utente_cambiato": "Nome utente cambiato",
    "dispositivo_fidato": "Dispositivo fidato",
    "dispositivo_biometrico": "Accesso biometrico",
    "assistenza_richiesta": "Richiesta di assistenza",
    "assistenza_approvata": "Assistenza approvata",
    "assistenza_respinta": "Assistenza respinta",
    "ricerca_anagrafe": "Ricerca in anagrafe",
    "import_clienti": "Importazione clienti",
    "operatore_creato": "Operatore creato",
    "demo_caricata": "Dati demo caricati",
    "demo_ripristinata": "Dati demo ripristinati",
    "chiosco_chiuso": "Chiosco chiuso",
    "diagnosi": "Verifica dati",
}


def audit_details(details: dict) -> str:
    text = ", ".join(f"{key}={value}" for key, value in sorted(details.items()) if value not in (None, ""))
    return text if len(text) <= 60 else text[:59] + "…"


class AuditTab(OperatorTab):
    """Tab "Registro audit": every security event, newest first, filterable, live."""

    LIVE = True
    SHOWN = 200
    COLUMNS: ClassVar[tuple[str, ...]] = ("Quando", "Evento", "Esito", "Chi", "Soggetto", "Dettagli")
    DEFAULT_CSS = """
    AuditTab #filtro-tipo { width: 34; margin-left: 1; }
    AuditTab #audit { max-height: 24; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(classes="barra"):
            yield TextInput(placeholder="cerca chi, soggetto o dettagli", id="filtro-audit", label="Filtro registro audit")
            yield Select([(label, kind) for kind, label in AUDIT_KINDS.items()], prompt="Tutti gli eventi",
                         id="filtro-tipo")
            yield Static("", id="audit-conteggio", classes="conteggio")
        yield form_error("filtro-audit")
        yield PlainTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-vuoto", classes="nota")

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        if action and action in AUDIT_KINDS:
            self.query_one("#filtro-tipo", Select).value = action
        self.query_one("#filtro-audit", Input).focus()

    @on(Input.Changed, "#filtro-audit")
    @on(Select.Changed, "#filtro-tipo")
    def _filter_changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        self.reload()

    @property
    def kind(self) -> str | None:
        value = self.query_one("#filtro-tipo", Select).value
        return None if value is Select.NULL else str(value)

    def reload(self) -> None:
        ctx, kind, shown = self.app.ctx, self.kind, self.SHOWN
        text = self.query_one("#filtro-audit", Input).value.strip()
        self.run_job(lambda: audit.latest(ctx, limit=shown, kind=kind, text=text), self._show)

    def _show(self, events_: list[audit.AuditView]) -> None:
        table = self.query_one("#audit", DataTable)
        fill_table(table, self.COLUMNS, [
            (None, (
                when(event.at, "%d/%m %H:%M:%S"),
                event.kind,
                event.outcome,
                event.actor,
                event.subject,
                audit_details(event.details),
            ))
            for event in events_
        ])
        count = len(events_)
        self.query_one("#audit-conteggio", Static).update(
            f"{count} event{'o' if count == 1 else 'i'}" + (f" (gli ultimi {self.SHOWN})" if count >= self.SHOWN else "")
        )
        self.query_one("#audit-vuoto", Static).update("" if events_ else "Nessun evento con questi filtri.")
