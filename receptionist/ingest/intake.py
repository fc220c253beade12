"""Durable intake: the door (authenticate, store raw, answer) and the worker (inbox → calls, live calls, quarantine).

The door, for every delivery (webhook, polling source, or a file the operator gives ``receptionist ingest``)::

    size limit → adapter.authenticate → adapter.dedupe_key → inbox row (one short transaction) → adapter.answer

Nothing is acknowledged before it is stored: if the inbox write fails (disk full, read-only, locked longer than
``store_wait_seconds`` by another program) or the work queue is full, the answer is 503 and the platform retries.
A second delivery with a stored dedupe key is answered as a success and changes nothing.

The worker takes inbox ids from a bounded queue (and sweeps the table for pending rows: at start, which picks up
what a crash left, and whenever the queue runs dry), maps each delivery with ``adapter.interpret`` and writes the
outcome with the inbox row's new state in one transaction — a batch of up to ``batch_size`` under load, retried one
by one when the database refuses a value, so a single bad delivery is quarantined alone. Whatever cannot be mapped
(``MappingError``, an adapter bug, a value the database refuses, a date it cannot convert) is quarantined with the
reason; nothing is dropped. When the queue runs dry the worker checkpoints SQLite's log (every ``CHECKPOINT_EVERY``
deliveries), so the door's commits do not carry SQLite's automatic checkpoint.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import deque
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from receptionist import events
from receptionist.domain.availability import busy_issues, reach
from receptionist.domain.callbacks import callback_due
from receptionist.domain.intake import DeliverySource, InboxRecord, InboxState, LiveCallRecord
from receptionist.domain.payload import CallCapture, LocationRules
from receptionist.ingest.platforms import (
    ADAPTERS,
    Delivery,
    DeliveryRefused,
    Ignored,
    LiveUpdate,
    MappingError,
    PlatformAdapter,
)
from receptionist.ingest.refusals import RefusalTally
from receptionist.store.inbox import (
    DOOR_WAIT_SECONDS,
    Applied,
    Outcome,
    StorageUnavailable,
    ValueRefused,
    is_storage_problem,
)
from receptionist.store import Store

log = logging.getLogger(__name__)

#: Deliveries mapped between two checkpoints of SQLite's log, each run when the queue has run dry (~18 pages of log
#: per delivery): small checkpoints between batches instead of SQLite's own every 1,000 pages inside some commit.
CHECKPOINT_EVERY = 20

#: Reads a call back from the platform's API before its capture is trusted (Synthflow signs only the call id):
#: call id → the API's answer, or ``MappingError`` with the reason. The adapter's ``confirm`` maps the answer.
Confirmer = Callable[[str], dict]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Answer:
    """What the door answers: the HTTP status, body and content type, and what happened to the delivery."""

    status: int
    body: bytes
    content_type: str = "application/json"
    inbox_id: int | None = None
    duplicate: bool = False
    reason: str | None = None  # why it was refused (None when stored)

    @property
    def stored(self) -> bool:
        return self.inbox_id is not None

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def refused(http_status: int, reason: str, fields: dict | None = None) -> Answer:
    body: dict = {"status": "rejected", "error": reason}
    if fields:
        body["fields"] = fields
    return Answer(http_status, json.dumps(body).encode(), "application/json", reason=reason)


def body_as_payload(body: bytes) -> dict:
    """The delivery body as the JSON kept on the call row: the object itself, or a form's fields (Twilio)."""
    try:
        value = json.loads(body)
        return value if isinstance(value, dict) else {"body": value}
    except (ValueError, RecursionError):
        text = body.decode("utf-8", "replace")
        return {"form": dict(parse_qsl(text, keep_blank_values=True))}


def handed_in(record: InboxRecord) -> bool:
    """A file a person handed in at the desk (``receptionist ingest FILE`` without ``--headers``): trusted as they
    gave it, so it is not read back from the platform's API (Synthflow) either. With headers it was checked as the
    platform's delivery, and is confirmed like one."""
    return record.source is DeliverySource.FILE and not record.headers


