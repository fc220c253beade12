"""Polling sources for desks with no public URL: fetch finished calls from the platform's REST API since a stored
cursor, on an interval, and put each through the same door as a webhook (``Intake.receive``, trusted: it was
fetched with our API key over TLS). Each fetched call is wrapped in the shape the platform's own post-call webhook
has, so the adapter maps it the same way and its dedupe key is the webhook's: a call that arrives both ways is
stored once.

* **Vapi** — ``GET /call?createdAtGe=<cursor>&limit=N`` (Bearer API key): a JSON array of the newest N Call
  objects, so older pages are read with ``createdAtLt``; only ``status == "ended"`` calls are taken, wrapped as an
  ``end-of-call-report`` server message.
* **Retell** — ``POST /v3/list-calls`` with ``filter_criteria.start_timestamp >= cursor``, ascending, following
  ``pagination_key`` while ``has_more``; the list omits transcripts, so each ended call is read with
  ``GET /v2/get-call/{call_id}`` and, once its ``call_analysis`` is there, wrapped as a ``call_analyzed`` event.
* **ElevenLabs** — ``GET /v1/convai/conversations?call_start_after_unix=<cursor>&cursor=<page>`` (``xi-api-key``),
  following ``next_cursor`` while ``has_more``; each ``done`` conversation is read with
  ``GET /v1/convai/conversations/{id}``, wrapped as a ``post_call_transcription`` event.

The cursor only moves past a call once the call is stored (or known), and never past a call still in progress,
so a failed poll repeats rather than skips. Synthflow signs only the call id; ``synthflow_confirmer`` reads the call
back from its API before the capture is trusted.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from receptionist.domain.intake import DeliverySource
from receptionist.ingest.platforms import Delivery, MappingError

if TYPE_CHECKING:  # requests is imported where a session is made: a desk that polls nothing never loads it
    import requests

log = logging.getLogger(__name__)

TIMEOUT = 20.0


@dataclass
class PollReport:
    source: str
    fetched: int = 0  # finished calls seen
    stored: int = 0  # new deliveries written to the inbox
    duplicates: int = 0  # already known (a webhook got there first, or an earlier poll)
    skipped: int = 0  # calls still in progress (left for the next poll)
    errors: list[str] = field(default_factory=list)
    cursor: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"source": self.source, "fetched": self.fetched, "stored": self.stored,
                "duplicates": self.duplicates, "skipped": self.skipped, "errors": self.errors,
                "cursor": self.cursor}


class PollError(Exception):
    """The platform's API could not be read (the poll is repeated at the next interval)."""


class _HttpSource:
    """What the three sources share: a session, the API key from the keyring, the cursor in the store."""

    name = "?"

    def __init__(self, settings, api_key: Callable[[], str | None], intake, clock: Callable[[], datetime],
                 session: requests.Session | None = None):
        self.settings = settings
        self.api_key = api_key
        self.intake = intake
        self.clock = clock
        self.interval = float(settings.interval_seconds)
        import requests

        self.session = session or requests.Session()
        self.session.trust_env = not settings.api_base.startswith(("http://127.0.0.1", "http://localhost"))
        self.last_report: PollReport | None = None

    @property
    def base(self) -> str:
        return self.settings.api_base.rstrip("/")

    def _key(self) -> str:
        key = self.api_key()
        if not key:
            raise PollError(f"no {self.name} API key: receptionist secret set {self.name}.api_key")
        return key

    def _request(self, method: str, path: str, **kwargs):
        import requests

        try:
            r = self.session.request(method, self.base + path, timeout=TIMEOUT, headers=self._headers(), **kwargs)
        except requests.RequestException as exc:
            log.info("%s API: no answer: %r", self.name, exc)
            raise PollError(f"the {self.name} API could not be reached (no network, or it did not answer); "
                            "the next poll tries again") from None
        if r.status_code == 401 or r.status_code == 403:
            raise PollError(f"{self.name} refused the API key (HTTP {r.status_code})")
        if r.status_code >= 400:
            raise PollError(f"{self.name} API answered HTTP {r.status_code}: {r.text[:200]}")
        try:
            return r.json()
        except ValueError:
            raise PollError(f"{self.name} API answered something that is not JSON") from None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key()}"}

    def _deliver(self, body: dict, url: str, report: PollReport) -> bool:
        """One fetched call through the door. True when it is in the inbox (new or known)."""
        raw = json.dumps(body).encode()
        delivery = Delivery(platform=self.name, body=raw, headers={"content-type": "application/json",
                                                                   "x-receptionist-source": "poll"},
                            url=url, received_at=self.clock())
        answer = self.intake.receive(delivery, source=DeliverySource.POLL, trusted=True)
        if answer.duplicate:
            report.duplicates += 1
            return True
        if answer.stored:
            report.stored += 1
            return True
        report.errors.append(f"{self.name} call not stored: {answer.reason}")
        return False

    def poll_once(self) -> PollReport:
        report = PollReport(self.name)
        cursor = self.intake.inbox.get_poll_cursor(self.name)
        try:
            new_cursor = self._poll(cursor, report)
        except PollError as exc:
            report.errors.append(str(exc))
            new_cursor = None
        if new_cursor is not None and new_cursor != cursor:
            self.intake.inbox.set_poll_cursor(self.name, new_cursor, self.clock())
        report.cursor = new_cursor or cursor
        self.last_report = report
        return report

    def _poll(self, cursor: str | None, report: PollReport) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError


