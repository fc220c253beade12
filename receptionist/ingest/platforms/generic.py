"""Our own generic booking payload (schema v1/v2, ``receptionist.domain.payload``) behind the adapter contract.

Signed as ``ingest.signing`` describes (``X-Receptionist-Signature: v1=<hex>`` over ``{timestamp}.{body}``).
Its structure is checked at the door, as before: a payload whose envelope is wrong is refused with 400 and a
per-field list (the sender has a bug) and nothing is stored; what the AI captured wrongly is kept as issues.
"""

from __future__ import annotations

from receptionist.domain.payload import (
    CallCapture,
    CaptureError,
    LocationRules,
    PayloadError,
    normalise,
    parse_payload,
)
from receptionist.ingest.platforms.base import (
    Delivery,
    DeliveryRefused,
    MappingError,
    guarded,
    json_answer,
    load_json,
    require_secret,
)
from receptionist.ingest.signing import (
    SECRET_KEY,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify,
)


class GenericAdapter:
    platform = "generic"
    secret_key = SECRET_KEY

    def __init__(self, replay_window_seconds: int):
        self.replay_window_seconds = replay_window_seconds

    def authenticate(self, delivery: Delivery, secret: str | None, now) -> None:
        secret = require_secret(self.platform, secret, self.secret_key)
        try:
            verify(secret, delivery.body, delivery.header(TIMESTAMP_HEADER), delivery.header(SIGNATURE_HEADER),
                   now=now.timestamp(), window_seconds=self.replay_window_seconds)
        except SignatureError as exc:
            raise DeliveryRefused(401, str(exc)) from None

    def _parse(self, delivery: Delivery):
        try:
            load_json(delivery.body)  # the strict reader: depth, huge integers, NaN
        except ValueError as exc:
            raise PayloadError({"body": str(exc)}) from None
        return parse_payload(delivery.body)

    def dedupe_key(self, delivery: Delivery) -> str:
        try:
            payload = self._parse(delivery)
        except PayloadError as exc:
            raise DeliveryRefused(400, "the payload does not match the booking payload schema",
                                  fields=exc.errors) from None
        return f"generic:{payload.platform}:{payload.call_id}"

    @guarded
    def interpret(self, delivery: Delivery, rules: LocationRules) -> CallCapture:
        try:
            payload = self._parse(delivery)
        except PayloadError as exc:
            raise MappingError(f"the payload does not match the booking payload schema ({exc})") from None
        try:
            return normalise(payload, rules, delivery.received_at)
        except CaptureError as exc:
            raise MappingError(str(exc)) from None
        except OverflowError:
            raise MappingError("a date in the payload is too close to year 1 or 9999 to convert to UTC") from None

    def answer(self, delivery: Delivery) -> tuple[int, bytes, str]:
        try:
            call_id = parse_payload(delivery.body).call_id
        except PayloadError:
            call_id = None
        return json_answer(202, {"status": "accepted", "call_id": call_id})
