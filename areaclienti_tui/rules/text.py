"""Names: cleaning what the customer types and comparing names for recognition."""

from __future__ import annotations

import re
import unicodedata

from .errors import RuleError

NAME_MAX_LEN = 60
_NAME_PUNCTUATION = frozenset(" '’-.")


def normalize_name(s: str) -> str:
    """Fold a name for comparison: no accents, no case, only letters and digits."""
    decomposed = unicodedata.normalize("NFKD", s)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def clean_person_name(s: str, field_label: str) -> str:
    """Validate a first name or surname; return it trimmed, spaces collapsed, case kept.

    ``field_label`` is the field name used in messages, e.g. ``"nome"``.
    """
    cleaned = re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip()
    if not cleaned:
        raise RuleError(f"Inserisci il {field_label}", "empty")
    if any(not (_is_latin_letter(ch) or ch in _NAME_PUNCTUATION) for ch in cleaned):
        raise RuleError(
            f"Il {field_label} può contenere solo lettere, spazi, apostrofi, trattini e punti",
            "chars",
        )
    if len(cleaned) > NAME_MAX_LEN:
        raise RuleError(
            f"Il {field_label} può avere al massimo {NAME_MAX_LEN} caratteri", "length"
        )
    if not any(ch.isalpha() for ch in cleaned):
        raise RuleError(f"Il {field_label} deve contenere almeno una lettera", "letter")
    return cleaned
