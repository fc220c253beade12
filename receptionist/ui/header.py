"""The window's header pieces: a health pill per integration and the words its states are shown with."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QLabel, QToolTip, QWidget

from receptionist.ui import theme


class HealthPill(QLabel):
    """A rounded status label: ``ok`` green, ``pending`` amber, ``error`` red, ``off`` grey. A Tab stop (the header
    comes first in the window's Tab order): focused, it shows its sentence as the pointer's hover does, and a screen
    reader reads it as the pill's description."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.state = ""
        self.setObjectName("healthPill")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.set_state("pending", "")

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if self.toolTip():
            QToolTip.showText(self.mapToGlobal(self.rect().bottomLeft()), self.toolTip(), self)

    def set_state(self, state: str, tooltip: str, text: str | None = None) -> None:
        """Shown as given; the style sheet is set only when the state changes (setting one repolishes the pill
        and relays out the header, and the health snapshot lands several times a second during a sync cycle)."""
        if state != self.state:
            self.state = state
            color = theme.HEALTH_COLORS[state]
            background = {"ok": "#dcfce7", "pending": "#fef3c7", "error": "#fee2e2", "off": "#f1f5f9"}[state]
            self.setStyleSheet(f"QLabel#healthPill {{ color: {color}; background: {background}; border: 1px solid "
                               f"{color}40; border-radius: 10px; padding: 2px 8px; font-weight: 600; }}"
                               "QLabel#healthPill:focus { border: 2px solid #1d4ed8; padding: 1px 7px; }")
        label = f"● {text or self.name}"
        if label != self.text():
            self.setText(label)
        if tooltip != self.toolTip():
            self.setToolTip(tooltip)
            self.setAccessibleDescription(tooltip)


PILL_STATE = {"ok": "ok", "unknown": "pending", "throttled": "pending", "offline": "pending", "held": "error",
               "reconnect": "error", "error": "error"}
STATE_WORD = {"unknown": "not read yet", "throttled": "paused", "offline": "waiting for network",
               "held": "writes held", "reconnect": "sign-in needed", "error": "failing"}
# link states that need a person (or a sign-in): the status bar's "sync problems"
PROBLEM_STATES = ("failed", "conflict", "drift", "reconnect")


__all__ = ["HealthPill", "PILL_STATE", "PROBLEM_STATES", "STATE_WORD"]