class VapiPoller(_HttpSource):
    name = "vapi"

    def _poll(self, cursor: str | None, report: PollReport) -> str | None:
        # GET /call answers the newest ``limit`` calls: page backwards with createdAtLt until a short page
        params: dict = {"limit": self.settings.page_size}
        if cursor:
            params["createdAtGe"] = cursor
        calls: list[dict] = []
        for _ in range(1000):
            page = self._request("GET", "/call", params=params)
            if not isinstance(page, list):
                raise PollError("Vapi GET /call did not answer a list of calls")
            page = [c for c in page if isinstance(c, dict) and c.get("createdAt")]
            calls += page
            if len(page) < self.settings.page_size:
                break
            params = {**params, "createdAtLt": min(str(c["createdAt"]) for c in page)}
        calls = sorted({str(c.get("id")): c for c in calls}.values(), key=lambda c: str(c.get("createdAt", "")))
        newest = cursor
        for call in calls:
            if call.get("status") != "ended":
                report.skipped += 1
                break  # never move the cursor past a call still in progress
            report.fetched += 1
            message = {"type": "end-of-call-report", "timestamp": call.get("updatedAt") or call.get("endedAt"),
                       "call": call, "endedReason": call.get("endedReason"),
                       "artifact": call.get("artifact") or {k: call[k] for k in ("transcript", "messages")
                                                            if k in call},
                       "analysis": call.get("analysis") or {}, "customer": call.get("customer"),
                       "phoneNumber": call.get("phoneNumber"), "assistant": call.get("assistant")}
            if not self._deliver({"message": message}, f"{self.base}/call/{call.get('id')}", report):
                break
            newest = str(call.get("createdAt") or newest)
        return newest


class RetellPoller(_HttpSource):
    name = "retell"

    def _poll(self, cursor: str | None, report: PollReport) -> str | None:
        since = int(cursor) if cursor and cursor.isdigit() else 0
        body: dict = {"sort_order": "ascending", "limit": self.settings.page_size,
                      "filter_criteria": {"start_timestamp": {"type": "number", "op": "gte", "value": since}}}
        newest = cursor
        while True:
            page = self._request("POST", "/v3/list-calls", json=body)
            items = page.get("items") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise PollError("Retell /v3/list-calls did not answer a list of items")
            for item in items:
                if item.get("call_status") not in ("ended", "error"):
                    report.skipped += 1
                    return newest
                report.fetched += 1
                call = self._request("GET", f"/v2/get-call/{item['call_id']}")
                if not call.get("call_analysis"):  # analysis still running: the next poll takes it
                    report.fetched -= 1
                    report.skipped += 1
                    return newest
                if not self._deliver({"event": "call_analyzed", "call": call},
                                     f"{self.base}/v2/get-call/{item['call_id']}", report):
                    return newest
                newest = str(call.get("start_timestamp") or item.get("start_timestamp") or newest)
            if not page.get("has_more") or not page.get("pagination_key"):
                return newest
            body = {**body, "pagination_key": page["pagination_key"]}


