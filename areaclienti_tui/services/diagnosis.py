"""Why a customer is not recognised, and what to correct (operator tool, SPEC §5).

Given what the customer typed at 3A/4A (and the codice fiscale of 2B, if any),
`diagnose` returns the outcome the journey would give and up to five registry
customers who may be that person, best first: a score in 0..1 and, for each
field that differs, what was typed, what the registry holds and a hint in
Italian ("giorno e mese invertiti", "cognome doppio scritto in parte", …).

Candidates come only from indexed keys (same surname and name, sound-alike
surname and same name, surname that starts the other, birth date or its
day/month swap, the contact, the codice fiscale's base form), never from a scan
of the registry; each key fetches a bounded number of rows. Similarity is
rapidfuzz's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio, token_set_ratio
from sqlalchemy import or_
from sqlmodel import Session, col, select

from areaclienti_tui.rules.codice_fiscale import base_codice_fiscale, canonical_codice_fiscale, validate_codice_fiscale
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.rules.personal import format_date
from areaclienti_tui.rules.text import normalize_name, phonetic_key
from areaclienti_tui.rules.username import display_contact, normalize_contact
from areaclienti_tui.services import audit
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.registration import (
    ALREADY_REGISTERED, NO_POLICY, RECOGNISED, UNKNOWN, has_account, has_active_policy,
)
from areaclienti_tui.clock import as_utc, rome
from areaclienti_tui.store.models import AuditEvent, Contact, Customer

OUTCOMES = (RECOGNISED, ALREADY_REGISTERED, NO_POLICY, UNKNOWN)
FIELDS = ("nome", "cognome", "data_nascita", "sesso", "recapito", "codice_fiscale")
MAX_CANDIDATES = 5
ROME = rome()  # the console's time zone (clock.rome)
ROWS_PER_KEY = 50  # the most rows one key may bring: a common surname never floods the list
MIN_SCORE = 0.5  # below this a candidate shares too little with what was typed to be shown
WEIGHTS = {"nome": 0.2, "cognome": 0.25, "data_nascita": 0.25, "sesso": 0.1, "recapito": 0.2}
CF_WEIGHT = 0.2

OUTCOME_WORDS = {
    RECOGNISED: "Riconosciuto: i dati corrispondono a un cliente con polizza attiva (si prosegue a 6A).",
    ALREADY_REGISTERED: "Già registrato: il cliente ha già un account, può accedere o recuperare la password.",
    NO_POLICY: "Senza polizza: il cliente è in anagrafe ma non ha una polizza Generali attiva.",
    UNKNOWN: "Non riconosciuto: nessun cliente corrisponde a tutti i dati (il percorso va a 1B).",
}


@dataclass(frozen=True)
class Typed:
    """What the customer typed. `data_nascita` None: the date could not be read."""

    nome: str
    cognome: str
    data_nascita: date | None
    sesso: str
    recapito: str
    codice_fiscale: str = ""


@dataclass(frozen=True)
class Difference:
    campo: str
    digitato: str
    anagrafe: str
    suggerimento: str
    blocking: bool = True  # False: shown for information, recognition already tolerates it

    def as_json(self) -> dict[str, str]:
        return {"campo": self.campo, "digitato": self.digitato, "anagrafe": self.anagrafe,
                "suggerimento": self.suggerimento}


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    codice_fiscale: str
    nome: str
    cognome: str
    punteggio: float
    differenze: tuple[Difference, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"codice_fiscale": self.codice_fiscale, "nome": self.nome, "cognome": self.cognome,
                "punteggio": self.punteggio, "differenze": [d.as_json() for d in self.differenze]}


@dataclass(frozen=True)
class Diagnosis:
    esito: str
    candidati: tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        return OUTCOME_WORDS[self.esito]

    def as_json(self) -> dict[str, object]:
        return {"esito": self.esito, "candidati": [c.as_json() for c in self.candidati]}


# -- the contact ---------------------------------------------------------------------------


def contact_key(text: str) -> tuple[str, str] | None:
    """(kind, stored form) of a typed contact, in any way login accepts it; None if not one."""
    value = text.strip()
    if not value:
        return None
    try:
        if "@" in value:
            return "email", normalize_contact("email", value)
        return "mobile", normalize_contact("mobile", value)
    except RuleError:
        return None


# -- candidates ------------------------------------------------------------------------------


def _swapped(day: date) -> date | None:
    if day.day == day.month or day.day > 12:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def _candidate_ids(session: Session, typed: Typed, contact: tuple[str, str] | None) -> list[int]:
    """Registry ids that share at least one indexed key with what was typed, a bounded few per key."""
    nome, cognome = normalize_name(typed.nome), normalize_name(typed.cognome)
    queries = []
    if cognome:
        queries.append(select(Customer.id).where(Customer.cognome_norm == cognome, Customer.nome_norm == nome))
        queries.append(select(Customer.id).where(Customer.cognome_fon == phonetic_key(cognome),
                                                 Customer.nome_norm == nome))
        # A double surname typed in part ("De Luca" for "De Luca Bianchi"): the registry's starts with it.
        queries.append(select(Customer.id).where(Customer.cognome_norm > cognome,
                                                 Customer.cognome_norm < cognome + "\uffff",
                                                 Customer.nome_norm == nome))
        # …or typed in full where the registry holds one part: a word of it, or the words before.
        words = [normalize_name(word) for word in typed.cognome.replace("'", " ").split()]
        parts = {"".join(words[:end]) for end in range(1, len(words))} | set(words)
        parts = {part for part in parts if len(part) >= 2 and part != cognome}
        if parts:
            queries.append(select(Customer.id).where(col(Customer.cognome_norm).in_(sorted(parts)),
                                                     Customer.nome_norm == nome))
        if nome:
            # The same for the first name, under the right surname.
            queries.append(select(Customer.id).where(Customer.cognome_norm == cognome,
                                                     Customer.nome_norm > nome, Customer.nome_norm < nome + "\uffff"))
    if typed.data_nascita is not None:
        days = [typed.data_nascita]
        swapped = _swapped(typed.data_nascita)
        if swapped is not None:
            days.append(swapped)
        queries.append(select(Customer.id).where(col(Customer.data_nascita).in_(days)))
    if contact is not None:
        queries.append(select(Contact.customer_id).where(Contact.value == contact[1]))
    if typed.codice_fiscale:
        code = canonical_codice_fiscale(typed.codice_fiscale)
        queries.append(select(Customer.id).where(
            or_(Customer.codice_fiscale == code, Customer.cf_base == base_codice_fiscale(code))))
    found: dict[int, None] = {}
    for query in queries:
        for customer_id in session.exec(query.limit(ROWS_PER_KEY)).all():
            found.setdefault(customer_id, None)
    return list(found)


# -- comparing one field ---------------------------------------------------------------------


def _name_difference(campo: str, typed: str, held: str, held_norm: str) -> tuple[float, Difference | None]:
    typed_norm = normalize_name(typed)
    label = "Nome" if campo == "nome" else "Cognome"
    if typed_norm == held_norm:
        if " ".join(typed.split()) == held:
            return 1.0, None
        return 1.0, Difference(campo, typed, held, "differisce solo per maiuscole, accenti, apostrofi o spazi: "
                                                   "già tollerato, non è questo il problema", blocking=False)
    if not typed_norm:
        return 0.0, Difference(campo, typed, held, f"{label} non scritto")
    typed_words = {normalize_name(w) for w in typed.replace("'", " ").split()} - {""}
    held_words = {normalize_name(w) for w in held.replace("'", " ").split()} - {""}
    if held_norm.startswith(typed_norm) or (typed_words and typed_words < held_words):
        kind = "doppio " if len(held_words) > 1 else ""
        return 0.85, Difference(campo, typed, held, f"{label.lower()} {kind}scritto in parte: "
                                                    f"in anagrafe è «{held}»")
    if typed_norm.startswith(held_norm) or (held_words and held_words < typed_words):
        return 0.85, Difference(campo, typed, held, f"{label.lower()} scritto per intero, in anagrafe c'è "
                                                    f"solo «{held}»")
    distance = Levenshtein.distance(typed_norm, held_norm)
    if distance == 1:
        hint = "un carattere diverso"
    elif distance == 2:
        hint = "due caratteri diversi"
    elif token_set_ratio(typed_norm, held_norm) >= 90:
        hint = "le stesse parole in un altro ordine"
    else:
        hint = f"{label.lower()} diverso"
    if distance <= 2 and sorted(typed_norm) == sorted(held_norm) and distance == 2:
        hint = "due lettere scambiate di posto"
    return ratio(typed_norm, held_norm) / 100, Difference(campo, typed, held, hint)


def _date_difference(typed: date | None, held: date) -> tuple[float, Difference | None]:
    if typed == held:
        return 1.0, None
    shown = format_date(held)
    if typed is None:
        return 0.0, Difference("data_nascita", "", shown, "data di nascita non leggibile: scrivila come GG/MM/AAAA")
    if _swapped(typed) == held:
        return 0.8, Difference("data_nascita", format_date(typed), shown, "giorno e mese invertiti")
    same = (typed.day == held.day) + (typed.month == held.month) + (typed.year == held.year)
    typed_text, held_text = format_date(typed), shown
    digits = sum(a != b for a, b in zip(typed_text, held_text))
    swapped_pair = [i for i in range(len(typed_text) - 1)
                    if typed_text[i] != held_text[i] and typed_text[i] == held_text[i + 1]
                    and typed_text[i + 1] == held_text[i]]
    if digits == 2 and swapped_pair:
        part = "del giorno" if swapped_pair[0] < 2 else "del mese" if swapped_pair[0] < 5 else "dell'anno"
        hint = f"due cifre {part} invertite"
    elif typed.day == held.day and typed.month == held.month:
        hint = "anno diverso" if digits > 1 else "una cifra dell'anno diversa"
    elif digits == 1:
        hint = "una cifra diversa"
    else:
        hint = "data diversa"
    return (0.6 if same == 2 else 0.2), Difference("data_nascita", typed_text, held_text, hint)


def _sex_difference(typed: str, held: str) -> tuple[float, Difference | None]:
    if typed == held:
        return 1.0, None
    return 0.0, Difference("sesso", typed, held, "sesso invertito" if typed in ("M", "F") else "sesso non indicato")


def _contact_difference(typed: str, contact: tuple[str, str] | None,
                        on_file: list[tuple[str, str]], detail: bool = True) -> tuple[float, Difference | None]:
    if contact is not None and contact in on_file:
        return 1.0, None
    # Masking parses every mobile: done only for the candidates that are shown (`detail`).
    masked = (", ".join(mask_contact(kind, value) for kind, value in on_file) or "nessun recapito") if detail else ""
    if contact is None:
        hint = f"recapito non valido; in anagrafe: {masked}"
        return 0.0, Difference("recapito", typed, masked, hint)
    same_kind = [value for kind, value in on_file if kind == contact[0]]
    close = [value for value in same_kind if Levenshtein.distance(value, contact[1]) <= 2]
    if close:
        hint = f"recapito quasi uguale a uno in anagrafe ({mask_contact(contact[0], close[0])}): un errore di battitura?"
        score = 0.5
    else:
        hint = f"recapito non in anagrafe; in anagrafe: {masked} (usa uno di questi, o il percorso B)"
        score = 0.0
    return score, Difference("recapito", display_contact(contact[1], contact[0]), masked, hint)  # type: ignore[arg-type]


def _codice_fiscale_differences(typed: Typed, customer: Customer, today: date) -> tuple[float, list[Difference]]:
    code = canonical_codice_fiscale(typed.codice_fiscale)
    differences: list[Difference] = []
    score = 1.0
    if code != customer.codice_fiscale and base_codice_fiscale(code) != customer.cf_base:
        score = ratio(code, customer.codice_fiscale) / 100
        distance = Levenshtein.distance(code, customer.codice_fiscale)
        hint = "un carattere diverso" if distance == 1 else "codice fiscale diverso da quello in anagrafe"
        differences.append(Difference("codice_fiscale", code, customer.codice_fiscale, hint))
    try:
        info = validate_codice_fiscale(code, today=today)
    except RuleError as error:
        differences.append(Difference("codice_fiscale", code, customer.codice_fiscale,
                                      f"codice fiscale non valido: {error.message}"))
        return 0.0, differences
    if typed.data_nascita is not None and info.birth_date != typed.data_nascita:
        differences.append(Difference("codice_fiscale", code, customer.codice_fiscale,
                                      f"il codice fiscale indica nato il {format_date(info.birth_date)}, "
                                      f"non il {format_date(typed.data_nascita)} scritto"))
    if typed.sesso in ("M", "F") and info.sex != typed.sesso:
        differences.append(Difference("codice_fiscale", code, customer.codice_fiscale,
                                      f"il codice fiscale indica sesso {info.sex}, non {typed.sesso}"))
    if customer.luogo_nascita and normalize_name(info.birthplace) != normalize_name(customer.luogo_nascita):
        differences.append(Difference("codice_fiscale", code, customer.codice_fiscale,
                                      f"il codice fiscale indica nato a {info.birthplace.title()}, "
                                      f"in anagrafe {customer.luogo_nascita}"))
    return score, differences


# -- the diagnosis ---------------------------------------------------------------------------


def _exact_ids(session: Session, typed: Typed, contact: tuple[str, str] | None) -> list[int]:
    """The customers the journey's recognition would match (registration.recognise)."""
    if contact is None or typed.data_nascita is None:
        return []
    query = (
        select(Customer.id)
        .join(Contact, col(Contact.customer_id) == col(Customer.id))
        .where(
            Customer.nome_norm == normalize_name(typed.nome),
            Customer.cognome_norm == normalize_name(typed.cognome),
            Customer.data_nascita == typed.data_nascita,
            Customer.sesso == typed.sesso,
            Contact.kind == contact[0],
            Contact.value == contact[1],
        )
        .distinct()
    )
    return list(session.exec(query).all())


