"""The intake in the window: calls in progress as live rows of the call list, the quarantine tab with Replay and Discard, the
caller's intent at the top of the review pane (cancel/reschedule cannot be approved), returning callers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from receptionist.domain.bookings import BookingDraft
from receptionist.domain.intake import DeliverySource, InboxRecord, InboxState, LiveCallRecord
from receptionist.domain.call_queue import RowState
from receptionist.ui.call_list import CallListModel
from receptionist.ui.intake_views import QuarantineModel
from receptionist.ui.main_window import MainWindow
from tests.helpers.intake import ScriptedAdapter, scripted_delivery
from tests.helpers.ui import opened, review

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


def test_a_call_in_progress_is_a_live_row_that_becomes_its_call_in_place(qtbot, window, desk):
    panel = window.call_panel
    m, R = panel.model, CallListModel.Role
    deliver(desk, "live-1", "live", **{"from": "+13125550142", "transcript": [["agent", "Hi there!"]]})
    qtbot.waitUntil(lambda: m.rowCount() == 1, timeout=5000)  # the list was empty: nothing to move
    top = m.index(0, 0)
    assert isinstance(m.data(top, R.ROW), LiveCallRecord) and m.data(top, R.STATE) is RowState.LIVE
    assert m.data(top, R.PHONE) == "(312) 555-0142" and m.data(top, R.CALLER) == "Caller on the line"
    assert "First call from this number" in m.data(top, Qt.ItemDataRole.ToolTipRole)
    assert m.data(top, R.STATUS) == "On the call 2:00"  # the call's length: started 14:58Z, now 15:00Z
    assert m.data(top, R.SERVICE) == "“Hi there!”"
    deliver(desk, "live-1", "call", **{"from": "+13125550142"})
    qtbot.waitUntil(lambda: m.data(m.index(0, 0), R.CALL) is not None, timeout=5000)  # replaced where it was
    assert m.rowCount() == 1 and not m.held() and m.data(m.index(0, 0), R.CALL).call_id == "live-1"

    deliver(desk, "live-2", "live", **{"from": "+13125550142"})  # the same caller again
    qtbot.waitUntil(lambda: m.held() == 1, timeout=5000)  # a call is open: the new row waits behind the bar
    panel.show_new()
    qtbot.waitUntil(lambda: m.rowCount() == 2 and not panel.runner.busy, timeout=5000)
    assert m.data(m.index(0, 0), R.CALLER) == "Returning caller"
    assert "Returning caller, called before on 11/23/2026" in m.data(m.index(0, 0), Qt.ItemDataRole.ToolTipRole)


def test_quarantine_tab_replay_and_discard(qtbot, window, desk, scripted):
    scripted.broken.add("q-1")
    deliver(desk, "q-1")
    deliver(desk, "q-2", "boom")
    panel = window.quarantine_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=5000)
    assert window.lower_tabs.tabText(1) == "Quarantine (2)"
    assert panel.summary.text() == "2 deliveries could not be mapped"
    assert not panel.replay_button.isEnabled() and not panel.discard_button.isEnabled()  # nothing selected
    assert panel.select(next(r.id for r in panel.model.rows() if b"q-1" in r.body))
    assert "cannot map q-1 yet" in panel.model.data(panel.model.index(panel.table.currentIndex().row(), 2))
    assert '"q-1"' in panel.body.toPlainText()
    scripted.broken.clear()
    replayed = panel.selected().id
    panel.replay_selected()
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=5000)
    assert desk.store.inbox.get(replayed).state is InboxState.DONE
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)  # the list is read again on the worker
    assert window.lower_tabs.tabText(1) == "Quarantine (1)" and panel.summary.text() == "1 delivery could not be mapped"
    panel.table.selectRow(0)
    discarded = panel.selected().id
    panel.discard_selected()
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=5000)
    assert desk.store.inbox.get(discarded).state is InboxState.DISCARDED
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    assert window.lower_tabs.tabText(1) == "Quarantine"
    assert not panel.discard_button.isEnabled() and not panel.replay_button.isEnabled()  # the runner is done too


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
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=5000)  # checked on the worker
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
    panel = window.call_panel
    qtbot.waitUntil(lambda: panel.model.held() == 1, timeout=5000)
    panel.show_new()  # the first call was decided meanwhile: it leaves "Needs me"
    qtbot.waitUntil(lambda: not panel.model.held() and panel.model.rowCount() == 1, timeout=5000)
    newest = panel.model.rows()[0]
    assert newest.call_id == "v-2"
    review(qtbot, panel, newest.id)
    detail = panel.detail
    assert detail.intent_banner.isHidden() and detail.approve_button.isEnabled()
    assert detail.caller_note.isVisible() and detail.caller_note.text() == "Returning caller, last visit 10/14/2026"
    assert first.stored


def test_quarantine_model(qtmodeltester, clock):
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
        calls = win.call_panel.model
        qtbot.waitUntil(lambda: (win.quarantine_panel.model.rowCount(), calls.rowCount() + calls.held()) == (1, 2),
                        timeout=5000)
        win.call_panel.show_new()
        qtbot.waitUntil(lambda: calls.rowCount() == 2 and not win.runner.busy, timeout=5000)
        qtbot.waitUntil(lambda: win.call_panel.detail.call is not None and not win.runner.busy, timeout=5000)
        win.refresh_all()
        qtbot.waitUntil(lambda: not win.runner.busy)
    finally:
        sa_event.remove(desk.store.engine, "before_cursor_execute", on_query)
    assert gui_queries == [], "\n".join(gui_queries)
    win.close()


def test_the_window_writes_nothing_on_the_gui_thread(qtbot, desk, scripted, monkeypatch):
    """Approve, Save edits, Reject, the review pane's checks while a person types, Reschedule, Edit, Cancel, Retry
    and Keep ours, asked for in the window, and opening the dialogs and menus they are asked from, run every
    statement on a worker: the GUI thread issues no SQL."""
    import threading
    import traceback
    from dataclasses import replace

    from PySide6.QtCore import QPoint, Qt
    from sqlalchemy import event as sa_event

    from receptionist.domain.models import AppointmentStatus, ProposalStatus, SyncState
    from receptionist.errors import TransientError
    from receptionist.ui import call_review
    from receptionist.ui.appointment_dialog import EditAppointmentDialog

    gui_queries = []

    def on_query(_conn, _cursor, statement, *_rest):
        if threading.current_thread() is threading.main_thread():
            ours = [f"{f.name}:{f.lineno}" for f in traceback.extract_stack() if "/receptionist/" in f.filename]
            gui_queries.append(f"{statement[:60]} @ {' < '.join(reversed(ours[-6:]))}")

    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.show()
    for call_id in ("w-1", "w-2", "w-3"):
        deliver(desk, call_id)
    panel = win.call_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3 and not win.runner.busy, timeout=5000)
    calls = {c.call_id: c for c in panel.model.rows()}
    monkeypatch.setattr(call_review.QInputDialog, "getText", staticmethod(lambda *a, **k: ("Booked twice", True)))

    def settled():
        qtbot.waitUntil(lambda: not win.operations.busy and not win.runner.busy, timeout=5000)

    sa_event.listen(desk.store.engine, "before_cursor_execute", on_query)
    try:
        review(qtbot, panel, calls["w-1"].id)
        qtbot.keyClicks(panel.detail.name_edit, " Jr")  # checked on the worker while typed
        qtbot.waitUntil(lambda: not panel.detail._recheck_timer.isActive(), timeout=2000)
        settled()
        qtbot.mouseClick(panel.detail.save_button, Qt.MouseButton.LeftButton)
        settled()
        qtbot.mouseClick(panel.detail.approve_button, Qt.MouseButton.LeftButton)
        settled()
        review(qtbot, panel, calls["w-2"].id)
        qtbot.mouseClick(panel.detail.reject_button, Qt.MouseButton.LeftButton)
        settled()
    finally:
        sa_event.remove(desk.store.engine, "before_cursor_execute", on_query)
    approved = desk.store.proposals.get(calls["w-1"].proposal.id)
    assert approved.status is ProposalStatus.APPROVED and approved.caller_name.endswith(" Jr")
    assert desk.store.proposals.get(calls["w-2"].proposal.id).status is ProposalStatus.REJECTED
    [appt] = desk.desk.appointments.between()

    desk.google.fail_next = [TransientError("503 backend error", status=503)]
    desk.sync_in_background().join(10)
    [google] = [link for link in desk.desk.appointments.get(appt.id).links if link.calendar == "google:primary"]
    assert google.state is SyncState.FAILED
    qtbot.waitUntil(lambda: win.sync_panel.retry_all_button.isEnabled(), timeout=5000)
    settled()
    sa_event.listen(desk.store.engine, "before_cursor_execute", on_query)
    try:
        qtbot.mouseClick(win.sync_panel.retry_all_button, Qt.MouseButton.LeftButton)
        settled()
    finally:
        sa_event.remove(desk.store.engine, "before_cursor_execute", on_query)
    [google] = [link for link in desk.desk.appointments.get(appt.id).links if link.calendar == "google:primary"]
    assert google.state is SyncState.PENDING

    desk.sync_in_background().join(10)
    [rid] = [link.remote_id for link in desk.desk.appointments.get(appt.id).links if link.calendar == "google:primary"]
    event = desk.google.events[rid]
    desk.google.events[rid] = replace(event, title="Moved by Dr. Patel", etag='"person"')
    desk.google._changes.append(rid)  # a person's edit: Drift at the next cycle
    desk.sync_in_background().join(10)
    [drift] = [link for link in desk.desk.appointments.get(appt.id).links if link.calendar == "google:primary"]
    assert drift.state.needs_person
    settled()
    sa_event.listen(desk.store.engine, "before_cursor_execute", on_query)
    try:
        win.open_discrepancy(drift.id)  # the two versions are read on the worker, then the dialog opens
        compare = opened(qtbot, win, "discrepancy_dialog")
        win.open_action(appt.id, "reschedule")
        reschedule = opened(qtbot, win, "action_dialog")
        qtbot.mouseClick(compare.keep_ours_button, Qt.MouseButton.LeftButton)
        settled()
        reschedule.date_edit.setDate(reschedule.date_edit.date().addDays(1))
        reschedule.accept()
        settled()
    finally:
        sa_event.remove(desk.store.engine, "before_cursor_execute", on_query)
    assert desk.desk.appointments.get(appt.id).start == appt.start + timedelta(days=1)
    moved = desk.desk.appointments.get(appt.id)
    edit = EditAppointmentDialog(desk.desk.appointments, moved, win.zone, False, win.operations, parent=win)
    settled()
    sa_event.listen(desk.store.engine, "before_cursor_execute", on_query)
    try:
        win.open_action(appt.id, "cancel")
        cancel = opened(qtbot, win, "action_dialog")
        edit.service_edit.setText("Whitening")
        edit.accept()
        settled()
        cancel.reason_edit.setText("the caller asked")
        cancel.accept()
        settled()
        win.open_appointment(appt.id)  # read on the worker, then shown; news re-reads it there too
        detail = opened(qtbot, win, "appointment_dialog")
        detail.reload()
        settled()
        win.show_appointment_menu(appt.id, QPoint(5, 5))
        opened(qtbot, win, "appointment_menu").close()
    finally:
        sa_event.remove(desk.store.engine, "before_cursor_execute", on_query)
    final = desk.desk.appointments.get(appt.id)
    assert final.service == "Whitening" and final.status is AppointmentStatus.CANCELLED
    assert gui_queries == [], "\n".join(gui_queries)
    win.close()