class ElevenLabsPoller(_HttpSource):
    name = "elevenlabs"

    def _headers(self) -> dict[str, str]:
        return {"xi-api-key": self._key()}

    def _poll(self, cursor: str | None, report: PollReport) -> str | None:
        params: dict = {"page_size": min(100, self.settings.page_size)}
        if cursor and cursor.isdigit():
            params["call_start_after_unix"] = int(cursor)
        if self.settings.agent_id:
            params["agent_id"] = self.settings.agent_id
        newest = cursor
        pending: list[dict] = []
        while True:
            page = self._request("GET", "/v1/convai/conversations", params=params)
            conversations = page.get("conversations") if isinstance(page, dict) else None
            if not isinstance(conversations, list):
                raise PollError("ElevenLabs conversations list did not answer a list")
            pending += conversations
            if not page.get("has_more") or not page.get("next_cursor"):
                break
            params = {**params, "cursor": page["next_cursor"]}
        # the list is newest first; deliver oldest first so the cursor only moves over what is stored
        pending.sort(key=lambda c: c.get("start_time_unix_secs") or 0)
        for conv in pending:
            if conv.get("status") not in ("done", "failed"):
                report.skipped += 1
                break
            report.fetched += 1
            cid = conv["conversation_id"]
            details = self._request("GET", f"/v1/convai/conversations/{cid}")
            event = {"type": "post_call_transcription", "event_timestamp": int(self.clock().timestamp()),
                     "data": details}
            if not self._deliver(event, f"{self.base}/v1/convai/conversations/{cid}", report):
                break
            # call_start_after_unix is inclusive of later calls only; a call at the same second is re-read and
            # recognised as known
            newest = str(max(int(newest or 0), int(conv.get("start_time_unix_secs") or 0) - 1))
        return newest


SOURCES = {"vapi": VapiPoller, "retell": RetellPoller, "elevenlabs": ElevenLabsPoller}


def sources_for(profile, secret: Callable[[str], str | None], intake, clock) -> list[_HttpSource]:
    """The polling sources switched on in the profile (``vapi.poll = true`` ...)."""
    out = []
    for name, cls in SOURCES.items():
        settings = getattr(profile, name)
        if settings.poll:
            out.append(cls(settings, lambda key=f"{name}.api_key": secret(key), intake, clock))
    return out


class PollingScheduler:
    """Runs each source's ``poll_once`` every ``interval`` seconds on one daemon thread (polls are short and rare;
    a slow platform delays the others by at most its timeout)."""

    def __init__(self, sources: list[_HttpSource]):
        self.sources = sources
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._due: dict[str, float] = {}

    def start(self) -> None:
        import time

        now = time.monotonic()
        self._due = {s.name: now for s in self.sources}
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="polling", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import time

        while not self._stop.is_set():
            now = time.monotonic()
            for source in self.sources:
                if now >= self._due[source.name]:
                    try:
                        report = source.poll_once()
                        if report.errors:
                            log.warning("polling %s: %s", source.name, "; ".join(report.errors))
                    except Exception:
                        log.exception("polling %s failed", source.name)
                    self._due[source.name] = time.monotonic() + source.interval
            wait = min(self._due.values()) - time.monotonic() if self._due else 1.0
            self._stop.wait(max(0.05, min(wait, 1.0)))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 5)
            self._thread = None


def synthflow_read_back(settings, api_key: Callable[[], str | None],
                        session: requests.Session | None = None) -> Callable[[str], dict]:
    """Synthflow's webhook signature covers only the call id: before a capture is trusted the intake reads the
    call back (``GET /v2/calls/{call_id}``, Bearer API key) and the adapter maps Synthflow's own record. The
    session is made at the first read-back, so a desk Synthflow never calls does not load requests."""
    sessions = [session] if session is not None else []

    def read_back(call_id: str) -> dict:
        import requests

        if not sessions:
            sessions.append(requests.Session())
        http = sessions[0]
        http.trust_env = not settings.api_base.startswith(("http://127.0.0.1", "http://localhost"))
        key = api_key()
        if not key:
            raise MappingError("Synthflow deliveries are confirmed with its API and no Synthflow API key is set "
                               "(receptionist secret set synthflow.api_key); Replay after setting it")
        url = f"{settings.api_base.rstrip('/')}/calls/{call_id}"
        try:
            r = http.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            log.info("Synthflow API: no answer: %r", exc)
            raise MappingError("could not confirm the call with Synthflow (its API could not be reached); "
                               "Replay later") from None
        if r.status_code == 404:
            raise MappingError(f"Synthflow has no call {call_id}: the delivery is not authentic")
        if r.status_code >= 400:
            raise MappingError(f"Synthflow answered HTTP {r.status_code} when confirming the call; Replay later")
        try:
            answer = r.json()
        except ValueError:
            raise MappingError("Synthflow answered something that is not JSON when confirming the call") from None
        if not isinstance(answer, dict) or not (answer.get("response") or {}).get("calls"):
            raise MappingError(f"Synthflow has no call {call_id}: the delivery is not authentic")
        return answer

    return read_back


__all__ = ["ElevenLabsPoller", "PollError", "PollReport", "PollingScheduler", "RetellPoller", "SOURCES",
           "VapiPoller", "sources_for", "synthflow_read_back"]
