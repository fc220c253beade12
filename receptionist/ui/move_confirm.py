"""What a move will do, said in the reschedule dialog before it is confirmed (a booking dropped, resized or moved
into another chair's column in the calendar, or Reschedule… from a menu): the chair or room it takes, each calendar
updated by its name, and the text that goes — or why none can — as
:meth:`~receptionist.services.appointments.Appointments.move_plan` works it out from the reschedule path's own rules
(read on the window's :class:`~receptionist.ui.operations.QueryRunner`, never on the GUI thread). A move that
cannot go there at all (the chair asked for is busy then) says why, and Reschedule is disabled.
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from receptionist.errors import UserError
from receptionist.services.appointments import Appointments, MovePlan
from receptionist.ui.operations import QueryRunner, user_sentence


@dataclass(frozen=True)
class ProposedMove:
    """Where a booking was dropped in the calendar: its new local start, its new length (a resize; None: unchanged)
    and the resource of the column it was dropped in (None: unchanged, the rule picks)."""

    start: datetime
    minutes: int | None = None
    resource: str | None = None


class MovePlanView(QFrame):
    """"What will happen" for the time (length, resource) the dialog holds; ``read`` asks again when it changes,
    ``show_notify`` when the "Text the caller" box does (no read: the plan says both).

    Signals: planned(MovePlan): a plan landed (the dialog enables Reschedule unless it is refused)."""

    planned = Signal(object)

    def __init__(self, appointments: Appointments, queries: QueryRunner, appointment_id: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.appointments = appointments
        self.queries = queries
        self.appointment_id = appointment_id
        self.plan: MovePlan | None = None
        self.notify = False
        self._view = f"move plan {id(self)}"
        self.setObjectName("movePlan")
        self.setStyleSheet("QFrame#movePlan { background: #f8fafc; border: 1px solid #e2e8f0; border-radius: 6px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        title = QLabel("What will happen")
        title.setStyleSheet("font-weight: 600;")
        self.said = QLabel("Working out what the move will update…")
        self.said.setObjectName("movePlanText")
        self.said.setWordWrap(True)
        self.said.setTextFormat(Qt.TextFormat.RichText)
        self.said.setAccessibleName("What will happen")
        # room for four lines from the start: the dialog does not jump when the plan lands
        self.said.setMinimumHeight(self.said.fontMetrics().lineSpacing() * 4 + 6)
        self.said.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(title)
        layout.addWidget(self.said)
        self.destroyed.connect(lambda *_, q=queries, v=self._view: q.forget(v))

    def read(self, start: datetime, minutes: int, resource: str | None) -> None:
        appointments, appointment_id = self.appointments, self.appointment_id
        self.queries.run(self._view, lambda: appointments.move_plan(appointment_id, start, minutes,
                                                                    resource=resource),
                         self._landed, self._failed)

    def show_notify(self, notify: bool) -> None:
        self.notify = notify
        self._show()

    def lines(self) -> list[str]:
        """The plan in sentences, as shown (plain text; the first says why it is refused, if it is)."""
        plan = self.plan
        if plan is None:
            return []
        out = [f"Cannot move it there: {plan.refused}."] if plan.refused else []
        if plan.resource != plan.resource_before:
            out.append(f"Chair or room: {plan.resource_before or 'none'} → {plan.resource or 'none'}.")
        return out + [f"Calendars: {plan.calendars}", f"Text: {plan.texting(self.notify)}"]

    def _landed(self, plan: MovePlan) -> None:
        self.plan = plan
        self._show()
        self.planned.emit(plan)

    def _show(self) -> None:
        lines = self.lines()
        if not lines:
            return
        refused = self.plan is not None and self.plan.refused
        rows = [f'<span style="color:#b91c1c;">✗ {html.escape(lines[0])}</span>' if refused else None]
        rows += [f"• {html.escape(line)}" for line in lines[1 if refused else 0:]]
        self.said.setText("<br>".join(r for r in rows if r))
        self.said.setAccessibleDescription(" ".join(lines))
        window = self.window()
        if window is not self and window.height() < window.sizeHint().height():
            window.adjustSize()

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self.plan = None
        self.said.setText(html.escape(user_sentence(exc)))


__all__ = ["MovePlanView", "ProposedMove"]
