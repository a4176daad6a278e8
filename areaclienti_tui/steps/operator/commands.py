"""Every operator action in the command palette: ``OperatorCommands``, a Textual provider.

A command opens a tab of the operator home (or signs in, or out); without a signed-in
operator the operator login comes first, and opens the tab once signed in. None of
them is offered at a kiosk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from areaclienti_tui.steps.base import ConsoleApp
from areaclienti_tui.steps.operator.common import leave_operator_area, sign_out_operator
from areaclienti_tui.steps.operator.home import OperatorHomeScreen
from areaclienti_tui.steps.operator.login import OperatorLoginScreen


@dataclass(frozen=True)
class OperatorCommand:
    title: str
    help: str
    tab: str | None  # tab of the operator home to open (None: no tab)
    action: str | None = None  # what the tab should do once shown
    kind: str = "tool"  # tool | login | logout


OPERATOR_COMMANDS: tuple[OperatorCommand, ...] = (
    OperatorCommand("Operatore: accedi", "Accesso all'area operatore con le credenziali di operatore", None,
                    kind="login"),
    OperatorCommand("Operatore: coda assistenza", "Le richieste di assistenza da esaminare (11A, 7B)", "coda"),
    OperatorCommand("Operatore: cerca in anagrafe", "Cerca un cliente per nome, codice fiscale o recapito",
                    "anagrafe"),
    OperatorCommand("Operatore: account bloccati", "Account bloccati, blocchi recenti e sblocco", "account",
                    "bloccati"),
    OperatorCommand("Operatore: registro audit", "Ogni evento di sicurezza, dal più recente, con filtri",
                    "registro-audit"),
    OperatorCommand("Operatore: personas", "Le personas demo e i rami del percorso che mostrano", "personas"),
    OperatorCommand("Operatore: verifica dati", "Perché un cliente non viene riconosciuto: esito e clienti vicini",
                    "verifica-dati"),
    OperatorCommand("Operatore: ripristina dati demo", "Cancella tutti i dati e ricarica la demo (chiede conferma)",
                    "formatore", "reset"),
    OperatorCommand("Operatore: esci", "Esce dall'area operatore", None, kind="logout"),
)


def run_operator_command(app: ConsoleApp, command: OperatorCommand) -> None:
    """Carry out a palette command; without a signed-in operator, the operator login comes first."""
    if app.settings.kiosk:
        return  # no way into the operator area from a kiosk's customer side
    if app.screen.is_modal:
        app.notify("Chiudi prima la finestra aperta.", title="Area operatore")
        return
    if command.kind == "logout":
        if app.operator is None:
            app.notify("Nessun operatore ha effettuato l'accesso.", title="Area operatore")
            return
        sign_out_operator(app)
        leave_operator_area(app)
        app.notify("Sei uscito dall'area operatore.", title="Area operatore")
        return
    if app.operator is None:
        then = (command.tab, command.action) if command.kind == "tool" else None
        if isinstance(app.screen, OperatorLoginScreen):
            app.screen.then = then
            app.screen.query_one("#operatore-username").focus()
        else:
            app.advance("1A", "operatore", then=then)  # F9's way in: the operator login
        return
    if command.kind == "login":
        app.notify(f"Hai già effettuato l'accesso come {app.operator}.", title="Area operatore")
    home = next((s for s in reversed(app.screen_stack) if isinstance(s, OperatorHomeScreen)), None)
    if home is None:
        app.advance("1A", "operatore-attivo", initial=command.tab or OperatorHomeScreen.TABS[0][0],
                    action=command.action)
        return
    while app.screen is not home:
        app.pop_screen()
    if command.tab is not None:
        home.open_tool(command.tab, command.action)


class OperatorCommands(Provider):
    """Every operator action in the command palette (none at a kiosk)."""

    def _commands(self) -> list[tuple[OperatorCommand, Callable[[], None]]]:
        app = self.app
        if getattr(getattr(app, "settings", None), "kiosk", False):
            return []
        return [(command, _bound(app, command)) for command in OPERATOR_COMMANDS]

    async def discover(self) -> Hits:
        for command, run in self._commands():
            yield DiscoveryHit(command.title, run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, run in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), run, text=command.title, help=command.help)


def _bound(app: Any, command: OperatorCommand) -> Callable[[], None]:
    def run() -> None:
        run_operator_command(app, command)

    return run
