"""The console window on the real stack: sandbox calendars through the real client libraries, the real webhook
receiver, the simulator's signed call, the APScheduler sync thread. A call arrives, is approved by a click, and
both badges turn Synced without blocking the window."""

import pytest
from PySide6.QtCore import Qt

from receptionist.domain.models import ProposalStatus
from receptionist_sandbox.simulator import CallSimulator
from receptionist.ui.main_window import MainWindow
from tests.helpers.ui import badge_column, review

pytestmark = [pytest.mark.e2e, pytest.mark.gui]


def test_simulated_call_approved_in_the_window_syncs_to_both_calendars(qtbot, stack, e2e_app):
    app = e2e_app
    app.scheduler.start()
    window = MainWindow(app.desk, app.bus, demo_banner="DEMO")
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    qtbot.waitExposed(window)

    simulator = CallSimulator(app.receiver.url, app.webhook_secret, seed=11, defect_rate=0.0)
    status, answer = simulator.post_one()
    assert status == 202, answer
    qtbot.waitUntil(lambda: window.call_panel.model.rowCount() == 1, timeout=5000)

    panel = window.call_panel
    call = panel.model.rows()[0]
    review(qtbot, panel, call.id)
    qtbot.waitUntil(lambda: panel.detail.approve_button.isEnabled(), timeout=3000)
    qtbot.mouseClick(panel.detail.approve_button, Qt.MouseButton.LeftButton)
    # SMS is on: Approve shows the confirmation text it will send, and sends it once approved there
    qtbot.waitUntil(lambda: panel.detail.approve_dialog is not None and panel.detail.approve_dialog.isVisible(),
                    timeout=5000)
    qtbot.mouseClick(panel.detail.approve_dialog.approve_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: app.store.proposals.get(call.proposal.id).status is ProposalStatus.APPROVED, timeout=3000)
    model = window.sync_panel.model

    def badges():
        if model.rowCount() != 1:
            return None
        return {cal: model.data(model.index(0, badge_column(model, cal))) for cal in app.desk.context.calendars}

    # the sync thread pushes both writes, reads them back, and the table follows over the event bus
    qtbot.waitUntil(lambda: badges() == {"google:primary": "Synced", "outlook:default": "Synced"}, timeout=15000)
    appt = app.store.appointments.between()[0]
    assert any(e["id"] == appt.id for e in stack.google.events("owner@demo.example", "primary"))
    assert any(e.get("transactionId") == appt.id for e in stack.microsoft.events())
    window.close()
