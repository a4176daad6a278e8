"""Operator tab "Anagrafe": search the registry, read a customer's file, unlock their account."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, DataTable, Input, Static

from areaclienti_tui.services import registry
from areaclienti_tui.services.registry import RegistryError
from areaclienti_tui.steps.base import form_error
from areaclienti_tui.steps.operator.common import (
    SEXES,
    OperatorTab,
    ask_unlock,
    attempt,
    contact,
    day,
    fill_table,
    lock_state,
    unlocked_notice,
    when,
)
from areaclienti_tui.widgets.literal import PlainTable, TextInput, literal, template

MATCHED_WORDS = {registry.BY_NAME: "nome", registry.BY_CF: "cod. fiscale", registry.BY_CONTACT: "recapito"}
CONTACT_KINDS = {"email": "Email", "mobile": "Cellulare"}
CONTACT_SOURCES = {"registro": "anagrafe", "assistenza": "aggiunto dall'assistenza"}
POLICY_STATES = {"attiva": "attiva", "scaduta": "scaduta", "annullata": "annullata", "sospesa": "sospesa"}


class RegistryTab(OperatorTab):
    """Tab "Anagrafe": search customers, read one customer's file, unlock their account."""

    DEFAULT_CSS = """
    RegistryTab #scheda-cliente { margin-top: 1; }
    RegistryTab #scheda-cliente Static { margin-bottom: 1; }
    RegistryTab #anagrafe-esito { color: $text-muted; margin-bottom: 1; }
    """

    COLUMNS: ClassVar[tuple[str, ...]] = ("Cliente", "Codice fiscale", "Nascita", "Account", "Trovato per")
    HINT = ("Cerca per nome e cognome (in qualsiasi ordine), codice fiscale (anche solo l'inizio) "
            "o recapito (email o cellulare, anche in parte).")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.results: list[registry.CustomerSummary] = []
        self.detail: registry.CustomerDetail | None = None
        self.shown_id: int | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="barra"):
            yield TextInput(placeholder="es. Rossi Mario, RSSMRA75, mario.rossi@, 347 123 4567", id="ricerca-anagrafe",
                            label="Cerca in anagrafe")
            yield Button("Cerca", id="cerca-anagrafe", variant="primary")
        yield form_error("ricerca-anagrafe")
        yield Static(self.HINT, id="anagrafe-esito")
        yield PlainTable(id="risultati-anagrafe", cursor_type="row", zebra_stripes=True)
        with Vertical(id="scheda-cliente", classes="riquadro"):
            yield Static("", id="cliente-dati")
            yield Static("", id="cliente-polizze")
            yield Static("", id="cliente-recapiti")
            yield Static("", id="cliente-account")
            yield Button("Sblocca account", id="anagrafe-sblocca", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#risultati-anagrafe", DataTable).display = False
        self.query_one("#scheda-cliente").display = False

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        self.query_one("#ricerca-anagrafe", Input).focus()
        if isinstance(payload, str) and payload:
            self.query_one("#ricerca-anagrafe", Input).value = payload
            self.search()

    def reload(self) -> None:
        if self.shown_id is not None:
            self.show_customer(self.shown_id)

    # -- search ---------------------------------------------------------------------

    @on(Input.Submitted, "#ricerca-anagrafe")
    @on(Button.Pressed, "#cerca-anagrafe")
    def search(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        text = " ".join(self.query_one("#ricerca-anagrafe", Input).value.split())
        if len(text) < registry.MIN_QUERY:
            self.query_one("#anagrafe-esito", Static).update(
                f"Scrivi almeno {registry.MIN_QUERY} caratteri. {self.HINT}"
            )
            return
        ctx, operator = self.app.ctx, self.operator
        self.query_one("#anagrafe-esito", Static).update("Ricerca in corso…")
        self.run_job(lambda: (text, registry.search(ctx, text, operator=operator)), self._show_results, group="ricerca")

    def _show_results(self, outcome: tuple[str, list[registry.CustomerSummary]]) -> None:
        text, results = outcome
        self.results = results
        table = self.query_one("#risultati-anagrafe", DataTable)
        rows = []
        for customer in results:
            account = "—" if customer.username is None else ("bloccato" if customer.locked else "sì")
            rows.append((str(customer.id), (
                f"{customer.cognome} {customer.nome}",
                customer.codice_fiscale,
                day(customer.data_nascita),
                account,
                ", ".join(MATCHED_WORDS.get(way, way) for way in customer.matched_by),
            )))
        fill_table(table, self.COLUMNS, rows)
        table.display = bool(results)
        count = len(results)
        self.query_one("#anagrafe-esito", Static).update(template(
            "Nessun cliente trovato per «$text»." if not results
            else f"{count} client{'e' if count == 1 else 'i'} trovat{'o' if count == 1 else 'i'} per «$text»"
            + (" (i primi 50)" if count >= 50 else "") + ": scegli una riga per la scheda.",
            text=text,
        ))
        if results:
            table.move_cursor(row=0, animate=False)
            self.show_customer(results[0].id)
        else:
            self.shown_id = None
            self.detail = None
            self.query_one("#scheda-cliente").display = False

    @on(DataTable.RowHighlighted, "#risultati-anagrafe")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None and int(event.row_key.value) != self.shown_id:
            self.show_customer(int(event.row_key.value))

    @on(DataTable.RowSelected, "#risultati-anagrafe")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.show_customer(int(event.row_key.value))

    # -- one customer ---------------------------------------------------------------

    def show_customer(self, customer_id: int) -> None:
        self.shown_id = customer_id
        ctx = self.app.ctx
        self.run_job(attempt(lambda: registry.customer_detail(ctx, customer_id), RegistryError),
                     self._show_detail, group="scheda")

    def _show_detail(self, detail: registry.CustomerDetail | RegistryError) -> None:
        box = self.query_one("#scheda-cliente")
        box.display = True
        if isinstance(detail, RegistryError):
            self.detail = None
            self.query_one("#cliente-dati", Static).update(literal(detail.message))
            for part in ("#cliente-polizze", "#cliente-recapiti", "#cliente-account"):
                self.query_one(part, Static).update("")
            self.query_one("#anagrafe-sblocca").display = False
            return
        self.detail = detail
        self.query_one("#cliente-dati", Static).update(self._data(detail))
        self.query_one("#cliente-polizze", Static).update(self._policies(detail))
        self.query_one("#cliente-recapiti", Static).update(self._contacts(detail))
        self.query_one("#cliente-account", Static).update(self._account(detail))
        self.query_one("#anagrafe-sblocca").display = bool(detail.account and detail.account.locked)

    @staticmethod
    def _data(detail: registry.CustomerDetail) -> Content:
        return template(
            "[b]$name[/b] · codice fiscale [b]$cf[/b]\n"
            "$sex, $born il $birth_date a $birth_place · assicurato tramite INARCASSA: $inarcassa\n"
            "Richieste di assistenza aperte: $open",
            name=detail.full_name, cf=detail.codice_fiscale, sex=SEXES.get(detail.sesso, detail.sesso),
            born="nata" if detail.sesso == "F" else "nato", birth_date=day(detail.data_nascita),
            birth_place=detail.luogo_nascita or "—", inarcassa="sì" if detail.inarcassa else "no",
            open=detail.open_requests,
        )

    @staticmethod
    def _policies(detail: registry.CustomerDetail) -> Content:
        if not detail.policies:
            return template("[b]Polizze[/b]\nNessuna polizza in anagrafe.")
        lines = [template("[b]Polizze[/b]")] + [
            template("• $number · $product · " + ("[b]$state[/b]" if p.stato == "attiva" else "$state"),
                     number=p.numero, product=p.prodotto or "Polizza Generali",
                     state=POLICY_STATES.get(p.stato, p.stato))
            for p in detail.policies
        ]
        if not detail.has_active_policy:
            lines.append(template("[b]Nessuna polizza attiva[/b]: la registrazione non è possibile."))
        return Content("\n").join(lines)

    @staticmethod
    def _contacts(detail: registry.CustomerDetail) -> Content:
        if not detail.contacts:
            return template("[b]Recapiti[/b]\nNessun recapito in anagrafe.")
        lines = [template("[b]Recapiti[/b]")] + [
            template("• $kind: [b]$value[/b] ($source)", kind=CONTACT_KINDS.get(c.kind, c.kind),
                     value=contact(c.value), source=CONTACT_SOURCES.get(c.source, c.source))
            for c in detail.contacts
        ]
        return Content("\n").join(lines)

    @staticmethod
    def _account(detail: registry.CustomerDetail) -> Content:
        account = detail.account
        if account is None:
            return template("[b]Account[/b]\nNessun account: il cliente non si è ancora registrato all'Area Clienti.")
        rows = [
            ("Nome utente", contact(account.username)),
            ("Creato il", when(account.created_at)),
            ("Ultimo accesso", when(account.last_login_at) if account.last_login_at else "mai"),
            ("Tentativi errati di fila", str(account.failed_logins)),
            ("Stato", lock_state(account.locked, account.locked_until, account.failed_logins)),
            ("Dispositivi fidati (senza codice 9A)", str(account.trusted_devices)),
            ("Accesso biometrico (simulato)", f"{account.biometric_devices} dispositiv{'o' if account.biometric_devices == 1 else 'i'}"),
        ]
        return Content("\n").join([template("[b]Account[/b]")] + [
            template("$label: [b]$value[/b]", label=label, value=value) for label, value in rows
        ])

    @on(Button.Pressed, "#anagrafe-sblocca")
    def _unlock(self, event: Button.Pressed) -> None:
        event.stop()
        detail = self.detail
        if detail is None or detail.account is None:
            return
        ask_unlock(self, detail.account.id, detail.account.username, detail.full_name, self._unlocked)

    def _unlocked(self, result: Any) -> None:
        unlocked_notice(self, result)
        self.reload()
