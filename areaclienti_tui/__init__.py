"""Area Clienti console: the Generali registration journey for INARCASSA customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["create_app", "__version__"]

if TYPE_CHECKING:
    from areaclienti_tui.app import AreaClientiApp


def create_app(**kwargs: Any) -> AreaClientiApp:
    """`create_app(db="sqlite:///path.db")`: the Textual app on that database (see app.create_app)."""
    from areaclienti_tui.app import create_app as _create_app

    return _create_app(**kwargs)
