"""A second console on a scenario's database (the scenario verb ``other_console``).

What another console would do meanwhile, through the same services the screens
use, on its own connection to the scenario's database and with the scenario's
clock and settings: no row is written by hand. ``register`` is path B as the
other console's customer would walk it: the codice fiscale (2B), one of the
contacts on file chosen as username (3B), the password of 5A with its rules, the
code sent to that contact, read back from the outbox as the customer would read
it on the phone, and typed (4B): the account and its privacy consent are then
created by `registration.complete`, exactly as on the console under test.

No Textual here: the scenario runner turns `Refused` into a failed step.
"""

from __future__ import annotations


from sqlmodel import select

from areaclienti_tui.clock import Clock, rome
from areaclienti_tui.rules.codice_fiscale import validate_codice_fiscale
from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.password import validate_password
from areaclienti_tui.rules.username import load_pec_domains, parse_username
from areaclienti_tui.services import outbox, pathb, registration
from areaclienti_tui.services.codes import CodeError
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.services.privacy import load_notice
from areaclienti_tui.services.setup import open_context
from areaclienti_tui.settings import Settings
from areaclienti_tui.store.models import Customer

ROME = rome()  # the console's time zone (clock.rome)


class Refused(Exception):
    """The other console could not do it: what was expected and what it saw, in Italian."""

    def __init__(self, expected: str, seen: str) -> None:
        super().__init__(f"atteso {expected}, visto {seen}")
        self.expected = expected
        self.seen = seen


def register(settings: Settings, clock: Clock, codice_fiscale: str, username: str, password: str) -> str:
    """Create the account of the customer with `codice_fiscale` from another console;
    the username as stored (a mobile in E.164). Refused says why it could not."""
    ctx = open_context(settings, clock, seed_demo=False)
    try:
        return _register(ctx, codice_fiscale, username, password)
    finally:
        ctx.db.dispose()


def _register(ctx: Context, typed_cf: str, typed_username: str, password: str) -> str:
    settings = ctx.settings
    try:
        info = validate_codice_fiscale(typed_cf, today=ctx.clock.now().astimezone(ROME).date())
    except RuleError as error:
        raise Refused("un codice fiscale valido", f"{typed_cf}: {error.message}") from None
    pec = load_pec_domains(settings.pec_domains_file)
    found = pathb.lookup(ctx, info, pec)
    if found.outcome == pathb.ALREADY_REGISTERED:
        raise Refused(f"il cliente {info.code} ancora senza account", "un account già esistente per quel cliente")
    if found.outcome == pathb.NO_POLICY:
        raise Refused(f"il cliente {info.code} con una polizza attiva", "nessuna polizza attiva in anagrafe")
    if found.outcome != pathb.FOUND or found.customer_id is None:
        raise Refused(f"il cliente {info.code} in anagrafe", "nessun cliente con quel codice fiscale")
    try:
        wanted = parse_username(typed_username, pec)
    except RuleError as error:
        raise Refused("un nome utente valido (email o cellulare)", f"{typed_username}: {error.message}") from None
    choice = next((c for c in found.contacts if c.kind == wanted.kind and c.value == wanted.value), None)
    if choice is None:
        listed = ", ".join(c.label for c in found.contacts) or "nessuno"
        raise Refused(f"{typed_username} fra i recapiti in anagrafe del cliente", f"i recapiti {listed}")
    if not choice.usable:
        raise Refused(f"{typed_username} utilizzabile come nome utente", choice.reason)
    with ctx.db.session() as session:
        customer = session.exec(select(Customer).where(Customer.id == found.customer_id)).one()
        nome, cognome = customer.nome, customer.cognome
    try:
        validate_password(password, password, nome=nome, cognome=cognome, username=wanted.value)
    except RuleError as error:
        raise Refused("una password che rispetta le regole", error.message) from None
    pending = registration.PendingAccount(
        customer_id=found.customer_id,
        username=choice.username,
        password_hash=hash_password(password, settings.bcrypt_rounds),
        notice_version=load_notice(settings.privacy_file).version,
        step="4B",
    )
    if registration.username_taken(ctx, choice.username):
        raise Refused(f"{typed_username} libero come nome utente", registration.USERNAME_TAKEN)
    try:
        issued = registration.send_code(ctx, pending)
    except CodeError as error:
        raise Refused(f"il codice di verifica inviato a {choice.masked}", error.message) from None
    code = outbox.newest_code(ctx, issued.destination)
    if code is None:
        raise Refused(f"il codice di verifica nella casella di uscita per {choice.masked}", "nessun messaggio")
    try:
        registration.complete(ctx, issued.flow_id, code, pending)
    except registration.AlreadyRegistered:
        raise Refused("l'account creato", "un account già esistente per quel cliente o quel nome utente") from None
    except CodeError as error:
        raise Refused("il codice di verifica accettato", error.message) from None
    return pending.username.value
