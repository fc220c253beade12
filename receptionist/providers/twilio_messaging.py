"""Outbound SMS through Twilio Programmable Messaging, and the owner's callback call through Programmable Voice,
with the real ``twilio`` client library.

``TwilioMessenger`` implements ``receptionist.domain.ports.Messenger`` and ``Dialer``.  The API root comes from the profile
(``twilio.api_base``): the real ``https://api.twilio.com`` or the loopback sandbox (``receptionist_sandbox.twilio``).
Every failure leaves as a ``receptionist.errors`` type:

==========================================  =====================================================
Twilio answer                               raised
==========================================  =====================================================
429                                         ``RateLimited`` (``retry_after`` from ``Retry-After``)
5xx, timeout, connection refused/dropped    ``TransientError``
401                                         ``AuthError`` (wrong Account SID / Auth Token)
404                                         ``NotFound``
other 4xx (21211 invalid To, 21602, ...)    ``ProviderError`` with Twilio's message
==========================================  =====================================================

Each raised error also carries ``code`` (Twilio's error code, e.g. 21211, or None) and ``more_info``.

A message whose answer was lost (timeout or dropped connection after Twilio stored it) raises
``TransientError``; Twilio's Messages API has no idempotency key, so retrying may send the text twice.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from receptionist.config import TwilioSettings
from receptionist.providers.http import connection_error, office_session, retry_after_seconds
from receptionist.domain.ports import PlacedCall, SecretStore, SentMessage
from receptionist.errors import (
    AuthError,
    NotFound,
    ProviderError,
    RateLimited,
    TransientError,
    UserError,
)

log = logging.getLogger(__name__)
# the client logs every request's method, URL, headers and body at INFO (ten lines per SMS, the caller's number and
# text among them): warnings only in our log
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

SECRET_KEY = "twilio.auth_token"  # key of the Auth Token in the SecretStore
DEFAULT_TIMEOUT = 15.0


class _RecordingHttpClient(TwilioHttpClient):
    """``TwilioHttpClient`` that remembers the last response per thread.

    ``TwilioRestException`` keeps only status, code and message; ``Retry-After`` (and the raw error body) are
    read from the response recorded here.
    """

    def __init__(self, *, timeout: float, ca_bundle: str = ""):
        super().__init__(timeout=timeout)
        self._local = threading.local()
        # System proxies (never for loopback), the OS trust store or the profile's CA bundle: providers.http.
        self.session = office_session(ca_bundle=ca_bundle)

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False) -> TwilioResponse:
        self._local.last = None
        response = super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=allow_redirects)
        self._local.last = response
        return response

    @property
    def last_response(self) -> TwilioResponse | None:
        return getattr(self._local, "last", None)


class TwilioMessenger:
    """Send SMS from ``settings.from_number`` (or a Messaging Service, if it is an ``MG…`` SID).

    Args:
        settings: the profile's ``[twilio]`` section (``api_base``, ``account_sid``, ``from_number``).
        auth_token: the account's Auth Token (from the keyring; see ``twilio_messenger``).
        timeout: per-request timeout in seconds (connect and read).
        status_callback: URL Twilio should POST delivery status changes to, if any.
    """

    def __init__(self, settings: TwilioSettings, auth_token: str, *, timeout: float = DEFAULT_TIMEOUT,
                 status_callback: str | None = None):
        if not settings.account_sid:
            raise UserError("Twilio is not set up: twilio.account_sid is empty in the profile.")
        if not settings.from_number:
            raise UserError("Twilio is not set up: twilio.from_number is empty in the profile.")
        if not auth_token:
            raise UserError("Twilio is not set up: the Twilio auth token is missing from the keyring.")
        self.settings = settings
        self.status_callback = status_callback
        base = settings.api_base.rstrip("/")
        self._http = _RecordingHttpClient(timeout=timeout, ca_bundle=settings.ca_bundle)
        self._client = Client(settings.account_sid, auth_token, http_client=self._http)
        # region/edge (also read from TWILIO_REGION / TWILIO_EDGE) would rewrite the host name; the profile's
        # api_base is the only place the endpoint is configured.
        self._client.region = None
        self._client.edge = None
        self._client.api.base_url = base

    def close(self) -> None:
        """Close the kept-alive connections (at the desk's stop)."""
        self._http.session.close()

    def send_sms(self, to: str, body: str) -> SentMessage:
        sender = self.settings.from_number
        kwargs = {"to": to, "body": body}
        if sender.startswith("MG"):
            kwargs["messaging_service_sid"] = sender
        else:
            kwargs["from_"] = sender
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        message = self._call(lambda: self._client.messages.create(**kwargs))
        log.info("SMS %s to %s: %s", message.sid, _mask(to), message.status)
        return SentMessage(sid=message.sid, status=str(message.status), to=message.to, body=message.body)

    def connect_call(self, owner: str, caller: str) -> PlacedCall:
        """One ``calls.create``: Twilio rings ``owner`` from the business number; when the owner answers, the
        inline TwiML dials ``caller`` with the business number as caller id (the caller sees the business)."""
        business = self.settings.from_number
        if business.startswith("MG"):
            raise UserError("a callback call needs twilio.from_number to be the business's phone number, not a "
                            "Messaging Service")
        twiml = f'<Response><Dial callerId={quoteattr(business)}>{escape(caller)}</Dial></Response>'
        call = self._call(lambda: self._client.calls.create(to=owner, from_=business, twiml=twiml))
        log.info("callback call %s: %s then %s", call.sid, _mask(owner), _mask(caller))
        return PlacedCall(sid=call.sid, status=str(call.status), to=call.to)

    def find_sent(self, to: str, body: str, since: datetime) -> SentMessage | None:
        """The message to ``to`` with ``body`` created since ``since``, if Twilio has one: was a send whose answer
        we never got (a crash, a dropped connection) delivered after all? Twilio has no idempotency key."""
        kwargs = {"to": to, "limit": 50}
        if not self.settings.from_number.startswith("MG"):
            kwargs["from_"] = self.settings.from_number
        for message in self._call(lambda: self._client.messages.list(**kwargs)):
            created = message.date_created
            if message.body == body and (created is None or created >= since - timedelta(minutes=5)):
                return SentMessage(sid=message.sid, status=str(message.status), to=message.to, body=message.body)
        return None

    def _call(self, operation):
        try:
            return operation()
        except TwilioRestException as exc:
            raise self._translate(exc.status, exc.code, _twilio_message(exc.msg), exc) from exc
        except TwilioServiceException as exc:
            message = exc.title + (f" - {exc.detail}" if exc.detail else "")
            raise self._translate(exc.status, exc.code, message, exc) from exc
        except requests.Timeout as exc:
            log.info("Twilio: no answer in time: %r", exc)
            raise _with_code(TransientError("Twilio did not answer in time"), None) from exc
        except requests.RequestException as exc:
            raise _with_code(connection_error("Twilio", exc, log), None) from exc
        except TwilioException as exc:
            raise _with_code(ProviderError(f"Twilio request failed: {exc}"), None) from exc

    def _translate(self, status: int, code, message: str, exc: Exception) -> ProviderError:
        response = self._http.last_response
        retry_after = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        more_info = None
        if response is not None:
            try:
                more_info = json.loads(response.text).get("more_info")
            except (ValueError, AttributeError):
                pass
        if isinstance(code, int) and code == status:
            code = None  # the library puts the HTTP status in ``code`` when the body had none
        label = f"Twilio error {code}: {message}" if code else f"Twilio HTTP {status}: {message}"
        if status == 429:
            err: ProviderError = RateLimited(label, status=status, retry_after=retry_after)
        elif status >= 500:
            err = TransientError(label, status=status, retry_after=retry_after)
        elif status == 401:
            err = AuthError(f"Twilio refused the Account SID / Auth Token ({label})", status=status)
        elif status == 404:
            err = NotFound(label, status=status)
        else:
            err = ProviderError(label, status=status, retry_after=retry_after)
        err.more_info = more_info  # type: ignore[attr-defined]
        return _with_code(err, code)


def twilio_messenger(settings: TwilioSettings, secrets: SecretStore, **kwargs) -> TwilioMessenger:
    """Build the messenger with the Auth Token from the keyring (``UserError`` if it is not there)."""
    token = secrets.get(SECRET_KEY)
    if not token:
        raise UserError(
            f"The Twilio auth token is not stored in the keyring (key {SECRET_KEY!r}); connect Twilio again."
        )
    return TwilioMessenger(settings, token, **kwargs)


def _with_code(err: ProviderError, code) -> ProviderError:
    err.code = code  # type: ignore[attr-defined]
    if not hasattr(err, "more_info"):
        err.more_info = None  # type: ignore[attr-defined]
    return err


def _twilio_message(msg: str) -> str:
    # The library prefixes the server's message with "Unable to create record: " / "Unable to fetch record: ".
    for prefix in ("Unable to create record: ", "Unable to fetch record: ", "Unable to update record: "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def _mask(number: str) -> str:
    """Phone number for logs: last four digits only."""
    digits = [c for c in number if c.isdigit()]
    return "…" + "".join(digits[-4:]) if digits else "?"
