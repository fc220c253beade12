"""The one door from worker threads into the GUI thread: EventBus news re-emitted as a queued Qt signal.

Workers (the ingest thread, the sync thread) publish on :class:`receptionist.events.EventBus` from their own
threads. :class:`EventBridge` subscribes to that bus and re-emits every event as ``event_received`` on the thread
the bridge lives on (the GUI thread), so views never touch widgets from another thread.  Views coalesce bursts of
news with :class:`Throttle` (the sync thread can publish dozens of LINK_CHANGED in one cycle). Reads that follow the
news go through :class:`receptionist.ui.operations.QueryRunner`, off the GUI thread.
"""

from __future__ import annotations

import logging
import time
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


class Throttle(QObject):
    """Runs ``callback`` on the next event-loop turn after ``trigger()``, then at most once per ``interval_ms``
    while triggers keep coming: the first news shows at once (no added latency), a burst (a sync cycle touching
    many links) costs one refresh per interval, and a steady stream can never starve the view."""

    def __init__(self, callback: Callable[[], None], interval_ms: int = 100, parent: QObject | None = None):
        super().__init__(parent)
        self._callback = callback
        self._interval = interval_ms / 1000
        self._last_run = float("-inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)

    def trigger(self) -> None:
        if self._timer.isActive():
            return  # a run is already scheduled and will see this news too
        wait = self._interval - (time.monotonic() - self._last_run)
        self._timer.start(int(max(0.0, wait) * 1000))

    def _run(self) -> None:
        self._last_run = time.monotonic()
        self._callback()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()


__all__ = ["EventBridge", "Throttle"]
