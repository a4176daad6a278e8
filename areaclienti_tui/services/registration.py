"""Registration (SPEC §2): recognition after 5A, the code of 6A/7A, the account.

The account and the privacy consent are created in one transaction together
with the code's consumption; unique constraints make sure two consoles never
create two accounts for one username or one customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.rules.text import normalize_name
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import audit, codes
from areaclienti_tui.services.context import Context, publish_after_commit
from areaclienti_tui.services.events import AccountCreated
from areaclienti_tui.store.models import Account, Contact, Customer, Policy, PrivacyConsent

RECOGNISED = "riconosciuto"
ALREADY_REGISTERED = "gia_registrato"
NO_POLICY = "senza_polizza"
UNKNOWN = "non_riconosciuto"

USERNAME_TAKEN = "Questo recapito è già il nome utente di un altro account dell'Area Clienti."


class AlreadyRegistered(Exception):
    """The customer or the username got an account meanwhile."""


@dataclass(frozen=True)
class PersonalData:
    nome: str
    cognome: str
    data_nascita: date
    sesso: str


@dataclass(frozen=True)
class Recognition:
    outcome: str
    customer_id: int | None = None


@dataclass(frozen=True)
class PendingAccount:
    """What 5A collected, waiting for the code of 7A (or 4B)."""

    customer_id: int
    username: Username
    password_hash: str
    notice_version: str
    step: str = "7A"


def typed_details(person: PersonalData | None, contact: str = "", codice_fiscale: str = "") -> dict[str, str]:
    """What the customer typed, as kept in the audit event of an outcome: the operator's
    diagnosis ("Ultimi esiti", services/diagnosis.py) reads it back."""
    details = {"recapito": contact}
    if person is not None:
        details |= {"nome": person.nome, "cognome": person.cognome, "sesso": person.sesso,
                    "data_nascita": person.data_nascita.isoformat()}
    if codice_fiscale:
        details["codice_fiscale"] = codice_fiscale
    return details


def username_taken(ctx: Context, username: Username) -> bool:
    with ctx.db.session() as session:
        return session.exec(select(Account.id).where(Account.username == username.value)).first() is not None


def has_active_policy(session: Session, customer_id: int) -> bool:
    query = select(func.count()).select_from(Policy).where(Policy.customer_id == customer_id, Policy.stato == "attiva")
    return session.exec(query).one() > 0


def has_account(session: Session, customer_id: int) -> bool:
    return session.exec(select(Account.id).where(Account.customer_id == customer_id)).first() is not None


def recognise(ctx: Context, person: PersonalData, username: Username) -> Recognition:
    """Match personal data *and* the 4A contact against one registry customer."""
    with ctx.db.session() as session:
        query = (
            select(Customer.id)
            .join(Contact, col(Contact.customer_id) == col(Customer.id))
            .where(
                Customer.nome_norm == normalize_name(person.nome),
                Customer.cognome_norm == normalize_name(person.cognome),
                Customer.data_nascita == person.data_nascita,
                Customer.sesso == person.sesso,
                Contact.kind == username.kind,
                Contact.value == username.value,
            )
            .distinct()
        )
        matches = list(session.exec(query).all())
        if len(matches) != 1:
            outcome, customer_id = UNKNOWN, None
        else:
            customer_id = matches[0]
            if has_account(session, customer_id):
                outcome = ALREADY_REGISTERED
            elif not has_active_policy(session, customer_id):
                outcome = NO_POLICY
            else:
                outcome = RECOGNISED
        audit.record(
            ctx,
            session,
            "riconoscimento",
            actor="anonimo",
            subject=mask_contact(username.kind, username.value),
            outcome=outcome,
            matches=len(matches),
            digitato=typed_details(person, username.value),
        )
        session.commit()
    return Recognition(outcome, customer_id)


def send_code(ctx: Context, pending: PendingAccount, flow_id: str | None = None) -> codes.IssuedCode:
    """The 6A code (first or resent) to the contact chosen as username."""
    channel = "email" if pending.username.kind == "email" else "sms"
    return codes.issue(
        ctx,
        flow_id=flow_id or codes.new_flow_id(),
        purpose="registrazione",
        channel=channel,
        destination=pending.username.value,
        actor=mask_contact(pending.username.kind, pending.username.value),
        customer_id=pending.customer_id,
    )


def complete(ctx: Context, flow_id: str, code: str, pending: PendingAccount) -> Account:
    """Verify the code and create the account with its consent, atomically."""
    actor = mask_contact(pending.username.kind, pending.username.value)
    with ctx.db.session() as session:
        try:
            codes.verify_in(ctx, session, flow_id, code, actor=actor)
        except codes.CodeError:
            session.commit()
            raise
        if has_account(session, pending.customer_id):
            session.rollback()
            raise AlreadyRegistered
        now = ctx.clock.now()
        account = Account(
            customer_id=pending.customer_id,
            username=pending.username.value,
            username_kind=pending.username.kind,
            password_hash=pending.password_hash,
            created_at=now,
        )
        session.add(account)
        try:
            session.flush()
        except IntegrityError as error:
            session.rollback()
            raise AlreadyRegistered from error
        session.add(
            PrivacyConsent(
                customer_id=pending.customer_id,
                account_id=account.id,
                context="registrazione",
                notice_version=pending.notice_version,
                accepted_at=now,
            )
        )
        audit.record(
            ctx,
            session,
            "account_creato",
            actor=pending.username.value,
            subject=pending.username.value,
            step=pending.step,
            privacy=pending.notice_version,
        )
        publish_after_commit(ctx, session, AccountCreated(account.id or 0, account.username))
        try:
            session.commit()
        except IntegrityError as error:
            session.rollback()
            raise AlreadyRegistered from error
        return account
