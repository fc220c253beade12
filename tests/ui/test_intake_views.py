"""The intake in the window: calls in progress in the live strip, the quarantine tab with Replay and Discard, the
caller's intent at the top of the review pane (cancel/reschedule cannot be approved), returning callers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.intake import DeliverySource, InboxRecord, InboxState, LiveCallRecord
from receptionist.ui.intake_views import LiveCallsModel, QuarantineModel
from receptionist.ui.main_window import MainWindow
from tests.helpers.intake import ScriptedAdapter, scripted_delivery
from tests.helpers.ui import review

pytestmark = pytest.mark.gui


@pytest.fixture
def scripted(desk):
    adapter = ScriptedAdapter()
    desk.ingestor.adapters["scripted"] = adapter
    return adapter


@pytest.fixture
def window(qtbot, desk, scripted):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def deliver(desk, call_id, kind="call", **extra):
    return desk.ingestor.receive(scripted_delivery(call_id, kind, received_at=desk.clock(), **extra), trusted=True)


def test_a_call_in_progress_shows_live_then_ends(qtbot, window, desk):
    strip = window.call_panel.live
    assert strip.isHidden()
    deliver(desk, "live-1", "live", **{"from": "+13125550142", "transcript": [["agent", "Hi there!"]]})
    qtbot.waitUntil(lambda: strip.model.rowCount() == 1, timeout=5000)
    assert strip.isVisible() and "1 in progress" in strip.title.text()
    m = strip.model
    assert m.data(m.index(0, 0)) == "(312) 555-0142"
    assert m.data(m.index(0, 1)) == "2:00"  # started 14:58Z, now 15:00Z
    assert m.data(m.index(0, 3)) == "Hi there!"
    deliver(desk, "live-1", "call", **{"from": "+13125550142"})
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: not strip.model.rows()[0].live, timeout=5000)
    assert "Just ended" in strip.title.text()


def test_quarantine_tab_replay_and_discard(qtbot, window, desk, scripted):
    scripted.broken.add("q-1")
    deliver(desk, "q-1")
    deliver(desk, "q-2", "boom")
    panel = window.quarantine_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=5000)
    assert window.lower_tabs.tabText(1) == "Quarantine (2)"
    assert not panel.replay_button.isEnabled()
    assert panel.select(next(r.id for r in panel.model.rows() if b"q-1" in r.body))
    assert "cannot map q-1 yet" in panel.model.data(panel.model.index(panel.table.currentIndex().row(), 2))
    assert '"q-1"' in panel.body.toPlainText()
    scripted.broken.clear()
    result = panel.replay_selected()
    assert result.state is InboxState.DONE
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)  # the list is read again on the worker
    assert window.lower_tabs.tabText(1) == "Quarantine (1)"
    panel.table.selectRow(0)
    assert panel.discard_selected()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    assert window.lower_tabs.tabText(1) == "Quarantine"


@pytest.mark.parametrize("intent, word", [("cancel", "CANCEL"), ("reschedule", "RESCHEDULE")])
def test_cancel_or_reschedule_is_shown_on_top_and_approve_is_disabled(qtbot, window, desk, intent, word):
    deliver(desk, f"{intent}-call", intent=intent)
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 1, timeout=5000)
    panel = window.call_panel
    review(qtbot, panel, panel.model.rows()[0].id)
    detail = panel.detail
    assert detail.intent_banner.isVisible() and word in detail.intent_banner.text()
    assert not detail.approve_button.isEnabled()
    assert f"asked to {intent}" in detail.approve_button.toolTip()
    detail.name_edit.setText("Someone Else")  # editing does not make it a new booking
    detail.recheck()
    assert not detail.approve_button.isEnabled()


def test_a_plain_booking_has_no_intent_banner_and_a_returning_caller_is_named(qtbot, window, desk):
    first = deliver(desk, "v-1")
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 1, timeout=5000)
    call = desk.store.calls.recent()[0]
    p = call.proposal
    desk.store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service,
                                                   datetime(2026, 10, 14, 15, 0, tzinfo=timezone.utc), 45),
                                p.version, [], "amy", desk.clock() - timedelta(days=45))
    deliver(desk, "v-2")
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 2, timeout=5000)
    panel = window.call_panel
    newest = panel.model.rows()[0]
    review(qtbot, panel, newest.id)
    detail = panel.detail
    assert detail.intent_banner.isHidden() and detail.approve_button.isEnabled()
    assert detail.caller_note.isVisible() and detail.caller_note.text() == "Returning caller, last visit 10/14/2026"
    assert first.stored


def test_intake_models(qtmodeltester, clock):
    live = LiveCallsModel(clock)
    call = LiveCallRecord("vapi", "c1", "+13125550142", "in-progress", clock() - timedelta(seconds=75), clock(), None,
                          (("agent", "Hello"),))
    live.set_rows([call], {("vapi", "c1"): "Returning caller"})
    qtmodeltester.check(live)
    assert live.known() == {("vapi", "c1")}
    live.set_rows([call], {})  # a refresh with nothing new keeps the note
    assert live.data(live.index(0, 0)) == "(312) 555-0142 · returning"
    live.set_rows([], {})
    assert live.known() == set()  # gone from the strip: forgotten
    live.set_rows([call], {("vapi", "c1"): "Returning caller"})
    assert live.data(live.index(0, 0)) == "(312) 555-0142 · returning"
    assert live.data(live.index(0, 0), __import__("PySide6.QtCore").QtCore.Qt.ItemDataRole.ToolTipRole) == \
        "Returning caller"
    assert live.data(live.index(0, 1)) == "1:15"
    q = QuarantineModel(__import__("zoneinfo").ZoneInfo("America/Chicago"))
    q.set_rows([InboxRecord(1, "vapi", "k", DeliverySource.WEBHOOK, clock(), "u", {}, b"{}", InboxState.QUARANTINED,
                            "no adapter", 1, clock(), None)])
    qtmodeltester.check(q)
    assert q.data(q.index(0, 1)) == "vapi (webhook)" and q.data(q.index(0, 2)) == "no adapter"


def test_the_window_reads_nothing_on_the_gui_thread_as_calls_live_calls_and_quarantine_arrive(qtbot, desk, scripted):
    """Every view's list (calls, live strip, quarantine, appointments, week, health) and the review pane of the
    call opened by itself are read on the worker: the GUI thread issues no SQL at all."""
    import threading
    import traceback

    from sqlalchemy import event as sa_event

    gui_queries = []

    def on_query(_conn, _cursor, statement, *_rest):
        if threading.current_thread() is threading.main_thread():  # the statement and where it came from
            ours = [f"{f.name}:{f.lineno}" for f in traceback.extract_stack() if "/receptionist/" in f.filename]
            gui_queries.append(f"{statement[:60]} @ {' < '.join(reversed(ours[-6:]))}")

    sa_event.listen(desk.store.engine, "before_cursor_execute", on_query)
    try:
        win = MainWindow(desk.desk, desk.bus)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: not win.runner.busy)
        scripted.broken.add("q-9")

        def platform():  # deliveries come in on the receiver's threads
            deliver(desk, "live-9", "live", **{"from": "+13125550142", "transcript": [["agent", "Hi!"]]})
            deliver(desk, "q-9")
            deliver(desk, "v-9")

        sender = threading.Thread(target=platform)
        sender.start()
        sender.join(10)
        qtbot.waitUntil(lambda: (win.call_panel.live.model.rowCount(), win.quarantine_panel.model.rowCount(),
                                 win.call_panel.model.rowCount()) == (1, 1, 1), timeout=5000)
        qtbot.waitUntil(lambda: win.call_panel.detail.call is not None and not win.runner.busy, timeout=5000)
        win.refresh_all()
        qtbot.waitUntil(lambda: not win.runner.busy)
    finally:
        sa_event.remove(desk.store.engine, "before_cursor_execute", on_query)
    assert gui_queries == [], "\n".join(gui_queries)
    win.close()
