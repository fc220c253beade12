"""Scrolling the review pane with the mouse wheel scrolls it: the spin box or date field under the pointer keeps
its value unless it has the keyboard focus (a wheel over Duration once turned 30 min into 15, Approve still on)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from receptionist.ui.call_panel import CallPanel

pytestmark = pytest.mark.gui


def wheel_down_over(widget: QWidget) -> None:
    """One notch of the wheel with the pointer over ``widget``'s centre, through the window system (QTest), so Qt
    delivers it as a real one: to the deepest widget under the pointer, then to its parents while unaccepted."""
    window = widget.window()
    QTest.wheelEvent(window.windowHandle(), QPointF(widget.mapTo(window, widget.rect().center())), QPoint(0, -120))


@pytest.fixture
def panel(qtbot, desk):
    desk.submit_call()
    d, ctx = desk.desk, desk.desk.context
    panel = CallPanel(d.bookings, d.checks, ctx.rules.zone, ctx.clock)
    qtbot.addWidget(panel)
    panel.resize(520, 560)  # shorter than the review pane: it scrolls
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.waitUntil(lambda: bool(desk.desk.bookings.calls()), timeout=5000)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.detail.call is not None, timeout=5000)  # the list is read on a worker
    return panel


def test_the_wheel_over_unfocused_fields_scrolls_the_pane_and_changes_nothing(qtbot, panel):
    detail, bar = panel.detail, panel.detail_scroll.verticalScrollBar()
    assert bar.maximum() > 0
    panel.list_view.setFocus()
    before = (detail.duration_spin.value(), detail.start_edit.dateTime())
    for field in (detail.duration_spin, detail.start_edit):
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel does not focus it either
        bar.setValue(0)
        wheel_down_over(field)
        assert (detail.duration_spin.value(), detail.start_edit.dateTime()) == before
        assert bar.value() > 0, f"the pane did not scroll over {type(field).__name__}"
        assert not field.hasFocus()
    assert detail.approve_button.isEnabled() and not detail.dirty


def test_a_focused_field_still_takes_the_wheel(qtbot, panel):
    spin = panel.detail.duration_spin
    panel.activateWindow()
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    before = spin.value()
    wheel_down_over(spin)
    assert spin.value() == before - spin.singleStep()
