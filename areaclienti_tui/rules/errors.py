"""The single error type raised by every rule."""

from __future__ import annotations


class RuleError(ValueError):
    """A rule refused an input.

    ``message`` is the Italian text shown to the customer, ``code`` a short
    machine key (e.g. ``"pec"``), ``field`` the widget id the error belongs to
    when a rule covers more than one field.
    """

    def __init__(self, message: str, code: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message
