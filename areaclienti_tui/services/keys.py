"""The secret that keys code hashes and counter keys, kept outside the database.

It lives in a file of the data folder (mode 0600), made on first use. A copy of
the database alone therefore reveals neither codes (trying the 10⁶ possible
codes against a stored hash needs the key) nor the usernames typed at login.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

_KEY_BYTES = 32
_cache: dict[Path, bytes] = {}
_lock = threading.Lock()


class KeyFileError(RuntimeError):
    """The key file exists but is not a key of ours."""


def _read(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise KeyFileError(f"il file della chiave {path} non contiene una chiave valida")
    return key


def _create(path: Path) -> bytes:
    """Write a new key atomically: a temporary file, then a hard link that fails if another process won."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(_KEY_BYTES)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            existing = _read(path)
            if existing is None:  # pragma: no cover - removed between link and read
                raise
            return existing
    finally:
        temp.unlink(missing_ok=True)
    return key


def secret_key(path: Path) -> bytes:
    """The key kept in `path`, made (mode 0600) if missing."""
    resolved = path.resolve()
    with _lock:
        key = _cache.get(resolved)
        if key is None:
            key = _read(resolved)
            if key is None:
                key = _create(resolved)
            elif resolved.stat().st_mode & 0o077:
                os.chmod(resolved, 0o600)
            _cache[resolved] = key
        return key


def keyed_digest(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts (joined by NUL), as 64 hex digits."""
    return hmac.new(key, "\0".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()
