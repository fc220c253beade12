"""Form fields that take the mouse wheel only when they have the keyboard focus.

Qt gives the wheel to whatever spin box, date/time edit or combo box is under the pointer, so scrolling a long form
silently edits the fields it passes over. :func:`guard_wheel` makes such fields take the wheel only once focused
(a click or Tab, never the wheel itself); otherwise the wheel goes on to what holds them (the scroll area).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class WheelGuard(QObject):
    """Event filter: a wheel over an unfocused field is left unaccepted, which Qt hands on to the field's parent."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()
            return True  # the field never sees it; unaccepted, it travels on to the scroll area
        return False


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every spin box, date/time edit and combo box under ``root`` (fields added later are not guarded)."""
    guard = WheelGuard(root)
    fields: list[QWidget] = [*root.findChildren(QAbstractSpinBox), *root.findChildren(QComboBox)]
    for field in fields:
        field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the default WheelFocus would let the wheel focus it
        field.installEventFilter(guard)
    return guard


__all__ = ["WheelGuard", "guard_wheel"]
