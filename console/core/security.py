"""Passwords (Argon2id through argon2-cffi) and the session cookie's name and settings."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SESSION_COOKIE = "kefu_session"
CSRF_HEADER = "X-CSRF-Token"
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong username takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password (salted, with the library's recommended cost)."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; a missing user costs as much time as a wrong password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class LoginThrottle:
    """Refuses sign-in for a while after repeated failures for one key (a username, or a client address).

    Kept in memory: a restart forgets it, and each console replica counts on its own; that slows guessing down
    enough for a desk whose passwords are hashed with Argon2.
    """

    def __init__(self, max_failures: int, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, list[float]] = {}

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until this key may try again (0 when it may now)."""
        recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return self.window_s - (now - recent[0]) if len(recent) >= self.max_failures else 0.0

    def failed(self, key: str, now: float) -> None:
        """Count a failed attempt."""
        self._failures.setdefault(key, []).append(now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of a user who got in."""
        self._failures.pop(key, None)
