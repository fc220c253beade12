"""Editors that behave the way a keyboard user expects at a desk, and the mark a checked field carries."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit, QLabel, QTimeEdit, QWidget

from receptionist.domain.models import FieldIssue, Severity
from receptionist.ui import theme


class _TabLeaves:
    """Tab and Shift+Tab leave the editor (a plain date/time editor walks its month, day, year, hour... sections
    with Tab, so the next field is several Tabs away); the arrow keys and typing still move between and change
    sections."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not event.modifiers() & ~(
                Qt.KeyboardModifier.ShiftModifier):
            self.focusNextPrevChild(event.key() == Qt.Key.Key_Tab and not event.modifiers()
                                    & Qt.KeyboardModifier.ShiftModifier)
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next_: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next_)


class DateTimeField(_TabLeaves, QDateTimeEdit):
    """A date and time editor that Tab leaves."""


class DateField(_TabLeaves, QDateEdit):
    """A date editor that Tab leaves."""


class TimeField(_TabLeaves, QTimeEdit):
    """A time editor that Tab leaves."""


class FieldMark(QLabel):
    """✓ / ⚠ / ✗ for one field (this label, placed beside the editor), with the finding's message in ``message``
    (a label the form places right under the editor) and as tooltip on both."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fieldMark")
        self.setFixedWidth(22)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setObjectName("fieldMarkMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.severity: Severity | None = None
        self.set_issues([])

    def set_issues(self, issues: list[FieldIssue]) -> None:
        self.severity = theme.worst(i.severity for i in issues)
        color = theme.SEVERITY_COLORS[self.severity]
        self.setText(theme.SEVERITY_MARKS[self.severity])
        self.setStyleSheet(f"color: {color}; font-weight: bold; font-size: 16px;")
        ordered = sorted(issues, key=lambda i: i.severity is not Severity.ERROR)
        text = "\n".join(f"{theme.SEVERITY_MARKS[i.severity]} {i.message}" for i in ordered)
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {color};")
        self.message.setVisible(bool(text))
        tip = "\n".join(i.message for i in ordered) or "looks right"
        self.setToolTip(tip)
        self.message.setToolTip(tip)

    @property
    def mark(self) -> str:
        return self.text()


__all__ = ["DateField", "DateTimeField", "FieldMark", "TimeField"]
