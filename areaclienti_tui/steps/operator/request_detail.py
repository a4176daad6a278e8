"""One assistance request: its data, the registry comparison, its documents, and the decision.

The operator approves it (the contact is added to the customer) or rejects it with a
reason (``ReasonModal``) that goes to the customer by email; both ask for confirmation.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from areaclienti_tui.services import assistance
from areaclienti_tui.services.assistance import AssistanceError
from areaclienti_tui.steps.base import actions, form_error, panel
from areaclienti_tui.steps.operator.common import (
    SEXES,
    STATES,
    VARIANTS,
    OperatorScreen,
    attempt,
    contact,
    day,
    when,
)
from areaclienti_tui.steps.operator.preview import (
    GRAPHICS_IMAGE,
    Preview,
    document_facts,
    prepare_preview,
    preview_cells,
)
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import TextInput, literal, template
from areaclienti_tui.widgets.modals import ConfirmModal


class ReasonModal(ModalScreen[str | None]):
    """Asks why a request is rejected: the text goes to the customer by email."""

    BINDINGS = [Binding("escape", "cancel", "Annulla")]
    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    ReasonModal > Vertical {
        width: 76; height: auto; border: thick $error; background: $surface; padding: 1 2;
    }
    ReasonModal Input { max-width: 100%; }
    ReasonModal Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ReasonModal Button { margin-left: 1; }
    """

    MIN_LENGTH = assistance.REASON_MIN
    MAX_LENGTH = assistance.REASON_MAX

    def __init__(self, reason: str = "") -> None:
        super().__init__()
        self.draft = reason  # what was typed before a confirmation was cancelled

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Respingi la richiesta[/b]\n\nIndica il motivo: sarà comunicato al cliente via email.")
            yield Field("Motivo del rifiuto", TextInput(self.draft, id="motivo", max_length=self.MAX_LENGTH,
                                                    placeholder="es. il documento allegato non è leggibile"))
            with Horizontal():
                yield Button("Annulla", id="annulla-rifiuto")
                yield Button("Respingi la richiesta", id="conferma-rifiuto", variant="error")

    def on_mount(self) -> None:
        self.query_one("#motivo").focus()

    @on(Input.Changed, "#motivo")
    def _typed(self) -> None:
        self.query_one("#campo-motivo", Field).set_error(None)

    @on(Input.Submitted, "#motivo")
    @on(Button.Pressed, "#conferma-rifiuto")
    def confirm(self) -> None:
        reason = " ".join(self.query_one("#motivo", Input).value.split())
        if len(reason) < self.MIN_LENGTH:
            self.query_one("#campo-motivo", Field).set_error(
                "Scrivi il motivo del rifiuto: il cliente lo riceverà via email."
                if not reason
                else f"Il motivo è troppo breve: scrivi almeno {self.MIN_LENGTH} caratteri."
            )
            self.query_one("#motivo").focus()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#annulla-rifiuto")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def errors(self) -> dict[str, str]:
        field = self.query_one("#campo-motivo", Field)
        return {"motivo": field.error} if field.error else {}


# AssistanceError codes that are not about the codice fiscale typed by the operator.
NOT_ABOUT_CF = frozenset({"missing", "decided", "operator", "reason"})


COMPARISON_MARKS = {
    assistance.SAME: ("✓ uguale", ""),
    assistance.TOLERATED: ("≈ uguale (accenti, maiuscole o spazi)", ""),
    assistance.DIFFERENT: ("✗ DIVERSO", "bold red"),
}


def comparison_table(comparison: assistance.RegistryComparison) -> Table:
    """The request's personal data beside the registry's: a difference is marked in words, not only colour."""
    table = Table(title=Text(f"Richiesta e anagrafe a confronto ({comparison.codice_fiscale})"),
                  title_justify="left", expand=True, show_edge=False)
    for heading in ("Dato", "Nella richiesta", "In anagrafe", "Esito"):
        table.add_column(heading, overflow="fold")
    for check in comparison.checks:
        mark, style = COMPARISON_MARKS[check.state]
        table.add_row(Text(check.label, style=style), Text(check.request, style=style),
                      Text(check.registry, style=style), Text(mark, style=style))
    return table


