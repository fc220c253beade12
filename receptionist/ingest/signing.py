"""Webhook signatures for the generic v1 payload.

The sender computes ``HMAC-SHA256(secret, f"{timestamp}.{raw_body}")`` and sends it hex-encoded as
``X-Receptionist-Signature: v1=<hex>`` with ``X-Receptionist-Timestamp: <unix seconds>``.  Binding the timestamp
into the MAC lets the receiver refuse replays outside a window without keeping every body it has seen.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Receptionist-Timestamp"
SIGNATURE_HEADER = "X-Receptionist-Signature"
SECRET_KEY = "ingest.webhook_secret"  # key of the signing secret in the SecretStore


class SignatureError(Exception):
    """Why a signed request was refused (the message is sent back to the caller)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(secret: str, body: bytes, timestamp_header: str | None, signature_header: str | None, *,
           now: float, window_seconds: int) -> None:
    """Raise ``SignatureError`` with a specific reason unless the request is authentic and fresh."""
    if not timestamp_header:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} header")
    if not signature_header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not a unix timestamp") from None
    skew = now - timestamp
    if abs(skew) > window_seconds:
        raise SignatureError(
            f"timestamp outside the replay window ({int(skew)} s {'old' if skew > 0 else 'in the future'}, "
            f"window {window_seconds} s)"
        )
    expected = sign(secret, timestamp, body)
    offered = [part.strip() for part in signature_header.split(",")]  # allow several during secret rotation
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise SignatureError("signature does not match the body (wrong secret or modified body)")
