"""bcrypt hashing; slow on purpose, so the UI calls it from a thread worker."""

from __future__ import annotations

import bcrypt

from areaclienti_tui.rules.password import BCRYPT_MAX_BYTES


def hash_password(password: str, rounds: int) -> str:
    raw = password.encode("utf-8")
    if len(raw) > BCRYPT_MAX_BYTES:
        raise ValueError("password longer than bcrypt's 72 bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    raw = password.encode("utf-8")
    if len(raw) > BCRYPT_MAX_BYTES:
        return False
    return bcrypt.checkpw(raw, hashed.encode("ascii"))


_DUMMY: dict[int, str] = {}


def burn_check(password: str, rounds: int) -> None:
    """Spend the same time as a real check, so unknown usernames don't answer faster."""
    if rounds not in _DUMMY:
        _DUMMY[rounds] = hash_password("unused-Password1", rounds)
    check_password(password[:16], _DUMMY[rounds])
