"""The operator area (SPEC §3): operator login, then a home with one tab per tool.

The first tab is the assistance queue (requests from 11A and 7B): open a
request, look at its data and documents, approve it (the contact is added to
the customer) or reject it with a reason. Every screen here needs a signed-in
operator (``app.operator``); without one it gives way to the operator login.

More tabs (registry, accounts, audit, trainer tools) are added by appending to
``OperatorHomeScreen.TABS`` a ``(tab id, label, widget class)`` triple; each
tab's content is an ``OperatorTab`` whose ``reload()`` refreshes it when the
home is shown again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from areaclienti_tui.services import assistance, audit, auth
from areaclienti_tui.services.assistance import AssistanceError
from areaclienti_tui.services.auth import LoginError
from areaclienti_tui.clock import as_utc
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services.documents import KIND_WORDS, human_size
from areaclienti_tui.steps.base import StepScreen, actions, form_error, panel
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.outbox_pane import OutboxPane

if TYPE_CHECKING:
    from areaclienti_tui.app import AreaClientiApp
    from areaclienti_tui.services.context import Context

log = logging.getLogger(__name__)
ROME = ZoneInfo("Europe/Rome")

STEP = "operatore"
SEXES = {"M": "Maschio", "F": "Femmina"}
STATES = {"aperta": "Aperta", "approvata": "Approvata", "respinta": "Respinta"}
SIDES = {"fronte": "Fronte", "retro": "Retro"}
VARIANTS = {"app": "modulo App", "desktop": "modulo Desktop"}

# -- image preview "where the terminal allows" ----------------------------------
#
# textual-image draws real pixels on terminals that speak a graphics protocol
# (Kitty TGP, Sixel). It asks the terminal what it supports when imported, which
# must happen before Textual takes over the terminal: app.py imports this module
# at start-up for that reason. Anywhere else (no such protocol, headless tests,
# the browser) a small preview made with Pillow is drawn with half blocks.

try:  # pragma: no cover - depends on the terminal the console starts in
    from textual_image.renderable import Image as _AutoRenderable
    from textual_image.renderable import SixelImage as _SixelRenderable
    from textual_image.renderable import TGPImage as _TGPRenderable
    from textual_image.widget import Image as _GraphicsImage

    GRAPHICS_IMAGE: type[Widget] | None = (
        _GraphicsImage if _AutoRenderable in (_SixelRenderable, _TGPRenderable) else None
    )
except Exception:  # noqa: BLE001 - not installed, or no terminal to ask
    GRAPHICS_IMAGE = None

PREVIEW_COLUMNS = 48
PREVIEW_ROWS = 16
EXCERPT_CHARS = 400


def half_block_preview(path: Path, *, columns: int = PREVIEW_COLUMNS, rows: int = PREVIEW_ROWS) -> Text:
    """A low-resolution picture of an image: each cell is "▀", top pixel as ink, bottom as paper."""
    from PIL import Image, ImageOps

    with Image.open(path) as source:
        source.draft("RGB", (columns * 4, rows * 8))  # JPEG: decode already scaled down
        picture = ImageOps.exif_transpose(source)
        if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
            rgba = picture.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            picture = Image.alpha_composite(paper, rgba)
        picture = picture.convert("RGB")
        # Two pixel rows per cell: cells are about twice as tall as wide.
        picture.thumbnail((columns, rows * 2), Image.Resampling.LANCZOS)
    width, height = picture.size
    pixels = picture.load()
    text = Text(no_wrap=True, end="")
    for y in range(0, height, 2):
        if y:
            text.append("\n")
        for x in range(width):
            top = pixels[x, y]
            bottom = pixels[x, y + 1] if y + 1 < height else None
            text.append("▀", Style(color=f"rgb({top[0]},{top[1]},{top[2]})",
                                   bgcolor=f"rgb({bottom[0]},{bottom[1]},{bottom[2]})" if bottom else None))
    return text


def pdf_excerpt(path: Path, *, limit: int = EXCERPT_CHARS) -> str:
    """The text of the first page, on one line and cut to `limit` characters ("" if none)."""
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    previous = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return ""
        if not reader.pages:
            return ""
        words = " ".join((reader.pages[0].extract_text() or "").split())
    finally:
        pypdf_log.setLevel(previous)
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def preview_cells(width: int | None, height: int | None) -> tuple[int, int]:
    """Columns and rows that fit an image of that many pixels in the preview box, proportions kept."""
    if not width or not height:
        return PREVIEW_COLUMNS, PREVIEW_ROWS
    # A cell is about twice as tall as it is wide.
    columns = max(1, min(PREVIEW_COLUMNS, round(PREVIEW_ROWS * 2 * width / height)))
    rows = max(1, min(PREVIEW_ROWS, round(columns * height / width / 2)))
    return columns, rows


@dataclass(frozen=True)
class Preview:
    """What the detail screen shows for one document, prepared off the UI thread."""

    picture: Text | None = None  # half-block picture of an image
    excerpt: str | None = None  # first-page text of a PDF ("" when it has none)
    problem: str | None = None  # why nothing can be shown


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def prepare_preview(document: assistance.DocumentView, documents_dir: Path, *, picture: bool) -> Preview:
    """Read a stored document (only inside the documents folder) for its preview."""
    path = Path(document.path)
    if not _inside(path, documents_dir) or not path.is_file():
        return Preview(problem="Il file del documento non è disponibile.")
    try:
        if document.mime == "application/pdf":
            return Preview(excerpt=pdf_excerpt(path))
        if document.mime.startswith("image/"):
            return Preview(picture=half_block_preview(path) if picture else None)
    except Exception:  # noqa: BLE001 - a damaged file must not stop the review
        log.warning("preview of document %s failed", document.id, exc_info=True)
        return Preview(problem="Anteprima non disponibile: il file non si può leggere.")
    return Preview()


# -- small formatting helpers --------------------------------------------------------


def when(moment: Any, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """A stored time as read in Italy."""
    if moment is None:
        return "—"
    return as_utc(moment).astimezone(ROME).strftime(pattern)


def day(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "—"


def contact(value: str) -> str:
    """A contact as people read it (mobile as ``+39 340 123 4567``)."""
    try:
        return Username("email" if "@" in value else "mobile", value).display
    except Exception:  # noqa: BLE001 - show what is stored
        return value


def short_hash(sha256: str) -> str:
    return f"{sha256[:12]}…{sha256[-4:]}" if len(sha256) > 16 else sha256


def document_facts(document: assistance.DocumentView) -> str:
    """One line: side, type, size, pixels or pages, shortened SHA-256, original name."""
    parts = [SIDES.get(document.side, document.side.capitalize()), KIND_WORDS.get(document.mime, document.mime)]
    parts.append(human_size(document.size))
    if document.width and document.height:
        parts.append(f"{document.width}×{document.height} pixel")
    if document.pages is not None:
        parts.append("1 pagina" if document.pages == 1 else f"{document.pages} pagine")
    parts.append(f"SHA-256 {short_hash(document.sha256)}")
    return " · ".join(escape(p) for p in parts) + f"\nNome originale: [i]{escape(document.original_name)}[/i]"


def _attempt(job: Callable[[], Any], expected: type[Exception] = AssistanceError) -> Callable[[], Any]:
    """Run `job`, handing back an expected error as its result instead of raising it.

    A worker that ends in an error fails whoever awaits it (tests wait for all
    workers), so answers such as "wrong password" come back as results.
    """

    def run() -> Any:
        try:
            return job()
        except expected as error:
            return error

    return run


def record_operator_logout(ctx: Context, username: str) -> None:
    with ctx.db.transaction() as session:
        audit.record(ctx, session, "uscita_operatore", actor=username, subject=username)


# -- the frame -----------------------------------------------------------------------


class OperatorScreen(StepScreen):
    """A screen of the operator area; it needs a signed-in operator unless told otherwise."""

    STEP = STEP
    BADGE = "Area operatore"
    REQUIRES_OPERATOR: ClassVar[bool] = True

    # What operators type never goes into the customer's journey memory.
    def recall(self, widget_id: str, default: Any = "") -> Any:
        return default

    def remember(self, widget_id: str, value: object) -> None:
        pass

    @property
    def operator(self) -> str | None:
        return getattr(self.app, "operator", None)

    @property
    def allowed(self) -> bool:
        return not self.REQUIRES_OPERATOR or self.operator is not None

    def compose(self) -> ComposeResult:
        if self.allowed:
            yield from super().compose()
            return
        # Nothing of the area is built without an operator: the screen only makes way
        # for the login (and has no Header, whose start-up breaks if removed at once).
        yield Static("Area riservata agli operatori: accesso richiesto.", id="accesso-richiesto")
        pane = OutboxPane(id="outbox-pane")  # StepScreen.on_mount looks for it
        pane.display = False
        yield pane

    def on_mount(self) -> None:
        if self.allowed:
            self.ready()

    def on_screen_resume(self) -> None:
        if not self.allowed:
            self.app.switch_screen(OperatorLoginScreen())
            return
        self.resumed()

    def ready(self) -> None:
        """The screen is mounted and an operator is signed in."""

    def resumed(self) -> None:
        """The screen is shown (again) and an operator is signed in."""

    def leave_area(self) -> None:
        """Back to the customer journey (the operator stays signed in)."""
        while isinstance(self.app.screen, (OperatorScreen, ModalScreen)) and len(self.app.screen_stack) > 2:
            self.app.pop_screen()


# -- operator login ------------------------------------------------------------------


class OperatorLoginScreen(OperatorScreen):
    HEADING = "Accesso operatore"
    INTRO = "L'area operatore è riservata: accedi con le tue credenziali di operatore."
    REQUIRES_OPERATOR = False

    def compose_step(self) -> ComposeResult:
        yield Field("Nome utente operatore", Input(placeholder="es. operatore", id="operatore-username"))
        yield Field("Password", Input(password=True, id="operatore-password"))
        yield actions(Button("Accedi", id="operatore-accedi", variant="primary"), Button("Indietro", id="indietro"))

    def ready(self) -> None:
        self.query_one("#operatore-username").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#operatore-accedi")
    def submit(self) -> None:
        self.clear_errors()
        username, password = self.value_of("operatore-username"), self.value_of("operatore-password")
        if not username.strip():
            self.show_error("operatore-username", "Inserisci il nome utente dell'operatore.")
            return
        if not password:
            self.show_error("operatore-password", "Inserisci la password.")
            return
        ctx = self.app.ctx
        self.run_busy(_attempt(lambda: auth.operator_login(ctx, username, password).username, LoginError),
                      self.answered, label="Accesso in corso…")

    def answered(self, result: str | LoginError) -> None:
        if isinstance(result, LoginError):
            self.refused(result)
        else:
            self.signed_in(result)

    def refused(self, error: LoginError) -> None:
        message = error.message
        self._clear_password()
        self.show_error("operatore-password", message)

    def _clear_password(self) -> None:
        # Without prevent(), the Changed message of the emptied field would clear the error again.
        password = self.query_one("#operatore-password", Input)
        with password.prevent(Input.Changed):
            password.value = ""

    def signed_in(self, username: str) -> None:
        self._clear_password()
        self.app.operator = username
        self.app.switch_screen(OperatorHomeScreen())

    def action_back(self) -> None:
        if not self.busy:
            self.leave_area()


# -- the home and its tabs ------------------------------------------------------------


class OperatorTab(Vertical):
    """The content of one tab of the operator home."""

    DEFAULT_CSS = """
    OperatorTab { height: auto; }
    """

    @property
    def app(self) -> AreaClientiApp:  # type: ignore[override]
        return super().app  # type: ignore[return-value]

    def reload(self) -> None:
        """Refresh what the tab shows (called whenever the home is shown)."""


class RequestTable(DataTable):
    """The queue's table: a click on a row opens it at once (Enter too)."""

    async def _on_click(self, event: events.Click) -> None:
        # DataTable's own handler runs right after this one: it moves the cursor,
        # and selects only when the row clicked was already highlighted.
        row = event.style.meta.get("row")
        if isinstance(row, int) and row >= 0 and row != self.cursor_row and self.cursor_type == "row":
            self.call_after_refresh(self.action_select_cursor)


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
        previous = self._highlighted_key(table)
        table.clear(columns=True)
        table.add_columns(*self.COLUMNS, *(() if status == "aperta" else ("Stato",)))
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
            table.add_row(*cells, key=str(request.id))
        if previous is not None and previous in table.rows:
            table.move_cursor(row=table.get_row_index(previous), animate=False)
        count = len(requests)
        which = "aperte" if status == "aperta" else "in tutto"
        self.query_one("#richieste-conteggio", Static).update(
            f"{count} richiest{'a' if count == 1 else 'e'} {which}"
        )
        self.query_one("#richieste-vuoto", Static).update(
            "" if requests else ("Nessuna richiesta aperta." if status == "aperta" else "Nessuna richiesta.")
        )
        self.query_one("#richieste-errore", Static).update("")

    @staticmethod
    def _highlighted_key(table: DataTable) -> Any:
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - no valid cursor
            return None

    @on(DataTable.RowSelected, "#richieste")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Chosen(int(event.row_key.value)))


