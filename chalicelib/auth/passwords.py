"""bcrypt password hashes, and a short in-process memory of verified credentials
so a Basic-authenticated push pays for bcrypt once, not on every request."""
import functools
import hashlib
import hmac
import secrets
import threading
import time

import bcrypt

from ..errors import bad_request

MAX_BYTES = 72            # bcrypt ignores (5.0: rejects) anything longer
MIN_LENGTH = 5            # §3.1
REMEMBER_SECONDS = 60
REMEMBER_MAX = 4096


def checked(password: str) -> bytes:
    """The password as bytes, or a clear 400 when bcrypt could not hash it."""
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_BYTES:
        raise bad_request(f"Password longer than {MAX_BYTES} bytes")
    return encoded


def hash_password(password: str, rounds: int) -> str:
    encoded = checked(password)
    if len(password) < MIN_LENGTH:
        raise bad_request(f"Password shorter than {MIN_LENGTH} characters")
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds)).decode()


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds))


def verify(password: str, stored_hash: str | None, rounds: int) -> bool:
    """One bcrypt check; an unknown user (no hash) costs the same as a wrong password."""
    encoded = checked(password)
    if stored_hash is None:
        bcrypt.checkpw(encoded, _dummy_hash(rounds))
        return False
    return bcrypt.checkpw(encoded, stored_hash.encode())


class _Remembered:
    """Credentials verified in this container, keyed by an HMAC of (user, password,
    stored hash, source address): a changed password or hash never matches an old entry,
    a credential verified from one address skips nothing from another (where it may be
    throttled), and the plain password is never kept."""

    def __init__(self):
        self._key = secrets.token_bytes(32)
        self._until: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def _digest(self, *parts: str) -> bytes:
        return hmac.new(self._key, "\0".join(parts).encode(), hashlib.sha256).digest()

    def contains(self, username: str, password: str, stored_hash: str, source: str) -> bool:
        digest = self._digest(username, password, stored_hash, source)
        with self._lock:
            return self._until.get(digest, 0.0) > time.monotonic()

    def add(self, username: str, password: str, stored_hash: str, source: str) -> None:
        digest = self._digest(username, password, stored_hash, source)
        now = time.monotonic()
        with self._lock:
            if len(self._until) >= REMEMBER_MAX:
                self._until = {d: t for d, t in self._until.items() if t > now}
                if len(self._until) >= REMEMBER_MAX:
                    self._until.clear()
            self._until[digest] = now + REMEMBER_SECONDS


remembered = _Remembered()