def _score(typed: Typed, contact: tuple[str, str] | None, customer: Customer,
           on_file: list[tuple[str, str]], today: date, *, detail: bool = True) -> Candidate:
    """The candidate's score and differences; without `detail` the hints may lack their
    masked contacts (a first pass over every candidate, to rank them)."""
    parts = [
        ("nome", _name_difference("nome", typed.nome, customer.nome, customer.nome_norm)),
        ("cognome", _name_difference("cognome", typed.cognome, customer.cognome, customer.cognome_norm)),
        ("data_nascita", _date_difference(typed.data_nascita, customer.data_nascita)),
        ("sesso", _sex_difference(typed.sesso, customer.sesso)),
        ("recapito", _contact_difference(typed.recapito, contact, on_file, detail)),
    ]
    total = sum(WEIGHTS[name] * score for name, (score, _) in parts)
    weight = sum(WEIGHTS.values())
    differences = [difference for _, (_, difference) in parts if difference is not None]
    if typed.codice_fiscale.strip():
        cf_score, cf_differences = _codice_fiscale_differences(typed, customer, today)
        total += CF_WEIGHT * cf_score
        weight += CF_WEIGHT
        differences.extend(cf_differences)
    return Candidate(customer.id or 0, customer.codice_fiscale, customer.nome, customer.cognome,
                     round(total / weight, 2), tuple(differences))


