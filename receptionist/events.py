"""A small thread-safe broadcast of what changed, so views refresh from news instead of poking each other.

Workers publish from their own threads; the UI subscribes through ``ui.bridge`` which re-emits each event as a
queued Qt signal on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

CALL_RECEIVED = "call_received"
PROPOSAL_DECIDED = "proposal_decided"
APPOINTMENT_CHANGED = "appointment_changed"
LINK_CHANGED = "link_changed"
CALENDAR_REFRESHED = "calendar_refreshed"
HEALTH_CHANGED = "health_changed"
MESSAGE_SENT = "message_sent"
LIVE_CALL_CHANGED = "live_call_changed"  # a call in progress changed (platform, call_id)
QUARANTINE_CHANGED = "quarantine_changed"  # a delivery went to, or left, quarantine (inbox_id)
CALLBACK_CHANGED = "callback_changed"  # a callback was made, called, assigned or done (callback_id)
PERSON_CHANGED = "person_changed"  # who is at the desk changed (name)
CHANGED_ELSEWHERE = "changed_elsewhere"  # another desk or a command wrote to the database: read what is shown again
MESSAGE_STATUS = "message_status"  # Twilio told how far a text we sent got (sid, status)


@dataclass(frozen=True)
class Event:
    topic: str
    data: dict = field(default_factory=dict)


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, topic: str, **data) -> None:
        event = Event(topic, data)
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a broken view must not stop the sync thread
                log.exception("event subscriber failed on %s", topic)
