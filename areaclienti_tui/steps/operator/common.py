"""Shared parts of the operator area: the screen frame, the tab base and small helpers.

``OperatorScreen`` is the frame of every screen of the area: without a signed-in
operator (``app.operator``) it gives way to the operator login. ``OperatorTab`` is
the content of one tab of the operator home, with its blocking work in thread
workers. The helpers format stored values as operators read them, fill tables,
sign the operator out, and unlock a customer's account (the "Anagrafe" and
"Account" tabs both do).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from areaclienti_tui.clock import as_utc, rome
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import accounts, audit
from areaclienti_tui.services.accounts import AccountError
from areaclienti_tui.services.assistance import AssistanceError
from areaclienti_tui.steps.base import ConsoleApp, StepScreen
from areaclienti_tui.widgets.literal import PlainTable, cell, template
from areaclienti_tui.widgets.modals import ConfirmModal
from areaclienti_tui.widgets.outbox_pane import OutboxPane

if TYPE_CHECKING:
    from areaclienti_tui.services.context import Context

log = logging.getLogger(__name__)
ROME = rome()  # the console's time zone (clock.rome)

STEP = "operatore"
SEXES = {"M": "Maschio", "F": "Femmina"}
STATES = {"aperta": "Aperta", "approvata": "Approvata", "respinta": "Respinta"}
SIDES = {"fronte": "Fronte", "retro": "Retro"}
VARIANTS = {"app": "modulo App", "desktop": "modulo Desktop"}

MAX_COLUMN_WIDTH = 48

# -- small formatting helpers --------------------------------------------------------


def column_widths(columns: Sequence[object], rows: Iterable[Sequence[object]]) -> list[int]:
    """The width of each column's widest cell, its heading included, in terminal cells."""

    def width(value: object) -> int:
        return value.cell_len if isinstance(value, Text) else cell_len(str(value))

    widths = [width(label) for label in columns]
    for cells in rows:
        for index, value in enumerate(cells):
            widths[index] = max(widths[index], width(value))
    return widths


def fill_table(table: DataTable, columns: Sequence[str], rows: Sequence[tuple[str | None, Sequence[object]]]) -> None:
    """Replace a table's columns and rows, with each column as wide as its widest cell.

    Widths are given explicitly: left to the table, they were sometimes measured
    before the new cells arrived and the cells came out cut. Cells are data:
    shown as text, never as markup (``literal.cell``).
    """
    text_rows = [(key, [cell(value) for value in cells]) for key, cells in rows]
    widths = column_widths(columns, (cells for _key, cells in text_rows))
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


def attempt(job: Callable[[], Any], expected: type[Exception] = AssistanceError) -> Callable[[], Any]:
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


def highlighted_key(table: DataTable) -> Any:
    """The key of the row under a table's cursor (None: no rows, or no valid cursor)."""
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # noqa: BLE001 - no valid cursor
        return None


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

    # The screen that takes the place of one opened without an operator: OperatorLoginScreen,
    # set by login.py (the login is built on this frame, so this module cannot import it).
    LOGIN_SCREEN: ClassVar[Callable[[], StepScreen]]

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
            self.app.switch_screen(self.LOGIN_SCREEN())
            return
        self.resumed()

    def ready(self) -> None:
        """The screen is mounted and an operator is signed in."""

    def resumed(self) -> None:
        """The screen is shown (again) and an operator is signed in."""

    def leave_area(self) -> None:
        """Back to the customer journey (the operator stays signed in, except at a kiosk)."""
        leave_operator_area(self.app)


# -- the tabs of the home ------------------------------------------------------------


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


# -- unlocking an account (tabs Anagrafe and Account) ------------------------------


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
        tab.run_job(attempt(lambda: accounts.unlock(ctx, account_id, operator), AccountError), done, group="sblocco")

    tab.app.push_screen(ConfirmModal(question, confirm_label="Sblocca"), answered)


def unlocked_notice(tab: OperatorTab, result: Any) -> bool:
    """Tell the operator how the unlock went; True when it worked."""
    if isinstance(result, AccountError):
        tab.app.notify(result.message, title="Sblocco non riuscito", severity="error")
        return False
    tab.app.notify(f"L'account {result.username} è stato sbloccato.", title="Account sbloccato")
    return True