def diagnose(ctx: Context, typed: Typed, *, operator: str | None = None) -> Diagnosis:
    """The outcome the journey would give and the nearest registry customers, best first.

    With `operator` the diagnosis is an audit event in that operator's name.
    """
    contact = contact_key(typed.recapito)
    with ctx.db.session() as session:
        exact = _exact_ids(session, typed, contact)
        if len(exact) != 1:
            outcome = UNKNOWN
        elif has_account(session, exact[0]):
            outcome = ALREADY_REGISTERED
        elif not has_active_policy(session, exact[0]):
            outcome = NO_POLICY
        else:
            outcome = RECOGNISED
        ids = _candidate_ids(session, typed, contact)
        customers = session.exec(select(Customer).where(col(Customer.id).in_(ids))).all() if ids else []
        contacts: dict[int, list[tuple[str, str]]] = defaultdict(list)
        if ids:
            for row in session.exec(select(Contact).where(col(Contact.customer_id).in_(ids))
                                    .order_by(col(Contact.kind), col(Contact.id))).all():
                contacts[row.customer_id].append((row.kind, row.value))
        today = ctx.clock.now().astimezone(ROME).date()
        ranked = [_score(typed, contact, customer, contacts[customer.id or 0], today, detail=False)
                  for customer in customers]
        ranked = [c for c in ranked if c.punteggio >= MIN_SCORE or c.customer_id in exact]
        ranked.sort(key=lambda c: (c.customer_id not in exact, -c.punteggio, c.cognome, c.nome, c.codice_fiscale))
        by_id = {customer.id: customer for customer in customers}
        shown = tuple(_score(typed, contact, by_id[c.customer_id], contacts[c.customer_id], today)
                      for c in ranked[:MAX_CANDIDATES])
        result = Diagnosis(outcome, shown)
        if operator is not None:
            audit.record(ctx, session, "diagnosi", actor=operator,
                         subject=f"{typed.nome} {typed.cognome}".strip()[:254], outcome=outcome,
                         candidati=len(result.candidati))
            session.commit()
    return result


