"""Checking the rows of a customer CSV (SPEC §5): pure work, no database.

One record of the file becomes a `CustomerRow` or the Italian reason it is
refused. Nothing here touches the database or any shared state, so the same
functions run in the importing process (small files) or in worker processes
over batches of records (`check_batch`, big files) and give the same answer.

A few checks have a fast path for the common shape of a value; each is exact
(it accepts only what the full check accepts, with the same result, and hands
anything else to the full check, which then gives its own message), and the
unit tests compare the two:

* control characters and field lengths: one scan of the whole record first;
  the per-column checks run only when the scan finds something;
* names: the cleaned name is remembered per distinct spelling (pure function);
* emails: a plain ASCII address (dot-atom before the @, letters, digits, dots
  and hyphens after it) is the lowercased local part plus the domain as
  email-validator reads it, asked once per domain;
* mobiles: a number written as plain national digits skips phonenumbers'
  parsing (which would give exactly its digits, or, for digits that start
  with 39, Italy's country code, the rest when phonenumbers' own tests say
  so) and has its type under Italy's numbering plan decided once, with
  Italy's patterns compiled once: what the validity and type checks of
  `rules.username` come down to for such a number (see `normalize_mobile`).
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType

from areaclienti_tui.rules.codice_fiscale import base_codice_fiscale, validate_codice_fiscale
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.text import (
    CONTROL_CHAR_RE,
    clean_person_name,
    normalize_name,
    phonetic_key,
    refuse_control_chars,
)
from areaclienti_tui.rules.username import normalize_contact

COLUMNS = (
    "codice_fiscale",
    "nome",
    "cognome",
    "sesso",
    "data_nascita",
    "luogo_nascita",
    "email",
    "cellulare",
    "polizze",
    "inarcassa",
)
POLICY_STATES = ("attiva", "scaduta", "annullata", "sospesa")
# Longest accepted field, per column, in characters (before any other check).
FIELD_LIMITS = {
    "codice_fiscale": 32,
    "nome": 120,
    "cognome": 120,
    "sesso": 10,
    "data_nascita": 20,
    "luogo_nascita": 80,
    "email": 2000,
    "cellulare": 500,
    "polizze": 4000,
    "inarcassa": 5,
}
POLICY_NUMBER_MAX = 40
POLICY_PRODUCT_MAX = 120
_LIMITS = tuple(FIELD_LIMITS[column] for column in COLUMNS)


class CustomerRow(NamedTuple):
    """A checked row, with the derived keys the registry stores beside it."""

    line: int
    codice_fiscale: str
    nome: str
    cognome: str
    sesso: str
    data_nascita: date
    luogo_nascita: str
    contacts: tuple[tuple[str, str], ...]  # sorted, no repeats
    policies: tuple[tuple[str, str, str], ...]
    inarcassa: bool
    cf_base: str = ""
    nome_norm: str = ""
    cognome_norm: str = ""
    cognome_fon: str = ""


# One record as the csv module read it: (line number, fields) or, for a record
# it could not read, (line number, the reason).
Record = tuple[int, "list[str] | str"]
# What `check_batch` says of a record: the row, or (line number, reason).
Outcome = "CustomerRow | tuple[int, str]"


@dataclass(frozen=True, slots=True)
class Lines:
    """Whole lines of the file, none with a quote character: each is one record (or a blank
    line), as only a quoted field runs over several lines, so the csv module reads them
    alike wherever it reads them (`check_batch`, in a worker process). `before`: how many
    lines of the file come before these (the header among them), for the line numbers."""

    before: int
    lines: list[str]

    def __len__(self) -> int:
        return len(self.lines)


def csv_reason(error: csv.Error) -> str:
    """The csv module's complaint about a record, in Italian."""
    text = str(error)
    if "field larger than field limit" in text:
        return f"un campo supera la lunghezza massima che si può leggere ({csv.field_size_limit()} caratteri)"
    if "NUL" in text:
        return "la riga contiene un carattere nullo (NUL)"
    if "new-line character seen in unquoted field" in text:
        return "a capo non valido dentro un campo senza virgolette"
    return f"riga CSV non leggibile ({text})"


