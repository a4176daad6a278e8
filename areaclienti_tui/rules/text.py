"""Names: cleaning what the customer types and comparing names for recognition."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .errors import RuleError

NAME_MAX_LEN = 60
_NAME_PUNCTUATION = frozenset(" '’-.")


@lru_cache(maxsize=4096)
def normalize_name(s: str) -> str:
    """Fold a name for comparison: no accents, no case, only letters and digits."""
    decomposed = unicodedata.normalize("NFKD", s)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def phonetic_key(norm: str) -> str:
    """A sound-alike key of a normalised surname (``rossi``, ``rosi`` → ``RS``): Metaphone."""
    import jellyfish  # loaded when first needed (import, diagnosis), not at start

    return jellyfish.metaphone(norm)[:40].upper() if norm else ""


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


# -- control characters ---------------------------------------------------------
# Text from a person or from data may never carry characters that steer the
# terminal or reorder what is shown: C0/C1 controls (ESC among them), DEL and the
# Unicode bidirectional overrides, embeddings and isolates. Tab and newline are
# refused too: every field of the journey and of the CSV is a single line.

_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Every character refused, as one pattern: C0 (tab and newline among them), DEL and C1,
# the bidi controls, the line and paragraph separators. One scan of a whole text (the
# importer checks every field of a million rows with it).
CONTROL_CHAR_RE = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI_CONTROLS + "\u2028\u2029]")


def _describe(ch: str) -> str:
    if ch == "\x1b":
        return "ESC"
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def find_control_char(value: str) -> str | None:
    """The first control or bidi-override character of `value`, described, or None."""
    found = CONTROL_CHAR_RE.search(value)
    return _describe(found.group()) if found is not None else None


def refuse_control_chars(value: str, field_label: str) -> str:
    """Return `value` unchanged, or raise RuleError naming the field and the character."""
    found = find_control_char(value)
    if found is not None:
        raise RuleError(
            f"Il campo {field_label} contiene un carattere di controllo non ammesso ({found})",
            "control",
        )
    return value