class OperatorHomeScreen(OperatorScreen):
    HEADING = "Strumenti dell'operatore"

    BINDINGS = [Binding("f5", "reload", "Aggiorna", tooltip="Ricarica i dati della scheda")]

    DEFAULT_CSS = """
    OperatorHomeScreen #operatore-barra { height: auto; margin-bottom: 1; }
    OperatorHomeScreen #operatore-nome { width: 1fr; padding-top: 1; }
    OperatorHomeScreen #schede { height: auto; }
    """

    # (tab id, label, content): other tools add their tab here.
    TABS: ClassVar[list[tuple[str, str, type[OperatorTab]]]] = [
        ("coda", "Richieste di assistenza", AssistanceQueue),
    ]

    def compose_step(self) -> ComposeResult:
        with Horizontal(id="operatore-barra"):
            yield Static("", id="operatore-nome")
            yield Button("Esci dall'area operatore", id="operatore-esci", variant="error")
        with TabbedContent(id="schede", initial=self.TABS[0][0]):
            for tab_id, label, content in self.TABS:
                with TabPane(label, id=tab_id):
                    yield content(id=f"scheda-{tab_id}")

    def ready(self) -> None:
        self.query_one("#operatore-nome", Static).update(f"Operatore: [b]{escape(self.operator or '')}[/b]")

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
        self.app.push_screen(RequestDetailScreen(message.request_id))

    @on(Button.Pressed, "#operatore-esci")
    def sign_out(self) -> None:
        username = self.operator
        if username is not None:
            ctx = self.app.ctx
            self.app.run_worker(lambda: record_operator_logout(ctx, username), thread=True, group="audit")
        self.app.operator = None
        self.leave_area()
        self.app.notify("Sei uscito dall'area operatore.", title="Area operatore")

    def action_back(self) -> None:
        if not self.busy:
            self.leave_area()


