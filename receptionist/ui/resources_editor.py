"""The resources editor that setup and Settings → Services share: the people, chairs, rooms and equipment a service
needs (``[[availability.resources]]``), each with a name, a kind, its own weekly hours or the business's, and
optionally a calendar whose busy time is its own.

A resource's problem is said under it once it has been left, or on Save / Next, never before (as the other
editors in ``ui/hours_editor.py``, whose week grid it reuses for a resource's own hours).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.schedule import WeeklyHours
from receptionist.ui.hours_editor import WeekHoursEditor, remove_button
from receptionist.ui.setup_fields import help_label, on_leave, problem_label

#: the profile's kinds, as a person names them
KINDS = (("staff", "Person"), ("chair", "Chair"), ("room", "Room"), ("equipment", "Equipment"))
_CALENDAR_KEY = re.compile(r"^(google|outlook|caldav):.+")


class _ResourceRow(QFrame):
    """One resource: name, kind, calendar and ✕ on a line; "Its own hours" below opens its week grid."""

    def __init__(self, editor: "ResourcesEditor", resource: dict):
        super().__init__()
        self.editor = editor
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.touched = False
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(8)
        self.name = QLineEdit(resource.get("name", ""))
        self.name.setPlaceholderText("e.g. Dr. Lee, Chair 2")
        self.name.setMinimumWidth(160)
        self.name.setAccessibleName("Resource name")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind")
        for key, label in KINDS:
            self.kind.addItem(label, key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(resource.get("kind", "staff"))))
        self.calendar = QLineEdit(resource.get("calendar", ""))
        self.calendar.setPlaceholderText("None of its own")
        self.calendar.setMinimumWidth(240)
        self.calendar.setAccessibleName("Its calendar")
        self.calendar.setToolTip("A calendar whose busy time is this resource's only, e.g. "
                                 "google:dr.lee@example.com, outlook:… or caldav:…")
        self.remove = remove_button("Remove this resource")
        for column, (label, widget) in enumerate((("Name", self.name), ("Kind", self.kind),
                                                  ("Its calendar", self.calendar))):
            caption = QLabel(label)
            caption.setBuddy(widget)
            grid.addWidget(caption, 0, column)
            grid.addWidget(widget, 1, column)
        grid.addWidget(self.remove, 1, 3)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(2, 2)
        own = resource.get("hours")
        self.own_hours = QCheckBox("Its own hours (otherwise the business's)")
        self.own_hours.setChecked(own is not None)
        self.own_hours.toggled.connect(self._own_hours)
        grid.addWidget(self.own_hours, 2, 0, 1, 4)
        self.grid = grid
        # its week grid is made when it is first wanted (seven days of quarter-hour boxes each: a Settings with
        # many resources on the business's hours opens as fast as one without)
        self.hours: WeekHoursEditor | None = None
        if own is not None:
            self._week(WeeklyHours.of(own, editor.business_hours()))
        self.problem = problem_label()
        self.problem.setVisible(False)
        grid.addWidget(self.problem, 4, 0, 1, 4)
        for widget in (self.name, self.calendar):
            on_leave(widget, lambda: editor.leave(self))

    def _week(self, hours: WeeklyHours) -> WeekHoursEditor:
        self.hours = WeekHoursEditor(hours, twelve_hour=self.editor.twelve_hour)
        self.grid.addWidget(self.hours, 3, 0, 1, 4)
        return self.hours

    def _own_hours(self, on: bool) -> None:
        if on:  # opened: its hours start from the business's as they are edited now
            business = self.editor.business_hours()
            if self.hours is None:
                self._week(business)
            else:
                self.hours.set_week(business)
        if self.hours is not None:
            self.hours.setVisible(on)

    def value(self) -> dict:
        return {"name": " ".join(self.name.text().split()), "kind": self.kind.currentData(),
                "hours": self.hours.table() if self.own_hours.isChecked() and self.hours is not None else None,
                "calendar": self.calendar.text().strip()}


class ResourcesEditor(QWidget):
    """The resources a service may need. ``resources()`` is ``availability.resources``; ``names()`` what a
    service's "Needs one of" may name; ``business_hours()`` gives the week a resource's own hours start from."""

    def __init__(self, resources: list[dict], *, business_hours: Callable[[], WeeklyHours],
                 twelve_hour: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.business_hours = business_hours
        self.twelve_hour = twelve_hour
        self.rows: list[_ResourceRow] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.empty = help_label("No resources: each service is booked against the business as a whole.")
        lay.addWidget(self.empty)
        self.column = QVBoxLayout()
        self.column.setSpacing(6)
        lay.addLayout(self.column)
        self.add_button = QPushButton("Add a resource")
        self.add_button.setToolTip("A person, chair, room or piece of equipment a service needs")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add({}, touch=True))
        lay.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        for resource in resources:
            self.add(resource)
        self.empty.setVisible(not self.rows)

    def add(self, resource: dict, *, touch: bool = False) -> None:
        row = _ResourceRow(self, resource)
        row.remove.clicked.connect(lambda: self.remove(row))
        self.rows.append(row)
        self.column.addWidget(row)
        self.empty.setVisible(False)
        if touch:
            row.name.setFocus()

    def remove(self, row: _ResourceRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.empty.setVisible(not self.rows)
        self.add_button.setFocus()

    def leave(self, row: _ResourceRow) -> None:
        row.touched = True
        self.show_problems()

    def problem_of(self, row: _ResourceRow) -> str:
        value = row.value()
        name = value["name"]
        if not name:
            return "Name the resource as the desk says it (e.g. “Dr. Lee” or “Chair 2”)."
        if [" ".join(r.value()["name"].casefold().split()) for r in self.rows].count(name.casefold()) > 1:
            return f"Two resources are named “{name}”."
        if value["calendar"] and not _CALENDAR_KEY.match(value["calendar"]):
            return (f"“{value['calendar']}” is not a calendar: write google:, outlook: or caldav: and the calendar's "
                    "id (e.g. google:dr.lee@example.com), or leave it empty.")
        return ""

    def show_problems(self, every: bool = False) -> bool:
        clear = True
        for row in self.rows:
            row.touched = row.touched or every
            text = self.problem_of(row) if row.touched else ""
            row.problem.setText(text)
            row.problem.setVisible(bool(text))
            hours_clear = row.hours.show_problems(every) if row.own_hours.isChecked() and row.hours is not None \
                else True
            clear = clear and not text and hours_clear
        return clear

    def names(self) -> list[str]:
        return [name for name in (row.value()["name"] for row in self.rows) if name]

    def resources(self) -> list[dict]:
        return [row.value() for row in self.rows]


__all__ = ["KINDS", "ResourcesEditor"]
