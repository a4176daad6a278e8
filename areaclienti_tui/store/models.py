"""The registry, accounts and security records, as SQLModel tables.

Columns keep to types both SQLite and PostgreSQL understand; timestamps are
stored timezone-aware and read back through `clock.as_utc`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False, index: bool = False):
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable, index=index)


def _fk(target: str, nullable: bool = False, index: bool = True):
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index),
    )


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    # Keys the diagnosis (services/diagnosis.py) finds candidates by, never scanning the registry.
    __table_args__ = (
        Index("ix_customers_cognome_fon_nome_norm", "cognome_fon", "nome_norm"),
        Index("ix_customers_cognome_norm_nome_norm", "cognome_norm", "nome_norm"),
    )

    id: int | None = Field(default=None, primary_key=True)
    codice_fiscale: str = Field(max_length=16, unique=True)
    cf_base: str = Field(max_length=16, index=True)
    nome: str = Field(max_length=80)
    cognome: str = Field(max_length=80)
    nome_norm: str = Field(max_length=80)
    cognome_norm: str = Field(max_length=80, index=True)
    cognome_fon: str = Field(default="", max_length=40)  # phonetic key of cognome_norm
    sesso: str = Field(max_length=1)
    data_nascita: date = Field(index=True)
    luogo_nascita: str = Field(default="", max_length=80)
    inarcassa: bool = True
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("customer_id", "kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customers.id")
    kind: str = Field(max_length=6)  # "email" | "mobile"
    value: str = Field(max_length=254, index=True)
    source: str = Field(default="registro", max_length=20)  # registro | assistenza
    created_at: datetime = _ts()


class Policy(SQLModel, table=True):
    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("customer_id", "numero"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customers.id")
    numero: str = Field(max_length=40)
    prodotto: str = Field(default="", max_length=120)
    stato: str = Field(default="attiva", max_length=20)


class Account(SQLModel, table=True):
    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, unique=True),
    )
    username: str = Field(max_length=254, unique=True)
    username_kind: str = Field(max_length=6)
    password_hash: str = Field(max_length=100)
    created_at: datetime = _ts()
    failed_logins: int = 0
    locked_until: datetime | None = _ts(nullable=True)
    last_login_at: datetime | None = _ts(nullable=True)


class TrustedDevice(SQLModel, table=True):
    """A console installation known to an account: for 9A ("new device") or biometrics."""

    __tablename__ = "trusted_devices"
    __table_args__ = (UniqueConstraint("account_id", "device_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _fk("accounts.id")
    device_id: str = Field(max_length=64)
    kind: str = Field(max_length=12)  # "mfa" | "biometric"
    created_at: datetime = _ts()


class OneTimeCode(SQLModel, table=True):
    __tablename__ = "one_time_codes"

    id: int | None = Field(default=None, primary_key=True)
    flow_id: str = Field(max_length=36, index=True)
    purpose: str = Field(max_length=20)
    channel: str = Field(max_length=6)
    destination: str = Field(max_length=254)
    code_hash: str = Field(max_length=128)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    attempts: int = 0
    consumed_at: datetime | None = _ts(nullable=True)
    voided_at: datetime | None = _ts(nullable=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", ondelete="CASCADE")
    account_id: int | None = Field(default=None, foreign_key="accounts.id", ondelete="CASCADE")


class SecurityCounter(SQLModel, table=True):
    """An attempt counter shared by every flow, console and process (SPEC §4).

    `scope` says what is counted (login failures of a typed username without an
    account, wrong codes per subject, codes sent per destination); `key` is an
    HMAC of the subject, so typed usernames and contacts are not kept in clear.
    Rows are only ever changed by single atomic statements (upsert, UPDATE …
    RETURNING), never read, modified and written back.
    """

    __tablename__ = "security_counters"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=20)
    key: str = Field(max_length=64)
    count: int = 0
    window_start: datetime = _ts()
    locked_until: datetime | None = _ts(nullable=True)
    updated_at: datetime = _ts()


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=6)  # "sms" | "email"
    recipient: str = Field(max_length=254, index=True)
    subject: str | None = Field(default=None, max_length=200)
    body: str
    code: str | None = Field(default=None, max_length=6)
    sent_at: datetime = _ts(index=True)
    delivery: str = Field(default="simulata", max_length=40)
    # The code this message carries: its text is shown only while that code is live.
    code_id: int | None = Field(default=None, foreign_key="one_time_codes.id", ondelete="SET NULL", index=True)


class PrivacyConsent(SQLModel, table=True):
    __tablename__ = "privacy_consents"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", ondelete="CASCADE")
    account_id: int | None = Field(default=None, foreign_key="accounts.id", ondelete="CASCADE")
    assistance_request_id: int | None = Field(default=None, foreign_key="assistance_requests.id", ondelete="CASCADE")
    context: str = Field(max_length=20)  # registrazione | assistenza
    notice_version: str = Field(max_length=20)
    accepted_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    kind: str = Field(max_length=40, index=True)
    actor: str = Field(max_length=254)
    subject: str = Field(default="", max_length=254)
    outcome: str = Field(default="ok", max_length=40)
    details: str = Field(default="{}")


class Operator(SQLModel, table=True):
    __tablename__ = "operators"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=100)
    created_at: datetime = _ts()
    failed_logins: int = 0
    locked_until: datetime | None = _ts(nullable=True)


class AssistanceRequest(SQLModel, table=True):
    __tablename__ = "assistance_requests"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts(index=True)
    origin: str = Field(max_length=4)  # "11A" | "7B"
    variant: str = Field(max_length=8)  # "app" | "desktop"
    status: str = Field(default="aperta", max_length=12, index=True)  # aperta | approvata | respinta
    nome: str = Field(max_length=80)
    cognome: str = Field(max_length=80)
    luogo_nascita: str = Field(max_length=80)
    data_nascita: date
    sesso: str = Field(max_length=1)
    contact_kind: str = Field(max_length=6)
    contact_value: str = Field(max_length=254)
    notify_email: str = Field(default="", max_length=254)
    indirizzo: str = Field(default="", max_length=200)
    citta: str = Field(default="", max_length=80)
    tipo_documento: str = Field(default="", max_length=40)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", ondelete="SET NULL")
    decided_at: datetime | None = _ts(nullable=True)
    decided_by: str | None = Field(default=None, max_length=60)
    reason: str | None = None


class Document(SQLModel, table=True):
    __tablename__ = "documents"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = _fk("assistance_requests.id")
    side: str = Field(max_length=6)  # fronte | retro
    mime: str = Field(max_length=40)
    size: int
    sha256: str = Field(max_length=64)
    stored_name: str = Field(max_length=80)
    original_name: str = Field(max_length=255)
    width: int | None = None
    height: int | None = None
    pages: int | None = None
