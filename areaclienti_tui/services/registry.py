"""The registry as operators see it (SPEC §3): search customers, read one customer's file.

`search` takes whatever the operator types in one box and looks for it as a
name (any order, case, accents and apostrophes ignored), as a codice fiscale
(whole or its beginning, in either omocode form) and as a contact (part of an
email; a mobile typed in any form, or its last digits). Only portable SQL:
comparisons, ``LIKE`` with an explicit escape character and ``lower()`` run
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from areaclienti_tui.clock import as_utc
from areaclienti_tui.rules.codice_fiscale import (
    base_codice_fiscale,
    canonical_codice_fiscale,
)
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.text import normalize_name
from areaclienti_tui.rules.username import normalize_contact
from areaclienti_tui.services import audit
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.customers import ContactView, PolicyView
from areaclienti_tui.store.models import (
    Account,
    AssistanceRequest,
    Contact,
    Customer,
    Policy,
    TrustedDevice,
)

MIN_QUERY = 2
MIN_MOBILE_DIGITS = 4
SEARCH_AUDIT_KIND = "ricerca_anagrafe"

BY_NAME = "nome"
BY_CF = "codice fiscale"
BY_CONTACT = "recapito"

# Shape of a codice fiscale, character by character: L letter, A letter or digit.
_CF_SHAPE = "LLLLLLAALAALAAAL"
_OMOCODE_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
_OMOCODE_DIGITS = str.maketrans("LMNPQRSTUV", "0123456789")
_PHONE_CHARS = re.compile(r"[+\d\s().\-]+")
LIKE_ESCAPE = "\\"


class RegistryError(LookupError):
    """The customer asked for is not (or no longer) in the registry."""

    def __init__(self, message: str = "Cliente non trovato in anagrafe.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CustomerSummary:
    """One search result."""

    id: int
    codice_fiscale: str
    nome: str
    cognome: str
    sesso: str
    data_nascita: date
    luogo_nascita: str
    username: str | None  # the account's username, None when not registered
    locked: bool
    matched_by: tuple[str, ...]  # "nome", "codice fiscale", "recapito"

    @property
    def full_name(self) -> str:
        return f"{self.nome} {self.cognome}"


@dataclass(frozen=True)
class AccountState:
    id: int
    username: str
    username_kind: str
    created_at: datetime
    last_login_at: datetime | None
    failed_logins: int
    locked_until: datetime | None
    locked: bool  # locked_until still in the future
    trusted_devices: int  # consoles that skip the 9A code
    biometric_devices: int  # consoles with (simulated) biometric login


@dataclass(frozen=True)
class CustomerDetail:
    id: int
    codice_fiscale: str
    nome: str
    cognome: str
    sesso: str
    data_nascita: date
    luogo_nascita: str
    inarcassa: bool
    created_at: datetime
    updated_at: datetime
    contacts: tuple[ContactView, ...]
    policies: tuple[PolicyView, ...]
    account: AccountState | None
    open_requests: int

    @property
    def full_name(self) -> str:
        return f"{self.nome} {self.cognome}"

    @property
    def has_active_policy(self) -> bool:
        return any(p.stato == "attiva" for p in self.policies)


# -- reading what was typed ------------------------------------------------------------


def like_literal(text: str) -> str:
    """`text` with LIKE's wildcards escaped (used with ``escape="\\"``)."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def name_tokens(text: str) -> list[str]:
    """The words of a name query, each folded as the registry folds names."""
    return [token for token in (normalize_name(word) for word in re.split(r"[\s,;]+", text)) if token]


def cf_prefix(text: str) -> str | None:
    """The query as (the beginning of) a codice fiscale, or None if it can't be one."""
    code = canonical_codice_fiscale(text)
    if not (3 <= len(code) <= 16) or not code.isascii() or not code.isalnum():
        return None
    for char, shape in zip(code, _CF_SHAPE):
        if shape == "L" and not char.isalpha():
            return None
    return code


def cf_base_prefix(prefix: str) -> str:
    """The non-omocode form of a codice fiscale or of its beginning."""
    if len(prefix) == 16:
        return base_codice_fiscale(prefix)
    chars = list(prefix)
    for position in _OMOCODE_POSITIONS:
        if position < len(chars):
            chars[position] = chars[position].translate(_OMOCODE_DIGITS)
    return "".join(chars)