def read_records(reader, before: int = 0) -> Iterator[Record]:  # noqa: ANN001 - a csv reader
    """Each record with its line number (`before` + the reader's), as `csv.DictReader` would
    give it (blank lines skipped). A record the csv module cannot read (a field over its
    size limit, a NUL) comes as the reason instead of the fields: the reader drops the
    rest of that line and goes on. Any other error (not UTF-8, a disk error) is raised."""
    while True:
        try:
            fields = next(reader)
            while fields == []:
                fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield before + reader.line_num, csv_reason(error)
        else:
            yield before + reader.line_num, fields


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _policies(value: str | None) -> tuple[tuple[str, str, str], ...]:
    result: dict[str, tuple[str, str, str]] = {}
    for item in _split(value):
        numero, _, rest = item.partition(":")
        prodotto, _, stato = rest.partition(":")
        numero, prodotto, stato = numero.strip(), prodotto.strip(), (stato.strip().lower() or "attiva")
        if not numero or len(numero) > POLICY_NUMBER_MAX:
            raise RuleError(f"numero di polizza non valido: {item!r}")
        if len(prodotto) > POLICY_PRODUCT_MAX:
            raise RuleError(f"nome del prodotto della polizza {numero} troppo lungo (al massimo {POLICY_PRODUCT_MAX} caratteri)")
        if stato not in POLICY_STATES:
            raise RuleError(f"stato della polizza {numero} non valido: {stato!r} (ammessi: {', '.join(POLICY_STATES)})")
        # Products and states repeat row after row: one string each, sent once per batch.
        result[numero] = (numero, sys.intern(prodotto or "Polizza Generali"), sys.intern(stato))
    return tuple(sorted(result.values()))


# --- fast paths (each exact; see the module docstring) ---------------------------------

def _check_fields(values: list[str]) -> None:
    """The per-column length and control-character checks, in column order (first fault wins)."""
    if CONTROL_CHAR_RE.search("".join(values)) is None and all(
        len(value) <= limit for value, limit in zip(values, _LIMITS, strict=True)
    ):
        return  # what the loop below would conclude, in one scan
    for column, value, limit in zip(COLUMNS, values, _LIMITS, strict=True):
        length = len(value.strip())
        if length > limit:
            raise RuleError(f"il campo {column} è troppo lungo ({length} caratteri, al massimo {limit})")
        refuse_control_chars(value, column)


@lru_cache(maxsize=8192)
def _clean_name(value: str, label: str) -> str:
    return clean_person_name(value, label)


@lru_cache(maxsize=8192)
def _name_keys(nome: str, cognome: str) -> tuple[str, str, str]:
    cognome_norm = normalize_name(cognome)
    return normalize_name(nome), cognome_norm, phonetic_key(cognome_norm)


# A local part email-validator accepts as it is (a subset of its dot-atom), and a
# domain made of the characters of a host name only (no IDNA, no literal).
_PLAIN_LOCAL_RE = re.compile(r"[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*")
_PLAIN_DOMAIN_RE = re.compile(r"[A-Za-z0-9.\-]+")
_EMAIL_MAX_LENGTH = 254  # email-validator's limit on the whole address


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    """The domain as `normalize_contact` writes it (lowercase ASCII), or None if it refuses it."""
    try:
        return normalize_contact("email", "a@" + domain).partition("@")[2]
    except RuleError:
        return None


def normalize_email(value: str) -> str:
    """`normalize_contact("email", value)`, with the common shape of address answered quickly."""
    local, at, domain = value.partition("@")
    if (
        at
        and len(value) <= _EMAIL_MAX_LENGTH
        and _PLAIN_LOCAL_RE.fullmatch(local)
        and _PLAIN_DOMAIN_RE.fullmatch(domain)
        and "xn--" not in domain.lower()
    ):
        ascii_domain = _email_domain(domain)
        if ascii_domain is not None and len(local) + 1 + len(ascii_domain) <= _EMAIL_MAX_LENGTH:
            return f"{local.lower()}@{ascii_domain}"
    return normalize_contact("email", value)


def _it_numbers_read_plainly() -> bool:
    """True while phonenumbers reads a plain Italian number as just its digits (see `normalize_mobile`)."""
    metadata = PhoneMetadata.metadata_for_region("IT")
    return (
        metadata is not None
        and metadata.country_code == 39
        and metadata.international_prefix == "00"
        and metadata.national_prefix_for_parsing is None
        and metadata.leading_digits is None
        and phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(39, ())[:1] == ("IT",)
    )


# Digits only, no leading 0 (so no international prefix 00): phonenumbers.parse(x, "IT")
# is then exactly PhoneNumber(39, int(x)) unless x starts with the country code 39,
# which parse may take off (then parse is asked). Parsing is the costliest step.
_PLAIN_MOBILE_RE = re.compile(r"[1-9][0-9]{5,14}")
_PLAIN_MOBILES = _it_numbers_read_plainly()
_IT_METADATA = PhoneMetadata.metadata_for_region("IT")
# `rules.username` asks is_valid_number_for_region(n, "IT") and number_type(n) == MOBILE.
# For +39, Italy comes first and has no leading digits, so both come down to the type
# of the number under Italy's own metadata, which each of them computes again (three
# times in all): asked once here when phonenumbers still has the function.
_TYPE_UNDER = getattr(phonenumbers.phonenumberutil, "_number_type_helper", None)


