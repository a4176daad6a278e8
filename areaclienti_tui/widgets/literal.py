"""One rule for text on screen (SPEC §4 "text on screen").

What comes from a person or from data (names, usernames, products, file names,
audit entries, messages, search results) is shown as text: never parsed as
markup, and never able to steer the terminal: control characters (C0/C1, ESC,
DEL, bidi overrides and isolates, line/paragraph separators) are shown as
visible symbols instead of being written raw.

Fixed Italian strings written in the code may keep their markup; data goes into
them only through `template()` placeholders, which are filled literally:

    Static(template("Ciao [b]$nome[/b]", nome=login.nome))

Widgets for data: `Plain` (a Static), `PlainTable` (a DataTable whose str cells
are text), `option()` (an OptionList entry), and `TextInput` (an Input that
refuses control characters with the Italian message of
`rules.text.refuse_control_chars`, shown by the app next to the field).
The app's `notify()` shows its message as text too (see `AreaClientiApp.notify`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.visual import VisualType
from textual.widgets import DataTable, Input, Static
from textual.widgets.option_list import Option

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.text import find_control_char, refuse_control_chars

# C0 controls and DEL become their Unicode "control pictures" (ESC → ␛); every
# other refused character (C1, bidi overrides/isolates, U+2028/9) becomes �.
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}


def _visible(ch: str, keep_newlines: bool) -> str:
    if keep_newlines and ch == "\n":
        return ch
    if find_control_char(ch) is None:
        return ch
    return _PICTURES.get(ord(ch), "\ufffd")


def shown(value: object, *, keep_newlines: bool = False) -> str:
    """`value` as it may reach the terminal: control characters made visible.

    ``keep_newlines`` keeps line breaks of text that is multi-line by nature
    (an email body); everywhere else a newline is shown as a symbol too.
    """
    text = "" if value is None else str(value)
    if find_control_char(text) is None:
        return text
    return "".join(_visible(ch, keep_newlines) for ch in text)


def literal(value: object, *, keep_newlines: bool = False) -> Content:
    """Data as Textual content: shown exactly as it is, no markup."""
    if isinstance(value, Content):
        return value
    return Content(shown(value, keep_newlines=keep_newlines))


def template(markup: str, **values: object) -> Content:
    """A fixed markup string (written in the code) with `$name` placeholders filled literally by data."""
    filled = {
        name: value if isinstance(value, Content) else shown(value, keep_newlines=True)
        for name, value in values.items()
    }
    return Content.from_markup(markup, **filled)


class CellText(Text):
    """A table cell made from a str: Rich `Text` (DataTable shows it as is, never as markup)
    that still compares equal to the string it shows, as the str cell it replaces did."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.plain == other
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self.plain)


def cell(value: Any) -> Any:
    """A table cell: a str becomes `CellText` instead of being parsed as markup by DataTable."""
    if isinstance(value, str):
        return CellText(shown(value), end="")
    return value


def option(prompt: object, *, id: str | None = None, disabled: bool = False) -> Option:  # noqa: A002
    """An OptionList entry whose prompt is data."""
    return Option(literal(prompt), id=id, disabled=disabled)


class Plain(Static):
    """A Static for data: strings are shown literally (no markup), control characters made visible.

    `update()` accepts Content too (e.g. from `template()`), for fixed markup around data.
    """

    def __init__(self, content: VisualType = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(literal(content, keep_newlines=True) if isinstance(content, str) else content, **kwargs)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        if isinstance(content, str):
            content = literal(content, keep_newlines=True)
        super().update(content, layout=layout)


class PlainTable(DataTable):
    """A DataTable for data: str cells, labels and column headings are text, never markup.

    Textual's DataTable parses str cells with ``Text.from_markup`` (textual 8.2.8,
    ``default_cell_formatter``); here they arrive already as ``Text``.
    """

    def add_column(self, label: Any, *, width: int | None = None, key: str | None = None,
                   default: Any = None) -> Any:
        return super().add_column(cell(label), width=width, key=key, default=cell(default))

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None, label: Any = None) -> Any:
        return super().add_row(*(cell(value) for value in cells), height=height, key=key,
                               label=cell(label) if label is not None else None)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, cell(value), update_width=update_width)


class TextInput(Input):
    """An Input that refuses control characters, however they arrive.

    Typing, pasting (`Paste` event) and values set by the program all pass through
    `validate_value`: a refused character is taken out (the rest of what was typed
    stays) and a `TextInput.Refused` message carries the Italian message of
    `refuse_control_chars`. It bubbles after the input's `Changed`, so the app
    shows it next to the field after the screen has handled the change.
    """

    # Input sets its virtual size (the text's width, how far it can scroll sideways) at
    # every key; Widget declares it with layout=True, so each key laid the whole screen
    # out again. The box of an Input never depends on its text (its height and width
    # are not auto, app.tcss): a repaint is enough, and the scroll limits read it as is.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    class Refused(Message):
        """A control character was refused; `message` says which, in Italian."""

        def __init__(self, text_input: TextInput, message: str) -> None:
            super().__init__()
            self.text_input = text_input
            self.message = message

        @property
        def control(self) -> TextInput:
            return self.text_input

    def __init__(self, value: str | None = None, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        self._label = label
        self._refusal: str | None = None
        self.error_line: Static | None = None  # set by whoever shows a refusal outside a Field
        super().__init__(value, *args, **kwargs)

    @property
    def field_label(self) -> str:
        from areaclienti_tui.widgets.field import Field

        if self._label:
            return self._label
        if isinstance(self.parent, Field):
            return self.parent.label
        return self.placeholder or self.id or "di testo"

    def validate_value(self, value: str) -> str:
        limit = getattr(self, "max_length", 0)
        if limit and len(value) > limit:
            # A value set by the program may not be longer than typing allows: Input refuses
            # every edit (even Backspace) that leaves a value over the limit.
            value = value[:limit]
        if find_control_char(value) is None:
            return value
        try:
            refuse_control_chars(value, self.field_label)
            message = ""
        except RuleError as error:
            message = error.message
        cleaned = "".join(ch for ch in value if find_control_char(ch) is None)
        if cleaned == getattr(self, "value", cleaned) or not self.is_mounted:
            # No Changed will follow (or no one to tell yet): report at once / on mount.
            self._refusal = message
            if self.is_mounted:
                self._report()
        else:
            self._refusal = message  # reported right after the Changed of the cleaned value
        return cleaned

    def _report(self) -> None:
        message, self._refusal = self._refusal, None
        if message:
            self.post_message(self.Refused(self, message))

    def _watch_value(self, value: str) -> None:
        super()._watch_value(value)
        if self._refusal is not None and self.is_mounted:
            self._report()
        elif self.error_line is not None:
            self.error_line.display = False
            self.error_line = None

    def _on_mount(self, event: Any) -> None:  # Input._on_mount runs too (MRO dispatch)
        if self._refusal is not None:
            self.call_after_refresh(self._report)

    def _on_key(self, event: Any) -> None:
        # Textual calls Input._on_key after this one (handlers run along the MRO).
        # A C1 or bidi character typed (not a key such as Esc, Tab or Backspace, whose
        # characters are C0) is refused with its message; Input would drop it in silence.
        character = event.character
        if character and len(character) == 1 and ord(character) >= 0x80 and find_control_char(character):
            event.stop()
            event.prevent_default()
            try:
                refuse_control_chars(character, self.field_label)
            except RuleError as error:
                self.post_message(self.Refused(self, error.message))
