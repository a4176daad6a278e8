"""The simulated phone: every SMS and email sent, newest first, updated live."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from areaclienti_tui.services import outbox
from areaclienti_tui.services.outbox import OutboxView
from areaclienti_tui.widgets.literal import literal, shown, template

ROME = ZoneInfo("Europe/Rome")
SHOWN = 30


def describe(message: OutboxView) -> Content:
    """One message, with the code highlighted; recipient, subject and body are shown as text."""
    icon = "✉ EMAIL" if message.channel == "email" else "📱 SMS"
    when = message.sent_at.astimezone(ROME).strftime("%d/%m %H:%M:%S")
    lines = [template(f"[b]{icon}[/b] → $to  [dim]$when[/dim]", to=message.to, when=when)]
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
    """Newest first; refreshed when the app announces an outbox change."""

    DEFAULT_CSS = """
    OutboxPane {
        width: 46;
        border-left: tall $primary-muted;
        padding: 0 1;
    }
    OutboxPane > #outbox-titolo { text-style: bold; color: $accent; }
    OutboxPane > #outbox-vuoto { color: $text-muted; }
    OutboxPane .messaggio {
        border: round $panel-lighten-2;
        padding: 0 1;
        margin-bottom: 1;
    }
    OutboxPane .messaggio.-nuovo { border: round $success; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Messaggi inviati (simulati)", id="outbox-titolo")
        yield Static("Nessun messaggio: i codici inviati compariranno qui.", id="outbox-vuoto")
        yield VerticalScroll(id="outbox-lista")

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="outbox-pane", exit_on_error=False)
    def reload(self) -> None:
        messages = outbox.latest(self.app.ctx, limit=SHOWN)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, messages)

    async def _show(self, messages: list[OutboxView]) -> None:
        listing = self.query_one("#outbox-lista", VerticalScroll)
        await listing.remove_children()
        await listing.mount_all(
            Static(describe(m), classes="messaggio -nuovo" if i == 0 else "messaggio", id=f"messaggio-{m.id}")
            for i, m in enumerate(messages)
        )
        self.query_one("#outbox-vuoto").display = not messages
        listing.scroll_home(animate=False)
