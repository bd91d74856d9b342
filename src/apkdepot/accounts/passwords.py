"""Password hashing: argon2id over the SHA-1 hex of the password.

Clients of ``checkUserCredentials`` send ``passhash`` = SHA-1 hex of the
password, never the password; hashing that form lets one stored hash verify both
a portal log-in (we compute the SHA-1 first) and a web-service log-in."""

from __future__ import annotations

import hashlib
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SHA1_HEX = re.compile(r"^[0-9a-fA-F]{40}\Z")


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode("utf-8")).hexdigest()


class PasswordHashing:
    def __init__(self, memory_kib: int = 65536, time_cost: int = 3, parallelism: int = 2) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(sha1_hex(password))

    def verify_passhash(self, stored: str, passhash: str) -> bool:
        if not SHA1_HEX.match(passhash or ""):
            return False
        try:
            return self._hasher.verify(stored, passhash.lower())
        except (VerificationError, InvalidHashError):
            return False

    def verify_password(self, stored: str, password: str) -> bool:
        return self.verify_passhash(stored, sha1_hex(password))

    def dummy_verify(self) -> None:
        """Spend the time of a real verification, so an unknown address answers as
        slowly as a wrong password does."""
        self.verify_passhash(self._dummy_hash, "0" * 40)

    @property
    def _dummy_hash(self) -> str:
        cached = getattr(self, "_dummy", None)
        if cached is None:
            cached = self._dummy = self._hasher.hash("x" * 40)
        return cached