# -- one request -------------------------------------------------------------------------


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

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Respingi la richiesta[/b]\n\nIndica il motivo: sarà comunicato al cliente via email.")
            yield Field("Motivo del rifiuto", Input(id="motivo", max_length=self.MAX_LENGTH,
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


class RequestDetailScreen(OperatorScreen):
    HEADING = "Richiesta di assistenza"

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
            yield Field(
                "Codice fiscale del cliente",
                Input(placeholder="16 caratteri", id="codice-fiscale-cliente", max_length=20),
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
            previews = {d.id: prepare_preview(d, folder, picture=not graphics) for d in detail.documents}
            return detail, previews

        self.run_busy(_attempt(load), self._show, label="Caricamento della richiesta…")

    # -- showing -------------------------------------------------------------

    def _show(self, loaded: Any) -> None:
        if isinstance(loaded, AssistanceError):
            self.query_one("#dati-richiesta", Static).update(escape(str(loaded)))
            return
        detail, previews = loaded
        self.detail = detail
        request = detail.summary
        is_open = request.status == "aperta"
        self.query_one("#richiesta-stato", Static).update(self._status_line(detail))
        self.query_one("#dati-richiesta", Static).update(self._data_lines(detail))
        matched = request.customer_id is not None
        self.query_one("#cliente-testo", Static).update(
            f"Cliente riconosciuto: [b]{escape(detail.customer_label or 'sì')}[/b]"
            if matched
            else "[b]Nessun cliente riconosciuto[/b] con questi dati."
        )
        self.query_one("#campo-codice-fiscale-cliente").display = is_open and not matched
        self.query_one("#approva").display = is_open
        self.query_one("#respingi").display = is_open
        self._mount_documents(detail, previews)
        if is_open:
            self.query_one("#codice-fiscale-cliente" if not matched else "#approva").focus()

    @staticmethod
    def _status_line(detail: assistance.RequestDetail) -> str:
        request = detail.summary
        line = f"Richiesta n. [b]{request.id}[/b] · stato: [b]{STATES.get(request.status, request.status)}[/b]"
        if request.status != "aperta":
            line += f" il {when(detail.decided_at)} da {escape(detail.decided_by or '—')}"
            if detail.reason:
                line += f"\nMotivo: {escape(detail.reason)}"
        return line

    @staticmethod
    def _data_lines(detail: assistance.RequestDetail) -> str:
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
        return "\n".join(f"{label}: [b]{escape(str(value))}[/b]" for label, value in rows)

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
                if graphics and GRAPHICS_IMAGE is not None:
                    image = GRAPHICS_IMAGE(str(document.path), id=f"anteprima-{document.id}",
                                           classes="anteprima-grafica")
                    image.styles.width, image.styles.height = preview_cells(document.width, document.height)
                    parts.append(image)
                elif preview.picture is not None:
                    parts.append(Static(preview.picture, id=f"anteprima-{document.id}", classes="anteprima"))
            elif preview.excerpt is not None:
                text = (f"Testo della prima pagina: «{escape(preview.excerpt)}»" if preview.excerpt
                        else "La prima pagina non contiene testo (forse è una scansione).")
                parts.append(Static(text, id=f"estratto-{document.id}", classes="estratto"))
            box.mount(Vertical(*parts, id=f"documento-{document.id}", classes="documento"))

    # -- decisions -------------------------------------------------------------

    @property
    def matched(self) -> bool:
        return self.detail is not None and self.detail.summary.customer_id is not None

    @on(Input.Submitted, "#codice-fiscale-cliente")
    @on(Button.Pressed, "#approva")
    def approve(self) -> None:
        if self.detail is None or self.busy:
            return
        self.clear_errors()
        codice_fiscale = None if self.matched else self.value_of("codice-fiscale-cliente").strip().upper() or None
        ctx, request_id, operator = self.app.ctx, self.request_id, self.operator or ""
        self.run_busy(
            _attempt(lambda: assistance.approve(ctx, request_id, operator=operator, codice_fiscale=codice_fiscale)),
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
        self.app.pop_screen()

    @on(Button.Pressed, "#respingi")
    def ask_reason(self) -> None:
        if self.detail is None or self.busy:
            return
        self.clear_errors()
        self.app.push_screen(ReasonModal(), self._reject)

    def _reject(self, reason: str | None) -> None:
        if not reason:
            return
        ctx, request_id, operator = self.app.ctx, self.request_id, self.operator or ""
        self.run_busy(
            _attempt(lambda: assistance.reject(ctx, request_id, operator=operator, reason=reason)),
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
        self.app.pop_screen()

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
