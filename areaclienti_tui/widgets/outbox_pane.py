"""The simulated phone: every SMS and email sent, newest first, updated live."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from areaclienti_tui.clock import rome
from areaclienti_tui.rules.username import display_contact
from areaclienti_tui.services import outbox
from areaclienti_tui.services.outbox import OutboxView
from areaclienti_tui.widgets.literal import literal, shown, template

ROME = rome()  # the console's time zone (clock.rome)
SHOWN = 30
FIRST_FRAME_SECONDS = 0.5  # the longest a new pane's query waits for its step's first frame


def describe(message: OutboxView) -> Content:
    """One message, with the code highlighted; recipient, subject and body are shown as text."""
    icon = "✉ EMAIL" if message.channel == "email" else "📱 SMS"
    when = message.sent_at.astimezone(ROME).strftime("%d/%m %H:%M:%S")
    lines = [template(f"[b]{icon}[/b] → $to  [dim]$when[/dim]", to=display_contact(message.to), when=when)]
    if message.subject:
        lines.append(template("[i]$subject[/i]", subject=message.subject))
    body = shown(message.body, keep_newlines=True)
    if message.code:
        pieces: list[str | tuple[str, str]] = []
        for index, part in enumerate(body.split(message.code)):
            if index:
                pieces.append((f" {message.code} ", "reverse b"))
            pieces.append(part)
        lines.append(Content.assemble(*pieces))
    else:
        lines.append(literal(body))
    if message.delivery != "simulata":
        lines.append(template("[dim]consegna: $delivery[/dim]", delivery=message.delivery))
    return Content("\n").join(lines)


class OutboxPane(Vertical):
    """Newest first; refreshed when the app announces an outbox change.

    By default it shows the current journey's messages (to its contacts, sent
    since it started at 1A); F3 shows every message. Below ~110 columns it folds
    into a one-line strip with the journey's latest code; F2 opens it full.
    """

    DEFAULT_CSS = """
    OutboxPane {
        width: 46;
        border-left: tall $primary-muted;
        padding: 0 1;
    }
    OutboxPane #outbox-titolo { text-style: bold; color: $accent; }
    OutboxPane #outbox-vuoto { color: $text-muted; }
    OutboxPane > #outbox-corpo { height: 1fr; }
    OutboxPane > #outbox-striscia {
        display: none;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    OutboxPane .messaggio {
        border: round $panel-lighten-2;
        padding: 0 1;
        margin-bottom: 1;
    }
    OutboxPane .messaggio.-nuovo { border: round $success; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._messages: list[OutboxView] = []
        self._everything_shown = False  # the titles shown: every message (F3) or this journey's
        self._scope: Scope | None = None
        self._first_frame: threading.Event | None = None
        self._focus_before: Widget | None = None
        self.display_allowed = True  # False: the screen keeps its pane hidden whatever the app says

    def compose(self) -> ComposeResult:
        yield Static(strip([], Scope(everything=False)), id="outbox-striscia")
        with Vertical(id="outbox-corpo"):
            yield Static("Messaggi di questo percorso", id="outbox-titolo")
            yield Static(EMPTY_JOURNEY, id="outbox-vuoto")
            yield VerticalScroll(id="outbox-lista")

    def on_mount(self) -> None:
        app = self.app
        self.display_allowed = self.display  # hidden before mounting: stays hidden
        for attribute in ("show_outbox", "outbox_open", "outbox_all"):
            if hasattr(app, attribute):
                self.watch(app, attribute, self._app_changed, init=False)
        self.sync()
        # The step arriving is drawn first: the query's Python (SQLAlchemy) would otherwise
        # share the processor with its first frame, the longest piece of a step change
        # (issue 12). The worker exists at once (whoever waits for workers waits for it).
        self._first_frame = threading.Event()
        self.call_after_refresh(self._first_frame.set)
        self.reload()

    def on_unmount(self) -> None:
        if self._first_frame is not None:
            self._first_frame.set()

    def _app_changed(self, _value: object) -> None:
        self.sync()
        if self._scope is not None and self._scope.everything != bool(getattr(self.app, "outbox_all", False)):
            self.reload()

    def sync(self) -> None:
        """Follow the app: shown or not, open full (narrow screens), which messages."""
        app = self.app
        self.display = bool(getattr(app, "show_outbox", True)) and self.display_allowed
        open_full = bool(getattr(app, "outbox_open", False)) and self.display
        screen = self.screen
        was_open = screen.has_class("-messaggi-aperti")
        screen.set_class(open_full, "-messaggi-aperti")
        if screen.has_class("-stretto") and open_full and not was_open and screen is app.screen:
            self._focus_before = screen.focused
            self.query_one("#outbox-lista").focus()
        elif was_open and not open_full:
            before = getattr(self, "_focus_before", None)
            if before is not None and before.is_attached and before.focusable:
                before.focus()
            self._focus_before = None

    def scope(self) -> Scope:
        """Which messages to show, read on the UI thread (the journey may change meanwhile)."""
        app = self.app
        everything = bool(getattr(app, "outbox_all", False))
        journey = getattr(app, "journey", None)
        if everything or journey is None:
            return Scope(everything=True)
        return Scope(everything=False, contacts=journey.known_contacts(), since=journey.started_at)

    def reload(self) -> None:
        self._scope = self.scope()
        self._load(self._scope, self._first_frame)

    @work(thread=True, exclusive=True, group="outbox-pane", exit_on_error=False)
    def _load(self, scope: Scope, first_frame: threading.Event | None = None) -> None:
        if first_frame is not None:
            first_frame.wait(FIRST_FRAME_SECONDS)
        ctx = self.app.ctx  # type: ignore[attr-defined]
        if scope.everything:
            messages = outbox.latest(ctx, limit=SHOWN)
        else:
            messages = outbox.latest(ctx, limit=SHOWN, recipients=scope.contacts, since=scope.since)
        self.app.call_from_thread(self._show, messages, scope)

    async def _show(self, messages: list[OutboxView], scope: Scope) -> None:
        listing = self.query_one("#outbox-lista", VerticalScroll)
        if messages == self._messages and scope.everything == self._everything_shown:
            listing.scroll_home(animate=False)
            return  # what is shown already (a new step's pane with no messages yet, most often)
        self._messages = messages
        self._everything_shown = scope.everything
        await listing.remove_children()
        await listing.mount_all(
            Static(describe(m), classes="messaggio -nuovo" if i == 0 else "messaggio", id=f"messaggio-{m.id}")
            for i, m in enumerate(messages)
        )
        self.query_one("#outbox-titolo", Static).update(
            "Tutti i messaggi inviati (simulati)" if scope.everything else "Messaggi di questo percorso")
        empty = self.query_one("#outbox-vuoto", Static)
        empty.update(EMPTY_ALL if scope.everything else EMPTY_JOURNEY)
        empty.display = not messages
        self.query_one("#outbox-striscia", Static).update(strip(messages, scope))
        listing.scroll_home(animate=False)


@dataclass(frozen=True)
class Scope:
    everything: bool
    contacts: frozenset[str] = frozenset()
    since: datetime | None = None


EMPTY_JOURNEY = "Nessun messaggio per questo percorso: i codici inviati compariranno qui. F3: tutti i messaggi."
EMPTY_ALL = "Nessun messaggio: i codici inviati compariranno qui."


def strip(messages: list[OutboxView], scope: Scope) -> Content:
    """The folded pane: the latest live code first (it must never be cut), then where it went."""
    where = "tutti i messaggi" if scope.everything else "questo percorso"
    coded = next((m for m in messages if m.code), None)
    if coded is not None:
        icon = "✉" if coded.channel == "email" else "📱"
        when = coded.sent_at.astimezone(ROME).strftime("%H:%M")
        return template("[b]Codice[/b] [reverse b] $code [/reverse b] $icon $to $when · [dim]F2 messaggi[/dim]",
                        code=coded.code, icon=icon, to=display_contact(coded.to), when=when)
    if messages:
        last = messages[0]
        icon = "✉" if last.channel == "email" else "📱"
        return template("$icon $to · nessun codice attivo ($where) · [dim]F2 messaggi[/dim]",
                        icon=icon, to=display_contact(last.to), where=where)
    return template("Nessun messaggio ($where) · [dim]F2 messaggi[/dim]", where=where)
