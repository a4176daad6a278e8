"""The operator home: one tab per tool (TabbedContent ``#schede``), keys 1-7 to switch.

Tabs are listed in ``OperatorHomeScreen.TABS`` as ``(tab id, label, widget class)``
triples; each tab's content is an ``OperatorTab`` whose ``reload()`` refreshes it when
the home is shown again. This module imports the tabs; no tab imports it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static, TabbedContent, TabPane

from areaclienti_tui.steps.operator.accounts import AccountsTab
from areaclienti_tui.steps.operator.audit import AuditTab
from areaclienti_tui.steps.operator.common import OperatorScreen, OperatorTab, sign_out_operator
from areaclienti_tui.steps.operator.diagnosis import DiagnosisTab
from areaclienti_tui.steps.operator.personas import PersonasTab
from areaclienti_tui.steps.operator.registry import RegistryTab
from areaclienti_tui.steps.operator.requests import AssistanceQueue
from areaclienti_tui.steps.operator.trainer import TrainerTab
from areaclienti_tui.widgets.literal import template


class OperatorHomeScreen(OperatorScreen):
    HEADING = "Strumenti dell'operatore"

    # Keys 1-7 open the tabs (a field takes the digits as text first); grouped in the footer.
    TAB_KEYS = Binding.Group("Schede", compact=True)
    BINDINGS = [
        Binding("f5", "reload", "Aggiorna", tooltip="Ricarica i dati della scheda"),
        Binding("1", "tab('coda')", "Richieste di assistenza", group=TAB_KEYS, tooltip="Scheda Richieste di assistenza"),
        Binding("2", "tab('anagrafe')", "Anagrafe", group=TAB_KEYS, tooltip="Scheda Anagrafe"),
        Binding("3", "tab('account')", "Account", group=TAB_KEYS, tooltip="Scheda Account"),
        Binding("4", "tab('registro-audit')", "Registro audit", group=TAB_KEYS, tooltip="Scheda Registro audit"),
        Binding("5", "tab('personas')", "Personas", group=TAB_KEYS, tooltip="Scheda Personas"),
        Binding("6", "tab('formatore')", "Formatore", group=TAB_KEYS, tooltip="Scheda Formatore"),
        Binding("7", "tab('verifica-dati')", "Verifica dati", group=TAB_KEYS, tooltip="Scheda Verifica dati"),
    ]

    DEFAULT_CSS = """
    OperatorHomeScreen #operatore-barra { height: auto; margin-bottom: 1; }
    OperatorHomeScreen #operatore-nome { width: 1fr; padding-top: 1; }
    OperatorHomeScreen #schede { height: auto; }
    /* Seven tabs in the room the messages pane leaves (about 74 columns from 110 to 130):
       one column between labels instead of two, so "Verifica dati" is never cut. */
    OperatorHomeScreen #schede Tab { padding: 0 1 0 0; }
    OperatorHomeScreen #schede Tab:first-of-type { padding: 0 1; }
    """

    # (tab id, label, content): other tools add their tab here.
    TABS: ClassVar[list[tuple[str, str, type[OperatorTab]]]] = [
        ("coda", "Richieste", AssistanceQueue),
        ("anagrafe", "Anagrafe", RegistryTab),
        ("account", "Account", AccountsTab),
        ("registro-audit", "Audit", AuditTab),
        ("personas", "Personas", PersonasTab),
        ("formatore", "Formatore", TrainerTab),
        ("verifica-dati", "Verifica dati", DiagnosisTab),
    ]

    def __init__(self, initial: str | None = None, action: str | None = None, payload: Any = None) -> None:
        super().__init__()
        tab_ids = [tab_id for tab_id, _, _ in self.TABS]
        self.initial = initial if initial in tab_ids else tab_ids[0]
        self._opening: tuple[str, str | None, Any] | None = (self.initial, action, payload) if initial else None

    def compose_step(self) -> ComposeResult:
        with Horizontal(id="operatore-barra"):
            yield Static("", id="operatore-nome")
            yield Button("Esci dall'area operatore", id="operatore-esci", variant="error")
        with TabbedContent(id="schede", initial=self.initial):
            for tab_id, label, content in self.TABS:
                with TabPane(label, id=tab_id):
                    yield content(id=f"scheda-{tab_id}")

    def ready(self) -> None:
        self.query_one("#operatore-nome", Static).update(template("Operatore: [b]$name[/b]", name=self.operator or ""))
        if self._opening is not None:
            tab_id, action, payload = self._opening
            self._opening = None
            self.call_after_refresh(self.open_tool, tab_id, action, payload)

    def open_tool(self, tab_id: str, action: str | None = None, payload: Any = None) -> None:
        """Show a tab and let it focus its main control (or do `action`)."""
        tabs = self.query_one("#schede", TabbedContent)
        tabs.active = tab_id
        tab = self.query_one(f"#scheda-{tab_id}", OperatorTab)
        tab.activate(action, payload)

    def action_tab(self, tab_id: str) -> None:
        """Keys 1-7: show that tab and focus its main control."""
        if not self.busy and tab_id in {known for known, _, _ in self.TABS}:
            self.open_tool(tab_id)

    def resumed(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        for tab in self.query(OperatorTab):
            tab.reload()

    def active_tab(self) -> OperatorTab | None:
        pane = self.query_one("#schede", TabbedContent).active_pane
        return pane.query(OperatorTab).first() if pane is not None else None

    @on(AssistanceQueue.Chosen)
    def _open_request(self, message: AssistanceQueue.Chosen) -> None:
        self.app.advance(self, "richiesta", request_id=message.request_id)

    @on(Button.Pressed, "#operatore-esci")
    def sign_out(self) -> None:
        sign_out_operator(self.app)
        self.app.advance(self, "esci")  # the home closes: the customer's step shows again
        self.leave_area()  # anything of the area still open (nothing, as a rule)
        self.app.notify("Sei uscito dall'area operatore.", title="Area operatore")

    def action_back(self) -> None:
        if not self.busy:
            self.leave_area()
