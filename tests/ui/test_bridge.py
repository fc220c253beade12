"""Bus events published on worker threads arrive on the GUI thread, and stop after close()."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from receptionist import events
from receptionist.ui.bridge import EventBridge, Throttle

pytestmark = pytest.mark.gui


def test_events_from_a_worker_thread_arrive_on_the_gui_thread(qtbot):
    bus = events.EventBus()
    bridge = EventBridge(bus)
    got = []
    bridge.event_received.connect(lambda topic, data: got.append((topic, data, QThread.currentThread())))
    worker = threading.Thread(target=lambda: bus.publish(events.LINK_CHANGED, link_id=7, state="synced"))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(got) == 1, timeout=2000)
    topic, data, thread = got[0]
    assert topic == events.LINK_CHANGED and data == {"link_id": 7, "state": "synced"}
    assert thread is bridge.thread()
    bridge.close()
    bus.publish(events.LINK_CHANGED)
    qtbot.wait(50)
    assert len(got) == 1


def test_throttle_runs_at_once_then_coalesces_a_burst(qtbot):
    calls = []
    throttle = Throttle(lambda: calls.append(1), interval_ms=200)
    throttle.trigger()
    qtbot.waitUntil(lambda: calls == [1], timeout=150)  # the first news is not delayed by the interval
    for _ in range(10):
        throttle.trigger()  # a burst inside the interval...
    assert throttle.pending
    qtbot.waitUntil(lambda: calls == [1, 1], timeout=1000)  # ...costs one more run, at the end of the interval
    qtbot.wait(250)
    assert calls == [1, 1] and not throttle.pending
