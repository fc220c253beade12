"""The main window end to end: calls arrive from the ingest thread, get reviewed and approved, sync on a worker
thread, and the table, calendar and health pills follow the EventBus."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from receptionist.domain.call_queue import CallFilter
from receptionist.domain.models import ProposalStatus, SyncState
from receptionist.domain.ports import RemoteEvent
from receptionist.errors import TransientError, UserError
from receptionist.ui import call_review as call_review_module
from receptionist.ui import launch as launch_module
from receptionist.ui import operations as operations_module
from receptionist.ui.launch import CrashHandler, run_gui
from receptionist.ui.main_window import MainWindow
from receptionist.ui.models import AppointmentTableModel
from tests.helpers.ui import badge_column, item_rects, opened, review

pytestmark = pytest.mark.gui

BAD_PHONE = {"name": "Sam Carter", "callback_number": "555-01", "account_id": "ACC-7"}


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus, demo_banner="DEMO — sandbox calendars, simulated calls")
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def wait_for_calls(qtbot, win, n):
    """Wait for n calls listed or held behind the "new calls" bar, then list them (the desk looks)."""
    panel = win.call_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() + panel.model.held() == n, timeout=5000)
    if panel.model.held():
        panel.show_new()
    qtbot.waitUntil(lambda: panel.model.rowCount() == n and not panel.model.held(), timeout=5000)


def badge(win, calendar):
    model = win.sync_panel.model
    index = model.index(0, badge_column(model, calendar))
    return model.data(index), model.data(index, Qt.ItemDataRole.ToolTipRole)


def test_window_title_and_header(qtbot, window, desk):
    qtbot.waitUntil(lambda: not window.runner.busy)  # the health snapshot is read on a worker
    assert window.windowTitle() == "Demo Dental & Wellness — Receptionist Console"  # Qt adds no second name
    assert window.demo_label.isVisible() and "DEMO" in window.demo_label.text()
    assert "11/23/2026" in window.clock_label.text() and "9:00 AM" in window.clock_label.text()
    assert set(window.pills) == {"google:primary", "outlook:default", "twilio", "webhook", "leader"}
    assert window.pills["twilio"].state == "off" and window.pills["leader"].state == "ok"
    assert window.pills["webhook"].state == "ok" and "8765" in window.pills["webhook"].toolTip()
    assert window.pills["google:primary"].state == "pending"  # not contacted yet


def test_call_arrives_and_shows_checked_fields(qtbot, window, desk):
    desk.submit_call()
    wait_for_calls(qtbot, window, 1)
    panel = window.call_panel
    review(qtbot, panel, panel.model.rows()[0].id)
    detail = panel.detail
    assert detail.name_edit.text() == "Maria Lopez"
    assert detail.phone_edit.text() == "(312) 555-0142"
    assert detail.start_edit.text() == "11/24/2026 10:30 AM"
    assert detail.zone_label.text() == "CST"
    assert {f: m.mark for f, m in detail.marks.items()} == dict.fromkeys(detail.marks, "✓")
    assert detail.approve_button.isEnabled()
    assert "new_booking" in detail.captured["reasons"].text()
    assert detail.captured["account"].text() == "ACC-10442"
    assert "I'd like a cleaning" in detail.transcript.toPlainText()
    assert "Delta Dental" in detail.captured["custom"].text()


def test_bad_phone_blocks_approve_until_fixed(qtbot, window, desk):
    desk.submit_call(caller=BAD_PHONE)
    wait_for_calls(qtbot, window, 1)
    panel = window.call_panel
    review(qtbot, panel, panel.model.rows()[0].id)
    detail = panel.detail
    mark = detail.marks["callback_number"]
    assert mark.mark == "✗" and "possible phone number" in mark.toolTip() and mark.message.isVisible()
    assert not detail.approve_button.isEnabled()
    assert panel.model.data(panel.model.index(0, 0), panel.model.Role.ERROR_COUNT) == 1

    detail.phone_edit.clear()
    qtbot.keyClicks(detail.phone_edit, "312-555-0199")
    qtbot.waitUntil(lambda: detail.approve_button.isEnabled(), timeout=2000)
    assert detail.marks["callback_number"].mark == "✓"


def test_approve_then_sync_turns_badges_synced(qtbot, window, desk):
    desk.submit_call()
    wait_for_calls(qtbot, window, 1)
    panel = window.call_panel
    review(qtbot, panel, panel.model.rows()[0].id)
    qtbot.mouseClick(panel.detail.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=3000)  # approved on the worker

    [appt] = desk.desk.appointments.between()
    assert appt.caller_name == "Maria Lopez"
    qtbot.waitUntil(lambda: window.sync_panel.model.rowCount() == 1, timeout=2000)
    assert badge(window, "google:primary")[0] == "Pending"
    qtbot.waitUntil(lambda: panel.detail.call.proposal.status is ProposalStatus.APPROVED, timeout=3000)
    assert "Approved" in panel.detail.state_banner.text() and not panel.detail.approve_button.isVisible()
    assert panel.detail.name_edit.isReadOnly()

    desk.sync_in_background().join(10)
    qtbot.waitUntil(lambda: badge(window, "google:primary")[0] == "Synced"
                    and badge(window, "outlook:default")[0] == "Synced", timeout=3000)
    model = window.sync_panel.model
    when = model.data(model.index(0, AppointmentTableModel.Column.WHEN))
    assert when == "11/24/2026 10:30 AM"
    assert model.data(model.index(0, AppointmentTableModel.Column.PHONE)) == "(312) 555-0142"
    qtbot.waitUntil(lambda: window.pills["google:primary"].state == "ok", timeout=2000)
    assert window.pills["outlook:default"].state == "ok"


def test_failed_link_shows_error_and_retry_all_failed(qtbot, window, desk):
    desk.submit_call()
    wait_for_calls(qtbot, window, 1)
    call = window.call_panel.model.rows()[0]
    p = call.proposal
    desk.desk.bookings.approve(p.id, p.version)
    desk.google.fail_next = [TransientError("503 backend error", status=503)]
    desk.sync_in_background().join(10)
    qtbot.waitUntil(lambda: badge(window, "google:primary")[0] == "Failed", timeout=3000)
    text, tip = badge(window, "google:primary")
    assert "503 backend error" in tip and "retrying at" in tip
    qtbot.waitUntil(lambda: badge(window, "outlook:default")[0] == "Synced", timeout=3000)
    panel = window.sync_panel
    model = panel.model
    panel.table.setCurrentIndex(model.index(0, badge_column(model, "google:primary")))
    assert "503 backend error" in panel.error_text.toPlainText()
    assert panel.retry_button.isEnabled() and not panel.decide_button.isEnabled()
    qtbot.waitUntil(lambda: "1 sync problem" in window.status_counts.text(), timeout=3000)
    assert panel.retry_all_button.isEnabled()
    qtbot.waitUntil(lambda: window.pills["google:primary"].state in ("error", "ok"), timeout=2000)

    qtbot.mouseClick(panel.retry_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: badge(window, "google:primary")[0] == "Pending", timeout=3000)
    assert not panel.retry_all_button.isEnabled()


def test_conflict_keep_ours_lands_after_a_cycle(qtbot, window, desk):
    """A person edits our event on Google while we reschedule it here: Conflict, both versions shown; Keep ours
    writes ours again and, after a sync cycle, the calendar holds our version."""
    desk.submit_call()
    wait_for_calls(qtbot, window, 1)
    p = window.call_panel.model.rows()[0].proposal
    appt = desk.desk.bookings.approve(p.id, p.version)
    desk.sync_in_background().join(10)
    qtbot.waitUntil(lambda: badge(window, "google:primary")[0] == "Synced", timeout=3000)
    [rid] = [link.remote_id for link in desk.desk.appointments.get(appt.id).links if link.calendar == "google:primary"]
    event = desk.google.events[rid]
    desk.google.events[rid] = replace(event, title="Teeth cleaning — Maria (moved by Dr. Patel)", etag='"person"')
    desk.google._changes.append(rid)  # a person's edit, seen by the next incremental pull
    ours = desk.desk.appointments.reschedule(appt.id, appt.start + timedelta(hours=1))
    desk.sync_in_background().join(10)
    qtbot.waitUntil(lambda: badge(window, "google:primary")[0] == "Conflict", timeout=3000)
    assert badge(window, "outlook:default")[0] == "Synced"  # Outlook took the move

    panel = window.sync_panel
    panel.table.setCurrentIndex(panel.model.index(0, 0))  # a plain cell picks all the row's links
    assert panel.decide_button.isEnabled() and "Google Calendar: Conflict" in panel.error_text.toPlainText()
    assert not panel.retry_all_button.isEnabled()  # nothing is Failed
    # the counts come with the health snapshot, read at most once a second while news keeps coming
    qtbot.waitUntil(lambda: "1 sync problem" in window.status_counts.text(), timeout=3000)
    qtbot.mouseClick(panel.decide_button, Qt.MouseButton.LeftButton)
    compare = opened(qtbot, window, "discrepancy_dialog")
    assert "changed both here and on Google Calendar" in compare.summary.text()
    assert {"title", "start", "end"} <= set(compare.differing)
    qtbot.mouseClick(compare.keep_ours_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: badge(window, "google:primary")[0] == "Pending", timeout=2000)
    assert badge(window, "outlook:default")[0] == "Synced"  # untouched

    desk.sync_in_background().join(10)
    qtbot.waitUntil(lambda: badge(window, "google:primary")[0] == "Synced", timeout=3000)
    event = desk.google.events[rid]
    assert (event.title, event.start, event.end) == ("Teeth cleaning — Maria Lopez", ours.start, ours.end)
    qtbot.waitUntil(lambda: "0 sync problems" in window.status_counts.text(), timeout=2000)


def test_crash_handler_shows_user_errors_as_messages_and_bugs_as_reports(qtbot, monkeypatch):
    warnings, reports = [], []
    monkeypatch.setattr(launch_module.QMessageBox, "warning",
                        staticmethod(lambda parent, title, text: warnings.append(text)))
    monkeypatch.setattr(launch_module.QMessageBox, "exec", lambda box: reports.append(box.detailedText()))
    handler = CrashHandler(lambda: None, previous=lambda *a: None)
    handler(UserError, UserError("the profile is wrong"), None)
    assert warnings == ["the profile is wrong"] and not reports
    try:
        raise ValueError("boom")
    except ValueError as exc:
        handler(ValueError, exc, exc.__traceback__)
    assert len(reports) == 1 and "ValueError: boom" in reports[0] and "Traceback" in reports[0]


def test_a_call_that_arrives_while_the_list_is_read_afresh_stays_listed(qtbot, window, desk, monkeypatch):
    """The window's reads run two at a time: a fresh list (the desk looked, or a new view) read before a call was
    stored may land after that call's own read put it behind the bar. It must not drop the call: the list is read
    afresh again once the call is stored."""
    import threading

    panel = window.call_panel
    qtbot.waitUntil(lambda: not window.runner.busy)
    bookings, read_page = panel.bookings, panel.bookings.call_page
    read, go = threading.Event(), threading.Event()

    def page_read_before_the_call(*args, **kwargs):
        page = read_page(*args, **kwargs)
        if not read.is_set():  # the first fresh list: read now, delivered only once the call's own read is in
            read.set()
            go.wait(10)
        return page

    monkeypatch.setattr(bookings, "call_page", page_read_before_the_call)
    panel.show_new()
    assert read.wait(10)
    desk.submit_call()
    qtbot.waitUntil(lambda: panel.model.rowCount() + panel.model.held() == 1, timeout=5000)
    go.set()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=5000)
    qtbot.wait(100)
    assert panel.model.rowCount() + panel.model.held() == 1


def test_new_call_keeps_selection_and_edits(qtbot, window, desk):
    desk.submit_call()
    wait_for_calls(qtbot, window, 1)
    panel = window.call_panel
    first = panel.model.rows()[0]
    review(qtbot, panel, first.id)
    detail = panel.detail
    detail.name_edit.clear()
    qtbot.keyClicks(detail.name_edit, "Maria L. Lopez")
    assert detail.dirty

    desk.submit_call(caller={"name": "Ken Adams", "callback_number": "(312) 555-0100", "account_id": None})
    qtbot.waitUntil(lambda: panel.new_bar.isVisible(), timeout=5000)  # held: the rows do not move
    assert panel.new_bar.text() == "1 new call — show" and panel.model.rowCount() == 1
    qtbot.mouseClick(panel.new_bar, Qt.MouseButton.LeftButton)
    wait_for_calls(qtbot, window, 2)
    assert panel.model.rows()[0].caller_name == "Ken Adams"  # newest on top
    assert panel.list_view.currentIndex().row() == 1
    assert detail.call.id == first.id and detail.name_edit.text() == "Maria L. Lopez"

    qtbot.mouseClick(detail.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=3000)  # saved on the worker
    assert desk.store.proposals.get(first.proposal.id).caller_name == "Maria L. Lopez"
    assert not detail.dirty and detail.call.id == first.id


def test_reject_asks_for_a_reason_and_user_errors_are_messages(qtbot, window, desk, monkeypatch):
    desk.submit_call()
    wait_for_calls(qtbot, window, 1)
    panel = window.call_panel
    review(qtbot, panel, panel.model.rows()[0].id)
    shown = []
    monkeypatch.setattr(operations_module, "show_user_error", lambda parent, title, msg: shown.append(msg))
    answers = iter([("   ", True), ("Caller booked by phone already", True)])
    monkeypatch.setattr(call_review_module.QInputDialog, "getText", staticmethod(lambda *a, **k: next(answers)))

    qtbot.mouseClick(panel.detail.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.operations.busy, timeout=3000)  # the reject runs on the worker
    assert shown and "Say why" in shown[0]  # UserError → one sentence, no traceback
    qtbot.mouseClick(panel.detail.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail.call.proposal.status is ProposalStatus.REJECTED, timeout=3000)
    assert "Caller booked by phone already" in panel.detail.state_banner.text()
    qtbot.waitUntil(lambda: panel.model.data(panel.model.index(0, 0), panel.model.Role.STATUS) == "Rejected",
                    timeout=3000)  # the list row is read again on the worker


def test_calendar_shows_external_events_and_appointment(qtbot, window, desk):
    zone = desk.profile.location.zone
    tue = lambda h, m=0: datetime(2026, 11, 24, h, m, tzinfo=zone).astimezone(timezone.utc)  # noqa: E731
    desk.google.add_external("g-1", "Dr. Patel out", tue(10), tue(11))
    desk.outlook.add_external("o-1", "Supplier call", tue(14), tue(14, 30))
    desk.outlook.events["o-2"] = RemoteEvent("o-2", '"y"', "Staff training", datetime(2026, 11, 25, tzinfo=zone),
                                             datetime(2026, 11, 26, tzinfo=zone), all_day=True)
    desk.submit_call()
    wait_for_calls(qtbot, window, 1)
    p = window.call_panel.model.rows()[0].proposal
    desk.desk.bookings.approve(p.id, p.version)
    desk.sync_in_background().join(10)

    def drawn():
        return {item.title: item for item in window.calendar.items}

    qtbot.waitUntil(lambda: {"Dr. Patel out", "Supplier call", "Staff training",
                             "Maria Lopez — Teeth cleaning"} <= set(drawn()), timeout=3000)
    items = drawn()
    ours = items["Maria Lopez — Teeth cleaning"]
    assert ours.kind == "appointment" and ours.day == 1 and ours.start.strftime("%H:%M") == "10:30"
    assert dict(ours.sync) == {"google:primary": SyncState.SYNCED, "outlook:default": SyncState.SYNCED}
    patel = items["Dr. Patel out"]
    assert patel.calendar == "google:primary" and patel.day == 1
    assert {ours.lanes, patel.lanes} == {2} and {ours.lane, patel.lane} == {0, 1}  # side by side
    assert items["Supplier call"].lanes == 1 and items["Supplier call"].calendar == "outlook:default"
    training = items["Staff training"]
    assert training.all_day and training.day == 2
    assert "Google Calendar: Synced" in window.calendar.tooltip_of(ours)
    assert window.calendar.title_label.text() == "November 23 – 29, 2026"
    # the drawn rectangles: ours and Dr. Patel share Tuesday's column, half each
    rects = {item.title: rect for rect, item in item_rects(window.calendar.canvas)}
    a, b = rects["Maria Lopez — Teeth cleaning"], rects["Dr. Patel out"]
    assert abs(a.width() - b.width()) < 1 and not a.intersects(b)

    with qtbot.waitSignal(window.calendar.week_shown, timeout=3000):  # the week is read on a worker
        qtbot.mouseClick(window.calendar.next_button, Qt.MouseButton.LeftButton)
    assert window.calendar.items == [] and window.calendar.today_button.isEnabled()
    with qtbot.waitSignal(window.calendar.week_shown, timeout=3000):
        qtbot.mouseClick(window.calendar.today_button, Qt.MouseButton.LeftButton)
    assert len(window.calendar.items) == 4


def test_screenshot_with_data(qtbot, window, desk):
    """Saves /tmp/ui-shot.png: a reviewed call, a new call with a bad number, synced + failed badges, events."""
    zone = desk.profile.location.zone
    day = lambda d, h, m=0: datetime(2026, 11, d, h, m, tzinfo=zone).astimezone(timezone.utc)  # noqa: E731
    desk.google.add_external("g-1", "Dr. Patel — conference", day(24, 10), day(24, 11, 30))
    desk.google.add_external("g-2", "Lunch & learn", day(23, 12), day(23, 13))
    desk.outlook.add_external("o-1", "Supplier call", day(25, 14), day(25, 14, 30))
    desk.outlook.add_external("o-2", "Team huddle", day(26, 8), day(26, 8, 30))
    desk.outlook.events["o-3"] = RemoteEvent("o-3", '"y"', "Thanksgiving — closed",
                                             datetime(2026, 11, 26, tzinfo=zone), datetime(2026, 11, 27, tzinfo=zone),
                                             all_day=True)
    window.call_panel.filters.setCurrentIndex(list(CallFilter).index(CallFilter.ALL))  # decided calls stay listed
    desk.submit_call()
    desk.submit_call(caller={"name": "Ken Adams", "callback_number": "(312) 555-0100", "account_id": "ACC-3"},
                     service="Massage (60 min)", requested_start="2026-11-25T15:00:00", duration_minutes=60,
                     reason_codes=["new_booking", "returning"])
    wait_for_calls(qtbot, window, 2)
    for call in window.call_panel.model.rows():
        desk.desk.bookings.approve(call.proposal.id, call.proposal.version)
    desk.google.fail_next = [TransientError("503 backend error", status=503)]
    desk.sync_in_background().join(10)
    desk.submit_call(caller=BAD_PHONE, service="Whitening consultation", requested_start="2026-11-24T10:45:00",
                     reason_codes=["new_booking", "urgent"], summary="Sam wants whitening info, Tuesday late morning.")
    wait_for_calls(qtbot, window, 3)
    review(qtbot, window.call_panel, window.call_panel.model.rows()[0].id)
    qtbot.waitUntil(lambda: window.sync_panel.model.rowCount() == 2 and "Failed" in
                    [window.sync_panel.model.data(window.sync_panel.model.index(r, AppointmentTableModel.FIRST_BADGE))
                     for r in range(2)],
                    timeout=3000)
    qtbot.wait(150)
    assert window.grab().save("/tmp/ui-shot.png")


@pytest.mark.skipif(not os.environ.get("RECEPTIONIST_RUN_GUI_LOOP"), reason="run by the subprocess test below")
def test_run_gui_runs_the_loop_until_closed(qtbot, desk):
    seen = []

    def ready(win):
        seen.append(win.windowTitle())
        win.close()
        from PySide6.QtWidgets import QApplication
        QApplication.instance().quit()

    assert run_gui(desk.desk, desk.bus, on_ready=ready, demo_banner="DEMO") == 0
    assert seen == ["Demo Dental & Wellness — Receptionist Console"]


def test_run_gui_in_its_own_process():
    """``QApplication.exec()`` returning leaves the shared QApplication unable to deliver queued cross-thread
    signals to later tests, so the real event loop runs in a process of its own."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{__file__}::test_run_gui_runs_the_loop_until_closed"],
        env={**os.environ, "RECEPTIONIST_RUN_GUI_LOOP": "1", "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


def test_webhook_pill_shows_a_missing_secret(qtbot, desk):
    desk.problems["webhook"] = "calls are refused until a signing secret is set"
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.refresh_health()
    qtbot.waitUntil(lambda: not win.runner.busy)
    assert win.pills["webhook"].state == "error"
    assert "signing secret" in win.pills["webhook"].toolTip()


def test_a_sync_cycle_runs_no_query_on_the_gui_thread_and_updates_rows_in_place(qtbot, window, desk):
    """While the sync thread pushes, the window's reads run on its worker; a link's news updates that row, no
    reset (selection kept), and nothing reloads on HEALTH_CHANGED."""
    import threading

    from sqlalchemy import event as sa_event

    desk.submit_call()
    desk.submit_call(call_id="call-2", requested_start="2026-11-25T11:00:00")
    wait_for_calls(qtbot, window, 2)
    for call in window.call_panel.model.rows():
        desk.desk.bookings.approve(call.proposal.id, call.proposal.version)
    qtbot.waitUntil(lambda: window.sync_panel.model.rowCount() == 2, timeout=5000)
    panel = window.sync_panel
    panel.table.selectRow(1)
    resets = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    gui_queries = []

    def on_query(*_args):
        if threading.current_thread() is threading.main_thread():
            gui_queries.append(_args[2][:80])

    sa_event.listen(desk.store.engine, "before_cursor_execute", on_query)
    try:
        desk.sync_in_background().join(10)
        qtbot.waitUntil(lambda: {badge(window, c)[0] for c in ("google:primary", "outlook:default")} == {"Synced"},
                        timeout=5000)
        qtbot.waitUntil(lambda: not window.runner.busy)
    finally:
        sa_event.remove(desk.store.engine, "before_cursor_execute", on_query)
    assert gui_queries == []
    assert resets == []  # rows updated in place
    assert [i.row() for i in panel.table.selectionModel().selectedRows()] == [1]


def test_appointments_table_sizes_its_columns_without_measuring_rows(qtbot, window):
    """Qt measuring every listed row (ResizeToContents) was most of a refresh with thousands of rows: the widths
    come from the headers and the model's widest texts; Service takes the spare width, Caller can be dragged."""
    from PySide6.QtWidgets import QHeaderView

    header = window.sync_panel.table.horizontalHeader()
    model = window.sync_panel.model
    modes = [header.sectionResizeMode(c) for c in range(model.columnCount())]
    assert QHeaderView.ResizeMode.ResizeToContents not in modes
    assert modes[AppointmentTableModel.Column.SERVICE] is QHeaderView.ResizeMode.Stretch
    assert modes[AppointmentTableModel.Column.CALLER] is QHeaderView.ResizeMode.Interactive
    metrics = window.sync_panel.table.fontMetrics()
    when = header.sectionSize(AppointmentTableModel.Column.WHEN)
    assert when >= metrics.horizontalAdvance(model.widest_text(AppointmentTableModel.Column.WHEN))


def test_news_about_a_row_past_the_shown_page_reads_no_window_again(qtbot, desk, monkeypatch):
    """During a cycle most news names appointments past the page shown (Show more would list them): their rows are
    read by id and dropped, not followed by a read of the whole window; a new one inside the page still is."""
    from receptionist.ui import sync_panel as sync_panel_module

    monkeypatch.setattr(sync_panel_module, "PAGE", 2)
    for n, start in enumerate(("2026-11-24T10:30:00", "2026-11-25T10:30:00", "2026-11-26T10:30:00")):
        desk.submit_call(call_id=f"c{n}", requested_start=start)
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == 3, timeout=5000)
    for call in sorted(desk.desk.bookings.calls(), key=lambda c: c.requested_start):
        desk.desk.bookings.approve(call.proposal.id, call.proposal.version)
    ctx = desk.desk.context
    panel = sync_panel_module.SyncPanel(desk.desk.appointments, desk.desk.sync, ctx.rules.zone,
                                        list(ctx.calendars.items()))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        panel.refresh()
    listed = [row.id for row in panel.model.rows()]
    last = next(a for a in desk.desk.appointments.between() if a.id not in listed)
    reads = []
    real_run = panel.runner.run

    def run(view, *args, **kwargs):
        reads.append(view)
        return real_run(view, *args, **kwargs)

    monkeypatch.setattr(panel.runner, "run", run)
    panel.appointments_changed([last.id])  # the third, after the two shown
    qtbot.waitUntil(lambda: bool(reads) and not panel.runner.busy, timeout=3000)
    assert [view for view in reads if view == "sync-panel"] == []

    desk.submit_call(call_id="early", requested_start="2026-11-23T13:00:00")
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == 4, timeout=5000)
    early = next(c for c in desk.desk.bookings.calls() if c.call_id == "early")
    booked = desk.desk.bookings.approve(early.proposal.id, early.proposal.version)
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        panel.appointments_changed([booked.id])  # new, and before the last shown: the window is read again
    assert panel.model.row_of(booked.id) == 0


