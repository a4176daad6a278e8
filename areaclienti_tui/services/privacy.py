"""The privacy notice shown at 5A and in the assistance forms, with its version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_VERSION = re.compile(r"^\s*\**Versione:?\**\s*:?\s*([\w.\-]+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Notice:
    version: str
    text: str


@lru_cache(maxsize=4)
def load_notice(path: Path) -> Notice:
    text = path.read_text(encoding="utf-8")
    match = _VERSION.search(text)
    return Notice(version=match.group(1) if match else "1", text=text)
