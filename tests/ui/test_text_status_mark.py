"""The review pane of an approved call says how far its confirmation text got (Twilio's status callbacks), with a
glyph as well as words: ✓ delivered, ✗ not delivered (and why), … on its way."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from receptionist.ui.main_window import MainWindow
from tests.helpers.ui import review
from tests.ui.test_review_desk import arrive

pytestmark = [pytest.mark.gui, pytest.mark.sms]


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1280, 760)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    yield win
    win.quit_desk(ask=False)


def test_an_approved_call_shows_its_confirmation_texts_delivery(qtbot, window, desk):
    first = arrive(qtbot, window, desk, requested_start="2026-11-25T10:30:00")[0]
    second = arrive(qtbot, window, desk, requested_start="2026-11-26T10:30:00")[0]
    bookings, outbox = desk.desk.bookings, desk.store.outbox
    for call_row_id, sid in ((first, "SM1"), (second, "SM2")):
        p = desk.store.calls.get(call_row_id).proposal
        appt = bookings.approve(p.id, p.version)
        [text] = desk.desk.texts.of_appointment(appt.id)
        outbox.done(text.id, desk.clock(), sid)  # sent: Twilio answered with its sid
    desk.store.texting.take_status("SM1", "delivered", None, desk.clock())
    desk.store.texting.take_status("SM2", "undelivered", 30003, desk.clock())

    panel = window.call_panel
    review(qtbot, panel, first)
    banner = panel.detail.state_banner
    qtbot.waitUntil(lambda: "✓ Confirmation text: Delivered" in banner.text(), timeout=5000)  # read on the worker
    assert banner.isVisible()
    review(qtbot, panel, second)
    qtbot.waitUntil(lambda: "✗ Confirmation text: Not delivered — 30003: the phone is off or unreachable"
                    in banner.text(), timeout=5000)