def mobile_query(text: str) -> tuple[str | None, str | None]:
    """(E.164 number, national digits) for a query that looks like a phone number."""
    if not _PHONE_CHARS.fullmatch(text):
        return None, None
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_MOBILE_DIGITS:
        return None, None
    if digits.startswith("0039"):
        digits = digits[4:]
    elif digits.startswith("39") and len(digits) == 12:
        digits = digits[2:]
    e164 = None
    for candidate in (text, digits):
        try:
            e164 = normalize_contact("mobile", candidate)
            break
        except RuleError:
            continue
    return e164, digits or None


# -- search ---------------------------------------------------------------------------


def _ids_by_name(session: Session, tokens: list[str], cap: int) -> list[int]:
    conditions = [
        or_(
            col(Customer.nome_norm).like(f"%{like_literal(token)}%", escape=LIKE_ESCAPE),
            col(Customer.cognome_norm).like(f"%{like_literal(token)}%", escape=LIKE_ESCAPE),
        )
        for token in tokens
    ]
    return list(session.exec(select(Customer.id).where(*conditions).limit(cap)).all())


def _ids_by_cf(session: Session, prefix: str, cap: int) -> list[int]:
    base = cf_base_prefix(prefix)
    if len(prefix) == 16:
        condition = or_(col(Customer.codice_fiscale) == prefix, col(Customer.cf_base) == base)
    else:
        condition = or_(
            col(Customer.codice_fiscale).like(f"{like_literal(prefix)}%", escape=LIKE_ESCAPE),
            col(Customer.cf_base).like(f"{like_literal(base)}%", escape=LIKE_ESCAPE),
        )
    return list(session.exec(select(Customer.id).where(condition).limit(cap)).all())


def _ids_by_contact(session: Session, text: str, cap: int) -> list[int]:
    conditions = []
    compact = text.strip()
    if " " not in compact and len(compact) >= 3 and not compact.isdigit():
        pattern = f"%{like_literal(compact.lower())}%"
        conditions.append((col(Contact.kind) == "email") & func.lower(col(Contact.value)).like(pattern, escape=LIKE_ESCAPE))
    e164, digits = mobile_query(text)
    if e164:
        conditions.append((col(Contact.kind) == "mobile") & (col(Contact.value) == e164))
    elif digits:
        pattern = f"%{like_literal(digits)}"
        conditions.append((col(Contact.kind) == "mobile") & col(Contact.value).like(pattern, escape=LIKE_ESCAPE))
    if not conditions:
        return []
    query = select(Contact.customer_id).where(or_(*conditions)).distinct().limit(cap)
    return list(session.exec(query).all())


def _rank(customer: Customer, tokens: list[str], matched_by: set[str]) -> tuple:
    """Codice fiscale first, then the whole name, then names holding the words, then contacts."""
    closeness = [3]
    if BY_CF in matched_by:
        closeness.append(0)
    if BY_NAME in matched_by:
        joined = "".join(tokens)
        if joined in (customer.nome_norm + customer.cognome_norm, customer.cognome_norm + customer.nome_norm):
            closeness.append(0)
        elif all(token in (customer.nome_norm, customer.cognome_norm) for token in tokens):
            closeness.append(1)
        else:
            closeness.append(2)
    if BY_CONTACT in matched_by:
        closeness.append(2)
    return (min(closeness), customer.cognome_norm, customer.nome_norm, customer.id or 0)


def search(ctx: Context, text: str, limit: int = 50, *, operator: str | None = None) -> list[CustomerSummary]:
    """Customers matching `text` by name, codice fiscale or contact, best matches first.

    With `operator`, the search is written to the audit log ("ricerca_anagrafe").
    """
    query = " ".join(text.split())
    found: list[CustomerSummary] = []
    if len(query) >= MIN_QUERY and limit > 0:
        found = _search(ctx, query, limit)
    if operator:
        with ctx.db.transaction() as session:
            audit.record(ctx, session, SEARCH_AUDIT_KIND, actor=operator, subject=query[:254], risultati=len(found))
    return found


