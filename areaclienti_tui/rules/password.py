"""Password rules of step 5A (SPEC §4): the guide's checklist plus current standards."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from zxcvbn import zxcvbn

from .errors import RuleError
from .text import normalize_name

MIN_LEN = 8
MAX_LEN = 16
BCRYPT_MAX_BYTES = 72
MIN_SCORE = 2
_PERSONAL_MIN_LEN = 3
_MOBILE_DIGITS = 7
_STRENGTH_LABELS = ("Molto debole", "Debole", "Discreta", "Buona", "Ottima")


@dataclass(frozen=True)
class Check:
    """One line of the live checklist."""

    key: str
    label: str
    ok: bool


@dataclass(frozen=True)
class Strength:
    """zxcvbn score (0..4) and its Italian label."""

    score: int
    label: str


def checklist(password: str) -> list[Check]:
    """The guide's four requirements, each marked met or not."""
    return [
        Check(
            "length", f"Tra {MIN_LEN} e {MAX_LEN} caratteri", MIN_LEN <= len(password) <= MAX_LEN
        ),
        Check("upper", "Almeno una lettera maiuscola", any(ch.isupper() for ch in password)),
        Check("lower", "Almeno una lettera minuscola", any(ch.islower() for ch in password)),
        Check("digit", "Almeno un numero", any(ch.isdecimal() for ch in password)),
    ]


def strength(password: str, user_inputs: Sequence[str] = ()) -> Strength:
    """Estimate strength with zxcvbn; ``user_inputs`` are the person's own words."""
    score = zxcvbn(password, user_inputs=list(user_inputs))["score"] if password else 0
    return Strength(score, _STRENGTH_LABELS[score])


def ensure_bcrypt_safe(password: str) -> None:
    """Refuse a password whose UTF-8 form bcrypt would truncate."""
    if len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise RuleError(
            "La password è troppo lunga: usa meno lettere accentate o simboli speciali",
            "bytes",
            field="password",
        )


def _name_parts(name: str) -> set[str]:
    """The folded name and each of its words, when long enough to matter."""
    parts = {normalize_name(name)} | {normalize_name(word) for word in re.split(r"[\W_]+", name)}
    return {part for part in parts if len(part) >= _PERSONAL_MIN_LEN}


def _contains_username(password: str, username: str) -> bool:
    if "@" in username:
        folded = normalize_name(password)
        return any(part in folded for part in _name_parts(username.rpartition("@")[0]))
    digits = re.sub(r"[^0-9]", "", username)
    return len(digits) >= _MOBILE_DIGITS and digits[-_MOBILE_DIGITS:] in password


def validate_password(
    password: str, confirm: str, *, nome: str = "", cognome: str = "", username: str = ""
) -> None:
    """Raise RuleError (with ``field`` ``password`` or ``conferma-password``) on the first fault."""

    def fail(message: str, code: str) -> RuleError:
        return RuleError(message, code, field="password")

    if not password:
        raise fail("Inserisci la password", "empty")
    checks = {check.key: check.ok for check in checklist(password)}
    if not checks["length"]:
        raise fail(f"La password deve avere tra {MIN_LEN} e {MAX_LEN} caratteri", "length")
    if not checks["upper"]:
        raise fail("La password deve contenere almeno una lettera maiuscola", "upper")
    if not checks["lower"]:
        raise fail("La password deve contenere almeno una lettera minuscola", "lower")
    if not checks["digit"]:
        raise fail("La password deve contenere almeno un numero", "digit")
    ensure_bcrypt_safe(password)
    folded = normalize_name(password)
    if any(part in folded for part in _name_parts(nome)):
        raise fail("La password non deve contenere il tuo nome", "nome")
    if any(part in folded for part in _name_parts(cognome)):
        raise fail("La password non deve contenere il tuo cognome", "cognome")
    if _contains_username(password, username):
        raise fail("La password non deve contenere il tuo nome utente", "username")
    personal_words = [word for word in (nome, cognome, username) if word]
    if strength(password, personal_words).score < MIN_SCORE:
        raise fail("Password troppo comune o facile da indovinare", "weak")
    if not confirm:
        raise RuleError("Ripeti la password", "confirm-empty", field="conferma-password")
    if confirm != password:
        raise RuleError("Le due password non coincidono", "mismatch", field="conferma-password")
