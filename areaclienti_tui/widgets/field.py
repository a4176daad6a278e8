"""A labelled form field with its Italian error message right below it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Static

from areaclienti_tui.widgets.literal import Plain


def error_id(field_id: str) -> str:
    return f"{field_id}-errore"


class Field(Vertical):
    """Label, control and error line; the error line's id is `<control id>-errore`."""

    DEFAULT_CSS = """
    Field {
        height: auto;
        margin: 0 0 1 0;
    }
    Field > .field-label {
        color: $text-muted;
    }
    Field > .field-hint {
        color: $text-muted;
        text-style: italic;
    }
    Field > .field-error {
        color: $error;
        text-style: bold;
        display: none;
    }
    Field.-invalid > .field-error {
        display: block;
    }
    """

    def __init__(self, label: str, control: Widget, *, hint: str | None = None) -> None:
        super().__init__(id=f"campo-{control.id}" if control.id else None)
        self._label = label
        self._control = control
        self._hint = hint
        self._shown_error = ""  # what the error line holds now

    @property
    def control(self) -> Widget:
        return self._control

    @property
    def label(self) -> str:
        return self._label

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label")
        yield self._control
        if self._hint:
            yield Static(self._hint, classes="field-hint")
        # Messages may quote what was typed: the error line shows text, never markup.
        yield Plain("", id=error_id(self._control.id or ""), classes="field-error")

    def set_error(self, message: str | None) -> None:
        """Show `message` below the control, or no message (None). Every key typed in a
        field clears its message: when there is none, nothing is redrawn or laid out again."""
        if (message or "") == self._shown_error and self.has_class("-invalid") == bool(message):
            return
        self._shown_error = message or ""
        self.query_one(".field-error", Static).update(message or "")
        self.set_class(bool(message), "-invalid")
        self._control.set_class(bool(message), "-invalid")

    @property
    def error(self) -> str | None:
        if not self.has_class("-invalid"):
            return None
        return str(self.query_one(".field-error", Static).render())
