"""The review pane shows the chair a proposal takes (recorded when the intake checked it) among its fields."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.config import Profile
from receptionist.ui.main_window import MainWindow
from tests.helpers.ui import review

pytestmark = pytest.mark.gui
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def profile() -> Profile:
    return Profile.from_dict({"availability": {
        "hours": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "services": [{"name": "Cleaning", "duration_minutes": 60, "resources": ["Chair 1", "Chair 2"]}],
        "resources": [{"name": "Chair 1", "kind": "chair"}, {"name": "Chair 2", "kind": "chair"}]}})


def test_the_review_pane_names_the_chair_the_proposal_takes(qtbot, desk):
    ten = datetime(2026, 11, 24, 10, tzinfo=CHICAGO).astimezone(timezone.utc)
    assert desk.desk.appointments.book("Ana Ruiz", "(312) 555-0199", "Cleaning", ten).resource == "Chair 1"
    desk.submit_call(service="Cleaning", requested_start="2026-11-24T10:00:00", duration_minutes=60)
    qtbot.waitUntil(lambda: len(desk.store.calls.recent()) == 1, timeout=5000)
    [call] = desk.store.calls.recent()
    assert call.proposal.resource == "Chair 2"
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.call_panel.model.rowCount() + win.call_panel.model.held() == 1, timeout=5000)
    if win.call_panel.model.held():
        win.call_panel.show_new()
    review(qtbot, win.call_panel, call.id)
    detail = win.call_panel.detail
    assert detail.resource_value.text() == "Chair 2" and detail.resource_value.isVisible()
    assert detail.resource_label.text() == "Resource" and detail.resource_label.isVisible()
    win.close()
