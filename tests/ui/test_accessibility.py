"""Accessible names, control by control: every widget a person can Tab to in the main window, the review pane (in
each of its states) and the dialogs the queue opens has a name a screen reader says (its own accessible name, its
text, or the label whose buddy it is — what Qt's accessibility interface reports), and Tab walks the review pane in
reading order."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QCalendarWidget,
    QComboBox,
    QScrollBar,
    QTabBar,
    QWidget,
)

from receptionist.ui.main_window import MainWindow
from tests.helpers.ui import review

pytestmark = pytest.mark.gui


def spoken_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def _internal(widget: QWidget) -> bool:
    """Parts of a composite control that take focus for it (a spin box's line edit, a combo's list, a view's
    scroll bars, a tab bar's scroll arrows, a calendar popup's innards)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QTabBar, QCalendarWidget)):
            return True
        if isinstance(parent, QAbstractItemView) and widget is not parent:
            return True
        parent = parent.parentWidget()
    return isinstance(widget, QScrollBar)


def unnamed(root: QWidget) -> list[str]:
    """Each focusable control under ``root`` (shown or not: every state of a pane counts) without a spoken name."""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or _internal(widget):
            continue
        if not spoken_name(widget):
            found.append(f"{type(widget).__name__} {widget.objectName() or ''} in "
                         f"{type(widget.parentWidget()).__name__ if widget.parentWidget() else '-'}")
    return found


@pytest.fixture
def window(qtbot, desk):
    win = MainWindow(desk.desk, desk.bus)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.quit_desk(ask=False)


def test_every_control_of_the_window_and_the_review_pane_has_a_name(qtbot, window, desk):
    missing = unnamed(window)
    assert missing == [], "\n".join(missing)
    desk.submit_call()
    qtbot.waitUntil(lambda: len(window.call_panel.model.rows()) == 1 and not window.call_panel.runner.busy,
                    timeout=5000)
    [call] = window.call_panel.model.rows()
    review(qtbot, window.call_panel, call.id)
    window.call_panel.detail.details_button.setChecked(True)
    assert unnamed(window) == []


def test_every_control_of_the_dialogs_the_queue_opens_has_a_name(qtbot, window, desk):
    from receptionist.services.bookings import ApprovalPlan
    from receptionist.domain.contact import TEXT_OK
    from receptionist.ui.approval import ApproveDialog, unsaved_edits_box

    approve = ApproveDialog("Maria Lopez — Teeth cleaning", ApprovalPlan([], "Hi Maria, see you Tuesday.", TEXT_OK),
                            window)
    qtbot.addWidget(approve)
    assert unnamed(approve) == []
    box = unsaved_edits_box("Maria Lopez", window)
    qtbot.addWidget(box)
    assert unnamed(box) == []
    desk.submit_call()
    qtbot.waitUntil(lambda: len(desk.desk.bookings.calls()) == 1, timeout=5000)
    [call] = desk.desk.bookings.calls()
    appt = desk.desk.bookings.approve(call.proposal.id, call.proposal.version)
    for kind in ("reschedule", "edit", "cancel"):
        window.open_action(appt.id, kind)
        qtbot.waitUntil(lambda: window.action_dialog is not None and window.action_dialog.isVisible(),
                        timeout=5000)
        assert unnamed(window.action_dialog) == [], kind
        window.action_dialog.close()
        qtbot.waitUntil(lambda: window.action_dialog is None or not window.action_dialog.isVisible(),
                        timeout=5000)
    window.open_appointment(appt.id)
    qtbot.waitUntil(lambda: window.appointment_dialog is not None and window.appointment_dialog.isVisible(),
                    timeout=5000)
    assert unnamed(window.appointment_dialog) == []
    window.appointment_dialog.close()


def test_tab_walks_the_review_pane_in_reading_order(qtbot, window, desk):
    desk.submit_call()
    qtbot.waitUntil(lambda: len(window.call_panel.model.rows()) == 1 and not window.call_panel.runner.busy,
                    timeout=5000)
    [call] = window.call_panel.model.rows()
    panel, detail = window.call_panel, window.call_panel.detail
    review(qtbot, panel, call.id)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    detail.approve_button.setFocus()
    walked = [detail.approve_button]
    for _ in range(9):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        walked.append(QApplication.focusWidget())
    assert walked == [detail.approve_button, detail.save_button, detail.callback_button, detail.reject_button,
                      detail.name_edit, detail.phone_edit, detail.service_edit, detail.start_edit,
                      detail.duration_spin, detail.notes_edit]