def _matches(desc) -> Callable[[str], bool]:  # noqa: ANN001 - a phonenumbers PhoneNumberDesc
    """phonenumbers' own test of a national number against one description: its lengths, then its pattern."""
    if desc is None or not desc.national_number_pattern:
        return lambda national: False
    lengths, pattern = frozenset(desc.possible_length), re.compile(desc.national_number_pattern)
    if lengths:
        return lambda national: len(national) in lengths and pattern.fullmatch(national) is not None
    return lambda national: pattern.fullmatch(national) is not None


def _mobile_type_test() -> Callable[[str], bool] | None:
    """`_number_type_helper(x, Italy) == MOBILE`, with Italy's patterns compiled once.

    phonenumbers tries the descriptions in this order (general; the special
    services; fixed line, which is never MOBILE; mobile), each through a cache
    of compiled patterns; the same tests straight on compiled patterns cost a
    third. Used only if it agrees with phonenumbers on the metadata's example
    numbers and a spread of others (checked here, at import); the unit tests
    compare it with `rules.username` on thousands.
    """
    if _TYPE_UNDER is None or _IT_METADATA is None:
        return None
    metadata = _IT_METADATA
    general = _matches(metadata.general_desc)
    special = [_matches(getattr(metadata, name)) for name in (
        "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")]
    fixed, mobile = _matches(metadata.fixed_line), _matches(metadata.mobile)
    same = bool(metadata.same_mobile_and_fixed_line_pattern)

    def test(national: str) -> bool:
        if same or not general(national) or any(matches(national) for matches in special):
            return False
        return not fixed(national) and mobile(national)

    samples = [desc.example_number for desc in (metadata.general_desc, metadata.fixed_line, metadata.mobile,
               metadata.toll_free, metadata.premium_rate, metadata.shared_cost, metadata.personal_number,
               metadata.voip, metadata.pager, metadata.uan, metadata.voicemail) if desc is not None and desc.example_number]
    samples += [f"{start}{tail}"[:length] for start in range(1, 100) for length in (6, 8, 9, 10, 11, 12)
                for tail in ("0000000000000", "1234567891234", "9999999999999")]
    if any(test(x) != (_TYPE_UNDER(x, metadata) == PhoneNumberType.MOBILE) for x in samples):
        return None
    return test


_MOBILE_TYPE = _mobile_type_test()


def _is_italian_mobile(number: phonenumbers.PhoneNumber) -> bool:
    if _TYPE_UNDER is None:
        return (
            phonenumbers.is_valid_number_for_region(number, "IT")
            and phonenumbers.number_type(number) == PhoneNumberType.MOBILE
        )
    national = phonenumbers.national_significant_number(number)
    if number.country_code != 39:
        return False
    if _MOBILE_TYPE is not None:
        return _MOBILE_TYPE(national)
    return _TYPE_UNDER(national, _IT_METADATA) == PhoneNumberType.MOBILE


_MATCH_PATTERN = getattr(phonenumbers.phonenumberutil, "_match_national_number", None)
_TEST_LENGTH = getattr(phonenumbers.phonenumberutil, "_test_number_length", None)


def _without_country_code(value: str) -> str:
    """What phonenumbers.parse(value, "IT") keeps as the national number of plain digits that
    start with 39, Italy's country code: the rest, when the whole does not fit Italy's
    general pattern and the rest does, or when the whole is too long for Italy; else the whole."""
    general, rest = _IT_METADATA.general_desc, value[2:]
    if not _MATCH_PATTERN(value, general, False) and _MATCH_PATTERN(rest, general, False):
        return rest
    return rest if _TEST_LENGTH(value, _IT_METADATA) == phonenumbers.ValidationResult.TOO_LONG else value


def _country_code_test() -> Callable[[str], str] | None:
    """`_without_country_code` if phonenumbers still has what it asks and agrees with it (checked
    here, at import, on numbers of every length from 39 followed by a spread of digits)."""
    if _MATCH_PATTERN is None or _TEST_LENGTH is None or _IT_METADATA is None or _MOBILE_TYPE is None:
        return None
    samples = [f"39{start:02d}5555555555555"[:length] for start in range(100) for length in (6, 10, 11, 12, 13)]
    for sample in samples:
        try:
            national = phonenumbers.national_significant_number(phonenumbers.parse(sample, "IT"))
        except phonenumbers.NumberParseException:
            if _MOBILE_TYPE(_without_country_code(sample)):
                return None  # phonenumbers refuses what the shortcut would take
            continue
        if _without_country_code(sample) != national:
            return None
    return _without_country_code


_NATIONAL_OF_39 = _country_code_test()