def _search(ctx: Context, query: str, limit: int) -> list[CustomerSummary]:
    cap = max(limit * 4, 200)
    tokens = name_tokens(query)
    matched: dict[int, set[str]] = {}
    with ctx.db.session() as session:
        if tokens and any(any(ch.isalpha() for ch in token) for token in tokens):
            for customer_id in _ids_by_name(session, tokens, cap):
                matched.setdefault(customer_id, set()).add(BY_NAME)
        prefix = cf_prefix(query)
        if prefix is not None:
            for customer_id in _ids_by_cf(session, prefix, cap):
                matched.setdefault(customer_id, set()).add(BY_CF)
        for customer_id in _ids_by_contact(session, query, cap):
            matched.setdefault(customer_id, set()).add(BY_CONTACT)
        if not matched:
            return []
        customers = session.exec(select(Customer).where(col(Customer.id).in_(list(matched)))).all()
        accounts = {
            a.customer_id: a
            for a in session.exec(select(Account).where(col(Account.customer_id).in_(list(matched)))).all()
        }
    ranked = sorted(customers, key=lambda c: _rank(c, tokens, matched[c.id or 0]))[:limit]
    now = ctx.clock.now()
    order = (BY_NAME, BY_CF, BY_CONTACT)
    results = []
    for customer in ranked:
        account = accounts.get(customer.id)
        results.append(
            CustomerSummary(
                id=customer.id or 0,
                codice_fiscale=customer.codice_fiscale,
                nome=customer.nome,
                cognome=customer.cognome,
                sesso=customer.sesso,
                data_nascita=customer.data_nascita,
                luogo_nascita=customer.luogo_nascita,
                username=account.username if account else None,
                locked=bool(account and is_locked(account.locked_until, now)),
                matched_by=tuple(way for way in order if way in matched[customer.id or 0]),
            )
        )
    return results


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and as_utc(locked_until) > now


# -- one customer ------------------------------------------------------------------------


def _count(session: Session, query) -> int:
    return int(session.exec(query).one() or 0)


def customer_detail(ctx: Context, customer_id: int) -> CustomerDetail:
    """Everything an operator needs about one customer. Raises RegistryError."""
    with ctx.db.session() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise RegistryError()
        contacts = session.exec(
            select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.kind), col(Contact.id))
        ).all()
        policies = session.exec(
            select(Policy).where(Policy.customer_id == customer_id).order_by(col(Policy.numero))
        ).all()
        account = session.exec(select(Account).where(Account.customer_id == customer_id)).first()
        state = None
        if account is not None:
            devices = dict(
                session.exec(
                    select(TrustedDevice.kind, func.count())
                    .where(TrustedDevice.account_id == account.id)
                    .group_by(col(TrustedDevice.kind))
                ).all()
            )
            state = AccountState(
                id=account.id or 0,
                username=account.username,
                username_kind=account.username_kind,
                created_at=as_utc(account.created_at),
                last_login_at=as_utc(account.last_login_at) if account.last_login_at else None,
                failed_logins=account.failed_logins,
                locked_until=as_utc(account.locked_until) if account.locked_until else None,
                locked=is_locked(account.locked_until, ctx.clock.now()),
                trusted_devices=int(devices.get("mfa", 0)),
                biometric_devices=int(devices.get("biometric", 0)),
            )
        open_requests = _count(
            session,
            select(func.count())
            .select_from(AssistanceRequest)
            .where(AssistanceRequest.customer_id == customer_id, AssistanceRequest.status == "aperta"),
        )
    active_first = {"attiva": 0}
    return CustomerDetail(
        id=customer.id or 0,
        codice_fiscale=customer.codice_fiscale,
        nome=customer.nome,
        cognome=customer.cognome,
        sesso=customer.sesso,
        data_nascita=customer.data_nascita,
        luogo_nascita=customer.luogo_nascita,
        inarcassa=bool(customer.inarcassa),
        created_at=as_utc(customer.created_at),
        updated_at=as_utc(customer.updated_at),
        contacts=tuple(ContactView(c.kind, c.value, c.source) for c in contacts),
        policies=tuple(
            sorted(
                (PolicyView(p.numero, p.prodotto, p.stato, bool(customer.inarcassa)) for p in policies),
                key=lambda p: (active_first.get(p.stato, 1), p.numero),
            )
        ),
        account=state,
        open_requests=open_requests,
    )
