"""What every platform adapter is: the contract between the receiver/inbox and one AI voice platform.

The receiver's path for one HTTP delivery::

    delivery = Delivery(platform, body, headers, url, received_at)
    adapter.authenticate(delivery, secret, now)    # DeliveryRefused → answer its status, store nothing
    key = adapter.dedupe_key(delivery)             # DeliveryRefused(400) → answer, store nothing
    inbox.store(delivery, key)                     # durable before the answer (503 if this fails)
    answer = adapter.answer(delivery)              # what the platform expects back
    ... later, from the inbox ...
    adapter.interpret(delivery, rules)             # Ignored | LiveUpdate | CallCapture, or MappingError → quarantine

Adapters are pure with respect to I/O: they read the delivery and nothing else (Synthflow's read-back is done by
the intake, see ``synthflow.py``), so a stored delivery can be interpreted again after an upgrade (Replay).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Union, runtime_checkable

from receptionist.domain.payload import CallCapture, CallFacts, CaptureError, LocationRules, build_capture

log = logging.getLogger(__name__)

#: Nesting deeper than this is refused: no platform nests its payloads past a dozen levels, and a deep body is
#: either a bug or an attack on the parser's recursion.
MAX_JSON_DEPTH = 64


@dataclass(frozen=True)
class Delivery:
    """One HTTP delivery exactly as received (also what the inbox stores)."""

    platform: str  # "vapi" | "retell" | "elevenlabs" | "twilio" | "bland" | "synthflow" | "generic"
    body: bytes
    headers: dict[str, str]  # names lower-cased
    url: str  # full URL the platform posted to (Twilio signs it)
    received_at: datetime  # aware UTC

    def header(self, name: str) -> str | None:
        """A header by name, case-insensitively (``headers`` is lower-cased, but be forgiving of callers)."""
        value = self.headers.get(name.lower())
        if value is None:
            for key, candidate in self.headers.items():
                if key.lower() == name.lower():
                    return candidate
        return value


class DeliveryRefused(Exception):
    """Refused at the door: nothing stored. ``status`` is the HTTP answer, ``reason`` one plain sentence.

    Statuses: 400 (unreadable), 401 (not authentic, or outside the replay window), 413 (too large), 422 (readable
    but not a shape we take), 503 (this desk cannot check it yet, e.g. no secret configured: the platform retries).
    ``fields`` names each bad field when the structure is wrong (our generic payload).
    """

    def __init__(self, status: int, reason: str, fields: dict[str, str] | None = None):
        self.status = status
        self.reason = reason
        self.fields = dict(fields or {})
        super().__init__(f"{status}: {reason}")


class MappingError(Exception):
    """The delivery is authentic but cannot be mapped onto a call; ``reason`` is a sentence for the quarantine."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Ignored:
    """Acknowledged, nothing to store (e.g. Vapi ``speech-update``)."""

    reason: str


@dataclass(frozen=True)
class LiveUpdate:
    """A call in progress, for the live part of the call panel."""

    platform: str
    call_id: str
    caller_id_number: str | None  # E.164 when the platform sent a usable caller id
    status: str  # "ringing" | "in-progress" | "ended"
    started_at: datetime | None  # aware UTC
    transcript: tuple[tuple[str, str], ...] = ()


Interpretation = Union[Ignored, LiveUpdate, CallCapture]


@runtime_checkable
class PlatformAdapter(Protocol):
    platform: str
    secret_key: str  # keyring key of its signing secret, e.g. "vapi.webhook_secret", "retell.api_key"

    def authenticate(self, delivery: Delivery, secret: str | None, now: datetime) -> None:
        """Raise ``DeliveryRefused`` (401 with the reason, 503 without a secret) unless authentic and fresh."""

    def dedupe_key(self, delivery: Delivery) -> str:
        """The platform's own ids (call id + event type); ``DeliveryRefused(400)`` if unreadable."""

    def interpret(self, delivery: Delivery, rules: LocationRules) -> Interpretation:
        """Map onto our vocabulary; ``MappingError(reason)`` sends it to quarantine."""

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        """Status, body and content type the platform expects once the delivery is stored."""


# --- helpers shared by the adapters -----------------------------------------------------------------------------


def require_secret(platform: str, secret: str | None, secret_key: str) -> str:
    if not secret:
        raise DeliveryRefused(
            503, f"the {platform} signing secret is not configured on this desk (keyring key {secret_key!r})"
        )
    return secret


def hmac_hex(secret: str, message: bytes, algorithm=hashlib.sha256) -> str:
    return hmac.new(secret.encode(), message, algorithm).hexdigest()


