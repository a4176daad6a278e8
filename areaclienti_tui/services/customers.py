"""Read-only views of the registry: a customer's policies and contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from areaclienti_tui.services.context import Context
from areaclienti_tui.store.models import Contact, Customer, Policy


@dataclass(frozen=True)
class PolicyView:
    numero: str
    prodotto: str
    stato: str
    inarcassa: bool


@dataclass(frozen=True)
class ContactView:
    kind: str
    value: str
    source: str


def policies(ctx: Context, customer_id: int) -> list[PolicyView]:
    with ctx.db.session() as session:
        customer = session.get(Customer, customer_id)
        rows = session.exec(select(Policy).where(Policy.customer_id == customer_id).order_by(col(Policy.numero))).all()
    inarcassa = bool(customer and customer.inarcassa)
    order = {"attiva": 0}
    return sorted(
        (PolicyView(p.numero, p.prodotto, p.stato, inarcassa) for p in rows),
        key=lambda p: (order.get(p.stato, 1), p.numero),
    )


def contacts(ctx: Context, customer_id: int) -> list[ContactView]:
    with ctx.db.session() as session:
        rows = session.exec(select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id))).all()
    return [ContactView(c.kind, c.value, c.source) for c in rows]


def mobile_on_file(ctx: Context, customer_id: int) -> str | None:
    """The newest mobile of the customer (one added by assistance wins)."""
    mobiles = [c for c in contacts(ctx, customer_id) if c.kind == "mobile"]
    return mobiles[-1].value if mobiles else None
