"""The webhook receiver: verify, parse, dedupe at the door, answer at once; store on a worker thread.

``POST /webhooks/v1/calls`` takes a signed booking payload v1 (see ``ingest.signing``).  Answers:

* 202 ``accepted`` — queued; the call appears in the panel when the worker has stored it (milliseconds later);
* 200 ``duplicate`` — this call id was already received (stored or queued); nothing changes;
* 401 — missing/bad signature or a timestamp outside the replay window (the reason is in ``error``);
* 400 — not JSON, or a payload whose structure is wrong (``fields`` names each bad field);
* 413 — body too large.

Nothing is written to the database before the request is authenticated and well-formed, so a bad request can
never touch what is stored.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from receptionist import events
from receptionist.config import IngestSettings
from receptionist.domain.availability import conflict_issues
from receptionist.errors import UserError
from receptionist.domain.payload import BookingPayloadV1, LocationRules, PayloadError, normalise, parse_payload
from receptionist.ingest.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from receptionist.serving import ProductionServer
from receptionist.store.repo import Store

log = logging.getLogger(__name__)

CALLS_PATH = "/webhooks/v1/calls"


def _json(http_status: int, **body) -> Response:
    return Response(json.dumps(body), status=http_status, content_type="application/json")


@dataclass
class _Job:
    payload: BookingPayloadV1
    raw: dict
    received_at: datetime
    received_mono: float


class CallIngestor:
    """Turns accepted payloads into stored calls + proposals on its own thread, then announces them."""

    def __init__(self, store: Store, rules: LocationRules, bus: events.EventBus,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.store = store
        self.rules = rules
        self.bus = bus
        self.clock = clock
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._in_flight: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.latencies_ms: list[float] = []  # receipt → stored and announced, for the health view and benchmarks

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def is_known(self, payload: BookingPayloadV1) -> bool:
        key = (payload.platform, payload.call_id)
        with self._lock:
            if key in self._in_flight:
                return True
        return self.store.call_exists(*key)

    def submit(self, payload: BookingPayloadV1, raw: dict) -> bool:
        """Queue a payload; False if the same call id is already queued."""
        key = (payload.platform, payload.call_id)
        with self._lock:
            if key in self._in_flight:
                return False
            self._in_flight.add(key)
        self._queue.put(_Job(payload, raw, self.clock(), time.monotonic()))
        return True

    def process(self, payload: BookingPayloadV1, raw: dict, received_at: datetime):
        """Normalise, check against busy time, store. Synchronous (tests and the worker use it)."""
        capture = normalise(payload, self.rules, self.clock())
        if capture.requested_start is not None:
            start, end = capture.requested_start, capture.requested_end
            busy = self.store.busy_blocks(start, end)
            extra = conflict_issues(start, end, busy, self.rules.zone)
            if extra:
                capture = replace(capture, issues=capture.issues + tuple(extra))
        record, created = self.store.record_call(capture, raw, received_at)
        return record, created

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                record, created = self.process(job.payload, job.raw, job.received_at)
                if created:
                    self.latencies_ms.append((time.monotonic() - job.received_mono) * 1000)
                    self.bus.publish(events.CALL_RECEIVED, call_row_id=record.id, call_id=record.call_id)
            except Exception:
                log.exception("could not store call %s; it stays unprocessed", job.payload.call_id)
            finally:
                with self._lock:
                    self._in_flight.discard((job.payload.platform, job.payload.call_id))


class WebhookReceiver:
    """The WSGI app and its server thread. ``secret`` is read through a callable so rotation needs no restart."""

    def __init__(self, settings: IngestSettings, secret: Callable[[], str | None], ingestor: CallIngestor):
        self.settings = settings
        self.secret = secret
        self.ingestor = ingestor
        self.rejections: dict[str, int] = {}
        self._urls = Map([Rule(CALLS_PATH, endpoint="calls", methods=["POST"]),
                          Rule("/healthz", endpoint="health", methods=["GET"])])
        self._served: ProductionServer | None = None

    @property
    def url(self) -> str:
        assert self._served is not None
        return self._served.url + CALLS_PATH

    def start(self) -> "WebhookReceiver":
        try:
            self._served = ProductionServer(self, host=self.settings.host, port=self.settings.port, name="webhook",
                                            max_request_body_size=self.settings.max_body_bytes).start()
        except OSError as exc:
            raise UserError(
                f"cannot listen for calls on {self.settings.host}:{self.settings.port} ({exc.strerror}); is another "
                "Receptionist Console running here? Set ingest.port in the profile to use another port."
            ) from None
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
            self._served = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        adapter = self._urls.bind_to_environ(environ)
        try:
            endpoint, _ = adapter.match()
        except Exception as exc:  # werkzeug's HTTPException is a WSGI app itself
            return exc(environ, start_response)  # type: ignore[operator]
        if endpoint == "health":
            response = _json(200, status="ok")
        else:
            response = self._calls(request)
        return response(environ, start_response)

    def _reject(self, status: int, reason: str, **extra) -> Response:
        self.rejections[reason.split(" (")[0]] = self.rejections.get(reason.split(" (")[0], 0) + 1
        log.warning("webhook rejected (%s): %s", status, reason)
        return _json(status, status="rejected", error=reason, **extra)

    def _calls(self, request: Request) -> Response:
        if request.content_length is not None and request.content_length > self.settings.max_body_bytes:
            return self._reject(413, f"body larger than {self.settings.max_body_bytes} bytes")
        body = request.get_data(cache=False)
        if len(body) > self.settings.max_body_bytes:
            return self._reject(413, f"body larger than {self.settings.max_body_bytes} bytes")
        secret = self.secret()
        if not secret:
            return self._reject(503, "the webhook secret is not configured on this desk")
        try:
            verify(secret, body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER),
                   now=time.time(), window_seconds=self.settings.replay_window_seconds)
        except SignatureError as exc:
            return self._reject(401, str(exc))
        try:
            payload = parse_payload(body)
        except PayloadError as exc:
            return self._reject(400, "payload does not match schema v1", fields=exc.errors)
        if self.ingestor.is_known(payload) or not self.ingestor.submit(payload, json.loads(body)):
            return _json(200, status="duplicate", call_id=payload.call_id,
                         detail="this call id was already received; nothing was changed")
        return _json(202, status="accepted", call_id=payload.call_id)
