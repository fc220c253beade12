"""The call queue in the window: rows never move under the pointer while calls arrive, one list with live rows,
intent and state on every row, filters, search (Ctrl+F, digits in any format) and paging, the next waiting call after
a decision, and the keyboard (J/K, arrows, Tab leaves the list)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication

from receptionist.domain.call_queue import CallFilter, RowState
from receptionist.domain.intake import LiveCallRecord
from receptionist.domain.models import ProposalStatus
from receptionist.services.context import location_rules
from receptionist.ui import call_review as call_review_module
from receptionist.ui.call_list import CallListModel, plan_reread
from receptionist.ui.call_panel import CallPanel
from receptionist.ui.main_window import MainWindow
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

pytestmark = pytest.mark.gui

CANCEL = {"reason_codes": ["cancel_appointment"], "caller": {"name": "Ana Ruiz", "callback_number": "(773) 555-0199",
                                                             "account_id": None}}
MOVE = {"reason_codes": ["reschedule"], "caller": {"name": "Bo Chen", "callback_number": "(630) 555-0123",
                                                   "account_id": None}}


def caller(n: int) -> dict:
    return {"caller": {"name": f"Caller {n}", "callback_number": f"(312) 555-{n:04d}", "account_id": None}}


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def listed(qtbot, panel: CallPanel, n: int) -> None:
    """Wait for n rows listed, nothing held, every read landed."""
    qtbot.waitUntil(lambda: panel.model.rowCount() == n and not panel.model.held() and not panel.runner.busy,
                    timeout=5000)


def submit(qtbot, desk, panel, *calls: dict) -> None:
    """Deliver calls one after the other, each stored and announced before the next (their order is kept)."""
    for overrides in calls:
        before = panel.model.rowCount() + panel.model.held()
        desk.submit_call(**overrides)
        qtbot.waitUntil(lambda: panel.model.rowCount() + panel.model.held() > before, timeout=5000)
        desk.clock.advance(minutes=1)


def row_call(panel, row):
    return panel.model.data(panel.model.index(row, 0), CallListModel.Role.ROW)


def test_rows_never_move_under_the_pointer_while_calls_arrive(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, *[caller(n) for n in range(1, 6)])
    panel.show_new()
    listed(qtbot, panel, 5)
    view = panel.list_view
    point = view.visualRect(panel.model.index(2, 0)).center()
    under = view.indexAt(point).data(CallListModel.Role.CALL_ROW_ID)
    qtbot.mouseMove(view.viewport(), point)
    submit(qtbot, desk, panel, *[caller(n) for n in range(6, 9)])
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=5000)
    assert view.indexAt(point).data(CallListModel.Role.CALL_ROW_ID) == under  # the same call under the pointer
    assert panel.model.rowCount() == 5 and panel.new_bar.isVisible()
    assert panel.new_bar.text() == "3 new calls — show"
    assert panel.filters.tabText(0) == "Needs me 8"  # counted at once, listed when the desk looks
    qtbot.mouseClick(panel.new_bar, Qt.MouseButton.LeftButton)
    listed(qtbot, panel, 8)
    assert panel.new_bar.isHidden() and row_call(panel, 0).caller_name == "Caller 8"
    assert view.verticalScrollBar().value() == 0


def test_new_calls_are_listed_at_once_when_that_moves_nothing_the_desk_looks_at(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1))
    listed(qtbot, panel, 1)  # an empty list takes its first call at once
    qtbot.waitUntil(lambda: panel.detail.call is not None, timeout=5000)  # and opens it: the desk's next job
    panel.list_view.selectionModel().clear()  # nothing selected, at the top, the pointer elsewhere
    qtbot.mouseMove(panel.list_view.viewport())
    qtbot.mouseMove(panel.search)
    QApplication.processEvents()
    desk.submit_call(**caller(2))
    listed(qtbot, panel, 2)
    assert row_call(panel, 0).caller_name == "Caller 2"


def test_a_live_call_held_then_listed_becomes_its_call_in_place(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1))
    listed(qtbot, panel, 1)
    live = LiveCallRecord("generic", "live-7", "+13125550777", "in-progress", desk.clock(), desk.clock(), None,
                          (("caller", "Hi, my crown fell out"),))
    panel.model.upsert([live])
    assert panel.model.held() == 1 and panel.model.rowCount() == 1  # held like any new call
    ended = store_payload(desk.store, payload(call_id="live-7", **caller(7)), location_rules(desk.profile), desk.clock())
    panel.model.upsert([replace(live, ended_at=desk.clock())])
    panel.model.upsert([ended])
    panel.model.upsert([live])  # late news of the live call: its stored call is already held
    panel.show_new()
    listed(qtbot, panel, 2)
    assert row_call(panel, 0).id == ended.id


def test_each_row_shows_intent_urgency_and_state_and_changes_are_not_bookings(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1), CANCEL, MOVE,
           {**caller(4), "reason_codes": ["urgent"], "summary": "Crown fell out, in pain."})
    panel.show_new()
    listed(qtbot, panel, 4)
    m, R = panel.model, CallListModel.Role
    rows = {m.data(m.index(r, 0), R.CALLER): m.index(r, 0) for r in range(4)}
    assert (m.data(rows["Ana Ruiz"], R.INTENT), m.data(rows["Ana Ruiz"], R.STATUS)) == ("Cancel", "Cancel appointment")
    assert (m.data(rows["Bo Chen"], R.INTENT), m.data(rows["Bo Chen"], R.STATUS)) == ("Reschedule", "Move appointment")
    assert (m.data(rows["Caller 1"], R.INTENT), m.data(rows["Caller 1"], R.STATUS)) == ("Booking", "Needs review")
    assert m.data(rows["Caller 4"], R.URGENT) and m.data(rows["Caller 4"], R.STATE) is RowState.CALL_BACK_NOW
    assert "Cancel appointment" in m.data(rows["Ana Ruiz"]) and "Cancel" in m.data(rows["Ana Ruiz"])  # read aloud
    # the row is painted with its state's glyph: a cancel and a booking differ in more than colour
    assert RowState.CANCEL.glyph != RowState.REVIEW.glyph

    panel.filters.setCurrentIndex(list(CallFilter).index(CallFilter.CHANGES))
    qtbot.waitUntil(lambda: {c.caller_name for c in panel.model.rows()} == {"Ana Ruiz", "Bo Chen"}, timeout=5000)
    assert panel.filters.tabText(2) == "Changes 2" and panel.filters.tabText(3) == "Urgent 1"
    panel.filters.setCurrentIndex(list(CallFilter).index(CallFilter.URGENT))
    qtbot.waitUntil(lambda: [c.caller_name for c in panel.model.rows()] == ["Caller 4"], timeout=5000)


def test_ctrl_f_searches_by_name_or_by_digits_in_any_format(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1), caller(2), CANCEL)
    panel.show_new()
    listed(qtbot, panel, 3)
    panel.list_view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    qtbot.keyClicks(panel.search, "+1 (312) 555-0002")
    qtbot.waitUntil(lambda: [c.caller_name for c in panel.model.rows()] == ["Caller 2"], timeout=5000)
    qtbot.keyClick(panel.search, Qt.Key.Key_Down)  # back to the list, on its call
    assert panel.list_view.hasFocus() and panel.list_view.currentIndex().row() == 0
    panel.search.setText("ana")
    qtbot.waitUntil(lambda: [c.caller_name for c in panel.model.rows()] == ["Ana Ruiz"], timeout=5000)
    assert panel.counts.text() == "1 call"
    panel.search.clear()
    listed(qtbot, panel, 3)


def test_every_waiting_call_is_reachable_page_by_page(qtbot, window, desk):
    panel = window.call_panel
    panel.PAGE = 4
    for n in range(1, 11):
        store_payload(desk.store, payload(**caller(n)), location_rules(desk.profile), desk.clock())
        desk.clock.advance(minutes=1)
    reads = []
    real_page = desk.desk.bookings.call_page
    panel.bookings.call_page = lambda *a, **kw: reads.append(kw["limit"]) or real_page(*a, **kw)
    panel.filters.setCurrentIndex(list(CallFilter).index(CallFilter.DONE))  # read afresh, a page at a time
    panel.filters.setCurrentIndex(list(CallFilter).index(CallFilter.NEEDS_ME))
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 4 and not panel.runner.busy, timeout=5000)
    shown = panel.model.rowCount()
    if shown < 10:  # the list's first screen may have asked for a page or two more
        assert panel.counts.text() == f"{shown} of 10 calls listed · scroll for more"
    for _ in range(10):
        panel.list_view.scrollToBottom()
        QApplication.processEvents()
        qtbot.waitUntil(lambda: not panel.runner.busy, timeout=5000)
        if panel.model.rowCount() == 10:
            break
    assert [c.caller_name for c in panel.model.rows()] == [f"Caller {n}" for n in range(10, 0, -1)]
    assert panel.counts.text() == "10 calls" and max(reads) == 4  # never more than a page at once


def test_after_approve_or_reject_the_next_waiting_call_opens(qtbot, window, desk, monkeypatch):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1), caller(2), caller(3))
    panel.show_new()
    listed(qtbot, panel, 3)
    first = row_call(panel, 0)
    assert panel.select_call(first.id)
    qtbot.waitUntil(lambda: panel.detail.call is not None and panel.detail.call.id == first.id
                    and not panel.runner.busy, timeout=5000)
    qtbot.mouseClick(panel.detail.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail.call.caller_name == "Caller 2", timeout=5000)
    assert panel.model.rowCount() == 2 and panel.list_view.currentIndex().row() == 0  # decided: out of Needs me
    assert desk.store.proposals.get(first.proposal.id).status is ProposalStatus.APPROVED
    qtbot.waitUntil(lambda: not panel.runner.busy and not window.operations.busy, timeout=5000)
    monkeypatch.setattr(call_review_module.QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("Called the office instead", True)))
    second = panel.detail.call
    qtbot.mouseClick(panel.detail.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail.call.caller_name == "Caller 1", timeout=5000)
    assert desk.store.proposals.get(second.proposal.id).status is ProposalStatus.REJECTED
    qtbot.waitUntil(lambda: panel.filters.tabText(0) == "Needs me 1" and panel.model.rowCount() == 1, timeout=5000)


def test_the_list_is_worked_by_keyboard_and_tab_leaves_it(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1), caller(2), caller(3))
    panel.show_new()
    listed(qtbot, panel, 3)
    view = panel.list_view
    view.setFocus()
    view.setCurrentIndex(panel.model.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_J)
    assert view.currentIndex().row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 2
    qtbot.keyClick(view, Qt.Key.Key_J)  # the last row stays
    assert view.currentIndex().row() == 2
    qtbot.keyClick(view, Qt.Key.Key_K)
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().row() == 0
    qtbot.waitUntil(lambda: panel.detail.call is not None and panel.detail.call.id == row_call(panel, 0).id,
                    timeout=5000)
    assert not view.tabKeyNavigation()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert not view.hasFocus() and view.currentIndex().row() == 0  # focus left the list; the row did not move
    for widget in (view, panel.search, panel.filters, panel.sort, panel.new_bar):
        assert widget.accessibleName()


def test_call_list_model(qtmodeltester, store, profile, clock):
    rules = location_rules(profile)
    calls = []
    for n in range(3):
        calls.insert(0, store_payload(store, payload(**caller(n)), rules, clock()))
        clock.advance(minutes=3)
    model = CallListModel(profile.location.zone, clock)
    model.set_rows(calls[1:], more=True)
    kept = QPersistentModelIndex(model.index(1, 0))
    assert model.canFetchMore()
    asked = []
    model.more_wanted.connect(lambda: asked.append(1))
    model.fetchMore()
    model.fetchMore()
    assert asked == [1] and not model.canFetchMore()  # one page asked at a time
    qtmodeltester.check(model)
    model.upsert([calls[0]])
    assert model.held() == 1 and kept.row() == 1  # held: nothing moved
    decided = replace(calls[1], proposal=replace(calls[1].proposal, status=ProposalStatus.REJECTED))
    plan = plan_reread(model.shown(), [calls[0], calls[2]], more=False, updated=[decided])
    assert plan.changed == [decided] and plan.unknown == [calls[0]] and plan.tail == []  # made on the worker
    model.reconcile(plan)
    assert kept.row() == 1 and model.data(model.index(0, 0), model.Role.STATE) is RowState.REJECTED
    model.append([calls[2]], more=False)  # already listed: skipped
    assert model.rowCount() == 2 and model.held() == 1
    assert model.data(model.index(0, 0), model.Role.RECEIVED) == "9:03 AM"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole).startswith("Booking: Rejected")
    assert model.roleNames()[int(model.Role.ERROR_COUNT)] == b"error_count"
    model.set_rows(calls)
    qtmodeltester.check(model)
    assert model.held() == 0 and model.row_of(calls[0].id) == 0
    model.remove(calls[0].id)
    assert model.row_of(calls[1].id) == 0 and model.row_of(calls[0].id) == -1


def test_a_call_decided_at_another_desk_changes_where_it_is(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1), caller(2), caller(3))
    panel.show_new()
    listed(qtbot, panel, 3)
    middle = row_call(panel, 1)
    kept = QPersistentModelIndex(panel.model.index(2, 0))
    desk.desk.bookings.approve(middle.proposal.id, middle.proposal.version, actor="front desk 2")  # news: a refresh
    qtbot.waitUntil(lambda: panel.model.data(panel.model.index(1, 0), CallListModel.Role.STATE) is RowState.APPROVED,
                    timeout=5000)
    assert row_call(panel, 1).id == middle.id and kept.row() == 2 and panel.model.rowCount() == 3
    qtbot.waitUntil(lambda: panel.filters.tabText(0) == "Needs me 2", timeout=5000)


def test_sort_and_news_read_for_a_view_no_longer_shown(qtbot, window, desk):
    panel = window.call_panel
    submit(qtbot, desk, panel, caller(1), caller(2), caller(3))
    panel.show_new()
    listed(qtbot, panel, 3)
    panel.sort.setCurrentIndex(panel.sort.findText("Oldest first"))
    qtbot.waitUntil(lambda: [c.caller_name for c in panel.model.rows()] == ["Caller 1", "Caller 2", "Caller 3"]
                    and not panel.runner.busy, timeout=5000)
    late = store_payload(desk.store, payload(**caller(4)), location_rules(desk.profile), desk.clock())
    panel.calls_changed([late.id])  # its read is on the worker when the desk switches to Done
    panel.filters.setCurrentIndex(list(CallFilter).index(CallFilter.DONE))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=5000)
    assert panel.model.rowCount() == 0 and panel.model.held() == 0 and panel.new_bar.isHidden()
    assert panel.counts.text() == "0 calls" and panel.filters.tabText(0) == "Needs me 4"