class RequestDetailScreen(OperatorScreen):
    HEADING = "Richiesta di assistenza"
    READ_FIRST = True  # opens on the request's data (the frame focused), acted on with A and R
    AUTO_FOCUS = "*"  # Textual's own first focus: the frame with the request's data

    # Approve and reject always ask for confirmation (Annulla is the default).
    BINDINGS = [
        Binding("a", "approve", "Approva", tooltip="Approva la richiesta (chiede conferma)"),
        Binding("r", "reject", "Respingi", tooltip="Respingi la richiesta indicando il motivo (chiede conferma)"),
    ]

    DEFAULT_CSS = """
    RequestDetailScreen .documento { height: auto; border: round $primary-muted; padding: 0 1; margin-bottom: 1; }
    RequestDetailScreen .anteprima { width: auto; height: auto; margin-top: 1; }
    RequestDetailScreen .anteprima-grafica { margin-top: 1; }
    RequestDetailScreen .estratto { color: $text-muted; margin-top: 1; }
    RequestDetailScreen #documenti { height: auto; }
    RequestDetailScreen #documenti-titolo { text-style: bold; margin-bottom: 1; }
    """

    def __init__(self, request_id: int) -> None:
        super().__init__()
        self.request_id = request_id
        self.HEADING = f"Richiesta di assistenza n. {request_id}"  # type: ignore[misc]
        self.detail: assistance.RequestDetail | None = None

    def compose_step(self) -> ComposeResult:
        yield Static("", id="richiesta-stato")
        yield panel(Static("Caricamento della richiesta…", id="dati-richiesta"))
        with Vertical(id="cliente", classes="riquadro"):
            yield Static("", id="cliente-testo")
            yield Static("", id="confronto")
            yield Field(
                "Codice fiscale del cliente",
                TextInput(placeholder="16 caratteri", id="codice-fiscale-cliente", max_length=20),
                hint="La richiesta non corrisponde a un cliente: collegala indicando il suo codice fiscale.",
            )
        yield Static("Documenti allegati", id="documenti-titolo")
        yield Vertical(id="documenti")
        yield form_error("decisione")
        yield actions(
            Button("Approva", id="approva", variant="success"),
            Button("Respingi…", id="respingi", variant="error"),
            Button("Indietro", id="indietro"),
        )

    def ready(self) -> None:
        self.query_one("#campo-codice-fiscale-cliente").display = False
        for button_id in ("#approva", "#respingi"):
            self.query_one(button_id).display = False
        ctx, request_id = self.app.ctx, self.request_id
        graphics = GRAPHICS_IMAGE is not None and not self.app.is_headless

        def load() -> Any:
            detail = assistance.get_request(ctx, request_id)
            folder = ctx.settings.documents_dir
            pixels = ctx.settings.image_max_pixels
            previews = {
                d.id: prepare_preview(d, folder, picture=not graphics, max_pixels=pixels) for d in detail.documents
            }
            return detail, previews

        self.run_busy(attempt(load), self._show, label="Caricamento della richiesta…")

    # -- showing -------------------------------------------------------------

    def _show(self, loaded: Any) -> None:
        if isinstance(loaded, AssistanceError):
            self.query_one("#dati-richiesta", Static).update(literal(loaded))
            return
        detail, previews = loaded
        self.detail = detail
        request = detail.summary
        is_open = request.status == "aperta"
        self.query_one("#richiesta-stato", Static).update(self._status_line(detail))
        self.query_one("#dati-richiesta", Static).update(self._data_lines(detail))
        matched = request.customer_id is not None
        self.query_one("#cliente-testo", Static).update(
            template("Cliente riconosciuto: [b]$label[/b]", label=detail.customer_label or "sì")
            if matched
            else template("[b]Nessun cliente riconosciuto[/b] con questi dati.")
        )
        comparison = self.query_one("#confronto", Static)
        comparison.display = detail.comparison is not None
        if detail.comparison is not None:
            comparison.update(comparison_table(detail.comparison))
        self.query_one("#campo-codice-fiscale-cliente").display = is_open and not matched
        self.query_one("#approva").display = is_open
        self.query_one("#respingi").display = is_open
        self._mount_documents(detail, previews)
        # Opens at the top, on the request's data; never with the focus on Approva.
        journey = self.query_one("#journey")
        journey.focus()
        journey.scroll_home(animate=False)
        self.call_after_refresh(journey.scroll_home, animate=False)
        self.refresh_bindings()

    @staticmethod
    def _status_line(detail: assistance.RequestDetail) -> Content:
        request = detail.summary
        line = "Richiesta n. [b]$number[/b] · stato: [b]$state[/b]"
        if request.status != "aperta":
            line += " il $decided_at da $decided_by"
            if detail.reason:
                line += "\nMotivo: $reason"
        return template(line, number=request.id, state=STATES.get(request.status, request.status),
                        decided_at=when(detail.decided_at), decided_by=detail.decided_by or "—",
                        reason=detail.reason or "")

    @staticmethod
    def _data_lines(detail: assistance.RequestDetail) -> Content:
        request = detail.summary
        rows = [
            ("Ricevuta il", when(request.created_at)),
            ("Provenienza", f"passo {request.origin} · {VARIANTS.get(request.variant, request.variant)}"),
            ("Nome", request.nome),
            ("Cognome", request.cognome),
            ("Sesso", SEXES.get(detail.sesso, detail.sesso)),
            ("Data di nascita", day(request.data_nascita)),
            ("Luogo di nascita", detail.luogo_nascita or "—"),
            ("Recapito da aggiungere", contact(request.contact_value)),
            ("Email per la risposta", detail.notify_email or "—"),
            ("Indirizzo", detail.indirizzo or "—"),
            ("Città", detail.citta or "—"),
            ("Tipo di documento", detail.tipo_documento or "—"),
        ]
        return Content("\n").join(template("$label: [b]$value[/b]", label=label, value=value) for label, value in rows)

    def _mount_documents(self, detail: assistance.RequestDetail, previews: dict[int, Preview]) -> None:
        box = self.query_one("#documenti", Vertical)
        box.remove_children()
        if not detail.documents:
            box.mount(Static("Nessun documento allegato.", classes="nota"))
            return
        graphics = GRAPHICS_IMAGE is not None and not self.app.is_headless
        for document in detail.documents:
            preview = previews.get(document.id, Preview())
            parts: list[Widget] = [Static(document_facts(document), id=f"documento-dati-{document.id}")]
            if preview.problem:
                parts.append(Static(preview.problem, classes="estratto"))
            elif document.mime.startswith("image/"):
                if graphics and GRAPHICS_IMAGE is not None and preview.image is not None:
                    image = GRAPHICS_IMAGE(preview.image, id=f"anteprima-{document.id}",
                                           classes="anteprima-grafica")
                    image.styles.width, image.styles.height = preview_cells(document.width, document.height)
                    parts.append(image)
                elif preview.picture is not None:
                    parts.append(Static(preview.picture, id=f"anteprima-{document.id}", classes="anteprima"))
            elif preview.excerpt is not None:
                text = template("Testo della prima pagina: «$excerpt»" if preview.excerpt
                                else "La prima pagina non contiene testo (forse è una scansione).",
                                excerpt=preview.excerpt)
                parts.append(Static(text, id=f"estratto-{document.id}", classes="estratto"))
            box.mount(Vertical(*parts, id=f"documento-{document.id}", classes="documento"))

    # -- decisions -------------------------------------------------------------

    @property
    def matched(self) -> bool:
        return self.detail is not None and self.detail.summary.customer_id is not None

    @property
    def is_open(self) -> bool:
        return self.detail is not None and self.detail.summary.status == "aperta"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "reject"):
            return self.is_open and not self.busy
        return super().check_action(action, parameters)

    def action_approve(self) -> None:
        self.approve()

    def action_reject(self) -> None:
        self.ask_reason()

    @on(Input.Submitted, "#codice-fiscale-cliente")
    @on(Button.Pressed, "#approva")
    def approve(self) -> None:
        """Ask for confirmation (Annulla by default), then approve."""
        if self.detail is None or self.busy or not self.is_open:
            return
        self.clear_errors()
        codice_fiscale = None if self.matched else self.value_of("codice-fiscale-cliente").strip().upper() or None
        if not self.matched and codice_fiscale is None:
            self.show_error("codice-fiscale-cliente",
                            "Indica il codice fiscale del cliente a cui collegare la richiesta.")
            return
        if self.matched and self.detail.comparison is not None:
            self._ask_approval(codice_fiscale, self.detail.comparison)
            return
        # The customer given by codice fiscale: compared with the request before the question.
        ctx, request_id = self.app.ctx, self.request_id
        self.run_busy(
            attempt(lambda: assistance.compare(ctx, request_id, codice_fiscale=codice_fiscale)),
            lambda result: self._refused(result) if isinstance(result, AssistanceError)
            else self._ask_approval(codice_fiscale, result),
            label="Confronto con l'anagrafe…",
        )

    def _ask_approval(self, codice_fiscale: str | None, comparison: assistance.RegistryComparison) -> None:
        """Approve? With the request's data differing from the registry, the operator confirms
        having checked the identity document (Annulla stays the default)."""
        request = self.detail.summary if self.detail is not None else None
        if request is None:
            return
        question = template(
            "[b]Approvare la richiesta n. $number?[/b]\n\nIl recapito [b]$contact[/b] sarà aggiunto a "
            "$customer, che riceverà un'email di conferma.",
            number=request.id, contact=contact(request.contact_value), customer=comparison.customer_label)
        mismatches = comparison.mismatches
        if mismatches:
            lines = "\n".join(f"• {check.label}: «{check.request}» nella richiesta, «{check.registry}» in anagrafe"
                               for check in mismatches)
            question = question + template(
                "\n\n[b]Attenzione: i dati della richiesta non coincidono con l'anagrafe.[/b]\n$lines\n\n"
                "Approva solo se hai controllato il documento d'identità allegato.", lines=lines)
        label = "Ho controllato il documento: approva" if mismatches else "Approva"
        self.app.push_screen(ConfirmModal(question, confirm_label=label),
                             lambda yes: self._approve(codice_fiscale, bool(mismatches)) if yes else None)

    def _approve(self, codice_fiscale: str | None, document_checked: bool = False) -> None:
        ctx, request_id, operator = self.app.ctx, self.request_id, self.operator or ""
        self.run_busy(
            attempt(lambda: assistance.approve(ctx, request_id, operator=operator, codice_fiscale=codice_fiscale,
                                                document_checked=document_checked)),
            self._approved,
            label="Approvazione in corso…",
        )

    def _approved(self, result: Any) -> None:
        if isinstance(result, AssistanceError):
            self._refused(result)
            return
        self.app.notify(
            f"Richiesta n. {self.request_id} approvata: il recapito è stato aggiunto al cliente, "
            "che riceverà un'email di conferma.",
            title="Richiesta approvata",
        )
        self.app.advance(self, "decisa")

    @on(Button.Pressed, "#respingi")
    def ask_reason(self) -> None:
        """The reason first, then a confirmation (Annulla by default); a cancelled reason is kept."""
        if self.detail is None or self.busy or not self.is_open:
            return
        self.clear_errors()
        self.app.push_screen(ReasonModal(getattr(self, "_reason_draft", "")), self._confirm_reject)

    def _confirm_reject(self, reason: str | None) -> None:
        if not reason:
            return
        self._reason_draft = reason
        question = template(
            "[b]Respingere la richiesta n. $number?[/b]\n\nIl cliente riceverà un'email con il motivo:\n«$reason»",
            number=self.request_id, reason=reason)
        self.app.push_screen(ConfirmModal(question, confirm_label="Respingi"),
                             lambda yes: self._reject(reason) if yes else None)

    def _reject(self, reason: str | None) -> None:
        if not reason:
            return
        ctx, request_id, operator = self.app.ctx, self.request_id, self.operator or ""
        self.run_busy(
            attempt(lambda: assistance.reject(ctx, request_id, operator=operator, reason=reason)),
            self._rejected,
            label="Invio del rifiuto…",
        )

    def _rejected(self, result: Any) -> None:
        if isinstance(result, AssistanceError):
            self._refused(result)
            return
        self.app.notify(
            f"Richiesta n. {self.request_id} respinta: il cliente riceverà un'email con il motivo.",
            title="Richiesta respinta",
        )
        self.app.advance(self, "decisa")

    def _refused(self, error: AssistanceError) -> None:
        """The message goes beside the codice fiscale when that is what is missing or wrong."""
        message = error.message or str(error)
        cf_field = self.query_one("#campo-codice-fiscale-cliente")
        about_cf = error.code not in NOT_ABOUT_CF
        if about_cf and error.code == "cf-needed":
            cf_field.display = True  # e.g. the linked customer left the registry meanwhile
        if about_cf and cf_field.display:
            self.show_error("codice-fiscale-cliente", message)
        else:
            self.show_error("decisione", message, focus=False)

    def action_back(self) -> None:
        if not self.busy:
            self.app.pop_screen()
