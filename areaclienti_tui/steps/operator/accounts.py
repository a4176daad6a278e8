"""Operator tab "Account": customer accounts with their lock state, unlock, recent lockouts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, DataTable, Input, Static

from areaclienti_tui.services import accounts
from areaclienti_tui.steps.base import actions, form_error
from areaclienti_tui.steps.operator.common import (
    OperatorTab,
    ask_unlock,
    column_widths,
    contact,
    fill_table,
    highlighted_key,
    lock_state,
    unlocked_notice,
    when,
)
from areaclienti_tui.widgets.literal import PlainTable, TextInput

CELL_PADDING = 2  # a DataTable column's padding, one cell each side


@dataclass(frozen=True)
class AccountColumns:
    """How the accounts table writes its columns: the widest form that fits is used."""

    headers: tuple[str, ...]
    created: str  # strftime pattern of "Creato"
    last_login: str  # strftime pattern of the last access
    locked: str  # the lock state; {until} is the end of the lock, written as `until`
    until: str = "%H:%M:%S"

    def row(self, account: accounts.AccountSummary) -> tuple[str, ...]:
        state = (
            self.locked.format(until=when(account.locked_until, self.until))
            if account.locked
            else lock_state(False, None, 0)
        )
        return (
            contact(account.username),
            account.full_name,
            when(account.created_at, self.created),
            when(account.last_login_at, self.last_login) if account.last_login_at else "mai",
            str(account.failed_logins),
            state,
        )

    def width(self, listed: list[accounts.AccountSummary]) -> int:
        """Columns needed to show every cell whole (padding included)."""
        widths = column_widths(self.headers, (self.row(account) for account in listed))
        return sum(widths) + CELL_PADDING * len(widths)


# The same columns and information, from the roomiest form to the one for 80 columns
# (short headers, dates as GG/MM/AA; at the narrowest the end of a lock to the minute:
# the lockouts below and the Anagrafe file keep the seconds).
ACCOUNT_COLUMNS = (
    AccountColumns(("Nome utente", "Cliente", "Creato", "Ultimo accesso", "Errori", "Stato"),
                   "%d/%m/%Y", "%d/%m %H:%M", "Bloccato fino alle {until}"),
    AccountColumns(("Nome utente", "Cliente", "Creato", "Accesso", "Err.", "Stato"),
                   "%d/%m/%y", "%d/%m/%y %H:%M", "Bloccato fino {until}"),
    AccountColumns(("Nome utente", "Cliente", "Creato", "Accesso", "Err.", "Stato"),
                   "%d/%m/%y", "%d/%m/%y %H:%M", "Bloccato→{until}", "%H:%M"),
)


class AccountsTab(OperatorTab):
    """Tab "Account": customer accounts with their lock state, unlock, recent lockouts."""

    LIVE = True
    LOCKOUT_COLUMNS: ClassVar[tuple[str, ...]] = ("Quando", "Chi", "Tipo", "Blocco")
    LOCKOUTS_SHOWN = 20

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.accounts: dict[int, accounts.AccountSummary] = {}
        self._listed: list[accounts.AccountSummary] = []
        self._columns: AccountColumns | None = None

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
        self._listed = listed
        self._fill_accounts()
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

    def _room(self) -> int:
        """Columns the accounts table has for its cells: the tab's width (the table spans it);
        before the tab is laid out, the terminal's less the margins (a Resize follows)."""
        return self.scrollable_content_region.width or self.app.size.width - 4

    def _columns_for(self, listed: list[accounts.AccountSummary]) -> AccountColumns:
        """The roomiest form of the columns whose cells all fit without scrolling sideways."""
        room = self._room()
        for columns in ACCOUNT_COLUMNS:
            if columns.width(listed) <= room:
                return columns
        return ACCOUNT_COLUMNS[-1]

    def _fill_accounts(self) -> None:
        table = self.query_one("#elenco-account", DataTable)
        previous = highlighted_key(table)
        columns = self._columns = self._columns_for(self._listed)
        fill_table(table, columns.headers, [(str(account.id), columns.row(account)) for account in self._listed])
        if previous is not None and previous in table.rows:
            table.move_cursor(row=table.get_row_index(previous), animate=False)

    def on_resize(self, event: events.Resize) -> None:
        # A wider or narrower terminal may call for the other form of the columns.
        if self._columns is not None and self._columns_for(self._listed) != self._columns:
            self._fill_accounts()

    def selected(self) -> accounts.AccountSummary | None:
        key = highlighted_key(self.query_one("#elenco-account", DataTable))
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