class Intake:
    """The door and the worker over the inbox.

    Attributes:
        latencies_ms: receipt → stored call announced, per created call (health view, benchmarks).
        rejections: refusal reason → count (the webhook pill's tooltip).
        refusals: the refusals per minute and source, counted in the database (``ingest/refusals.py``).
    """

    def __init__(self, store: Store, rules: LocationRules, bus: events.EventBus,
                 secret: Callable[[str], str | None], *, adapters: Mapping[str, PlatformAdapter] | None = None,
                 clock: Callable[[], datetime] = utcnow, queue_size: int = 1000, batch_size: int = 20,
                 max_body_bytes: int = 1_000_000, confirmers: Mapping[str, Confirmer] | None = None,
                 sweep_seconds: float = 5.0, calendar_labels: Mapping[str, str] | None = None,
                 store_wait_seconds: float = DOOR_WAIT_SECONDS):
        self.store = store
        self.calendar_labels = dict(calendar_labels or {})  # how a clash names the calendar ("Outlook")
        self.inbox = store.inbox
        self.rules = rules
        self.bus = bus
        self.secret = secret
        self.adapters = dict(adapters if adapters is not None else ADAPTERS)
        self.clock = clock
        self.batch_size = max(1, batch_size)
        self.max_body_bytes = max_body_bytes
        self.store_wait_seconds = store_wait_seconds
        self.confirmers = dict(confirmers or {})
        self.sweep_seconds = sweep_seconds
        self._queue: queue.Queue[int | None] = queue.Queue(maxsize=max(1, queue_size))
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._work_lock = threading.Lock()  # one mapping pass at a time (worker, replay, CLI)
        self._received_mono: dict[int, float] = {}
        self._mapped_since_checkpoint = 0
        self.latencies_ms: deque[float] = deque(maxlen=10_000)  # the latest only: a desk runs for months
        self.rejections: dict[str, int] = {}
        self.refusals = RefusalTally(store.reliability.add_refusals)
        self.storage_failures = 0
        self._handlers: dict[str, Callable[[InboxRecord], None]] = {}

    def hand_platform(self, platform: str, handler: Callable[[InboxRecord], None]) -> None:
        """Deliveries of ``platform`` that are not calls (a caller's text reply) are done by ``handler`` on the
        worker: it writes their effect and marks the inbox row done in one transaction. ``StorageUnavailable``
        leaves the row pending; any other error quarantines it with the reason."""
        self._handlers[platform] = handler

    def accepted(self, inbox_id: int) -> None:
        """A delivery stored by another door (``hand_platform``'s): mapped next (the sweep finds it otherwise)."""
        try:
            self._queue.put_nowait(inbox_id)
        except queue.Full:
            pass  # stored; the sweep maps it

    # --- the door ---------------------------------------------------------------------------------------------------

    def receive(self, delivery: Delivery, *, source: DeliverySource = DeliverySource.WEBHOOK,
                trusted: bool = False) -> Answer:
        """Authenticate (unless ``trusted``), store, answer. Never raises for anything a sender can send."""
        started = time.monotonic()
        adapter = self.adapters.get(delivery.platform)
        if adapter is None:
            return self.refuse(404, f"no adapter for platform {delivery.platform!r} "
                                     f"(known: {', '.join(sorted(self.adapters))})")
        sender = delivery.platform  # who the refusals below are counted against
        if len(delivery.body) > self.max_body_bytes:
            return self.refuse(413, f"body larger than {self.max_body_bytes} bytes", source=sender)
        try:
            if not trusted:
                adapter.authenticate(delivery, self.secret(adapter.secret_key), self.clock())
            key = adapter.dedupe_key(delivery)
        except DeliveryRefused as exc:
            return self.refuse(exc.status, exc.reason, exc.fields, source=sender)
        except Exception:  # an adapter bug must not become a 500 the platform retries forever
            log.exception("%s adapter failed at the door", delivery.platform)
            return self.refuse(400, f"the {delivery.platform} delivery could not be read", source=sender)
        if self._queue.full():
            return self.refuse(503, "this desk is busy mapping earlier deliveries; retry shortly", source=sender)
        try:
            inbox_id, created = self.inbox.store_delivery(
                platform=delivery.platform, dedupe_key=key, source=source, received_at=delivery.received_at,
                url=delivery.url, headers=delivery.headers, body=delivery.body, wait_seconds=self.store_wait_seconds)
        except StorageUnavailable as exc:
            self.storage_failures += 1
            log.error("delivery from %s not stored (answered 503 so it is retried): %s", delivery.platform, exc)
            return self.refuse(503, "this desk could not store the delivery; retry later", source=sender)
        if not created:
            return self._answer(adapter, delivery, inbox_id, duplicate=True)
        self._received_mono[inbox_id] = started
        try:
            self._queue.put_nowait(inbox_id)
        except queue.Full:
            pass  # stored; the sweep maps it
        return self._answer(adapter, delivery, inbox_id)

    def refuse(self, status: int, reason: str, fields: dict | None = None, *, source: str | None = None) -> Answer:
        """A refusal answer, counted by reason (the webhook pill's tooltip) and, in the database, per minute and
        source: the platform the path named, when it is one this desk knows (else "unknown": a sender's made-up
        names make no rows)."""
        label = reason.split(" (")[0]
        self.rejections[label] = self.rejections.get(label, 0) + 1
        self.refusals.add(source if source in self.adapters else "unknown", self.clock())
        log.warning("delivery refused (%s): %s", status, reason)
        return refused(status, reason, fields)

    @staticmethod
    def _answer(adapter: PlatformAdapter, delivery: Delivery, inbox_id: int, duplicate: bool = False) -> Answer:
        if duplicate and adapter.platform == "generic":
            call_id = None
            try:
                call_id = json.loads(delivery.body).get("call_id")
            except Exception:
                pass
            return Answer(200, json.dumps({"status": "duplicate", "call_id": call_id,
                                           "detail": "this call id was already received; nothing was changed"})
                          .encode(), inbox_id=inbox_id, duplicate=True)
        try:
            status, body, content_type = adapter.answer(delivery)
        except Exception:  # stored already: the platform must hear success, or it retries a stored delivery
            log.exception("%s adapter failed to build its answer", delivery.platform)
            status, body, content_type = 200, b'{"received": true}', "application/json"
        return Answer(status, body, content_type, inbox_id=inbox_id, duplicate=duplicate)

    # --- the worker ---------------------------------------------------------------------------------------------------

    def start(self) -> "Intake":
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="intake-worker", daemon=True)
            self._thread.start()
        return self

    def stop(self, drain_seconds: float = 0.0) -> tuple[int, int]:
        """Stop the worker. With ``drain_seconds`` (a clean stop of the service), map what is still pending first,
        on this thread, until done or the time is up. Returns (deliveries mapped now, deliveries left pending)."""
        if self._thread is not None:
            self._stop.set()
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass
            self._thread.join(timeout=10)
            self._thread = None
        self.refusals.flush()
        if drain_seconds <= 0:
            return 0, 0
        deadline = time.monotonic() + drain_seconds
        mapped = 0
        while time.monotonic() < deadline:
            ids = self.inbox.pending_ids(limit=self.batch_size)
            applied = self.process(ids) if ids else []
            if not applied:
                break
            mapped += len(applied)
        return mapped, self.inbox.counts().get(InboxState.PENDING.value, 0)

    def _run(self) -> None:
        next_sweep = 0.0  # at once: what a crash (or another desk) left pending
        while not self._stop.is_set():
            if time.monotonic() >= next_sweep:
                full = self._sweep()
                self._checkpoint_when_idle()
                # a backlog is drained a chunk at a time, between the batches of new deliveries
                next_sweep = time.monotonic() + (0.0 if full else self.sweep_seconds)
                self.refusals.flush()  # the refusals counted since the last write
            try:
                first = self._queue.get(timeout=max(0.0, next_sweep - time.monotonic()) or 0.001)
            except queue.Empty:
                continue
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._stop.set()
                    break
                batch.append(nxt)
            try:
                self.process(batch)
            except Exception:  # a bug; the rows stay pending and the next sweep retries them
                log.exception("intake worker failed on %s", batch)
                self._stop.wait(1.0)
            self._checkpoint_when_idle()
            self.refusals.flush()

    def _checkpoint_when_idle(self) -> None:
        if self._queue.empty() and self._mapped_since_checkpoint >= CHECKPOINT_EVERY:
            self._mapped_since_checkpoint = 0
            self.inbox.checkpoint()

    def _sweep(self) -> bool:
        """Map a chunk of pending deliveries from the table; True if there may be more."""
        chunk = self.batch_size * 10
        try:
            self.expire_live_calls()  # a platform that never sent the end of a call
            ids = self.inbox.pending_ids(limit=chunk)
        except Exception:
            log.exception("cannot read the inbox")
            return False
        for start in range(0, len(ids), self.batch_size):
            if self._stop.is_set():
                return False
            try:
                if not self.process(ids[start:start + self.batch_size]):
                    return False  # the database is not taking writes: wait for the next sweep
            except Exception:
                log.exception("intake sweep failed")
                return False
        return len(ids) == chunk

    def drain(self) -> int:
        """Map every pending delivery now, on this thread (tests, ``receptionist ingest``). Returns how many."""
        done = 0
        while True:
            ids = self.inbox.pending_ids(limit=self.batch_size)
            if not ids:
                return done
            applied = self.process(ids)
            if not applied:
                return done
            done += len(applied)

    def process(self, inbox_ids: list[int]) -> list[Applied]:
        """Map these deliveries (those still pending) and write the outcomes; announce what changed."""
        with self._work_lock:
            records = [r for r in self.inbox.get_many(inbox_ids) if r.state is InboxState.PENDING]
            handed = [self._hand(r) for r in records if r.platform in self._handlers]
            records = [r for r in records if r.platform not in self._handlers]
            if not records:
                return [a for a in handed if a is not None]
            interpreted = [self._interpret(r) for r in records]
            outcomes = self._with_conflicts(interpreted)
            now = self.clock()
            try:
                applied = self.inbox.apply(outcomes, now, self._callback_due)
            except StorageUnavailable as exc:
                log.error("cannot write mapped deliveries (they stay pending): %s", exc)
                return []
            except ValueRefused:
                applied = []
                for outcome in outcomes:
                    try:
                        applied += self.inbox.apply([outcome], now, self._callback_due)
                    except ValueRefused as exc:
                        self._quarantine(outcome.inbox_id, str(exc), now)
                        applied.append(Applied(outcome.inbox_id, InboxState.QUARANTINED))
                    except StorageUnavailable as exc:
                        log.error("cannot write mapped delivery %s (stays pending): %s", outcome.inbox_id, exc)
                        break
            self._mapped_since_checkpoint += len(applied)
        self._announce(applied)
        return [a for a in handed if a is not None] + applied

    def _hand(self, record: InboxRecord) -> Applied | None:
        """One delivery done by its platform's handler; None when the database did not take it (stays pending)."""
        try:
            self._handlers[record.platform](record)
            return Applied(record.id, InboxState.DONE)
        except StorageUnavailable as exc:
            log.error("cannot write delivery %s (stays pending): %s", record.id, exc)
            return None
        except Exception as exc:  # a bug or a value the database refuses: kept, with the reason, for Replay
            if is_storage_problem(exc):
                log.error("cannot write delivery %s (stays pending): %s", record.id, exc)
                return None
            log.exception("%s delivery %s failed", record.platform, record.id)
            reason = (f"the {record.platform} delivery could not be done ({type(exc).__name__}: {exc}); Replay "
                      "after a fix")
            self._quarantine(record.id, reason, self.clock())
            self.bus.publish(events.QUARANTINE_CHANGED, inbox_id=record.id)
            return Applied(record.id, InboxState.QUARANTINED)

    def _callback_due(self, received_at: datetime, urgent: bool) -> datetime:
        return callback_due(received_at, urgent, self.rules)

    def _quarantine(self, inbox_id: int, reason: str, now: datetime) -> None:
        try:
            self.inbox.quarantine(inbox_id, reason, now)
        except StorageUnavailable as exc:
            log.error("cannot quarantine delivery %s (stays pending): %s", inbox_id, exc)

    def _announce(self, applied: list[Applied]) -> None:
        if any(a.callback_made for a in applied):
            self.bus.publish(events.CALLBACK_CHANGED)
        for a in applied:
            started = self._received_mono.pop(a.inbox_id, None)
            if a.call is not None and a.call_created:
                if started is not None:
                    self.latencies_ms.append((time.monotonic() - started) * 1000)
                self.bus.publish(events.CALL_RECEIVED, call_row_id=a.call.id, call_id=a.call.call_id)
            if a.live is not None or (a.call is not None and a.call_created):
                self.bus.publish(events.LIVE_CALL_CHANGED, platform=(a.live or a.call).platform,
                                 call_id=(a.live or a.call).call_id)
            if a.state is InboxState.QUARANTINED:
                self.bus.publish(events.QUARANTINE_CHANGED, inbox_id=a.inbox_id)

    def _interpret(self, record: InboxRecord) -> Outcome:
        """One delivery → its outcome. Never raises: what cannot be mapped is a quarantine outcome."""

        def quarantined(reason: str) -> Outcome:
            return Outcome(record.id, InboxState.QUARANTINED, reason)

        adapter = self.adapters.get(record.platform)
        if adapter is None:
            return quarantined(f"this version has no adapter for platform {record.platform!r}")
        delivery = Delivery(platform=record.platform, body=record.body, headers=record.headers, url=record.url,
                            received_at=record.received_at)
        try:
            result = adapter.interpret(delivery, self.rules)
            if (isinstance(result, CallCapture) and getattr(adapter, "needs_confirmation", False)
                    and not handed_in(record)):
                result = self._confirm(adapter, delivery, result)
        except MappingError as exc:
            return quarantined(exc.reason)
        except (OverflowError, RecursionError) as exc:
            return quarantined(f"a value in the delivery is out of range ({type(exc).__name__}: {exc})")
        except Exception as exc:  # an adapter bug: keep the delivery, say so, replay after a fix
            log.exception("%s adapter failed on inbox row %s", record.platform, record.id)
            return quarantined(f"the {record.platform} adapter failed on this delivery ({type(exc).__name__}: "
                               f"{exc}); Replay after an update")
        if isinstance(result, Ignored):
            return Outcome(record.id, InboxState.DONE, f"ignored: {result.reason}")
        if isinstance(result, LiveUpdate):
            return Outcome(record.id, InboxState.DONE, live=LiveCallRecord(
                platform=result.platform, call_id=result.call_id, caller_id_number=result.caller_id_number,
                status=result.status, started_at=result.started_at, updated_at=record.received_at, ended_at=None,
                transcript=tuple(result.transcript)))
        if not isinstance(result, CallCapture):
            return quarantined(f"the {record.platform} adapter returned {type(result).__name__}, not a call")
        if result.requested_start is not None:
            try:
                result.requested_end  # noqa: B018 - a start near year 9999 cannot have an end
            except OverflowError as exc:
                return quarantined(f"the requested time cannot be used ({exc})")
        return Outcome(record.id, InboxState.DONE, capture=result, payload=body_as_payload(record.body))

    def _confirm(self, adapter: PlatformAdapter, delivery: Delivery, capture: CallCapture) -> CallCapture:
        read_back = self.confirmers.get(adapter.platform)
        if read_back is None:
            raise MappingError(f"{adapter.platform} deliveries must be confirmed with its API and this desk cannot "
                               f"reach it; set {adapter.platform}.api_key, then Replay")
        answer = read_back(capture.call_id)
        confirm = getattr(adapter, "confirm", None)
        return confirm(answer, delivery, self.rules) if confirm is not None else capture

    def _with_conflicts(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Add clashes with appointments, calendars' busy time and slots held for other callers on the phone, as the
        review pane would show them, and the resource the booking takes (the one the agent held for the call at
        that time if still free, else the first free: ``pick_resource``, as the desk's check picks it): one read of
        busy time and one of the holds for the whole batch, each call's own holds left out of its check."""
        timed = [i for i, o in enumerate(outcomes) if o.capture is not None and o.capture.requested_start is not None]
        if not timed:
            return outcomes
        now = self.clock()
        captures = [outcomes[i].capture for i in timed]
        around = reach(self.rules.booking)
        holds = self.store.holds.by_call(min(c.requested_start for c in captures) - around,
                                         max(c.requested_end for c in captures) + around, now)
        held = [self.store.holds.held_resource((c.platform, c.call_id), c.requested_start, c.requested_end, now)
                if self.rules.booking.service(c.service).resources else None for c in captures]
        found = busy_issues([(c.requested_start, c.requested_end, c.service) for c in captures],
                            self.store.busy.blocks, self.rules.booking, now, self.calendar_labels,
                            prefer=[(h,) for h in held],
                            others=[[b for call, b in holds if call != (c.platform, c.call_id)] for c in captures])
        out = list(outcomes)
        for i, checked in zip(timed, found):
            c = out[i].capture
            out[i] = replace(out[i], capture=replace(c, issues=c.issues + tuple(checked.issues),
                                                     resource=checked.resource))
        return out

    # --- quarantine --------------------------------------------------------------------------------------------------

    def replay(self, inbox_id: int, actor: str = "staff") -> InboxRecord | None:
        """A quarantined delivery mapped again now (after a fix or an upgrade); returns its new state."""
        if not self.inbox.reopen(inbox_id, actor, self.clock()):
            return None
        self.process([inbox_id])
        self.bus.publish(events.QUARANTINE_CHANGED, inbox_id=inbox_id)
        return self.inbox.get(inbox_id)

    def expire_live_calls(self, quiet_for: timedelta = timedelta(minutes=30)) -> int:
        now = self.clock()
        n = self.inbox.expire_live(now - quiet_for, now)
        if n:
            self.bus.publish(events.LIVE_CALL_CHANGED)
        return n


__all__ = ["Answer", "Confirmer", "Intake", "body_as_payload", "refused"]
