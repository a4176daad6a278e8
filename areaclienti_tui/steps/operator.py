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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Label,
    Markdown,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from areaclienti_tui.clock import as_utc
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import accounts, assistance, audit, auth, demo, registry
from areaclienti_tui.services.accounts import AccountError
from areaclienti_tui.services.assistance import AssistanceError
from areaclienti_tui.services.auth import LoginError
from areaclienti_tui.services.documents import DEFAULT_MAX_PIXELS, KIND_WORDS, human_size, preview_image
from areaclienti_tui.services.registry import RegistryError
from areaclienti_tui.steps.base import ConsoleApp, StepScreen, actions, form_error, panel
from areaclienti_tui.widgets.field import Field
from areaclienti_tui.widgets.literal import PlainTable, TextInput, cell, literal, template
from areaclienti_tui.widgets.modals import ConfirmModal
from areaclienti_tui.widgets.outbox_pane import OutboxPane

if TYPE_CHECKING:
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
MAX_COLUMN_WIDTH = 48
PREVIEW_ROWS = 16
EXCERPT_CHARS = 400


def half_block_preview(
    path: Path, *, columns: int = PREVIEW_COLUMNS, rows: int = PREVIEW_ROWS, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Text:
    """A low-resolution picture of an image: each cell is "▀", top pixel as ink, bottom as paper.

    Decoded with bounded memory (documents.preview_image): an image over
    ``max_pixels`` is refused from its header, a JPEG is decoded scaled down.
    """
    # Two pixel rows per cell: cells are about twice as tall as wide.
    picture = preview_image(path, (columns, rows * 2), max_pixels=max_pixels)
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
    image: Any = None  # small PIL image for a graphics terminal (never the full-size file)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


GRAPHICS_PIXELS_PER_CELL = (12, 24)  # a generous terminal cell: enough pixels for a sharp picture


def prepare_preview(
    document: assistance.DocumentView,
    documents_dir: Path,
    *,
    picture: bool,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Preview:
    """Read a stored document (only inside the documents folder) for its preview.

    Images are decoded with bounded memory: the half-block picture (``picture``)
    or a small image for a graphics terminal, never the full-size file.
    """
    path = Path(document.path)
    if not _inside(path, documents_dir) or not path.is_file():
        return Preview(problem="Il file del documento non è disponibile.")
    try:
        if document.mime == "application/pdf":
            return Preview(excerpt=pdf_excerpt(path))
        if document.mime.startswith("image/"):
            if picture:
                return Preview(picture=half_block_preview(path, max_pixels=max_pixels))
            box = (PREVIEW_COLUMNS * GRAPHICS_PIXELS_PER_CELL[0], PREVIEW_ROWS * GRAPHICS_PIXELS_PER_CELL[1])
            return Preview(image=preview_image(path, box, max_pixels=max_pixels))
    except RuleError as error:
        if error.code == "pixels":
            return Preview(problem="Anteprima non disponibile: l'immagine ha troppi pixel.")
        log.warning("preview of document %s refused: %s", document.id, error.code)
        return Preview(problem="Anteprima non disponibile: il file non si può leggere.")
    except Exception:
        log.warning("preview of document %s failed", document.id, exc_info=True)
        return Preview(problem="Anteprima non disponibile: il file non si può leggere.")
    return Preview()


# -- small formatting helpers --------------------------------------------------------


def fill_table(table: DataTable, columns: Sequence[str], rows: Sequence[tuple[str | None, Sequence[object]]]) -> None:
    """Replace a table's columns and rows, with each column as wide as its widest cell.

    Widths are given explicitly: left to the table, they were sometimes measured
    before the new cells arrived and the cells came out cut. Cells are data:
    shown as text, never as markup (``literal.cell``).
    """

    def width(value: object) -> int:
        return value.cell_len if isinstance(value, Text) else cell_len(str(value))

    text_rows = [(key, [cell(value) for value in cells]) for key, cells in rows]
    widths = [width(label) for label in columns]
    for _key, cells in text_rows:
        for index, value in enumerate(cells):
            widths[index] = max(widths[index], width(value))
    table.clear(columns=True)
    for label, size in zip(columns, widths, strict=True):
        table.add_column(label, width=min(size, MAX_COLUMN_WIDTH))
    for key, cells in text_rows:
        table.add_row(*cells, key=key)


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


def document_facts(document: assistance.DocumentView) -> Content:
    """One line: side, type, size, pixels or pages, shortened SHA-256, original name."""
    parts = [SIDES.get(document.side, document.side.capitalize()), KIND_WORDS.get(document.mime, document.mime)]
    parts.append(human_size(document.size))
    if document.width and document.height:
        parts.append(f"{document.width}×{document.height} pixel")
    if document.pages is not None:
        parts.append("1 pagina" if document.pages == 1 else f"{document.pages} pagine")
    parts.append(f"SHA-256 {short_hash(document.sha256)}")
    return template("$facts\nNome originale: [i]$name[/i]", facts=" · ".join(parts), name=document.original_name)


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


def record_operator_logout(ctx: Context, username: str, **details: object) -> None:
    with ctx.db.transaction() as session:
        audit.record(ctx, session, "uscita_operatore", actor=username, subject=username, **details)


def record_kiosk_exit(ctx: Context, username: str) -> None:
    with ctx.db.transaction() as session:
        audit.record(ctx, session, "chiosco_chiuso", actor=username, subject=username)


def sign_out_operator(app: ConsoleApp, *, reason: str | None = None) -> str | None:
    """Forget the signed-in operator (audited); returns who it was."""
    username = app.operator
    if username is not None:
        ctx = app.ctx
        details = {"motivo": reason} if reason else {}
        app.run_worker(lambda: record_operator_logout(ctx, username, **details), thread=True, group="audit")
    app.operator = None
    return username


def leave_operator_area(app: ConsoleApp) -> None:
    """Close the operator screens (and any window over them) back to the customer journey.

    At a kiosk the operator is signed out too: the next customer must not find the area open.
    """
    while isinstance(app.screen, (OperatorScreen, ModalScreen)) and len(app.screen_stack) > 2:
        app.pop_screen()
    if app.settings.kiosk and app.operator is not None:
        sign_out_operator(app, reason="chiosco")
        app.notify("Area operatore chiusa: il chiosco è di nuovo pronto per i clienti.", title="Chiosco")


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
        """Back to the customer journey (the operator stays signed in, except at a kiosk)."""
        leave_operator_area(self.app)


# -- operator login ------------------------------------------------------------------


class OperatorLoginScreen(OperatorScreen):
    HEADING = "Accesso operatore"
    INTRO = "L'area operatore è riservata: accedi con le tue credenziali di operatore."
    REQUIRES_OPERATOR = False

    def __init__(self, then: tuple[str | None, str | None] | None = None) -> None:
        super().__init__()
        # (tab id, action) to open once signed in: set by the command palette.
        self.then = then

    def compose_step(self) -> ComposeResult:
        yield Field("Nome utente operatore", TextInput(placeholder="es. operatore", id="operatore-username"))
        yield Field("Password", TextInput(password=True, id="operatore-password"))
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
        tab, action = self.then or (None, None)
        self.app.advance(self, "entrato", initial=tab, action=action)  # the home takes the login's place

    def action_back(self) -> None:
        if not self.busy:
            self.leave_area()


# -- the home and its tabs ------------------------------------------------------------


class OperatorTab(Vertical):
    """The content of one tab of the operator home."""

    DEFAULT_CSS = """
    OperatorTab { height: auto; }
    OperatorTab .barra { height: auto; margin-bottom: 1; }
    OperatorTab .barra Label { padding: 1 1 0 0; }
    OperatorTab .barra Input { width: 1fr; }
    OperatorTab .barra Button { margin-left: 1; }
    OperatorTab .conteggio { padding: 1 0 0 2; color: $text-muted; width: auto; }
    OperatorTab .sottotitolo { text-style: bold; margin: 1 0; }
    OperatorTab DataTable { height: auto; max-height: 16; }
    """

    # True: the tab reloads whenever a service records an audit event (AuditUpdated).
    LIVE: ClassVar[bool] = False

    @property
    def app(self) -> ConsoleApp:  # type: ignore[override]
        return super().app  # type: ignore[return-value]

    @property
    def operator(self) -> str | None:
        return getattr(self.app, "operator", None)

    def reload(self) -> None:
        """Refresh what the tab shows (called whenever the home is shown)."""

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        """The tab was opened by a command (palette, another tool): focus its main control.

        `action` asks for something more, e.g. "reset" on the trainer tab.
        """

    # -- blocking work in thread workers ---------------------------------------------

    def run_job(self, job: Callable[[], Any], done: Callable[[Any], Any], *, group: str = "carica") -> Worker:
        """Run `job` in a thread; `done(result)` runs on the UI. A newer job of the group wins."""
        jobs: dict[Worker, Callable[[Any], Any]] = self.__dict__.setdefault("_jobs", {})
        worker = self.run_worker(job, thread=True, exclusive=True, exit_on_error=False,
                                 group=f"{type(self).__name__}-{group}")
        jobs[worker] = done
        return worker

    @on(Worker.StateChanged)
    async def _job_changed(self, event: Worker.StateChanged) -> None:
        jobs: dict[Worker, Callable[[Any], Any]] = self.__dict__.get("_jobs", {})
        done = jobs.get(event.worker)
        if done is None or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        del jobs[event.worker]
        if event.state == WorkerState.SUCCESS:
            outcome = done(event.worker.result)
            if outcome is not None and hasattr(outcome, "__await__"):
                await outcome
        elif event.state == WorkerState.ERROR:
            self.job_failed(event.worker.error)

    def job_failed(self, error: BaseException | None) -> None:
        if self.app.raise_unexpected:
            self.app.report_unexpected(error)
            return
        log.error("operator tab %s: job failed", type(self).__name__, exc_info=error)
        self.app.notify("Operazione non riuscita: riprova o controlla il log.", title="Errore", severity="error")


class RequestTable(PlainTable):
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


# -- registry ------------------------------------------------------------------------------

MATCHED_WORDS = {registry.BY_NAME: "nome", registry.BY_CF: "cod. fiscale", registry.BY_CONTACT: "recapito"}
CONTACT_KINDS = {"email": "Email", "mobile": "Cellulare"}
CONTACT_SOURCES = {"registro": "anagrafe", "assistenza": "aggiunto dall'assistenza"}
POLICY_STATES = {"attiva": "attiva", "scaduta": "scaduta", "annullata": "annullata", "sospesa": "sospesa"}


def lock_state(locked: bool, locked_until: Any, failed_logins: int) -> str:
    if locked:
        return f"Bloccato fino alle {when(locked_until, '%H:%M:%S')}"
    if failed_logins:
        return f"Attivo ({failed_logins} tentativ{'o' if failed_logins == 1 else 'i'} errat{'o' if failed_logins == 1 else 'i'})"
    return "Attivo"


def ask_unlock(tab: OperatorTab, account_id: int, username: str, owner: str, done: Callable[[Any], Any]) -> None:
    """Confirm, then unlock the account in a worker; `done` gets the AccountSummary or AccountError."""
    question = template(
        "[b]Sbloccare l'account $username[/b]" + (" di $owner" if owner.strip() else "") + "?\n\n"
        "I tentativi errati vengono azzerati e il cliente può accedere subito. "
        "L'operazione è registrata nel registro audit a tuo nome.",
        username=username, owner=owner,
    )

    def answered(confirmed: bool | None) -> None:
        if not confirmed:
            return
        ctx, operator = tab.app.ctx, tab.operator or ""
        tab.run_job(_attempt(lambda: accounts.unlock(ctx, account_id, operator), AccountError), done, group="sblocco")

    tab.app.push_screen(ConfirmModal(question, confirm_label="Sblocca"), answered)


def unlocked_notice(tab: OperatorTab, result: Any) -> bool:
    """Tell the operator how the unlock went; True when it worked."""
    if isinstance(result, AccountError):
        tab.app.notify(result.message, title="Sblocco non riuscito", severity="error")
        return False
    tab.app.notify(f"L'account {result.username} è stato sbloccato.", title="Account sbloccato")
    return True


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
        self.run_job(_attempt(lambda: registry.customer_detail(ctx, customer_id), RegistryError),
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


# -- accounts ----------------------------------------------------------------------------


class AccountsTab(OperatorTab):
    """Tab "Account": customer accounts with their lock state, unlock, recent lockouts."""

    LIVE = True
    COLUMNS: ClassVar[tuple[str, ...]] = ("Nome utente", "Cliente", "Creato", "Ultimo accesso", "Errori", "Stato")
    LOCKOUT_COLUMNS: ClassVar[tuple[str, ...]] = ("Quando", "Chi", "Tipo", "Blocco")
    LOCKOUTS_SHOWN = 20

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.accounts: dict[int, accounts.AccountSummary] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="barra"):
            yield TextInput(placeholder="filtra per nome utente, nome o codice fiscale", id="filtro-account",
                            label="Filtro account")
            yield Checkbox("Solo bloccati", id="solo-bloccati")
            yield Static("", id="account-conteggio", classes="conteggio")
        yield form_error("filtro-account")
        yield PlainTable(id="elenco-account", cursor_type="row", zebra_stripes=True)
        yield Static("", id="account-vuoto", classes="nota")
        yield actions(Button("Sblocca account", id="sblocca-account", variant="warning"))
        yield Static("Blocchi recenti (dal registro audit)", classes="sottotitolo")
        yield PlainTable(id="blocchi", cursor_type="row", zebra_stripes=True)
        yield Static("", id="blocchi-vuoto", classes="nota")

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        if action == "bloccati":
            checkbox = self.query_one("#solo-bloccati", Checkbox)
            if not checkbox.value:
                checkbox.value = True  # its Changed message reloads
        self.query_one("#elenco-account", DataTable).focus()

    @on(Input.Changed, "#filtro-account")
    @on(Checkbox.Changed, "#solo-bloccati")
    def _filter_changed(self, event: Input.Changed | Checkbox.Changed) -> None:
        event.stop()
        self.reload()

    def reload(self) -> None:
        ctx = self.app.ctx
        only_locked = self.query_one("#solo-bloccati", Checkbox).value
        text = self.query_one("#filtro-account", Input).value.strip()
        shown = self.LOCKOUTS_SHOWN

        def load() -> Any:
            return accounts.list_accounts(ctx, only_locked=only_locked, text=text), accounts.lockouts(ctx, shown)

        self.run_job(load, lambda loaded: self._show(*loaded, only_locked=only_locked))

    def _show(self, listed: list[accounts.AccountSummary], recent: list[accounts.Lockout], *, only_locked: bool) -> None:
        self.accounts = {a.id: a for a in listed}
        table = self.query_one("#elenco-account", DataTable)
        previous = AssistanceQueue._highlighted_key(table)
        fill_table(table, self.COLUMNS, [
            (str(account.id), (
                contact(account.username),
                account.full_name,
                when(account.created_at, "%d/%m/%Y"),
                when(account.last_login_at, "%d/%m %H:%M") if account.last_login_at else "mai",
                str(account.failed_logins),
                lock_state(account.locked, account.locked_until, 0),
            ))
            for account in listed
        ])
        if previous is not None and previous in table.rows:
            table.move_cursor(row=table.get_row_index(previous), animate=False)
        locked = sum(1 for a in listed if a.locked)
        self.query_one("#account-conteggio", Static).update(
            f"{len(listed)} account, {locked} bloccat{'o' if locked == 1 else 'i'}"
        )
        self.query_one("#account-vuoto", Static).update(
            "" if listed else ("Nessun account bloccato." if only_locked else "Nessun account.")
        )
        self.query_one("#sblocca-account").disabled = not listed
        blocks = self.query_one("#blocchi", DataTable)
        lock_rows = []
        for lock in recent:
            if lock.failures is None:
                what = "tentativo durante il blocco"
            else:
                minutes = (lock.lock_seconds or 0) // 60
                what = f"{lock.failures} errori di fila → {minutes} min" if minutes else f"{lock.failures} errori di fila"
            lock_rows.append((None, (when(lock.at, "%d/%m %H:%M:%S"), contact(lock.who), lock.who_kind, what)))
        fill_table(blocks, self.LOCKOUT_COLUMNS, lock_rows)
        self.query_one("#blocchi-vuoto", Static).update("" if recent else "Nessun blocco registrato.")

    def selected(self) -> accounts.AccountSummary | None:
        key = AssistanceQueue._highlighted_key(self.query_one("#elenco-account", DataTable))
        return self.accounts.get(int(key.value)) if key is not None and key.value is not None else None

    @on(Button.Pressed, "#sblocca-account")
    def _unlock(self, event: Button.Pressed) -> None:
        event.stop()
        account = self.selected()
        if account is None:
            self.app.notify("Scegli un account nella tabella.", title="Sblocco")
            return
        if not account.locked and not account.failed_logins:
            self.app.notify(f"L'account {account.username} non è bloccato.", title="Sblocco")
            return
        ask_unlock(self, account.id, account.username, account.full_name, self._unlocked)

    def _unlocked(self, result: Any) -> None:
        unlocked_notice(self, result)
        self.reload()


# -- audit log --------------------------------------------------------------------------------

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


# -- personas ------------------------------------------------------------------------------


class PersonasTab(OperatorTab):
    """Tab "Personas": the trainer's cheat-sheet, data/personas.md."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("Le personas demo e i rami del percorso che ciascuna mostra.", classes="nota")
        yield Markdown("Caricamento…", id="personas-testo")

    @property
    def path(self) -> Path:
        return self.app.settings.personas_file.with_name("personas.md")

    def reload(self) -> None:
        if self.loaded:
            return
        path = self.path

        def read() -> str:
            try:
                return path.read_text(encoding="utf-8")
            except OSError as error:
                log.warning("personas cheat-sheet not readable: %s", error)
                return f"Il file delle personas (`{path}`) non è disponibile."

        self.run_job(read, self._show)

    async def _show(self, text: str) -> None:
        self.loaded = True
        await self.query_one("#personas-testo", Markdown).update(text)

    def activate(self, action: str | None = None, payload: Any = None) -> None:
        self.reload()
        self.query_one("#personas-testo", Markdown).focus()


# -- trainer tools -------------------------------------------------------------------------

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


from areaclienti_tui.steps.operator_diagnosis import DiagnosisTab  # noqa: E402 - it needs OperatorTab, above


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

        self.run_busy(_attempt(load), self._show, label="Caricamento della richiesta…")

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
            _attempt(lambda: assistance.compare(ctx, request_id, codice_fiscale=codice_fiscale)),
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
            _attempt(lambda: assistance.approve(ctx, request_id, operator=operator, codice_fiscale=codice_fiscale,
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


# -- command palette ------------------------------------------------------------------------


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


# -- kiosk: leaving it takes an operator --------------------------------------------------


class KioskUnlockModal(ModalScreen[tuple[str, str] | None]):
    """At a kiosk, the quit key asks for an operator: then close the kiosk or open the area.

    Dismisses with ("exit" | "operator" | "stay", operator username), or None when cancelled.
    """

    BINDINGS = [Binding("escape", "cancel", "Annulla")]
    DEFAULT_CSS = """
    KioskUnlockModal { align: center middle; }
    KioskUnlockModal > Vertical {
        width: 80; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    KioskUnlockModal Input { max-width: 100%; }
    KioskUnlockModal Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    KioskUnlockModal Button { margin-left: 1; }
    KioskUnlockModal #kiosk-scelta { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.operator: str | None = None
        self._login: Worker | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Uscita dalla modalità chiosco[/b]\n\n"
                         "Riservato agli operatori: accedi con le tue credenziali di operatore.",
                         id="kiosk-titolo")
            with Vertical(id="kiosk-credenziali"):
                yield Field("Nome utente operatore", TextInput(id="kiosk-operatore"))
                yield Field("Password", TextInput(password=True, id="kiosk-password"))
                with Horizontal():
                    yield Button("Annulla", id="kiosk-annulla")
                    yield Button("Accedi", id="kiosk-accedi", variant="primary")
            with Vertical(id="kiosk-scelta"):
                yield Static("", id="kiosk-benvenuto")
                with Horizontal():
                    yield Button("Torna al chiosco", id="kiosk-resta")
                    yield Button("Apri l'area operatore", id="kiosk-area-operatore", variant="primary")
                    yield Button("Chiudi il chiosco", id="kiosk-esci", variant="error")

    def on_mount(self) -> None:
        self.query_one("#kiosk-scelta").display = False
        self.query_one("#kiosk-operatore").focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        field = self.query(f"#campo-{event.input.id}")
        if field:
            field.first(Field).set_error(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#kiosk-accedi")
    def submit(self) -> None:
        if self._login is not None or self.operator is not None:
            return
        username = self.query_one("#kiosk-operatore", Input).value
        password = self.query_one("#kiosk-password", Input).value
        if not username.strip():
            self._error("kiosk-operatore", "Inserisci il nome utente dell'operatore.")
            return
        if not password:
            self._error("kiosk-password", "Inserisci la password.")
            return
        ctx = self.app.ctx  # type: ignore[attr-defined]
        for button in self.query("#kiosk-credenziali Button"):
            button.disabled = True
        self._login = self.run_worker(
            _attempt(lambda: auth.operator_login(ctx, username, password).username, LoginError),
            thread=True, exclusive=True, exit_on_error=False, group="chiosco-accesso",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._login or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self._login = None
        for button in self.query("#kiosk-credenziali Button"):
            button.disabled = False
        if event.state == WorkerState.ERROR:
            self.app.report_unexpected(event.worker.error)  # type: ignore[attr-defined]
            return
        result = event.worker.result
        password = self.query_one("#kiosk-password", Input)
        with password.prevent(Input.Changed):
            password.value = ""
        if isinstance(result, LoginError):
            self._error("kiosk-password", result.message)
            return
        self.operator = result
        self.query_one("#kiosk-titolo", Static).update("[b]Uscita dalla modalità chiosco[/b]")
        self.query_one("#kiosk-credenziali").display = False
        self.query_one("#kiosk-benvenuto", Static).update(template(
            "Operatore [b]$name[/b]: puoi chiudere il chiosco, aprire l'area operatore o tornare al chiosco.",
            name=result,
        ))
        self.query_one("#kiosk-scelta").display = True
        self.query_one("#kiosk-resta").focus()

    def _error(self, widget_id: str, message: str) -> None:
        self.query_one(f"#campo-{widget_id}", Field).set_error(message)
        self.query_one(f"#{widget_id}").focus()

    def errors(self) -> dict[str, str]:
        return {f.control.id or "": f.error for f in self.query(Field) if f.error}

    @on(Button.Pressed, "#kiosk-esci")
    def _exit(self) -> None:
        if self.operator:
            self.dismiss(("exit", self.operator))

    @on(Button.Pressed, "#kiosk-area-operatore")
    def _area(self) -> None:
        if self.operator:
            self.dismiss(("operator", self.operator))

    @on(Button.Pressed, "#kiosk-resta")
    def _stay(self) -> None:
        if self.operator:
            self.dismiss(("stay", self.operator))

    @on(Button.Pressed, "#kiosk-annulla")
    def action_cancel(self) -> None:
        if self.operator:
            self.dismiss(("stay", self.operator))
        elif self._login is None:
            self.dismiss(None)


def kiosk_unlocked(app: ConsoleApp, choice: tuple[str, str] | None) -> None:
    """What the operator chose in the KioskUnlockModal."""
    if choice is None:
        return
    what, username = choice
    ctx = app.ctx
    if what == "exit":
        def close() -> None:
            try:
                record_kiosk_exit(ctx, username)
            finally:
                app.call_from_thread(app.exit)

        app.run_worker(close, thread=True, group="chiosco-uscita", exit_on_error=False)
    elif what == "operator":
        app.operator = username
        app.advance("1A", "operatore-attivo")
    else:
        app.run_worker(lambda: record_operator_logout(ctx, username, motivo="chiosco"), thread=True, group="audit")