def test_show_more_and_scrolling_to_the_end_read_only_the_next_page(qtbot, desk, monkeypatch):
    """Show more (or the table scrolled to its end: Qt's canFetchMore/fetchMore) reads the next page and appends
    it; the rows listed are not read again."""
    from receptionist.ui import sync_panel as sync_panel_module

    monkeypatch.setattr(sync_panel_module, "PAGE", 2)
    starts = ("2026-11-24T10:30:00", "2026-11-25T10:30:00", "2026-11-26T10:30:00", "2026-11-27T10:30:00",
              "2026-11-30T10:30:00")
    for n, start in enumerate(starts):
        desk.submit_call(call_id=f"m{n}", requested_start=start)
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == 5, timeout=5000)
    for call in desk.desk.bookings.calls():
        desk.desk.bookings.approve(call.proposal.id, call.proposal.version)
    ctx = desk.desk.context
    pages = []
    real_page = desk.desk.appointments.page
    monkeypatch.setattr(desk.desk.appointments, "page",
                        lambda start, end, *, offset=0, limit=200: pages.append((offset, limit))
                        or real_page(start, end, offset=offset, limit=limit))
    panel = sync_panel_module.SyncPanel(desk.desk.appointments, desk.desk.sync, ctx.rules.zone,
                                        list(ctx.calendars.items()))
    qtbot.addWidget(panel)
    # a table taller than its rows fetches more by itself (Qt's canFetchMore/fetchMore, as when scrolled to the end):
    # one row high, it waits for Show more
    panel.table.setFixedHeight(panel.table.horizontalHeader().sizeHint().height() + 12)
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        panel.refresh()
    first_two = [row.id for row in panel.model.rows()]
    assert panel.model.canFetchMore() and not panel.more_button.isHidden()
    inserted = []
    panel.model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    panel.model.modelReset.connect(lambda: inserted.append("reset"))
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        panel.more_button.click()
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        panel.model.fetchMore()  # what the view does when it is scrolled to the last row
    assert pages == [(0, 3), (2, 3), (4, 3)] and inserted == [(2, 3), (4, 4)]
    assert [row.id for row in panel.model.rows()][:2] == first_two and panel.model.rowCount() == 5
    assert not panel.model.canFetchMore() and panel.more_button.isHidden()
    assert [row.start for row in panel.model.rows()] == sorted(row.start for row in panel.model.rows())
