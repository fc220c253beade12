"""Each platform's signing, written from its docs (not from our adapters), to sign fixtures the way it does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl

from receptionist.ingest.platforms import Delivery

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "platforms"
RECEIVED = datetime(2026, 12, 1, 15, 6, tzinfo=timezone.utc)  # a few minutes after the fixtures' calls
SECRET = "whsec_test_4f2b9c"
TWILIO_URL = "https://desk.example.com/webhooks/twilio/status"


def fixture(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / name).read_bytes()


def fixture_json(platform: str, name: str) -> dict:
    return json.loads(fixture(platform, name))


def _hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def vapi_hmac(body: bytes, secret: str = SECRET, at: datetime = RECEIVED) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    return {"x-signature": _hex(secret, f"{stamp}.".encode() + body), "x-timestamp": stamp}


def retell(body: bytes, secret: str = SECRET, at: datetime = RECEIVED) -> dict[str, str]:
    ms = str(int(at.timestamp() * 1000))
    return {"x-retell-signature": f"v={ms},d={_hex(secret, body + ms.encode())}"}


def elevenlabs(body: bytes, secret: str = SECRET, at: datetime = RECEIVED) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    return {"elevenlabs-signature": f"t={stamp},v0={_hex(secret, f'{stamp}.'.encode() + body)}"}


def bland(body: bytes, secret: str = SECRET, at: datetime = RECEIVED) -> dict[str, str]:
    return {"x-webhook-signature": _hex(secret, body)}


def synthflow(body: bytes, secret: str = SECRET, at: datetime = RECEIVED) -> dict[str, str]:
    call_id = json.loads(body)["call"]["call_id"]
    return {"synthflow-signature": _hex(secret, call_id.encode())}


def twilio(body: bytes, secret: str = SECRET, at: datetime = RECEIVED, url: str = TWILIO_URL) -> dict[str, str]:
    # Twilio: the URL, then each parameter name and value in name order, HMAC-SHA1, base64.
    signed = url + "".join(f"{k}{v}" for k, v in sorted(parse_qsl(body.decode(), keep_blank_values=True)))
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha1).digest()
    return {"x-twilio-signature": base64.b64encode(mac).decode()}


def generic(body: bytes, secret: str = SECRET, at: datetime = RECEIVED) -> dict[str, str]:
    stamp = int(at.timestamp())
    return {"x-receptionist-timestamp": str(stamp),
            "x-receptionist-signature": "v1=" + _hex(secret, f"{stamp}.".encode() + body)}


SIGNERS = {"vapi": vapi_hmac, "retell": retell, "elevenlabs": elevenlabs, "bland": bland, "synthflow": synthflow,
           "twilio": twilio, "generic": generic}


def delivery(platform: str, body: bytes, headers: dict[str, str] | None = None, *, url: str | None = None,
             received_at: datetime = RECEIVED, secret: str = SECRET) -> Delivery:
    if headers is None:
        headers = SIGNERS[platform](body, secret)
    return Delivery(platform, body, {k.lower(): v for k, v in headers.items()},
                    url or (TWILIO_URL if platform == "twilio" else f"https://desk.example.com/webhooks/{platform}"),
                    received_at)
