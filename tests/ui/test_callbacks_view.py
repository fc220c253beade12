"""The Callbacks tab by keyboard (pytest-qt, offscreen): the AI summary first, the number a ``tel:`` link, Call back
(Ctrl+Enter) through the dialer, Done by a digit key, the overdue ones in red; and the tab in the main window."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import Qt

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.callbacks import CallbackOutcome
from receptionist.domain.ports import PlacedCall
from receptionist.services import Desk, DeskContext
from receptionist.services.context import location_rules
from receptionist.ui.callbacks_view import OVERDUE, CallbacksView
from receptionist.ui.main_window import MainWindow
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

pytestmark = pytest.mark.gui

OWNER = "+13125550999"


@dataclass
class FakeDialer:
    placed: list[tuple[str, str]] = field(default_factory=list)

    def connect_call(self, owner: str, caller: str) -> PlacedCall:
        self.placed.append((owner, caller))
        return PlacedCall(sid="CA" + "0" * 32, status="queued", to=owner)


@pytest.fixture
def owner_desk(store, clock):
    profile = Profile.from_dict({"people": {"members": [{"name": "Ana Ruiz", "role": "owner", "phone": OWNER}]}})
    dialer = FakeDialer()
    desk = Desk(DeskContext.of(store, profile, events.EventBus(), {}, clock, dialer=dialer))
    desk.people.pick("Ana Ruiz")
    rules = location_rules(profile)
    store_payload(store, payload(reason_codes=["general inquiry"], service=..., requested_start=...,
                                 summary="Asked about Saturday hours.",
                                 caller={"name": "Joe Park", "callback_number": "(312) 555-0177"}), rules, clock())
    store_payload(store, payload(reason_codes=["urgent"], summary="Crown fell out."), rules, clock())
    return desk, dialer


def wait_idle(qtbot, view):
    qtbot.waitUntil(lambda: not view.runner.busy and not view.operations.busy, timeout=5000)


def test_the_callback_desk_by_keyboard(qtbot, owner_desk, clock):
    desk, dialer = owner_desk
    view = CallbacksView(desk.callbacks, desk.context.rules.zone, clock, runner=None, operations=None)
    qtbot.addWidget(view)
    desk.context.bus.subscribe(lambda e: view.on_event(e.topic, e.data))
    view.show()
    wait_idle(qtbot, view)
    assert [r.summary.who.split(" · ")[0] for r in view.model.rows()] == ["Maria Lopez", "Joe Park"]
    assert view.summary_label.text() == "2 to call back"
    detail = view.detail.text()
    assert detail.index("Maria Lopez") < detail.index("Wants:") < detail.index("The AI told them:")
    assert '<a href="tel:+13125550142">(312) 555-0142</a>' in detail

    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert view.selected().summary.who.startswith("Joe Park")
    qtbot.keyClick(view.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, view)
    assert dialer.placed == [(OWNER, "+13125550177")]
    qtbot.keyClick(view.table, Qt.Key.Key_2)  # Left a voicemail
    qtbot.waitUntil(lambda: len(view.model.rows()) == 1, timeout=5000)
    wait_idle(qtbot, view)
    [left] = view.model.rows()
    assert left.summary.who.startswith("Maria Lopez")
    done = [c for c in desk.callbacks.desk(include_done=True).callbacks if not c.open]
    assert [(c.outcome, c.done_by, c.called_by) for c in done] == [(CallbackOutcome.VOICEMAIL, "Ana Ruiz",
                                                                    "Ana Ruiz")]

    clock.advance(hours=1)  # the urgent one was due in 30 open minutes
    qtbot.keyClick(view.table, Qt.Key.Key_F5)
    wait_idle(qtbot, view)
    index = view.model.index(0, 0)
    assert view.model.data(index).startswith("OVERDUE")
    assert view.model.data(index, Qt.ItemDataRole.ForegroundRole).color() == OVERDUE
    assert view.summary_label.text() == "1 to call back, 1 overdue"


def test_booked_asks_for_the_appointment_and_cancel_changes_nothing(qtbot, owner_desk, clock):
    desk, _dialer = owner_desk
    view = CallbacksView(desk.callbacks, desk.context.rules.zone, clock)
    qtbot.addWidget(view)
    view.show()
    wait_idle(qtbot, view)
    asked = []
    view.ask_appointment = lambda c: asked.append(c.id)  # the person cancels the question
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_4)
    wait_idle(qtbot, view)
    assert asked == [view.selected().id] and len(desk.callbacks.desk().callbacks) == 2


def test_the_main_window_has_a_callbacks_tab(qtbot, desk):
    store_payload(desk.store, payload(reason_codes=["request_callback"]), location_rules(desk.profile),
                  desk.clock())
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    index = win.lower_tabs.indexOf(win.callbacks_view)
    assert index >= 0
    qtbot.waitUntil(lambda: win.lower_tabs.tabText(index) == "Callbacks (1)", timeout=5000)
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=5000)


# --- who is at the desk, the audit log ------------------------------------------------------------------------------


@pytest.fixture
def people_desk(desk):
    """The UI test desk, with people in its profile: Ana (owner, PIN 1357) and Ben (front desk)."""
    from receptionist.domain.people import hash_pin

    profile = Profile.from_dict({"people": {"members": [
        {"name": "Ana Ruiz", "role": "owner", "phone": OWNER, "pin_hash": hash_pin("1357")},
        {"name": "Ben Cole", "role": "front-desk"}]}})
    ctx = desk.desk.context
    desk.desk = Desk(DeskContext.of(desk.store, profile, desk.bus, dict(ctx.calendars), desk.clock))
    return desk


def test_the_desk_asks_who_is_there_and_the_audit_log_names_them(qtbot, people_desk):
    from receptionist.ui.people_views import PersonPicker

    win = MainWindow(people_desk.desk, people_desk.bus)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: isinstance(win.person_picker, PersonPicker), timeout=5000)
    picker = win.person_picker
    assert [picker.list.item(i).text() for i in range(picker.list.count())] == ["Ana Ruiz (owner)",
                                                                             "Ben Cole (front desk)"]
    assert picker.pin.isVisibleTo(picker)  # Ana has a PIN
    picker.pin.setText("0000")
    qtbot.keyClick(picker.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: picker.error.isVisibleTo(picker), timeout=5000)
    assert "not Ana Ruiz's PIN" in picker.error.text()
    picker.pin.setText("1357")
    qtbot.keyClick(picker.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.person_picker is None, timeout=5000)
    assert people_desk.desk.people.current() == "Ana Ruiz"

    win.lower_tabs.setCurrentWidget(win.audit_view)  # an owner reads the audit log
    qtbot.waitUntil(lambda: win.audit_view.model.rowCount() == 1 and not win.runner.busy, timeout=5000)
    [entry] = win.audit_view.model.rows()
    assert (entry.actor, entry.action) == ("Ana Ruiz", "person.picked")

    win.switch_person_action.trigger()  # Ctrl+L: Ben takes the desk
    qtbot.waitUntil(lambda: win.person_picker is not None, timeout=5000)
    win.person_picker.list.setCurrentRow(1)
    assert not win.person_picker.pin.isVisibleTo(win.person_picker)
    win.person_picker.take()
    qtbot.waitUntil(lambda: win.person_picker is None, timeout=5000)
    win.audit_view.refresh()
    qtbot.waitUntil(lambda: not win.runner.busy and "owners" in win.audit_view.message.text(), timeout=5000)
    assert win.audit_view.model.rowCount() == 0
    win.close()


# --- the conversion chart ---------------------------------------------------------------------------------------------


def heights(view) -> dict[str, int]:
    """What the chart draws, bar by bar."""
    from receptionist.ui.conversion_view import BARS

    return {k: int(h) for k, h in zip(BARS, view.bars.opts["height"])}


def test_the_conversion_chart_draws_the_query_and_a_bar_lists_its_calls(qtbot, desk):
    from datetime import timedelta

    from receptionist.domain.bookings import BookingDraft
    from receptionist.ui.conversion_view import BARS

    rules, at = location_rules(desk.profile), desk.clock()
    for n in range(3):
        call = store_payload(desk.store, payload(), rules, at - timedelta(days=n))
        if n:
            p = call.proposal
            appt = desk.store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service,
                                                                   at - timedelta(days=n, hours=-1), 30),
                                                p.version, [], "Ana", at)
            if n == 1:  # the other's time came without a mark: "not marked", never kept
                desk.desk.appointments.mark_attendance(appt.id, "attended")
    store_payload(desk.store, payload(reason_codes=["general inquiry"], service=..., requested_start=...,
                                      platform="vapi"), rules, at)
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    index = next(i for i in range(win.lower_tabs.count()) if win.lower_tabs.tabText(i) == "Conversion")
    win.lower_tabs.setCurrentIndex(index)  # built when first opened
    view = win.conversion_view
    qtbot.waitUntil(lambda: view.report is not None and not win.runner.busy, timeout=5000)
    start, end = view.period()
    query = desk.desk.reports.conversion(start, end).total
    assert heights(view) == {k: getattr(query, k) for k in BARS}
    assert heights(view)["calls"] == 4 and heights(view)["kept"] == 1 and heights(view)["not_a_booking"] == 1
    assert heights(view)["not_marked"] == 1 and "1 no-show(s)" not in view.headline.text()
    assert "0 no-show(s), 1 not marked yet" in view.headline.text()
    view.group.setCurrentText("platform: vapi")
    view.group.activated.emit(view.group.currentIndex())
    assert heights(view)["calls"] == 1 and heights(view)["kept"] == 0
    view.open_bar("not_a_booking")
    qtbot.waitUntil(lambda: view.behind.count() == 1, timeout=5000)
    assert view.behind_label.text() == "Not a booking: 1 call(s)"
    view.group.setCurrentText("All")
    view.group.activated.emit(view.group.currentIndex())
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    from PySide6.QtCore import QPointF

    scene = view.plot.getPlotItem().vb.mapViewToScene(QPointF(BARS.index("kept"), 0.5))  # inside the Kept bar
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=view.plot.mapFromScene(scene))
    qtbot.waitUntil(lambda: view.behind_label.text() == "Kept: 1 call(s)", timeout=5000)
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=5000)


def test_the_audit_log_filters_by_person_action_and_date(qtbot, people_desk):
    from receptionist.ui.people_views import AuditView

    people = people_desk.desk.people
    people.pick("Ana Ruiz", "1357")
    people.pick("Ben Cole")
    people_desk.desk.context.at_desk.set("Ana Ruiz")  # an owner reads it
    people.record_change("settings.people_changed", {"added": "Cara"})
    view = AuditView(people, people_desk.desk.context.rules.zone, people_desk.clock().date())
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: view.model.rowCount() == 3 and not view.runner.busy, timeout=5000)
    view.person.setCurrentText("Ben Cole")
    view.refresh()
    qtbot.waitUntil(lambda: [e.actor for e in view.model.rows()] == ["Ben Cole"] and not view.runner.busy,
                    timeout=5000)
    view.person.setCurrentText(view.EVERYONE)
    view.action.setText("settings")
    view.refresh()
    qtbot.waitUntil(lambda: [e.action for e in view.model.rows()] == ["settings.people_changed"]
                    and not view.runner.busy, timeout=5000)
    view.action.clear()
    view.start.setDate(view.start.date().addDays(-400))
    view.end.setDate(view.start.date().addDays(1))  # a day long before
    view.refresh()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0 and view.message.text() == "0 entries"
                    and not view.runner.busy, timeout=5000)


def test_show_more_lists_the_next_page_and_a_refresh_keeps_it(qtbot, owner_desk, clock, monkeypatch):
    desk, _dialer = owner_desk
    rules = desk.context.rules
    for i in range(4):
        store_payload(desk.context.store, payload(call_id=f"more-{i}", reason_codes=["general inquiry"], service=...,
                                                  requested_start=..., summary=f"Question {i}."), rules, clock())
    monkeypatch.setattr("receptionist.ui.callbacks_view.PAGE", 4)
    monkeypatch.setattr("receptionist.services.callbacks.PAGE", 4)
    view = CallbacksView(desk.callbacks, rules.zone, clock, runner=None, operations=None)
    qtbot.addWidget(view)
    view.show()
    wait_idle(qtbot, view)
    assert view.model.rowCount() == 4 and view.more_button.isVisible()
    qtbot.mouseClick(view.more_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)
    assert view.model.rowCount() == 6 and not view.more_button.isVisible()
    assert len({c.id for c in view.model.rows()}) == 6
    view.refresh()  # a callback changed somewhere: the rows shown stay shown
    wait_idle(qtbot, view)
    assert view.model.rowCount() == 6
