"""Help for the screen in front of the customer (F1, or ? outside a field).

It lists the keys that work there, from the screen's active bindings, described
in Italian, and what the guide says for that step (data/guida_passi.toml).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from areaclienti_tui.paths import data_file
from areaclienti_tui.widgets.literal import Plain, template
from areaclienti_tui.widgets.textual_it import DESCRIPTIONS

GUIDE_FILE = "guida_passi.toml"

# Keys by their Italian names (Textual's own names are English: "escape", "space"…).
KEY_NAMES: dict[str, str] = {
    "escape": "Esc",
    "enter": "Invio",
    "space": "Spazio",
    "tab": "Tab",
    "shift+tab": "Maiusc+Tab",
    "question_mark": "?",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "Pag↑",
    "pagedown": "Pag↓",
    "home": "Inizio",
    "end": "Fine",
    "delete": "Canc",
    "backspace": "Backspace",
}

# Keys that work on every screen, whatever the bindings say.
ALWAYS: list[tuple[str, str]] = [
    ("Tab / Maiusc+Tab", "Passa al controllo seguente / precedente"),
    ("Invio", "Preme il pulsante evidenziato o conferma il campo"),
    ("Spazio", "Spunta o toglie la spunta di una casella; sceglie un'opzione"),
]


@cache
def guide_texts(path: Path | None = None) -> dict[str, str]:
    """The guide's sentences for each step code."""
    with open(path or data_file(GUIDE_FILE), "rb") as handle:
        return dict(tomllib.load(handle).get("passi", {}))


def guide_text(step: str | None) -> str | None:
    if not step:
        return None
    return guide_texts().get(step)


def key_name(key: str) -> str:
    """`ctrl+q` → `Ctrl+Q`, `escape` → `Esc`, `f1` → `F1`."""
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    parts = key.split("+")
    named = [KEY_NAMES.get(part, part.capitalize() if len(part) > 1 else part.upper()) for part in parts]
    for index, part in enumerate(parts[:-1]):
        named[index] = {"ctrl": "Ctrl", "shift": "Maiusc", "alt": "Alt"}.get(part, named[index])
    return "+".join(named)


def screen_keys(screen: Screen) -> list[tuple[str, str]]:
    """(key, Italian description) of the keys active on `screen`, as the footer shows them and more."""
    rows: dict[str, str] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not active.enabled or not binding.description:
            continue
        if not binding.show and binding.action not in ("command_palette", "app.command_palette"):
            continue
        description = DESCRIPTIONS.get(binding.description, binding.description)
        if binding.tooltip and binding.tooltip != description:
            description = f"{description} — {binding.tooltip}"
        rows.setdefault(binding.key_display or key_name(key), description)
    return list(rows.items())


class HelpModal(ModalScreen[None]):
    """Keys and the guide's text for one screen. Esc (or F1, or ?) closes it."""

    BINDINGS = [
        Binding("escape", "close", "Chiudi"),
        Binding("f1,question_mark", "close", "Chiudi", show=False),
    ]
    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpModal VerticalScroll { height: auto; max-height: 1fr; }
    HelpModal .aiuto-sezione { text-style: bold; margin-top: 1; }
    HelpModal #aiuto-tasti { padding-left: 2; }
    HelpModal #aiuto-guida { padding-left: 2; }
    HelpModal Horizontal { height: auto; align-horizontal: right; }
    """

    def __init__(self, screen: Screen, step: str | None) -> None:
        super().__init__(id="aiuto")
        self.step = step
        heading = getattr(screen, "HEADING", "") or screen.sub_title or ""
        badge = getattr(screen, "BADGE", None) or (f"Passo {step}" if step and step[:1].isdigit() else "")
        self.heading = " · ".join(part for part in (badge, heading) if part)
        self.keys = screen_keys(screen)
        self.guide = guide_text(step)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(template("[b]Aiuto[/b] · $heading", heading=self.heading or "Area Clienti"), id="aiuto-titolo")
            with VerticalScroll(id="aiuto-testo"):
                yield Static("Tasti di questa schermata", classes="aiuto-sezione")
                width = max((len(key) for key, _ in self.keys + ALWAYS), default=0)
                lines = [f"{key.ljust(width)}  {text}" for key, text in self.keys + ALWAYS]
                yield Plain("\n".join(lines), id="aiuto-tasti")
                if self.guide:
                    yield Static("Cosa dice la guida", classes="aiuto-sezione")
                    yield Plain(self.guide, id="aiuto-guida")
            with Horizontal():
                yield Button("Chiudi", id="chiudi-aiuto", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#chiudi-aiuto", Button).focus()

    @on(Button.Pressed, "#chiudi-aiuto")
    def action_close(self) -> None:
        self.dismiss(None)

    def text(self) -> str:
        """Everything the help says, as plain text (for tests and the scenario runner)."""
        parts = [str(widget.render()) for widget in self.query(Static)]
        return "\n".join(parts)