def normalize_mobile(value: str) -> str:
    """`normalize_contact("mobile", value)`, with less of phonenumbers' work for a plain national number."""
    if _PLAIN_MOBILES and value.isascii() and _PLAIN_MOBILE_RE.fullmatch(value):
        if _MOBILE_TYPE is not None and (not value.startswith("39") or _NATIONAL_OF_39 is not None):
            # PhoneNumber(39, int(national)): national is `value` itself, or what parsing keeps of a
            # value that starts with the country code; its E.164 is "+39" + national (a mobile
            # number has no leading zero).
            national = _NATIONAL_OF_39(value) if value.startswith("39") else value
            return "+39" + national if _MOBILE_TYPE(national) else normalize_contact("mobile", value)
        try:
            number = (
                phonenumbers.parse(value, "IT")
                if value.startswith("39")
                else phonenumbers.PhoneNumber(country_code=39, national_number=int(value))
            )
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and _is_italian_mobile(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return normalize_contact("mobile", value)


_NORMALIZERS = {"email": normalize_email, "mobile": normalize_mobile}


# --- one row ----------------------------------------------------------------------


def parse_row(line: int, raw: dict[str, str | None]) -> CustomerRow:
    """One CSV record to a CustomerRow; RuleError names what is wrong."""
    _check_fields([raw.get(column) or "" for column in COLUMNS])
    try:
        info = validate_codice_fiscale(raw.get("codice_fiscale") or "")
    except RuleError as error:
        raise RuleError(f"codice fiscale: {error.message}") from None
    nome = _clean_name(raw.get("nome") or "", "nome")
    cognome = _clean_name(raw.get("cognome") or "", "cognome")
    sesso = (raw.get("sesso") or "").strip().upper()
    if sesso not in ("M", "F"):
        raise RuleError("sesso deve essere M o F")
    try:
        born = date.fromisoformat((raw.get("data_nascita") or "").strip())
    except ValueError:
        raise RuleError("data_nascita deve essere nel formato AAAA-MM-GG") from None
    if info.birth_date != born or info.sex != sesso:
        raise RuleError("il codice fiscale non corrisponde a data di nascita e sesso")
    contacts: set[tuple[str, str]] = set()
    for kind, column in (("email", "email"), ("mobile", "cellulare")):
        normalize = _NORMALIZERS[kind]
        for value in _split(raw.get(column)):
            try:
                contacts.add((kind, normalize(value)))
            except RuleError as error:
                raise RuleError(f"{column} {value!r}: {error.message}") from None
    inarcassa = (raw.get("inarcassa") or "").strip()
    if inarcassa not in ("0", "1"):
        raise RuleError("inarcassa deve essere 1 o 0")
    nome_norm, cognome_norm, cognome_fon = _name_keys(nome, cognome)
    return CustomerRow(
        line=line,
        codice_fiscale=info.code,
        nome=nome,
        cognome=cognome,
        sesso=sesso,
        data_nascita=born,
        luogo_nascita=sys.intern((raw.get("luogo_nascita") or "").strip()),
        contacts=tuple(sorted(contacts)),
        policies=_policies(raw.get("polizze")),
        inarcassa=inarcassa == "1",
        cf_base=base_codice_fiscale(info.code) if info.omocode else info.code,
        nome_norm=nome_norm,
        cognome_norm=cognome_norm,
        cognome_fon=cognome_fon,
    )


def record_dict(fieldnames: list[str], fields: list[str]) -> dict:
    """The record as `csv.DictReader` gives it (extra fields under None, missing ones None)."""
    raw: dict = dict(zip(fieldnames, fields))
    if len(fieldnames) < len(fields):
        raw[None] = fields[len(fieldnames) :]
    elif len(fieldnames) > len(fields):
        for key in fieldnames[len(fields) :]:
            raw[key] = None
    return raw


def check_record(fieldnames: list[str], line: int, fields: list[str] | str) -> CustomerRow | tuple[int, str]:
    """One record read by the csv module (or the reason it could not read it) checked."""
    if isinstance(fields, str):
        return line, fields
    raw = record_dict(fieldnames, fields)
    try:
        if None in raw:
            raise RuleError("la riga ha più colonne dell'intestazione")
        return parse_row(line, raw)
    except RuleError as error:
        return line, error.message


def check_batch(fieldnames: list[str], records: list[Record] | Lines) -> list[CustomerRow | tuple[int, str]]:
    """`check_record` over a batch (records, or lines to read first), in order: the unit of work
    of the import's worker processes."""
    if isinstance(records, Lines):
        records = read_records(csv.reader(records.lines), records.before)
    return [check_record(fieldnames, line, fields) for line, fields in records]


def ignore_interrupts() -> None:
    """Worker start-up: Ctrl-C is for the importing process, which stops the workers itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
