"""Textual's own words and marks, made right for this console (issue 8).

- The key descriptions Textual's widgets bring (the Select menu's "Dismiss menu",
  the command palette's "Exit the command palette") in Italian.
- Checkboxes and radio buttons show their state with a mark, not only a colour:
  a ticked checkbox shows ``X``, an unticked one a blank; a chosen radio button
  ``●``, the others ``○``.
- Enter on a checkbox no longer toggles it (a form submitted with Enter used to
  untick the consent silently): Space toggles, Enter moves on to the next control.
- A high-contrast theme, offered in the command palette.
- `Palette`: Enter pressed while the palette is still searching runs the entry the
  finished search puts first, not an entry of the previous, shorter search (a
  person types "registro audit" and Enter in one breath).

`install()` applies the first three once, before the app composes anything.
"""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import Input
from textual.worker import Worker, WorkerState
from textual.theme import Theme
from textual.widgets import Checkbox, RadioButton
from textual.widgets._select import SelectOverlay
from textual.widgets._toggle_button import ToggleButton

HIGH_CONTRAST = Theme(
    name="alto-contrasto",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#202020",
    boost="#FFFFFF",
    warning="#FFB000",
    error="#FF6060",
    success="#40FF40",
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "border": "#FFFFFF",
        "border-blurred": "#C0C0C0",
        "footer-key-foreground": "#FFFF00",
        "footer-description-foreground": "#FFFFFF",
        "input-cursor-background": "#FFFF00",
        "input-selection-background": "#FFFF00 60%",
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#FFFF00",
        "block-cursor-text-style": "bold",
    },
)
"""Black background, white text, yellow focus and keys."""

DEFAULT_THEME = "textual-dark"

# The descriptions of keys that Textual's own widgets and screens show, in Italian.
DESCRIPTIONS: dict[str, str] = {
    "Dismiss menu": "Chiudi il menu",
    "Exit the command palette": "Chiudi la palette",
    "palette": "Comandi",
    "Toggle": "Seleziona",
    "Focus Next": "Controllo seguente",
    "Focus Previous": "Controllo precedente",
}


class _Mark:
    """A BUTTON_INNER that follows the button's value: a mark for on, another for off."""

    def __init__(self, on: str, off: str) -> None:
        self.on, self.off = on, off

    def __get__(self, button: ToggleButton | None, owner: type) -> str:
        if button is None:
            return self.on
        return self.on if button.value else self.off


def _italian_bindings(widget: type, bindings: list[Binding]) -> None:
    widget.BINDINGS = bindings  # type: ignore[attr-defined]
    widget._merged_bindings = widget._merge_bindings()  # type: ignore[attr-defined]


_installed = False


def install() -> None:
    """Italian key descriptions, visible marks and Enter on checkboxes (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    Checkbox.BUTTON_INNER = _Mark("X", " ")  # type: ignore[assignment]
    RadioButton.BUTTON_INNER = _Mark("\u25cf", "\u25cb")  # type: ignore[assignment]  # ● / ○
    _italian_bindings(Checkbox, [
        Binding("space", "toggle_button", "Seleziona", show=False),
        Binding("enter", "app.focus_next", "Avanti", show=False),
    ])
    _italian_bindings(SelectOverlay, [Binding("escape", "dismiss", DESCRIPTIONS["Dismiss menu"])])
    _italian_bindings(CommandPalette, _palette_bindings())
    Palette._merged_bindings = Palette._merge_bindings()  # type: ignore[attr-defined]  # merged when defined


def _palette_bindings() -> list[Binding]:
    italian = {
        "Go to bottom": "Vai in fondo",
        "Go to top": "Vai all'inizio",
        "Next command": "Comando seguente",
        "Exit the command palette": DESCRIPTIONS["Exit the command palette"],
        "Next page": "Pagina seguente",
        "Previous page": "Pagina precedente",
        "Previous command": "Comando precedente",
    }
    found: list[Binding] = []
    for item in CommandPalette.__dict__.get("BINDINGS", []):
        binding = item if isinstance(item, Binding) else Binding(*item)
        found.append(Binding(binding.key, binding.action, italian.get(binding.description, binding.description),
                             show=binding.show, priority=binding.priority))
    return found


class Palette(CommandPalette):
    """The command palette, where Enter waits for the search that is still running."""

    _enter_waiting = False

    def _searching(self) -> bool:
        return any(worker.group == self._GATHER_COMMANDS_GROUP and not worker.is_finished
                   for worker in self.workers)

    @on(Input.Submitted)
    def _enter_after_search(self, event: Input.Submitted) -> None:
        if self._searching():
            event.prevent_default()  # CommandPalette's own handler runs once the search is done
            event.stop()
            self._enter_waiting = True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if (self._enter_waiting and event.worker.group == self._GATHER_COMMANDS_GROUP
                and event.state == WorkerState.SUCCESS and not self._searching()):
            self._enter_waiting = False
            self._select_or_command()
