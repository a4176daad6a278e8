"""Codice fiscale (step 2B): each fault its own message, omocodia understood."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

from codicefiscale import codicefiscale

from .errors import RuleError

_FORMAT_RE = re.compile(r"[A-Z]{6}[0-9A-Z]{2}[A-Z][0-9A-Z]{2}[A-Z][0-9A-Z]{3}[A-Z]")
# Digit positions in the order omocodia replaces them: rightmost first.
_OMOCODE_ORDER = (14, 13, 12, 10, 9, 7, 6)
_OMOCODE_LETTERS = "LMNPQRSTUV"  # stand for 0..9
_TO_DIGITS = str.maketrans(_OMOCODE_LETTERS, "0123456789")
_MONTHS = "ABCDEHLMPRST"
_FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True)
class CodiceFiscaleInfo:
    """What a valid codice fiscale tells about its owner."""

    code: str
    omocode: bool
    birth_date: datetime.date
    sex: str
    birthplace: str


def canonical_codice_fiscale(text: str) -> str:
    """Uppercase, without spaces: the form used for storage and lookups."""
    return re.sub(r"\s+", "", text).upper()


def _substituted(code: str) -> list[int]:
    """Digit positions holding an omocodia letter, in substitution order."""
    return [i for i in _OMOCODE_ORDER if code[i].isalpha()]


def base_codice_fiscale(code: str) -> str:
    """The non-omocode form of a code, check character recomputed.

    A code without substitutions (or not shaped like a codice fiscale) comes
    back canonical and otherwise unchanged.
    """
    code = canonical_codice_fiscale(code)
    if not _FORMAT_RE.fullmatch(code) or not _substituted(code):
        return code
    chars = list(code[:15])
    for i in _OMOCODE_ORDER:
        chars[i] = chars[i].translate(_TO_DIGITS)
    body = "".join(chars)
    return body + codicefiscale.encode_cin(body)


def _birth(base: str, today: datetime.date) -> tuple[datetime.date, str]:
    """Birth date and sex of a de-omocoded code; the century is the latest not in the future."""
    month = _MONTHS.find(base[8]) + 1
    day = int(base[9:11])
    sex = "F" if day > _FEMALE_DAY_OFFSET else "M"
    day -= _FEMALE_DAY_OFFSET if sex == "F" else 0
    year = today.year // 100 * 100 + int(base[6:8])
    if month:
        for candidate in (year, year - 100):
            try:
                birth = datetime.date(candidate, month, day)
            except ValueError:
                continue
            if birth <= today:
                return birth, sex
    raise RuleError(
        "La data di nascita contenuta nel codice fiscale non esiste: "
        "controlla di averlo scritto bene",
        "date",
    )


@lru_cache(maxsize=None)
def _place_periods(place_code: str) -> tuple[tuple[str, datetime.date, datetime.date], ...]:
    """(name, valid from, valid until) of every comune or country that used the code.

    Read once per code from python-codicefiscale's own table: decoding a whole
    code costs milliseconds, which a million-row import cannot afford.
    """
    periods = []
    for option in codicefiscale._get_data()["codes"].get(place_code, ()):  # noqa: SLF001
        created = (option.get("date_created") or "")[:10]
        deleted = (option.get("date_deleted") or "")[:10]
        periods.append(
            (
                str(option["name"]),
                datetime.date.fromisoformat(created) if created else datetime.date.min,
                datetime.date.fromisoformat(deleted) if deleted else datetime.date.max,
            )
        )
    return tuple(periods)


def _birthplace(base: str, birth_date: datetime.date) -> str:
    """Name of the comune or foreign country coded in a de-omocoded code."""
    periods = _place_periods(base[11:15])
    if not periods:
        raise RuleError(
            "Il luogo di nascita contenuto nel codice fiscale non esiste: "
            "controlla di averlo scritto bene",
            "place",
        )
    for name, start, end in periods:
        if start <= birth_date <= end:
            return name
    # Born before the code existed or after it was retired: the newest name.
    return periods[-1][0]


def validate_codice_fiscale(
    text: str, *, today: datetime.date | None = None
) -> CodiceFiscaleInfo:
    """Validate a typed codice fiscale.

    ``today`` (default: the real date) decides the birth century.
    """
    code = canonical_codice_fiscale(text)
    if not code:
        raise RuleError("Inserisci il codice fiscale", "empty")
    if len(code) != 16:
        raise RuleError("Il codice fiscale deve avere 16 caratteri", "length")
    if not _FORMAT_RE.fullmatch(code):
        raise RuleError(
            "Il codice fiscale non è scritto correttamente: servono 6 lettere, 2 cifre, "
            "1 lettera, 2 cifre, 1 lettera, 3 cifre e 1 lettera finale",
            "format",
        )
    substituted = _substituted(code)
    if any(code[i] not in _OMOCODE_LETTERS for i in substituted) or substituted != list(
        _OMOCODE_ORDER[: len(substituted)]
    ):
        raise RuleError(
            "Le lettere al posto delle cifre (omocodia) non sono valide: "
            "controlla di aver scritto bene il codice fiscale",
            "omocodia",
        )
    if codicefiscale.encode_cin(code) != code[15]:
        raise RuleError(
            "Il carattere di controllo non è corretto: controlla di averlo scritto bene", "check"
        )
    base = base_codice_fiscale(code)
    birth_date, sex = _birth(base, today or datetime.date.today())
    return CodiceFiscaleInfo(code, bool(substituted), birth_date, sex, _birthplace(base, birth_date))
