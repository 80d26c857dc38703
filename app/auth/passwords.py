"""Password hashing (Argon2id, memory-hard)."""

from __future__ import annotations

import contextlib
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# The stand-in hash an address without a password is checked against (see _stand_in_hash).
_DUMMY_PASSWORD = "relais-dummy-password"  # noqa: S105


def _parameters() -> tuple[int, int, int]:
    cfg = current_app.config
    return cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"]


def _hasher() -> PasswordHasher:
    time_cost, memory_cost, parallelism = _parameters()
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@functools.cache
def _stand_in_hash(parameters: tuple[int, int, int]) -> str:
    # Computed once per process and parameters, never per attempt: hashing it at each attempt
    # made an unknown address cost two Argon2 runs against one for a known address.
    time_cost, memory_cost, parallelism = parameters
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(_DUMMY_PASSWORD)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Exactly one Argon2 verification whatever the case, so its time says nothing.

    No stored hash (an unknown address, an account without a password): the same verification
    against a stand-in hash with the current parameters, and the answer of a wrong password.
    """
    hasher = _hasher()
    if not stored_hash:
        with contextlib.suppress(VerificationError):
            hasher.verify(_stand_in_hash(_parameters()), password)
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)
