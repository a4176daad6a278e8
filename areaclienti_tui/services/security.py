"""Step 9A and what it protects: login codes by device policy, sensitive
operations (password, username), password recovery and the simulated
biometric login of this console."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select


from areaclienti_tui.rules.masking import mask_contact
from areaclienti_tui.rules.username import Username
from areaclienti_tui.services import audit, codes, limits, outbox
from areaclienti_tui.services.auth import CustomerLogin, LoginError, check_lock, login_key, typed_name
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.customers import mobile_on_file
from areaclienti_tui.services.registration import USERNAME_TAKEN
from areaclienti_tui.store.models import Account, Contact, Customer, TrustedDevice

MFA = "mfa"
BIOMETRIC = "biometric"


class NoMobile(Exception):
    """A 9A code is needed but the customer has no mobile on file (→ 10A)."""


class UsernameUnavailable(Exception):
    def __init__(self, message: str = USERNAME_TAKEN) -> None:
        super().__init__(message)
        self.message = message


def device_id(path: Path) -> str:
    """This console installation's identity, made on first use."""
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = ""
    if len(value) == 32 and all(c in "0123456789abcdef" for c in value):
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = uuid.uuid4().hex
    path.write_text(value + "\n", encoding="ascii")
    return value


def _has_device(ctx: Context, account_id: int, device: str, kind: str) -> bool:
    with ctx.db.session() as session:
        query = select(TrustedDevice.id).where(
            TrustedDevice.account_id == account_id, TrustedDevice.device_id == device, TrustedDevice.kind == kind
        )
        return session.exec(query).first() is not None


def _add_device(ctx: Context, account_id: int, device: str, kind: str, *, actor: str) -> None:
    if _has_device(ctx, account_id, device, kind):
        return
    with ctx.db.transaction() as session:
        session.add(TrustedDevice(account_id=account_id, device_id=device, kind=kind, created_at=ctx.clock.now()))
        audit.record(ctx, session, "dispositivo_" + ("fidato" if kind == MFA else "biometrico"), actor=actor,
                     subject=actor, outcome="attivato")


def login_needs_code(ctx: Context, login: CustomerLogin, device: str) -> bool:
    policy = ctx.settings.mfa_policy
    if policy == "always":
        return True
    if policy == "never":
        return False
    return not _has_device(ctx, login.account_id, device, MFA)


def trust_device(ctx: Context, login: CustomerLogin, device: str) -> None:
    _add_device(ctx, login.account_id, device, MFA, actor=login.username)


def send_security_code(ctx: Context, login: CustomerLogin, purpose: str, flow_id: str | None = None) -> codes.IssuedCode:
    """A 9A code by SMS to the newest mobile on file; NoMobile when there is none."""
    mobile = mobile_on_file(ctx, login.customer_id)
    if mobile is None:
        with ctx.db.transaction() as session:
            audit.record(ctx, session, "codice_sicurezza", actor=login.username, subject=login.username,
                         outcome="cellulare mancante", purpose=purpose)
        raise NoMobile
    return codes.issue(
        ctx,
        flow_id=flow_id or codes.new_flow_id(),
        purpose=purpose,
        channel="sms",
        destination=mobile,
        actor=login.username,
        customer_id=login.customer_id,
        account_id=login.account_id,
    )


# -- sensitive operations -------------------------------------------------------


def _notify(ctx: Context, session, account: Account, subject: str, body: str) -> None:  # noqa: ANN001
    channel = "email" if account.username_kind == "email" else "sms"
    outbox.send(ctx, session, channel=channel, to=account.username, subject=subject, body=body)


def change_password(ctx: Context, account_id: int, password_hash: str, *, actor: str, reason: str) -> None:
    """Store a new password hash and clear any lockout."""
    with ctx.db.transaction() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise LookupError(account_id)
        account.password_hash = password_hash
        account.failed_logins = 0
        account.locked_until = None
        session.add(account)
        _notify(
            ctx,
            session,
            account,
            "La tua password è stata cambiata",
            "Generali Area Clienti: la password del tuo account è stata cambiata. "
            "Se non sei stato tu, contatta subito l'Assistenza.",
        )
        audit.record(ctx, session, "password_cambiata", actor=actor, subject=account.username, reason=reason)


def check_new_username(ctx: Context, account_id: int, username: Username) -> None:
    with ctx.db.session() as session:
        owner = session.exec(select(Account.id).where(Account.username == username.value)).first()
    if owner is not None:
        raise UsernameUnavailable("È già il tuo nome utente." if owner == account_id else USERNAME_TAKEN)


def send_username_code(ctx: Context, login: CustomerLogin, username: Username, flow_id: str | None = None) -> codes.IssuedCode:
    """A code to the new contact, to prove it belongs to the customer."""
    check_new_username(ctx, login.account_id, username)
    return codes.issue(
        ctx,
        flow_id=flow_id or codes.new_flow_id(),
        purpose="operazione",
        channel="email" if username.kind == "email" else "sms",
        destination=username.value,
        actor=login.username,
        customer_id=login.customer_id,
        account_id=login.account_id,
    )


def change_username(ctx: Context, login: CustomerLogin, username: Username) -> CustomerLogin:
    """Make the verified contact the new username (and a contact on file)."""
    with ctx.db.session() as session:
        account = session.get(Account, login.account_id)
        if account is None:
            raise LookupError(login.account_id)
        old = account.username
        account.username, account.username_kind = username.value, username.kind
        session.add(account)
        known = session.exec(
            select(Contact.id).where(
                Contact.customer_id == login.customer_id, Contact.kind == username.kind, Contact.value == username.value
            )
        ).first()
        if known is None:
            session.add(Contact(customer_id=login.customer_id, kind=username.kind, value=username.value,
                                source="cliente", created_at=ctx.clock.now()))
        audit.record(ctx, session, "nome_utente_cambiato", actor=old, subject=username.value, precedente=old)
        try:
            session.commit()
        except IntegrityError as error:
            session.rollback()
            raise UsernameUnavailable from error
    return CustomerLogin(login.account_id, login.customer_id, username.value, username.kind, login.nome, login.cognome)


