"""Operator accounts (SPEC §3): created by `areaclienti-tui operator add`.

Operators sign in to the operator area with their own username and password
(bcrypt, same lockout as customers, see `services.auth.operator_login`).
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from areaclienti_tui.rules.errors import RuleError
from areaclienti_tui.rules.password import validate_password
from areaclienti_tui.services import audit
from areaclienti_tui.services.context import Context
from areaclienti_tui.services.passwords import hash_password
from areaclienti_tui.store.models import Operator

USERNAME_MIN = 3
USERNAME_MAX = 60
DISPLAY_NAME_MAX = 120
_USERNAME_RE = re.compile(r"[a-z0-9._-]+")


class OperatorError(RuleError):
    """An operator could not be created; ``message`` is Italian, ``code`` a short key."""


def validate_operator_username(text: str) -> str:
    """The operator's username: 3–60 lowercase letters, digits, ``.``, ``_`` or ``-``."""
    username = text.strip()
    if not username:
        raise OperatorError("Inserisci il nome utente dell'operatore", "empty", field="username")
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise OperatorError(
            f"Il nome utente dell'operatore deve avere tra {USERNAME_MIN} e {USERNAME_MAX} caratteri",
            "length",
            field="username",
        )
    if not _USERNAME_RE.fullmatch(username):
        raise OperatorError(
            "Il nome utente dell'operatore può contenere solo lettere minuscole senza accenti, "
            "cifre, punto, trattino e trattino basso",
            "chars",
            field="username",
        )
    return username


def _name_words(display_name: str) -> tuple[str, str]:
    """First word and the rest, for the password rule on name and surname."""
    first, _, rest = display_name.strip().partition(" ")
    return first, rest.strip()


def check_password(password: str, confirm: str, *, username: str, display_name: str = "") -> None:
    """The customers' password rule applied to an operator (RuleError on the first fault)."""
    nome, cognome = _name_words(display_name)
    validate_password(password, confirm, nome=nome, cognome=cognome, username=username)


def exists(ctx: Context, username: str) -> bool:
    with ctx.db.session() as session:
        return session.exec(select(Operator.id).where(Operator.username == username)).first() is not None


def _duplicate(username: str) -> OperatorError:
    return OperatorError(f"Esiste già un operatore con nome utente {username!r}", "duplicate", field="username")


def add_operator(ctx: Context, username: str, display_name: str, password: str, *, actor: str = "cli") -> Operator:
    """Create an operator with a bcrypt hash and audit it; OperatorError/RuleError if refused."""
    username = validate_operator_username(username)
    display_name = " ".join((display_name or "").split()) or username
    if len(display_name) > DISPLAY_NAME_MAX:
        raise OperatorError(
            f"Il nome dell'operatore può avere al massimo {DISPLAY_NAME_MAX} caratteri", "name", field="nome"
        )
    check_password(password, password, username=username, display_name=display_name)
    if exists(ctx, username):
        raise _duplicate(username)
    password_hash = hash_password(password, ctx.settings.bcrypt_rounds)
    operator = Operator(
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        created_at=ctx.clock.now(),
    )
    try:
        with ctx.db.transaction() as session:
            session.add(operator)
            session.flush()
            audit.record(ctx, session, "operatore_creato", actor=actor, subject=username, nome=display_name)
    except IntegrityError:
        # Another console created the same username meanwhile.
        raise _duplicate(username) from None
    return operator
