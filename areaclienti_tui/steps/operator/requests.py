"""Operator tab "Richieste": the assistance queue (requests from 11A and 7B), open ones first.

Choosing a request posts ``AssistanceQueue.Chosen``: the home opens it in the
request detail screen."""

from __future__ import annotations

import logging
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Label, Select, Static
from textual.worker import Worker, WorkerState

from areaclienti_tui.services import assistance
from areaclienti_tui.steps.operator.common import (
    STATES,
    OperatorTab,
    RequestTable,
    contact,
    day,
    fill_table,
    highlighted_key,
    when,
)

log = logging.getLogger(__name__)


class AssistanceQueue(OperatorTab):
    """Tab "Richieste di assistenza": the requests, open ones first."""

    DEFAULT_CSS = """
    AssistanceQueue #filtro { height: auto; margin-bottom: 1; }
    AssistanceQueue #filtro Label { padding: 1 1 0 0; }
    AssistanceQueue #filtro-stato { width: 24; }
    AssistanceQueue #richieste-conteggio { padding: 1 0 0 2; color: $text-muted; }
    AssistanceQueue #richieste { height: auto; max-height: 20; }
    AssistanceQueue #richieste-vuoto { color: $text-muted; margin-top: 1; }
    AssistanceQueue #richieste-errore { color: $error; text-style: bold; }
    """

    FILTERS: ClassVar[list[tuple[str, str]]] = [("Aperte", "aperta"), ("Tutte", "tutte")]
    # Narrow headings: the queue shares the width with the outbox pane. "Cliente" tells
    # whether the request matched a registry customer; "Stato" appears with all requests.
    COLUMNS: ClassVar[tuple[str, ...]] = ("N.", "Ricevuta", "Passo", "Nome e cognome", "Cliente", "Recapito", "Nascita")

    class Chosen(Message):
        """The operator picked a request to review."""

        def __init__(self, request_id: int) -> None:
            super().__init__()
            self.request_id = request_id

    def compose(self) -> ComposeResult:
        with Horizontal(id="filtro"):
            yield Label("Mostra")
            yield Select(self.FILTERS, value="aperta", allow_blank=False, id="filtro-stato")
            yield Static("", id="richieste-conteggio")
        yield RequestTable(id="richieste", cursor_type="row", zebra_stripes=True)
        yield Static("", id="richieste-vuoto")
        yield Static("", id="richieste-errore")

    @property
    def status_filter(self) -> str | None:
        value = self.query_one("#filtro-stato", Select).value
        return None if value == "tutte" else "aperta"

    @on(Select.Changed, "#filtro-stato")
    def _filter_changed(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load(self.status_filter)

    @work(thread=True, exclusive=True, group="coda-richieste", exit_on_error=False)
    def _load(self, status: str | None) -> None:
        requests = assistance.list_requests(self.app.ctx, status)
        self.app.call_from_thread(self._show, requests, status)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "coda-richieste" or event.state != WorkerState.ERROR:
            return
        if self.app.raise_unexpected:
            self.app.report_unexpected(event.worker.error)
            return
        log.error("assistance queue not loaded", exc_info=event.worker.error)
        self.query_one("#richieste-errore", Static).update("Non è stato possibile caricare le richieste: riprova.")

    def _show(self, requests: list[assistance.RequestSummary], status: str | None) -> None:
        table = self.query_one("#richieste", RequestTable)
        previous = highlighted_key(table)
        rows = []
        for request in requests:
            cells = [
                str(request.id),
                when(request.created_at, "%d/%m %H:%M"),
                request.origin,
                f"{request.nome} {request.cognome}",
                "sì" if request.customer_id is not None else "no",
                contact(request.contact_value),
                day(request.data_nascita),
            ]
            if status != "aperta":
                cells.append(STATES.get(request.status, request.status))
            rows.append((str(request.id), cells))
        fill_table(table, (*self.COLUMNS, *(() if status == "aperta" else ("Stato",))), rows)
        if previous is not None and previous in table.rows:
            table.move_cursor(row=table.get_row_index(previous), animate=False)
        count = len(requests)
        which = ("aperta" if count == 1 else "aperte") if status == "aperta" else "in tutto"
        self.query_one("#richieste-conteggio", Static).update(
            f"{count} richiest{'a' if count == 1 else 'e'} {which}"
        )
        self.query_one("#richieste-vuoto", Static).update(
            "" if requests else ("Nessuna richiesta aperta." if status == "aperta" else "Nessuna richiesta.")
        )
        self.query_one("#richieste-errore", Static).update("")

    @on(DataTable.RowSelected, "#richieste")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Chosen(int(event.row_key.value)))
