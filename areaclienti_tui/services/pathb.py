"""Path B: the customer not recognised at 5A is found by codice fiscale (2B) and
chooses one of the contacts on file (3B) as username."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from areaclienti_tui.rules.codice_fiscale import CodiceFiscaleInfo, base_codice_fiscale
from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.rules.username import Username, is_pec_domain
from areaclienti_tui.services import audit
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.registration import has_account, has_active_policy
from areaclienti_tui.store.models import Account, Contact, Customer

FOUND = "trovato"
UNKNOWN = "sconosciuto"
NO_POLICY = "senza_polizza"
ALREADY_REGISTERED = "gia_registrato"


@dataclass(frozen=True)
class ContactChoice:
    kind: str
    value: str
    masked: str
    usable: bool
    reason: str = ""

    @property
    def username(self) -> Username:
        return Username(self.kind, self.value)  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        words = "Email" if self.kind == "email" else "Cellulare"
        suffix = f" — {self.reason}" if self.reason else ""
        return f"{words} {self.masked}{suffix}"


@dataclass(frozen=True)
class Lookup:
    outcome: str
    customer_id: int | None = None
    contacts: tuple[ContactChoice, ...] = ()


def lookup(ctx: Context, info: CodiceFiscaleInfo, pec_domains: frozenset[str],
           typed: dict[str, str] | None = None) -> Lookup:
    """Find the customer by codice fiscale (either omocode form) and list their contacts.

    `typed` (registration.typed_details: what the customer typed at 3A/4A) goes into the
    audit event with the code, for the operator's diagnosis."""
    with ctx.db.session() as session:
        customer = session.exec(
            select(Customer).where(
                (Customer.codice_fiscale == info.code) | (Customer.cf_base == base_codice_fiscale(info.code))
            )
        ).first()
        if customer is None or customer.id is None:
            result = Lookup(UNKNOWN)
        elif has_account(session, customer.id):
            result = Lookup(ALREADY_REGISTERED, customer.id)
        elif not has_active_policy(session, customer.id):
            result = Lookup(NO_POLICY, customer.id)
        else:
            rows = session.exec(
                select(Contact).where(Contact.customer_id == customer.id).order_by(col(Contact.kind), col(Contact.id))
            ).all()
            taken = set(
                session.exec(select(Account.username).where(col(Account.username).in_([r.value for r in rows]))).all()
            )
            choices = []
            for row in rows:
                reason = ""
                if row.kind == "email" and is_pec_domain(row.value.rpartition("@")[2], pec_domains):
                    reason = "indirizzo PEC, non utilizzabile come nome utente"
                elif row.value in taken:
                    reason = "già usato da un altro account"
                choices.append(ContactChoice(row.kind, row.value, mask_contact(row.kind, row.value), not reason, reason))
            result = Lookup(FOUND, customer.id, tuple(choices))
        audit.record(
            ctx,
            session,
            "ricerca_codice_fiscale",
            actor="anonimo",
            subject=info.code[:6] + "**********",
            outcome=result.outcome,
            recapiti=len(result.contacts),
            digitato={**(typed or {}), "codice_fiscale": info.code},
        )
        session.commit()
    return result
