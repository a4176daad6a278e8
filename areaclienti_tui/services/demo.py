"""The demo data set: personas, one already registered account, one operator."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import SQLModel, select

from areaclienti_tui.rules.username import parse_email
from areaclienti_tui.services import audit, importer
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.store.models import Account, Customer, Operator

REGISTERED_CF = "CNTNNA79P70L219K"
REGISTERED_USERNAME = "anna.conti@outlook.it"
REGISTERED_PASSWORD = "Tramonto#Blu42"
OPERATOR_USERNAME = "operatore"
OPERATOR_PASSWORD = "Sportello#2026"
OPERATOR_NAME = "Operatore demo"


def seed(ctx: Context) -> importer.ImportReport:
    """Load the personas and the demo accounts into the database, in one transaction.

    Run on a new database inside its migration's transaction (see
    `services.setup.open_context`); on its own it opens its own: either the
    personas, the demo account and the operator are all saved, or nothing is.
    """
    with ctx.db.atomic():
        return _seed(ctx)


def _seed(ctx: Context) -> importer.ImportReport:
    report = importer.import_file(ctx, ctx.settings.personas_file, actor="demo")
    with ctx.db.transaction() as session:
        customer = session.exec(select(Customer).where(Customer.codice_fiscale == REGISTERED_CF)).first()
        username = parse_email(REGISTERED_USERNAME, ()).value
        exists = session.exec(select(Account.id).where(Account.username == username)).first()
        if customer is not None and exists is None:
            session.add(
                Account(
                    customer_id=customer.id,
                    username=username,
                    username_kind="email",
                    password_hash=hash_password(REGISTERED_PASSWORD, ctx.settings.bcrypt_rounds),
                    created_at=ctx.clock.now(),
                )
            )
        if session.exec(select(Operator.id).where(Operator.username == OPERATOR_USERNAME)).first() is None:
            session.add(
                Operator(
                    username=OPERATOR_USERNAME,
                    display_name=OPERATOR_NAME,
                    password_hash=hash_password(OPERATOR_PASSWORD, ctx.settings.bcrypt_rounds),
                    created_at=ctx.clock.now(),
                )
            )
        audit.record(ctx, session, "demo_caricata", actor="demo", subject=ctx.settings.personas_file.name)
    return report


def reset(ctx: Context, *, actor: str) -> importer.ImportReport:
    """Empty every table (the schema stays), load the demo again, then drop the uploaded documents.

    The database part is one transaction: interrupted or failed, it leaves the
    data as they were (and the documents in place).
    """
    with ctx.db.atomic():
        with ctx.db.transaction() as session:
            for table in reversed(SQLModel.metadata.sorted_tables):
                session.exec(delete(table))
        report = _seed(ctx)
        with ctx.db.transaction() as session:
            audit.record(ctx, session, "demo_ripristinata", actor=actor)
    documents = ctx.settings.documents_dir
    if documents.is_dir():
        for stored in documents.iterdir():
            if stored.is_file() and not stored.is_symlink():
                stored.unlink()
    return report
