"""A Select that a fast typist sets with one key: ``M`` for Maschio, ``F`` for Femmina."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Select


class QuickSelect(Select[str]):
    """A `Select` whose closed menu takes a letter: the option whose value or label starts
    with it is chosen at once (when only one does). Enter and the arrows open the menu as
    in any Select, and typing in the open menu searches its options as before."""

    def _match(self, character: str) -> str | None:
        key = character.casefold()
        found = {
            value
            for prompt, value in self._options
            if value is not Select.NULL and (str(value).casefold().startswith(key) or str(prompt).casefold().startswith(key))
        }
        return found.pop() if len(found) == 1 else None

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return (not self.expanded and character is not None and character.isalnum()
                and self._match(character) is not None) or super().check_consume_key(key, character)

    def _on_key(self, event: events.Key) -> None:  # the open menu (a child) handles its own keys
        if self.expanded or not event.character or not event.character.isalnum():
            return
        value = self._match(event.character)
        if value is None:
            return
        event.stop()
        event.prevent_default()
        self.value = value


def quick_select(options: list[tuple[str, str]], value: Any, **kwargs: Any) -> QuickSelect:
    """A QuickSelect on `options`, set to `value` when it is one of them."""
    values = {option_value for _label, option_value in options}
    return QuickSelect(options, value=value if value in values else Select.NULL, **kwargs)
