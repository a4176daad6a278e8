"""The console's remembered choices (the theme), in `<data_dir>/preferenze.json`."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "preferenze.json"


def preferences_file(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def load(data_dir: Path) -> dict[str, Any]:
    """The saved preferences; nothing (not an error) when the file is missing or unreadable."""
    path = preferences_file(data_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("preferenze non leggibili (%s): uso i valori predefiniti", type(error).__name__)
        return {}
    return data if isinstance(data, dict) else {}


def save(data_dir: Path, **values: Any) -> None:
    """Merge `values` into the saved preferences (written whole, then renamed into place)."""
    path = preferences_file(data_dir)
    data = load(data_dir) | values
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        log.warning("preferenze non salvate (%s)", type(error).__name__)
