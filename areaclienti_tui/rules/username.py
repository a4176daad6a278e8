"""The username of step 4A (an email or an Italian mobile) and contacts on file."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import email_validator
import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from .errors import RuleError

ContactKind = Literal["email", "mobile"]

_PHONE_LIKE_RE = re.compile(r"[0-9+.\s\-]*[0-9][0-9+.\s\-]*")
_REGISTRY_SEPARATORS_RE = re.compile(r"[\s.\-/()]")
_LOCAL_SYMBOLS = frozenset(".!#$%&'*+-/=?^_`{|}~")  # allowed besides letters and digits


@dataclass(frozen=True)
class Username:
    """A validated username: normalized email or E.164 mobile."""

    kind: ContactKind
    value: str

    @property
    def display(self) -> str:
        """The value as shown to people (mobile as ``+39 340 123 4567``)."""
        return display_contact(self.value, self.kind)


# --- display -------------------------------------------------------------------


def display_mobile(value: str) -> str:
    """A mobile as shown to people, the one way everywhere: ``+39 328 987 6543``.

    Takes the stored E.164 form or any way of writing the number that login
    accepts; what is not a phone number comes back unchanged.
    """
    text = value.strip()
    try:
        number = phonenumbers.parse(_REGISTRY_SEPARATORS_RE.sub("", text), "IT")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def display_contact(value: str, kind: ContactKind | None = None) -> str:
    """A contact or username as shown to people: a mobile as `display_mobile`, an email as it is.

    Without ``kind`` a value with ``@`` is an email and anything else is tried as a mobile.
    """
    if kind == "email" or (kind is None and "@" in value):
        return value
    return display_mobile(value)


# --- PEC -------------------------------------------------------------------


def load_pec_domains(path: pathlib.Path) -> frozenset[str]:
    """Read the PEC domain list: one per line, ``#`` starts a comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    domains = (line.split("#", 1)[0].strip().lower() for line in lines)
    return frozenset(domain for domain in domains if domain)


def _labels(domain: str) -> list[str]:
    return domain.strip().rstrip(".").lower().split(".")


def _matches(labels: list[str], entry: str) -> bool:
    """Does a domain (as labels) fall under a list entry (``x.it`` or ``x.*``)?"""
    entry_labels = _labels(entry)
    size = len(entry_labels)
    if entry_labels[-1] == "*":
        size -= 1
        # The entry must be followed by at least one more label (the "any suffix").
        return any(labels[i : i + size] == entry_labels[:-1] for i in range(len(labels) - size))
    return labels[-size:] == entry_labels


def is_pec_domain(domain: str, pec_domains: Iterable[str]) -> bool:
    """True for a known PEC domain, its subdomains, and any ``pec.`` / ``.pec.`` domain."""
    labels = _labels(domain)
    if "pec" in labels[:-1]:
        return True
    return any(_matches(labels, entry) for entry in pec_domains)


# --- email -------------------------------------------------------------------


def _email_fault(text: str) -> str:
    """An Italian reason for an address email-validator refused."""
    local, _, domain = text.partition("@")
    if text.count("@") != 1:
        return "deve contenere una sola @"
    if not local:
        return "manca la parte prima della @"
    if not domain:
        return "manca la parte dopo la @"
    if any(ch.isspace() for ch in text):
        return "non deve contenere spazi"
    if not local.isascii():
        return "non usare lettere accentate o simboli speciali prima della @"
    if ".." in text or local.startswith(".") or local.endswith(".") or domain.endswith("."):
        return "controlla la posizione dei punti"
    if any(not (ch.isalnum() or ch in _LOCAL_SYMBOLS) for ch in local):
        return "contiene caratteri non ammessi prima della @"
    if any(not (ch.isalnum() or ch in ".-") for ch in domain):
        return "contiene caratteri non ammessi dopo la @"
    if "." not in domain:
        return "dopo la @ manca il dominio completo (per esempio gmail.com)"
    return "controlla di averlo scritto bene"


