"""Birth date and sex as typed on step 3A."""

from __future__ import annotations

import datetime
import re

from .errors import RuleError

MIN_AGE = 18
MAX_AGE = 120
# Day first, as Italians write it: 14/03/1975, 14-3-1975, 14.03.1975, 14 03 1975 or 14031975.
_SEPARATOR = r"(?:\s*[/.\-]\s*|\s+)"
_DATE_RE = re.compile(
    rf"([0-9]{{1,2}}){_SEPARATOR}([0-9]{{1,2}}){_SEPARATOR}([0-9]{{4}})|([0-9]{{2}})([0-9]{{2}})([0-9]{{4}})"
)
_TYPED_DATE_RE = re.compile(r"[0-9/.\- ]*")
_SEXES = {"m": "M", "maschio": "M", "f": "F", "femmina": "F"}


def age_on(birth: datetime.date, today: datetime.date) -> int:
    """Completed years of a person born on ``birth`` at ``today``."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def read_date(text: str) -> datetime.date:
    """A calendar date written day first: ``GG/MM/AAAA``, also with ``-``, ``.`` or spaces
    between the parts, a one-digit day or month (``14/3/1975``), or eight digits (``14031975``).

    Raises RuleError "empty", "format" (not one of those forms) or "invalid" (no such day).
    """
    text = text.strip()
    if not text:
        raise RuleError("Inserisci la data di nascita", "empty")
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise RuleError("Scrivi la data nel formato GG/MM/AAAA", "format")
    day, month, year = (int(part) for part in match.groups() if part is not None)
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise RuleError(f"La data {day:02d}/{month:02d}/{year:04d} non esiste", "invalid") from None


def format_date(day: datetime.date) -> str:
    """A date as shown and as the 3A field holds it: ``GG/MM/AAAA``."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def normalize_date_text(text: str) -> str:
    """``text`` as ``GG/MM/AAAA`` when it is a date in one of the forms `read_date` accepts;
    anything else (empty, half typed, no such day) comes back unchanged, for its own message."""
    try:
        return format_date(read_date(text))
    except RuleError:
        return text


def date_as_typed(text: str) -> str:
    """The date field while one types at its end: the slashes come by themselves.

    After a two-digit day or month a ``/`` is added (``1403`` → ``14/03/``); a
    separator (``/ - .`` or space) typed after a one-digit day or month completes it
    with its 0 (``14/3/`` → ``14/03/``); a separator with nothing before it in its
    part, or inside the year, is dropped, so typing ``14-03-1975`` or ``14/03/1975``
    over the added slashes gives the same field. Digits are never dropped: text with
    other characters, or a year over four digits, comes back unchanged.
    """
    if not _TYPED_DATE_RE.fullmatch(text):
        return text
    parts: list[str] = []  # day and month, complete
    current = ""
    for ch in text:
        if ch.isdigit():
            current += ch
            if len(parts) < 2 and len(current) == 2:
                parts.append(current)
                current = ""
        elif len(parts) < 2 and current:
            parts.append(current.zfill(2))
            current = ""
    if len(current) > 4:
        return text
    return "".join(f"{part}/" for part in parts) + current


def parse_birth_date(text: str, today: datetime.date) -> datetime.date:
    """Parse the birth date of an adult customer, written as `read_date` accepts."""
    birth = read_date(text)
    if birth > today:
        raise RuleError("La data di nascita non può essere nel futuro", "future")
    age = age_on(birth, today)
    if age < MIN_AGE:
        raise RuleError(f"Per registrarti devi avere almeno {MIN_AGE} anni", "minor")
    if age > MAX_AGE:
        raise RuleError(
            f"Controlla l'anno di nascita: la data indica più di {MAX_AGE} anni", "too-old"
        )
    return birth


def parse_sex(value: str | None) -> str:
    """Return ``"M"`` or ``"F"`` from a code or its Italian label."""
    sex = _SEXES.get((value or "").strip().casefold())
    if sex is None:
        raise RuleError("Seleziona il sesso", "sex")
    return sex
