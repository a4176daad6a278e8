"""Birth date and sex as typed on step 3A."""

from __future__ import annotations

import datetime
import re

from .errors import RuleError

MIN_AGE = 18
MAX_AGE = 120
_DATE_RE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_SEXES = {"m": "M", "maschio": "M", "f": "F", "femmina": "F"}


def age_on(birth: datetime.date, today: datetime.date) -> int:
    """Completed years of a person born on ``birth`` at ``today``."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def parse_birth_date(text: str, today: datetime.date) -> datetime.date:
    """Parse a ``GG/MM/AAAA`` birth date of an adult customer."""
    text = text.strip()
    if not text:
        raise RuleError("Inserisci la data di nascita", "empty")
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise RuleError("Scrivi la data nel formato GG/MM/AAAA", "format")
    day, month, year = (int(part) for part in match.groups())
    try:
        birth = datetime.date(year, month, day)
    except ValueError:
        raise RuleError(f"La data {text} non esiste", "invalid") from None
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