# -- password recovery ------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """A password recovery: the same for known and unknown names (no enumeration).

    For a name without account the flow is real — a code row, resend cooldown
    and limit, five tries, the per-destination and wrong-code counters — but no
    message leaves and no code can match; `account_id` is then None.
    """

    flow_id: str
    issued: codes.IssuedCode
    account_id: int | None


def _recovery_target(ctx: Context, username_text: str) -> tuple[Account | None, str, str]:
    """(account or None, channel, destination) for what was typed."""
    key = login_key(username_text)
    account = None
    if key:
        with ctx.db.session() as session:
            account = session.exec(select(Account).where(Account.username == key)).first()
    if account is not None:
        return account, ("email" if account.username_kind == "email" else "sms"), account.username
    name = typed_name(username_text)
    destination = codes.UNKNOWN_PREFIX + limits.subject_key(ctx, limits.LOGIN, name)
    return None, ("email" if "@" in username_text else "sms"), destination


def start_recovery(ctx: Context, username_text: str) -> Recovery:
    """Send a recovery code to the account's username contact, without telling if it exists."""
    account, channel, destination = _recovery_target(ctx, username_text)
    flow_id = codes.new_flow_id()
    issued = codes.issue(
        ctx,
        flow_id=flow_id,
        purpose="recupero",
        channel=channel,
        destination=destination,
        actor=account.username if account else "anonimo",
        customer_id=account.customer_id if account else None,
        account_id=account.id if account else None,
        deliver=account is not None,
    )
    return Recovery(flow_id, issued, account.id if account else None)


def resend_recovery(ctx: Context, recovery: Recovery) -> codes.IssuedCode:
    """Another recovery code on the same flow, under the same rules for known and unknown names."""
    issued = recovery.issued
    with ctx.db.session() as session:
        account = session.get(Account, recovery.account_id) if recovery.account_id is not None else None
    return codes.issue(
        ctx,
        flow_id=recovery.flow_id,
        purpose="recupero",
        channel=issued.channel,
        destination=issued.destination,
        actor=account.username if account else "anonimo",
        customer_id=account.customer_id if account else None,
        account_id=recovery.account_id,
        deliver=account is not None,
    )


def verify_recovery(ctx: Context, recovery: Recovery, code: str) -> None:
    """Check a recovery code; a flow for an unknown name counts and refuses like a wrong code."""
    actor = f"account {recovery.account_id}" if recovery.account_id is not None else "anonimo"
    codes.verify(ctx, recovery.flow_id, code, actor=actor)
    if recovery.account_id is None:  # pragma: no cover - such a flow stores no code that can match
        raise codes.CodeError("wrong", "Codice non corretto.")


def account_names(ctx: Context, account_id: int) -> tuple[str, str, str]:
    """(nome, cognome, username) for the password rules."""
    with ctx.db.session() as session:
        account = session.get(Account, account_id)
        customer = session.get(Customer, account.customer_id) if account else None
    if account is None or customer is None:
        raise LookupError(account_id)
    return customer.nome, customer.cognome, account.username


# -- simulated biometrics ---------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    account_id: int
    username: str
    masked: str


def enable_biometric(ctx: Context, login: CustomerLogin, device: str) -> None:
    _add_device(ctx, login.account_id, device, BIOMETRIC, actor=login.username)


def disable_biometric(ctx: Context, login: CustomerLogin, device: str) -> None:
    with ctx.db.transaction() as session:
        session.exec(
            delete(TrustedDevice).where(
                col(TrustedDevice.account_id) == login.account_id,
                col(TrustedDevice.device_id) == device,
                col(TrustedDevice.kind) == BIOMETRIC,
            )
        )
        audit.record(ctx, session, "dispositivo_biometrico", actor=login.username, subject=login.username,
                     outcome="disattivato")


def biometric_enabled(ctx: Context, login: CustomerLogin, device: str) -> bool:
    return _has_device(ctx, login.account_id, device, BIOMETRIC)


def enrolments(ctx: Context, device: str) -> list[Enrolment]:
    with ctx.db.session() as session:
        rows = session.exec(
            select(Account)
            .join(TrustedDevice, col(TrustedDevice.account_id) == col(Account.id))
            .where(TrustedDevice.device_id == device, TrustedDevice.kind == BIOMETRIC)
            .order_by(col(Account.username))
        ).all()
    return [Enrolment(a.id or 0, a.username, mask_contact(a.username_kind, a.username)) for a in rows]


def biometric_login(ctx: Context, account_id: int, device: str) -> CustomerLogin:
    """The simulated sensor said yes: the account must be enrolled on this device and not locked."""
    with ctx.db.session() as session:
        account = session.get(Account, account_id)
        enrolled = _has_device(ctx, account_id, device, BIOMETRIC)
        if account is None or not enrolled:
            raise LoginError("invalid", "Il riconoscimento biometrico non è attivo per questo account su questa console.")
        check_lock(ctx, account)
        customer = session.get(Customer, account.customer_id)
        return CustomerLogin(account.id or 0, account.customer_id, account.username, account.username_kind,
                             customer.nome if customer else "", customer.cognome if customer else "")