def _validate_email(text: str) -> str:
    """Normalize an email address (lowercase, ASCII domain) or raise RuleError."""
    text = text.strip()
    if not text:
        raise RuleError("Inserisci un indirizzo email", "empty")
    try:
        result = email_validator.validate_email(
            text, check_deliverability=False, allow_smtputf8=False
        )
    except email_validator.EmailNotValidError:
        raise RuleError(f"Indirizzo email non valido: {_email_fault(text)}", "email") from None
    return f"{result.local_part.lower()}@{result.ascii_domain}"


def parse_email(text: str, pec_domains: Iterable[str]) -> Username:
    """Validate an email typed as username; PEC addresses are refused."""
    value = _validate_email(text)
    if is_pec_domain(value.rpartition("@")[2], pec_domains):
        raise RuleError(
            "Non puoi usare un indirizzo PEC come nome utente: scegli un'email ordinaria", "pec"
        )
    return Username("email", value)


# --- mobile ------------------------------------------------------------------


def _italian_mobile(number: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(number, "IT")
    except phonenumbers.NumberParseException:
        return None
    if (
        phonenumbers.is_valid_number_for_region(parsed, "IT")
        and phonenumbers.number_type(parsed) == PhoneNumberType.MOBILE
    ):
        return parsed
    return None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def parse_mobile(text: str) -> Username:
    """Validate a mobile typed as the guide asks: digits only, no +39."""
    text = text.strip()
    if not text:
        raise RuleError("Inserisci il numero di cellulare", "empty")
    if text.startswith(("+39", "0039")):
        raise RuleError("Scrivi il numero senza +39", "prefix")
    if "." in text:
        raise RuleError("Scrivi il numero senza punti", "dots")
    if any(ch.isspace() for ch in text):
        raise RuleError("Scrivi il numero senza spazi", "spaces")
    if text.startswith(("+", "00")):
        raise RuleError(
            "Puoi usare solo un cellulare italiano, scritto senza prefisso internazionale",
            "foreign",
        )
    if not (text.isascii() and text.isdigit()):
        raise RuleError("Scrivi il numero usando solo cifre", "digits")
    parsed = _italian_mobile(text)
    if parsed is None:
        raise RuleError("Il numero non è un cellulare italiano valido", "mobile")
    if phonenumbers.national_significant_number(parsed) != text:
        # phonenumbers silently drops a leading "39" typed without the plus.
        raise RuleError("Scrivi il numero senza +39", "prefix")
    return Username("mobile", _e164(parsed))


# --- either ------------------------------------------------------------------


def parse_username(text: str, pec_domains: Iterable[str]) -> Username:
    """Read the single ``#username`` field: an email if it has ``@``, else a mobile."""
    text = text.strip()
    if not text:
        raise RuleError("Inserisci un indirizzo email o un numero di cellulare", "empty")
    if "@" in text:
        return parse_email(text, pec_domains)
    if _PHONE_LIKE_RE.fullmatch(text):
        return parse_mobile(text)
    raise RuleError("Inserisci un indirizzo email o un numero di cellulare valido", "username")


def normalize_contact(kind: ContactKind, raw: str) -> str:
    """Normalize a contact from registry data (CSV import).

    Email: lowercase, no PEC check. Mobile: ``+39``/``0039`` and separators
    allowed; returns E.164.
    """
    if kind == "email":
        return _validate_email(raw)
    if kind == "mobile":
        if not raw.strip():
            raise RuleError("Numero di cellulare mancante", "empty")
        parsed = _italian_mobile(_REGISTRY_SEPARATORS_RE.sub("", raw))
        if parsed is None:
            raise RuleError(
                f"Il numero {raw.strip()} non è un cellulare italiano valido", "mobile"
            )
        return _e164(parsed)
    raise ValueError(f"unknown contact kind: {kind!r}")
