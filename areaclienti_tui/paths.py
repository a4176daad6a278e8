"""Where the package's data files and the user's data folder live."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "areaclienti-tui"
_PACKAGE = Path(__file__).resolve().parent


def package_data_dir() -> Path:
    """`data/` shipped inside the wheel, or the checkout's `data/` when editable."""
    bundled = _PACKAGE / "data"
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / "data"


def data_file(name: str) -> Path:
    return package_data_dir() / name


def default_user_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
