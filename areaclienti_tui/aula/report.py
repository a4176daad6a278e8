"""What a seat's console tells the trainer's board: a small JSON file in the seat's folder.

The console of a classroom seat (`serve --aula N`) is given the file's path in
`AREACLIENTI_SEAT_STATUS_FILE`; it writes the step on screen, the last outcome of
the journey (1B, 6B, account created…) and the last message sent. The server reads
the file for `/formatore`. A file on disk, not a socket: it is still there while
the seat's process is stopped for idleness, and it goes with the folder on "Ripristina".

Nothing secret is written: a message is its channel, the masked recipient and its
subject, never its text or its code. No textual import (the server reads it too).
"""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from areaclienti_tui import journey_map
from areaclienti_tui.rules.masking import mask_email, mask_mobile

MAX_BYTES = 16_384  # a status file larger than this is not read (a seat folder is not trusted)
MAX_TEXT = 120  # every text of the file is cut to this length

# Steps that end a journey, or mark where it went: the board's "ultimo esito".
OUTCOMES: dict[str, str] = {
    "1B": "Dati non riconosciuti (1B)",
    "5B": "Nessun recapito (5B)",
    "6B": "Errore generico (6B)",
    "10A": "Cellulare non registrato (10A)",
    "7A-fatto": "Account creato",
    "4B-fatto": "Account creato (percorso B)",
    "gia-registrato": "Già registrato",
    "senza-polizza": "Senza polizza",
    "8A-prodotti": "Accesso riuscito",
    "11A-inviata": "Richiesta di assistenza inviata",
    "7B-inviata": "Richiesta di assistenza inviata (7B)",
}


def _bounded(text: object) -> str:
    value = str(text)
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def masked_recipient(channel: str, recipient: str) -> str:
    """The recipient as the board shows it: masked like the contacts of step 3B."""
    try:
        if channel == "email" or "@" in recipient:
            return mask_email(recipient)
        return mask_mobile(recipient)
    except Exception:  # noqa: BLE001 - an odd recipient is hidden, never shown raw
        return "***"


class SeatReport:
    """Writes the status file of one seat; safe to call from the console's worker threads."""

    def __init__(self, path: Path, now: Any) -> None:  # noqa: ANN401 - a callable returning an aware datetime
        self.path = path
        self._now = now
        self._lock = threading.Lock()
        self._status: dict[str, object] = {"passo": None, "esito": None, "messaggio": None}

    def step(self, step_id: str | None) -> bool:
        """The step on screen (a journey map id); written only when it changed. True if written."""
        with self._lock:
            current = self._status.get("passo")
            if isinstance(current, dict) and current.get("id") == step_id:
                return False
            if step_id is None:
                if current is None:
                    return False
                self._status["passo"] = None
            else:
                step = journey_map.steps_by_id().get(step_id)
                stamp = self._stamp()
                self._status["passo"] = {"id": step_id, "codice": step.code if step else step_id,
                                         "titolo": _bounded(step.title if step else step_id), "dal": stamp}
                if step_id in OUTCOMES:
                    self._status["esito"] = {"id": step_id, "testo": OUTCOMES[step_id], "alle": stamp}
            self._write()
            return True

    def message(self, channel: str, recipient: str, subject: str | None) -> None:
        with self._lock:
            self._status["messaggio"] = {"canale": _bounded(channel),
                                         "a": _bounded(masked_recipient(channel, recipient)),
                                         "oggetto": _bounded(subject or ""), "alle": self._stamp()}
            self._write()

    def _stamp(self) -> str:
        now: datetime = self._now()
        return now.isoformat(timespec="seconds")

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(self._status, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.path)


FIELDS: dict[str, tuple[str, ...]] = {
    "passo": ("id", "codice", "titolo", "dal"),
    "esito": ("id", "testo", "alle"),
    "messaggio": ("canale", "a", "oggetto", "alle"),
}


def read(path: Path) -> dict[str, dict[str, str] | None]:
    """A seat's status as the console wrote it: ``passo``, ``esito``, ``messaggio``, each None
    or a dict of bounded texts with all its keys. Missing, too large or invalid parts are None."""
    status: dict[str, dict[str, str] | None] = dict.fromkeys(FIELDS)
    try:
        # Not stat() then read_text(): a link to /dev/zero says 0 bytes and never ends, a pipe
        # blocks the server on open. A regular file only, opened without waiting, read bounded.
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return status
            raw = file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return status
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: deeply nested JSON
        return status
    if not isinstance(data, dict):
        return status
    for name, keys in FIELDS.items():
        part = data.get(name)
        if isinstance(part, dict):
            status[name] = {key: _bounded(part.get(key) or "") for key in keys}
    return status
