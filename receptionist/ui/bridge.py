"""The one door from worker threads into the GUI thread: EventBus news re-emitted as a queued Qt signal.

Workers (the ingest thread, the sync thread) publish on :class:`receptionist.events.EventBus` from their own
threads. :class:`EventBridge` subscribes to that bus and re-emits every event as ``event_received`` on the thread
the bridge lives on (the GUI thread), so views never touch widgets from another thread.  Views coalesce bursts of
news with :class:`Debouncer` (the sync thread can publish dozens of LINK_CHANGED in one cycle).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from receptionist import events

log = logging.getLogger(__name__)


class EventBridge(QObject):
    """Re-emits EventBus events on the GUI thread.

    Signals:
        event_received(topic: str, data: dict): one bus event, delivered on the bridge's thread.
    """

    event_received = Signal(str, dict)
    _relayed = Signal(str, object)  # emitted from any thread; queued into the bridge's thread

    def __init__(self, bus: events.EventBus, parent: QObject | None = None):
        super().__init__(parent)
        self._relayed.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe: Callable[[], None] | None = bus.subscribe(self._on_event)

    def _on_event(self, event: events.Event) -> None:
        """Bus callback: runs on the publishing thread, so it only queues."""
        try:
            self._relayed.emit(event.topic, dict(event.data))
        except RuntimeError:  # the C++ object is gone (window closed while a worker still publishes)
            self.close()

    @Slot(str, object)
    def _deliver(self, topic: str, data: object) -> None:
        self.event_received.emit(topic, dict(data) if isinstance(data, dict) else {})

    def close(self) -> None:
        """Stop listening to the bus (idempotent)."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()


class Debouncer(QObject):
    """Runs ``callback`` once, ``delay_ms`` after the last of a burst of ``trigger()`` calls."""

    def __init__(self, callback: Callable[[], None], delay_ms: int = 50, parent: QObject | None = None):
        super().__init__(parent)
        self._callback = callback
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(callback)

    def trigger(self) -> None:
        self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()


__all__ = ["Debouncer", "EventBridge"]
