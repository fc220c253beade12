"""The webhook receiver: one route per platform, each delivery stored raw before it is answered.

``POST /webhooks/<platform>`` (``vapi``, ``retell``, ``elevenlabs``, ``twilio``, ``bland``, ``synthflow``,
``generic``) and, as before, ``POST /webhooks/v1/calls`` for our generic payload; ``POST /tools/<platform>``
(``vapi``, ``retell``) answers the AI agent's tool calls during a call (``receptionist.ingest.tools``); ``POST
/webhooks/twilio/sms`` takes a caller's text reply and ``/webhooks/twilio/sms-status`` our texts' status callbacks
(``ingest/sms_replies.py``). The door itself is
:class:`receptionist.ingest.intake.Intake`; this module is the HTTP around it. Answers:

* what the platform expects (the adapter's ``answer``; 202 ``accepted`` for generic) once the delivery is stored;
* the same success for a retry of a stored delivery (200 ``duplicate`` for generic); nothing changes;
* 401 — missing/bad signature, or a timestamp outside the replay window (the reason is in ``error``);
* 400 — unreadable (not JSON, nested too deep, integers past 64 bits...), with ``fields`` for generic;
* 404 — unknown platform; 413 — body too large;
* 503 — the desk could not store it (disk full, read-only, locked by another program for longer than
  ``ingest.store_wait_seconds``), the work queue is full, or no signing secret is set: the platform retries later.

An unexpected error is answered 503 too (never 500: a 5xx other than 503 would tell some platforms to give up or
disable the webhook). waitress runs it with a connection limit well above the number of idle or slow connections a
desk sees, so a few hundred held-open sockets do not stop valid deliveries.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from receptionist.config import IngestSettings
from receptionist.errors import UserError
from receptionist.ingest.intake import Answer, Intake, refused
from receptionist.ingest.platforms import Delivery
from receptionist.ingest.tools import TOOL_PATH, ToolAnswerer, ToolDoor
from receptionist.ingest.sms_replies import SMS_PATH, STATUS_PATH, SmsReplies
from receptionist.serving import ProductionServer

log = logging.getLogger(__name__)

CALLS_PATH = "/webhooks/v1/calls"
PLATFORM_PATH = "/webhooks/{platform}"


def _response(answer: Answer) -> Response:
    return Response(answer.body, status=answer.status, content_type=answer.content_type)


class WebhookReceiver:
    """The WSGI app and its server thread."""

    def __init__(self, settings: IngestSettings, intake: Intake | None, replies: SmsReplies | None = None):
        self.settings = settings
        self.intake = intake
        self.replies = replies
        self._urls = Map([Rule(CALLS_PATH, endpoint="generic", methods=["POST"]),
                          Rule(SMS_PATH, endpoint="sms", methods=["POST"]),
                          Rule(STATUS_PATH, endpoint="sms-status", methods=["POST"]),
                          Rule("/webhooks/<platform>", endpoint="platform", methods=["POST"]),
                          Rule("/tools/<platform>", endpoint="tools", methods=["POST"]),
                          Rule("/healthz", endpoint="health", methods=["GET"])])
        self._served: ProductionServer | None = None
        self._tools: ToolDoor | None = None

    def answer_tools_with(self, answerer: ToolAnswerer) -> None:
        """Serve the agent's tools (the desk's availability capability, built after the receiver)."""
        if self.intake is not None:
            self._tools = ToolDoor(self.intake, answerer)

    @property
    def rejections(self) -> dict[str, int]:
        return self.intake.rejections if self.intake is not None else {}

    @property
    def listening(self) -> bool:
        return self._served is not None

    @property
    def base_url(self) -> str:
        assert self._served is not None
        return self._served.url

    @property
    def url(self) -> str:
        """The generic v1 URL (what the simulator and our own senders post to)."""
        return self.base_url + CALLS_PATH

    def url_for(self, platform: str) -> str:
        return self.base_url + PLATFORM_PATH.format(platform=platform)

    def tools_url_for(self, platform: str) -> str:
        return self.base_url + TOOL_PATH.format(platform=platform)

    def start(self) -> "WebhookReceiver":
        s = self.settings
        try:
            self._served = ProductionServer(self, host=s.host, port=s.port, name="webhook", threads=s.threads,
                                            max_request_body_size=s.max_body_bytes,
                                            connection_limit=s.connection_limit,
                                            channel_timeout=s.channel_timeout_seconds).start()
        except OSError as exc:
            raise UserError(
                f"cannot listen for calls on {s.host}:{s.port} ({exc.strerror}); is another "
                "Receptionist Console running here? Set ingest.port in the profile to use another port."
            ) from None
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
            self._served = None

    def __call__(self, environ, start_response):
        adapter = self._urls.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
        except Exception as exc:  # werkzeug's HTTPException is a WSGI app itself
            return exc(environ, start_response)  # type: ignore[operator]
        if endpoint == "health":
            response = Response(json.dumps({"status": "ok"}), content_type="application/json")
        elif endpoint in ("sms", "sms-status"):
            response = self._reply(Request(environ), status=endpoint == "sms-status")
        else:
            request = Request(environ)
            platform = "generic" if endpoint == "generic" else values["platform"]
            try:
                response = _response(self._tool_call(request, platform) if endpoint == "tools"
                                     else self._deliver(request, platform))
            except Exception:  # a bug: 503 so the platform retries, never a 500
                log.exception("webhook for %s failed", platform)
                response = _response(refused(503, "internal error while taking the delivery; retry later"))
        return response(environ, start_response)

    def _reply(self, request: Request, status: bool) -> Response:
        if self.replies is None:
            return Response(b"texts are not taken here (Twilio is off)", status=404)
        try:
            raw = request.get_data(cache=True)  # kept for the inbox; the form is parsed from the same bytes
            take = self.replies.take_status if status else self.replies.take
            status, body = take(self._public_url(request), request.form.to_dict(),
                                request.headers.get("X-Twilio-Signature", ""), raw)
        except Exception:  # a bug or the database: 503 so Twilio retries
            log.exception("inbound SMS failed")
            status, body = 503, b"retry later"
        return Response(body, status=status, content_type="text/xml" if status == 200 else "text/plain")

    def _public_url(self, request: Request) -> str:
        base = self.settings.public_base_url.rstrip("/")
        if not base:
            return request.url
        query = request.query_string.decode("latin-1")
        return base + request.path + (f"?{query}" if query else "")

    def _tool_call(self, request: Request, platform: str) -> Answer:
        if self._tools is None:
            return refused(404, "this desk answers no tool calls")
        delivery = self._read(request, platform)
        return delivery if isinstance(delivery, Answer) else self._tools.handle(delivery)

    def _deliver(self, request: Request, platform: str) -> Answer:
        delivery = self._read(request, platform)
        return delivery if isinstance(delivery, Answer) else self.intake.receive(delivery)

    def _read(self, request: Request, platform: str) -> Delivery | Answer:
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            return self.intake.refuse(413, f"body larger than {limit} bytes", source=platform)
        body = request.get_data(cache=False)
        if len(body) > limit:
            return self.intake.refuse(413, f"body larger than {limit} bytes", source=platform)
        return Delivery(platform=platform, body=body, headers={k.lower(): v for k, v in request.headers.items()},
                        url=self._public_url(request), received_at=datetime.now(timezone.utc))


__all__ = ["CALLS_PATH", "WebhookReceiver"]