# -- the latest outcomes ---------------------------------------------------------------------

OUTCOME_KINDS = {
    # (audit kind, outcome) → what the journey showed
    ("riconoscimento", UNKNOWN): "1B",
    ("riconoscimento", ALREADY_REGISTERED): "già registrato",
    ("riconoscimento", NO_POLICY): "senza polizza",
    ("ricerca_codice_fiscale", "sconosciuto"): "6B",
    ("ricerca_codice_fiscale", "senza_polizza"): "6B",
    ("ricerca_codice_fiscale", "gia_registrato"): "già registrato",
}


@dataclass(frozen=True)
class Outcome:
    """A journey that ended where a customer may call the help desk."""

    event_id: int
    at: datetime
    shown: str  # "1B", "6B", "già registrato", "senza polizza"
    typed: Typed

    @property
    def who(self) -> str:
        return f"{self.typed.nome} {self.typed.cognome}".strip() or "(dati non disponibili)"


def _typed_from(details: dict) -> Typed:
    typed = details.get("digitato")
    typed = typed if isinstance(typed, dict) else {}

    def text(key: str) -> str:
        value = typed.get(key, "")
        return value[:254] if isinstance(value, str) else ""

    try:
        born = date.fromisoformat(text("data_nascita")) if text("data_nascita") else None
    except ValueError:
        born = None
    return Typed(text("nome"), text("cognome"), born, text("sesso"), text("recapito"), text("codice_fiscale"))


def latest_outcomes(ctx: Context, *, limit: int = 50) -> list[Outcome]:
    """The latest journeys that ended in 1B, 6B, "già registrato" or "senza polizza", newest first."""
    kinds = sorted({kind for kind, _ in OUTCOME_KINDS})
    outcomes = sorted({outcome for _, outcome in OUTCOME_KINDS})
    with ctx.db.session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.kind).in_(kinds), col(AuditEvent.outcome).in_(outcomes))
            .order_by(col(AuditEvent.id).desc())
            .limit(limit)
        ).all()
    found = []
    for row in rows:
        shown = OUTCOME_KINDS.get((row.kind, row.outcome))
        if shown is None:
            continue
        try:
            details = json.loads(row.details or "{}")
        except ValueError:
            details = {}
        found.append(Outcome(row.id or 0, as_utc(row.at), shown, _typed_from(details if isinstance(details, dict) else {})))
    return found
