"""People at the desk: PINs kept as salted PBKDF2-SHA256 hashes (never the PIN), and who an actor name is.

A hash reads ``pbkdf2_sha256$<iterations>$<salt hex>$<digest hex>``; ``verify_pin`` compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime

ITERATIONS = 200_000
_PIN = re.compile(r"^\d{4,8}$")


def check_pin_format(pin: str) -> None:
    if not _PIN.match(pin):
        raise ValueError("a PIN is 4 to 8 digits")


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    check_pin_format(pin)
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def same_person(a: str, b: str) -> bool:
    """Names compare without case and surrounding spaces ("ana ruiz" is "Ana Ruiz")."""
    return a.strip().casefold() == b.strip().casefold()


@dataclass(frozen=True)
class AuditRecord:
    """One row of the audit log: who did what, when, to what."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict
