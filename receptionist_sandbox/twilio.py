"""Twilio Programmable Messaging stand-in (the slice of the 2010-04-01 REST API the console uses).

A plain WSGI app (``werkzeug.routing.Map``, no Flask) served on loopback by ``ServedApp``; the real ``twilio``
client library talks to it once ``client.api.base_url`` points here.  What it implements, shaped like Twilio:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form body ``To``, ``From`` or
  ``MessagingServiceSid``, ``Body``, ``StatusCallback``) -> 201 and the full Message resource, status ``queued``
  (``accepted`` when sent through a Messaging Service without ``From``).
* ``GET .../Messages/{MessageSid}.json`` -> the resource, or 404 code 20404.
* ``GET .../Messages.json`` with ``To`` / ``From`` filters and ``PageSize`` / ``Page`` / ``PageToken`` paging,
  newest first, ``next_page_uri`` / ``previous_page_uri`` like Twilio.
* HTTP Basic auth with the Account SID and Auth Token (401 code 20003 otherwise), Twilio's error JSON
  ``{code, message, more_info, status}``, validation errors 21211 / 21602 / 21603 / 21604 / 21606 / 21617.
* Delivery: unless ``delivery_delay`` is None a background thread moves each message queued -> sent ->
  delivered (``undelivered`` with error 30003 for numbers in ``undeliverable``; ``failed`` with error 30008, never
  sent, for numbers in ``failing``) and, when the message had a ``StatusCallback``, POSTs the form-encoded status
  callback (``MessageSid``, ``MessageStatus``, ``ErrorCode``...) signed with ``X-Twilio-Signature`` exactly as
  ``twilio.request_validator.RequestValidator`` checks it. No callback is sent for the initial status, as Twilio
  does. Twilio does not promise their order: with ``out_of_order`` the final status is posted before ``sent`` (the
  resource itself never goes back).
* Programmable Voice, as Twilio documents ``POST .../Calls.json`` (form body ``To``, ``From``, and one of ``Url``,
  ``Twiml`` or ``ApplicationSid``; errors 21201 no To, 21211 invalid To, 21213 no From, 21210 From not a number
  of the account, 21205 no Url/Twiml) -> 201 and the Call resource, status ``queued``; ``GET .../Calls/{Sid}.json``
  and ``GET .../Calls.json`` (``To``/``From``/``ParentCallSid``/``Status`` filters, newest first).
  ``answer_call(sid)`` is the person who picks up: the call goes ``in-progress`` and its TwiML runs; a ``<Dial>``
  (a bare number or ``<Number>``) makes a child leg (``direction`` ``outbound-dial``, ``parent_call_sid``,
  ``from`` the ``callerId``), ringing. ``legs`` lists every Call resource, oldest first.
* Inbound SMS: ``send_reply(from_, body)`` is a caller texting the business number: it POSTs the form Twilio
  posts to the number's SMS URL (``sms_url``: ``MessageSid``, ``SmsSid``, ``AccountSid``, ``From``, ``To``,
  ``Body``, ``NumMedia``, ``NumSegments``, ``SmsStatus`` ``received``, ``ApiVersion``), signed with
  ``X-Twilio-Signature``. Like Twilio's default opt-out handling, after STOP (STOPALL, UNSUBSCRIBE, CANCEL, END,
  QUIT) a message to that number is refused with error 21610 until START (UNSTOP, YES).
* ``/_sandbox/faults`` (see ``faults.py``, consulted before anything else) and ``GET /_sandbox/messages``
  (everything sent, oldest first, for a person at the demo or a test in another process).

Usage::

    sandbox = TwilioSandbox().start()
    client = twilio.rest.Client(sandbox.account_sid, sandbox.auth_token)
    client.api.base_url = sandbox.url
    client.messages.create(to="+13125550142", from_="+13125550100", body="See you Tuesday")
    assert sandbox.messages[0]["to"] == "+13125550142"
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Iterable
from urllib.parse import urlencode

import requests
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from receptionist_sandbox.faults import Fault, FaultInjector, apply_delay
from receptionist.serving import ServedApp

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
MAX_BODY_CHARS = 1600
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# GSM 03.38 basic character set plus the extension table (extension characters take two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")

_STATUS_TEXT = {
    400: "Bad Request",
    401: "Authenticate",
    403: "Forbidden",
    404: "The requested resource was not found",
    405: "Method not allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_STATUS_CODE = {401: 20003, 403: 20003, 404: 20404, 405: 20004, 429: 20429, 500: 20500, 503: 20503}


#: how far a message got, so a late step (``out_of_order``) does not take the resource back
STEP_RANK = {"accepted": 0, "queued": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2}
#: the error a message ends with, by its final status: (ErrorCode, message)
ERRORS = {"undelivered": (30003, "Unreachable destination handset"), "failed": (30008, "Unknown error")}


def new_sid(prefix: str) -> str:
    """A Twilio-style SID: two-letter prefix and 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime) -> str:
    """Twilio's date format: ``Thu, 24 Aug 2023 05:01:45 +0000``."""
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0))


def num_segments(body: str) -> int:
    """SMS segments for ``body``: GSM-7 160/153 septets per segment, otherwise UCS-2 70/67 code units."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in body):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return math.ceil(units / multi)


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """``X-Twilio-Signature``: base64 HMAC-SHA1 over the URL followed by each sorted ``name + value``."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    mac = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def twilio_error(status: int, code: int | None = None, message: str | None = None,
                 headers: dict[str, str] | None = None) -> Response:
    """A response in Twilio's error shape ``{code, message, more_info, status}``."""
    code = code if code is not None else _STATUS_CODE.get(status, status)
    body = {
        "code": code,
        "message": message or _STATUS_TEXT.get(status, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers or {})


@dataclass
class _Stored:
    resource: dict
    status_callback: str | None
    created: float
    seq: int


@dataclass
class CallbackRecord:
    """One status callback the sandbox POSTed (``response_status`` None when the POST itself failed)."""

    url: str
    params: dict[str, str]
    signature: str
    response_status: int | None
    error: str | None = None


@dataclass(order=True)
class _Transition:
    due: float
    seq: int
    sid: str = field(compare=False)
    status: str = field(compare=False)


class TwilioSandbox:
    """Twilio Messages API stand-in on a loopback port.

    Args:
        account_sid: ``"AC"`` + 32 hex digits; a random one if omitted.
        auth_token: the Auth Token for Basic auth and callback signatures; random if omitted.
        numbers: if given, the only ``From`` numbers the account owns (others get error 21606).
        delivery_delay: seconds between status steps (queued -> sent -> delivered); None leaves messages queued.
        undeliverable: recipient numbers whose messages end ``undelivered`` with error 30003.
        failing: recipient numbers whose messages end ``failed`` with error 30008 (never sent).
        out_of_order: post each message's final status callback before its ``sent`` one.
    """

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, numbers: Iterable[str] | None = None, delivery_delay: float | None = 0.05,
                 undeliverable: Iterable[str] = (), failing: Iterable[str] = (), out_of_order: bool = False):
        self.account_sid = account_sid or new_sid("AC")
        if not re.fullmatch(r"AC[0-9a-f]{32}", self.account_sid):
            raise ValueError("account_sid must be 'AC' followed by 32 lowercase hex digits")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.numbers = set(numbers) if numbers is not None else None
        self.delivery_delay = delivery_delay
        self.undeliverable = set(undeliverable)
        self.failing = set(failing)
        self.out_of_order = out_of_order
        self.faults = FaultInjector()
        self.callbacks: list[CallbackRecord] = []
        self.sms_url: str | None = None  # where a caller's texts to the business number are posted
        self.business_number: str | None = None
        self.unsubscribed: set[str] = set()
        self._store: dict[str, _Stored] = {}
        self._calls: dict[str, dict] = {}  # Call resources by sid, in creation order
        self._twiml: dict[str, str] = {}
        self._lock = threading.RLock()
        self._seq = itertools.count()
        self._pending: list[_Transition] = []
        self._wake = threading.Condition(self._lock)
        self._stopping = False
        self._worker: threading.Thread | None = None
        self._served = ServedApp(self, host=host, port=port, name="twilio-sandbox")
        base = f"/{API_VERSION}/Accounts/<account_sid>"
        self._routes = Map(
            [
                Rule(f"{base}/Messages.json", endpoint="messages", methods=["GET", "POST"]),
                Rule(f"{base}/Messages/<message_sid>.json", endpoint="message", methods=["GET"]),
                Rule(f"{base}/Calls.json", endpoint="calls", methods=["GET", "POST"]),
                Rule(f"{base}/Calls/<call_sid>.json", endpoint="call", methods=["GET"]),
                Rule("/_sandbox/messages", endpoint="dump", methods=["GET"]),
            ],
            strict_slashes=False,
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return self._served.url

    def start(self) -> "TwilioSandbox":
        self._stopping = False
        self._served.start()
        if self.delivery_delay is not None:
            self._worker = threading.Thread(target=self._deliver_loop, name="twilio-sandbox-delivery", daemon=True)
            self._worker.start()
        return self

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=5)
            self._worker = None
        self._served.stop()

    def __enter__(self) -> "TwilioSandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ assertions

    @property
    def messages(self) -> list[dict]:
        """Copies of every Message resource, oldest first."""
        with self._lock:
            return [json.loads(json.dumps(s.resource)) for s in sorted(self._store.values(), key=lambda s: s.seq)]

    def message(self, sid: str) -> dict | None:
        with self._lock:
            stored = self._store.get(sid)
            return json.loads(json.dumps(stored.resource)) if stored else None

    def wait_for_status(self, sid: str, status: str, timeout: float = 5.0) -> dict:
        """Block until message ``sid`` reaches ``status`` (for tests of the delivery thread)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while True:
                stored = self._store.get(sid)
                if stored and stored.resource["status"] == status:
                    return json.loads(json.dumps(stored.resource))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"message {sid} did not reach {status!r}")
                self._wake.wait(remaining)

    @property
    def legs(self) -> list[dict]:
        """Copies of every Call resource (the calls placed and the legs their TwiML dialled), oldest first."""
        with self._lock:
            return [json.loads(json.dumps(c)) for c in self._calls.values()]

    def call(self, sid: str) -> dict | None:
        with self._lock:
            found = self._calls.get(sid)
            return json.loads(json.dumps(found)) if found else None

    def answer_call(self, sid: str) -> list[dict]:
        """The person at ``To`` picks up: the call is ``in-progress`` and its TwiML runs. Returns the legs its
        ``<Dial>`` started (ringing), as Call resources."""
        import xml.etree.ElementTree as ET

        with self._lock:
            call = self._calls[sid]
            now = rfc2822(datetime.now(timezone.utc))
            call.update(status="in-progress", start_time=now, date_updated=now)
            root = ET.fromstring(self._twiml.get(sid) or "<Response/>")
            legs = []
            for dial in root.iter("Dial"):
                numbers = [n.text.strip() for n in dial.iter("Number") if n.text] or \
                          ([dial.text.strip()] if dial.text and dial.text.strip() else [])
                for number in numbers:
                    leg = self._call_resource(number, dial.get("callerId") or call["from"], "outbound-dial",
                                              parent=sid)
                    leg["status"] = "ringing"
                    legs.append(json.loads(json.dumps(leg)))
            return legs

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._twiml.clear()
            self._store.clear()
            self._pending.clear()
            self.callbacks.clear()

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        control = self.faults.handle_control(request)
        if control is not None:
            return control
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            apply_delay(fault)
            if fault.drop_after_store:
                self._route(request)
                return Response(b"", status=503)
            return self._fault_response(fault)
        return self._route(request)

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(max(0, math.ceil(fault.retry_after)))
        if fault.body is not None:
            return Response(json.dumps(fault.body), status=fault.status, content_type="application/json",
                            headers=headers)
        return twilio_error(fault.status, headers=headers)

    def _route(self, request: Request) -> Response:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return twilio_error(405, message=f"Method {request.method} not allowed on {request.path}")
        except NotFound:
            return twilio_error(404, message=f"The requested resource {request.path} was not found")
        except HTTPException as exc:  # e.g. a redirect Werkzeug would like to issue
            return twilio_error(exc.code or 400, message=exc.description)
        if endpoint == "dump":
            return _json(self.messages)
        if not self._authorised(request):
            return twilio_error(401, 20003, "Authenticate", headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if args["account_sid"] != self.account_sid:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        if endpoint == "message":
            return self._fetch(request, args["message_sid"])
        if endpoint == "call":
            resource = self.call(args["call_sid"])
            if resource is None:
                return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
            return _json(resource)
        if endpoint == "calls":
            return self._create_call(request) if request.method == "POST" else self._list_calls(request)
        if request.method == "POST":
            return self._create(request)
        return self._list(request)

    def _authorised(self, request: Request) -> bool:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        return hmac.compare_digest(auth.username or "", self.account_sid) and hmac.compare_digest(
            auth.password or "", self.auth_token
        )

    # ------------------------------------------------------------------ endpoints

    def _create(self, request: Request) -> Response:
        form = request.form
        to = (form.get("To") or "").strip()
        from_ = (form.get("From") or "").strip()
        service = (form.get("MessagingServiceSid") or "").strip()
        body = form.get("Body")
        callback = (form.get("StatusCallback") or "").strip() or None
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if from_ and (not E164.match(from_) or (self.numbers is not None and from_ not in self.numbers)):
            return twilio_error(
                400, 21606,
                f"The From phone number {from_} is not a valid, SMS-capable inbound phone number or short code "
                "for your account.",
            )
        if service and not re.fullmatch(r"MG[0-9a-f]{32}", service):
            return twilio_error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
        if body is None or body == "":
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            return twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to == from_:
            return twilio_error(400, 21266, "'To' and 'From' numbers cannot be the same.")
        if to in self.unsubscribed:
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")

        sid = new_sid("SM")
        now = datetime.now(timezone.utc)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": rfc2822(now),
            "date_sent": None,
            "date_updated": rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_ or None,
            "messaging_service_sid": service or None,
            "num_media": "0",
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not from_ else "queued",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json",
                "feedback": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Feedback.json",
            },
            "to": to,
            "uri": uri,
        }
        with self._wake:
            seq = next(self._seq)
            self._store[sid] = _Stored(resource, callback, time.monotonic(), seq)
            if self.delivery_delay is not None and to in self.failing:
                self._schedule(sid, "failed", 1)
            elif self.delivery_delay is not None:
                final = "undelivered" if to in self.undeliverable else "delivered"
                sent_step, final_step = (2, 1) if self.out_of_order else (1, 2)
                self._schedule(sid, "sent", sent_step)
                self._schedule(sid, final, final_step)
            self._wake.notify_all()
        return _json(resource, 201)

    def _call_resource(self, to: str, from_: str, direction: str, parent: str | None = None) -> dict:
        sid = new_sid("CA")
        now = rfc2822(datetime.now(timezone.utc))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}.json"
        resource = {
            "account_sid": self.account_sid, "annotation": None, "answered_by": None, "api_version": API_VERSION,
            "caller_name": None, "date_created": now, "date_updated": now, "direction": direction,
            "duration": None, "end_time": None, "forwarded_from": None, "from": from_, "from_formatted": from_,
            "group_sid": None, "parent_call_sid": parent, "phone_number_sid": None, "price": None,
            "price_unit": "USD", "queue_time": "0", "sid": sid, "start_time": None, "status": "queued",
            "subresource_uris": {"notifications": uri.replace(".json", "/Notifications.json"),
                                 "recordings": uri.replace(".json", "/Recordings.json")},
            "to": to, "to_formatted": to, "trunk_sid": None, "uri": uri,
        }
        self._calls[sid] = resource
        return resource

    def _create_call(self, request: Request) -> Response:
        form = request.form
        to = (form.get("To") or "").strip()
        from_ = (form.get("From") or "").strip()
        twiml, url = form.get("Twiml"), (form.get("Url") or "").strip()
        if not to:
            return twilio_error(400, 21201, "No 'To' number is specified")
        if not E164.match(to):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_:
            return twilio_error(400, 21213, "No 'From' number is specified")
        if not E164.match(from_) or (self.numbers is not None and from_ not in self.numbers):
            return twilio_error(400, 21210, f"The source phone number provided, {from_}, is not yet verified for "
                                            "your account. You may only make calls from phone numbers that you've "
                                            "verified or purchased from Twilio.")
        if not twiml and not url and not form.get("ApplicationSid"):
            return twilio_error(400, 21205, "Url parameter is required. Please provide a Url, Twiml or "
                                            "ApplicationSid.")
        if twiml:
            import xml.etree.ElementTree as ET

            try:
                ET.fromstring(twiml)
            except ET.ParseError as exc:
                return twilio_error(400, 12100, f"Document parse failure: {exc}")
        with self._lock:
            resource = self._call_resource(to, from_, "outbound-api")
            self._twiml[resource["sid"]] = twiml or ""
            return _json(json.loads(json.dumps(resource)), 201)

    def _list_calls(self, request: Request) -> Response:
        args = request.args
        filters = {"to": args.get("To"), "from": args.get("From"), "parent_call_sid": args.get("ParentCallSid"),
                   "status": args.get("Status")}
        with self._lock:
            rows = [c for c in reversed(list(self._calls.values()))
                    if all(c[k] == v for k, v in filters.items() if v)]
            page_size = int(args.get("PageSize", DEFAULT_PAGE_SIZE))
            chunk = json.loads(json.dumps(rows[:page_size]))
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls.json"
        return _json({"calls": chunk, "end": max(0, len(chunk) - 1), "first_page_uri": base, "next_page_uri": None,
                      "page": 0, "page_size": page_size, "previous_page_uri": None, "start": 0, "uri": base})

    def _fetch(self, request: Request, sid: str) -> Response:
        resource = self.message(sid)
        if resource is None:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        return _json(resource)

    def _list(self, request: Request) -> Response:
        args = request.args
        try:
            page_size = int(args.get("PageSize", DEFAULT_PAGE_SIZE))
            page = int(args.get("Page", 0))
        except ValueError:
            return twilio_error(400, 20001, "Invalid paging parameters")
        if not 1 <= page_size <= MAX_PAGE_SIZE or page < 0:
            return twilio_error(400, 20001, f"PageSize must be between 1 and {MAX_PAGE_SIZE}")
        filters = {key: args[key] for key in ("To", "From") if args.get(key)}
        with self._lock:
            rows = sorted(self._store.values(), key=lambda s: s.seq, reverse=True)  # newest first, like Twilio
            rows = [
                s.resource for s in rows
                if all(s.resource["to" if key == "To" else "from"] == value for key, value in filters.items())
            ]
            token = args.get("PageToken")
            if token and token.startswith("PA"):
                after = token[2:]
                index = next((i for i, r in enumerate(rows) if r["sid"] == after), None)
                start = index + 1 if index is not None else page * page_size
            else:
                start = page * page_size
            chunk = [json.loads(json.dumps(r)) for r in rows[start:start + page_size]]
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

        def link(page_no: int, page_token: str | None = None) -> str:
            query = {**filters, "PageSize": page_size, "Page": page_no}
            if page_token:
                query["PageToken"] = page_token
            return f"{base}?{urlencode(query)}"

        has_next = start + page_size < len(rows) and bool(chunk)
        # The keys must be exactly Twilio's: the client library finds the records as the one non-meta key.
        payload = {
            "end": start + len(chunk) - 1 if chunk else start,
            "first_page_uri": link(0),
            "messages": chunk,
            "next_page_uri": link(page + 1, "PA" + chunk[-1]["sid"]) if has_next else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": link(page - 1, "PB" + chunk[0]["sid"]) if page > 0 and chunk else None,
            "start": start,
            "uri": link(page, token),
        }
        return _json(payload)

    # ------------------------------------------------------------------ delivery + status callbacks

    def send_reply(self, from_: str, body: str, to: str | None = None) -> CallbackRecord:
        """A caller texts the business number: Twilio's inbound webhook, signed, to ``sms_url``."""
        if self.sms_url is None:
            raise RuntimeError("set sms_url (the number's SMS webhook) first")
        word = re.sub(r"[^A-Z]", "", body.strip().upper())
        if word in {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}:
            self.unsubscribed.add(from_)
        elif word in {"START", "UNSTOP", "YES"}:
            self.unsubscribed.discard(from_)
        sid = new_sid("SM")
        params = {"ToCountry": "US", "ToState": "IL", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "CHICAGO",
                  "FromZip": "", "SmsSid": sid, "FromState": "IL", "SmsStatus": "received", "FromCity": "CHICAGO",
                  "Body": body, "FromCountry": "US", "To": to or self.business_number or "", "ToZip": "",
                  "NumSegments": str(num_segments(body)), "MessageSid": sid, "AccountSid": self.account_sid,
                  "From": from_, "ApiVersion": API_VERSION}
        self._post_callback(self.sms_url, params)
        with self._lock:
            return self.callbacks[-1]

    def _schedule(self, sid: str, status: str, steps: int) -> None:
        due = time.monotonic() + steps * (self.delivery_delay or 0.0)
        heapq.heappush(self._pending, _Transition(due, next(self._seq), sid, status))

    def _deliver_loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._pending or self._pending[0].due > time.monotonic()):
                    timeout = self._pending[0].due - time.monotonic() if self._pending else None
                    self._wake.wait(timeout)
                if self._stopping:
                    return
                step = heapq.heappop(self._pending)
                stored = self._store.get(step.sid)
                if stored is None:
                    continue
                resource = stored.resource
                now = datetime.now(timezone.utc)
                resource["date_updated"] = rfc2822(now)
                if step.status == "sent":
                    resource["date_sent"] = rfc2822(now)
                    resource["price"] = f"-{0.0079 * int(resource['num_segments']):.5f}"
                if step.status in ERRORS:
                    resource["error_code"], resource["error_message"] = ERRORS[step.status]
                if STEP_RANK[step.status] > STEP_RANK[resource["status"]]:  # a late step never takes it back
                    resource["status"] = step.status
                callback = stored.status_callback
                params = {**self._callback_params(resource), "MessageStatus": step.status, "SmsStatus": step.status}
                if step.status not in ERRORS:
                    params.pop("ErrorCode", None)
                self._wake.notify_all()
            if callback:
                self._post_callback(callback, params)

    def _callback_params(self, resource: dict) -> dict[str, str]:
        params = {
            "AccountSid": resource["account_sid"],
            "ApiVersion": API_VERSION,
            "From": resource["from"] or "",
            "MessageSid": resource["sid"],
            "MessageStatus": resource["status"],
            "SmsSid": resource["sid"],
            "SmsStatus": resource["status"],
            "To": resource["to"],
        }
        if resource["messaging_service_sid"]:
            params["MessagingServiceSid"] = resource["messaging_service_sid"]
        if resource["error_code"]:
            params["ErrorCode"] = str(resource["error_code"])
        return params

    def _post_callback(self, url: str, params: dict[str, str]) -> None:
        signature = twilio_signature(self.auth_token, url, params)
        record = CallbackRecord(url, params, signature, None)
        try:
            with requests.Session() as session:
                session.trust_env = False
                answer = session.post(url, data=params, timeout=5, headers={
                    "X-Twilio-Signature": signature,
                    "User-Agent": "TwilioProxy/1.1",
                    "I-Twilio-Idempotency-Token": secrets.token_hex(16),
                })
            record.response_status = answer.status_code
        except requests.RequestException as exc:
            record.error = str(exc)
            log.info("status callback to %s failed: %s", url, exc)
        with self._lock:
            self.callbacks.append(record)


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")
