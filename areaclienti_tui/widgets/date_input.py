"""A date field for people in a hurry: ``14031975`` becomes ``14/03/1975`` as it is typed."""

from __future__ import annotations

import re
from typing import Any

from textual import events

from areaclienti_tui.rules.personal import date_as_typed, normalize_date_text
from areaclienti_tui.rules.text import find_control_char
from areaclienti_tui.widgets.literal import TextInput

# What may be typed or pasted in a date: digits and the separators people use.
_DATE_CHARS = re.compile(r"[0-9/.\- ]+")


class DateInput(TextInput):
    """A `TextInput` for ``GG/MM/AAAA`` dates.

    Typing at the end of the field adds the slashes (`rules.personal.date_as_typed`):
    after ``1403`` the field shows ``14/03/``; a ``/``, ``-`` or ``.`` typed where a
    slash already is changes nothing, after a one-digit day or month it adds the 0.
    Backspace and edits in the middle work as in any field. A pasted date in any
    accepted form, and the value on blur or when `normalize()` is called, is shown as
    ``GG/MM/AAAA``; a value that is not a date stays as it is, for its own message.
    Letters are refused with the bell; control characters keep `TextInput`'s message.
    """

    def __init__(self, value: str | None = None, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("placeholder", "GG/MM/AAAA")
        kwargs.setdefault("max_length", 10)
        super().__init__(value, *args, **kwargs)

    def replace(self, text: str, start: int, end: int) -> None:
        if not text or find_control_char(text) is not None:
            super().replace(text, start, end)  # deletions; control characters get their message
            return
        if not _DATE_CHARS.fullmatch(text):
            self.restricted()
            return
        value = self.value
        start, end = sorted((max(0, start), min(len(value), end)))
        if end < len(value):
            super().replace(text, start, end)  # an edit in the middle: as typed
            return
        typed = value[:start] + text
        new_value = date_as_typed(typed) if len(text) == 1 else normalize_date_text(typed)
        if self.max_length and len(new_value) > self.max_length:
            self.restricted()
            return
        self.value = new_value
        self.cursor_position = len(new_value)

    def shown_after_typing(self, text: str) -> str:
        """What the empty field shows once `text` is typed into it key by key
        (``14031975`` → ``14/03/1975``): lets a scenario's ``type`` check the field."""
        shown = ""
        for key in text:
            if not _DATE_CHARS.fullmatch(key):
                continue  # refused
            candidate = date_as_typed(shown + key)
            if not self.max_length or len(candidate) <= self.max_length:
                shown = candidate
        return shown

    def normalize(self) -> bool:
        """Show a date written in any accepted form as ``GG/MM/AAAA``; True if the value changed."""
        normal = normalize_date_text(self.value)
        if normal == self.value:
            return False
        self.value = normal
        self.cursor_position = len(normal)
        return True

    def _on_blur(self, event: events.Blur) -> None:  # Input._on_blur runs next and reports the value
        self.normalize()