def same_mac(expected: str, offered: str) -> bool:
    """Constant-time comparison, case-insensitive for hex (some senders upper-case it)."""
    return hmac.compare_digest(expected.lower().encode(), offered.strip().lower().encode("utf-8", "replace"))


def check_window(platform: str, sent_at: float, now: datetime, window_seconds: int) -> None:
    """Refuse a delivery signed too long ago (a replay) or too far in the future (a wrong clock)."""
    skew = now.timestamp() - sent_at
    if not math.isfinite(skew) or abs(skew) > window_seconds:
        which = "old" if skew > 0 else "in the future"
        shown = f"{int(skew)} s {which}" if math.isfinite(skew) else "unreadable"
        raise DeliveryRefused(
            401, f"{platform} timestamp outside the replay window ({shown}, window {window_seconds} s)"
        )


def parse_unix(platform: str, text: str, *, milliseconds: bool = False) -> float:
    text = text.strip()
    if not text.isdigit() or len(text) > 16:
        raise DeliveryRefused(401, f"{platform} signature timestamp {text[:40]!r} is not a unix time")
    value = int(text)
    return value / 1000 if milliseconds else float(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Bounded nesting, and no lone surrogates (``"\\ud800"`` parses, but cannot be stored or hashed as UTF-8)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise ValueError(f"nested deeper than {limit} levels")
        if isinstance(node, dict):
            for key, item in node.items():
                if _SURROGATE.search(key):
                    raise ValueError("a name with an invalid unicode escape (a lone surrogate)")
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str) and _SURROGATE.search(node):
            raise ValueError("a text with an invalid unicode escape (a lone surrogate)")


def _bounded_int(text: str) -> int | float:
    if len(text.lstrip("-")) > 18:  # past int64: no id or count we read is this big
        raise ValueError(f"integer with {len(text)} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _no_constants(text: str):
    raise ValueError(f"{text} is not JSON")


def load_json(body: bytes, what: str = "body") -> Any:
    """Strict JSON for platform bodies: UTF-8, no NaN/Infinity, no integers past int64, bounded nesting.

    Raises ``ValueError`` with a sentence; callers turn it into ``DeliveryRefused`` or ``MappingError``.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"the {what} is not UTF-8 text") from None
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constants)
    except RecursionError:
        raise ValueError(f"the {what} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"the {what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:
        raise ValueError(f"the {what} has a value we cannot read: {exc}") from None
    try:
        _check_depth(value)
    except ValueError as exc:
        raise ValueError(f"the {what} is {exc}") from None
    return value


def json_object(delivery: Delivery) -> dict[str, Any]:
    """The body as a JSON object, or ``DeliveryRefused(400)`` (for ``dedupe_key``)."""
    try:
        value = load_json(delivery.body)
    except ValueError as exc:
        raise DeliveryRefused(400, f"{exc}") from None
    if not isinstance(value, dict):
        raise DeliveryRefused(400, "the body must be a JSON object")
    return value


def json_object_or_mapping_error(delivery: Delivery) -> dict[str, Any]:
    try:
        value = load_json(delivery.body)
    except ValueError as exc:
        raise MappingError(str(exc)) from None
    if not isinstance(value, dict):
        raise MappingError("the body is not a JSON object")
    return value


def json_answer(status: int, body: Any) -> tuple[int, bytes, str]:
    return status, json.dumps(body).encode(), "application/json"


INTERNAL = "could not map this delivery (internal error"


def guarded(interpret):
    """A last net under ``interpret``: an unexpected exception becomes a ``MappingError`` (quarantine, Replay after
    a fix) instead of a lost call. Tests hold the adapters to never reaching it (reasons start with ``INTERNAL``)."""
    @functools.wraps(interpret)
    def wrapper(self, delivery, rules):
        try:
            return interpret(self, delivery, rules)
        except (MappingError, DeliveryRefused):
            raise
        except RecursionError:
            raise MappingError("the body is nested too deeply to map") from None
        except Exception as exc:  # noqa: BLE001 - see docstring
            log.exception("%s adapter failed on a delivery", self.platform)
            raise MappingError(f"{INTERNAL}: {type(exc).__name__}: {str(exc)[:200]})") from None

    return wrapper


def facts_to_capture(facts: CallFacts, rules: LocationRules, now: datetime) -> CallCapture:
    """``build_capture`` with its refusal turned into the adapters' ``MappingError``."""
    try:
        return build_capture(facts, rules, now)
    except CaptureError as exc:
        raise MappingError(str(exc)) from None
