"""The editors for ``[availability]`` that setup and Settings share: the weekly hours (several ranges a day, quarter
hours, in the location's format), closed days (holidays) and the services with their length, buffers and caps.

Each editor reads from and writes to the profile's own shapes (``{"mon": ["08:00-12:00", …]}``, closure and service
tables), and says a row's problem under it once the row has been left — never before it was touched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.schedule import WEEKDAYS, WeeklyHours
from receptionist.ui.setup_fields import TimeBox, help_label, on_leave, problem_label, time_label

DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _clock(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours:02d}:{rest:02d}"


def remove_button(tip: str) -> QToolButton:
    button = QToolButton()
    button.setText("✕")
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setAutoRaise(True)
    return button


class _DayRow(QWidget):
    """One weekday: its ranges one under the other (from – to, removable), "Add hours" beside them, and "Closed"
    when it has none."""

    def __init__(self, editor: "WeekHoursEditor", index: int, ranges: tuple[tuple[int, int], ...]):
        super().__init__()
        self.editor = editor
        self.index = index
        self.ranges: list[tuple[TimeBox, TimeBox, QWidget]] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.column = QVBoxLayout()
        self.column.setSpacing(4)
        self.closed = QLabel("Closed")
        self.closed.setObjectName("muted")
        self.column.addWidget(self.closed)
        lay.addLayout(self.column)
        self.add_button = QPushButton("Add hours")
        self.add_button.setToolTip(f"Another opening range on {DAY_LABELS[index]}s")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_range())
        lay.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addStretch(1)
        for opens, closes in ranges:
            self.add_range(opens, closes, touch=False)
        self._closed_shown()

    def add_range(self, opens: int | None = None, closes: int | None = None, *, touch: bool = True) -> None:
        if opens is None or closes is None:  # after the last range, or a usual day
            last = self.ranges[-1][1].minutes() if self.ranges else None
            opens, closes = (9 * 60, 17 * 60) if last is None else (min(last + 60, 23 * 60), min(last + 4 * 60,
                                                                                                  24 * 60))
        twelve = self.editor.twelve_hour
        first = TimeBox(opens, first=0, last=24 * 60 - 15, twelve_hour=twelve)
        second = TimeBox(closes, first=15, last=24 * 60, twelve_hour=twelve)
        first.setAccessibleName(f"{DAY_LABELS[self.index]} opens")
        second.setAccessibleName(f"{DAY_LABELS[self.index]} closes")
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(first)
        row.addWidget(QLabel("to"))
        row.addWidget(second)
        remove = remove_button(f"Remove these {DAY_LABELS[self.index]} hours")
        row.addWidget(remove)
        entry = (first, second, holder)
        remove.clicked.connect(lambda: self.remove_range(entry))
        for box in (first, second):
            box.activated.connect(lambda _i: self.editor.leave(self.index))
            on_leave(box, lambda: self.editor.leave(self.index))
        self.column.addWidget(holder)
        self.ranges.append(entry)
        self._closed_shown()
        if touch:
            first.setFocus()
            self.editor.leave(self.index)
    def remove_range(self, entry: tuple[TimeBox, TimeBox, QWidget]) -> None:
        self.ranges.remove(entry)
        entry[2].setParent(None)
        entry[2].deleteLater()
        self._closed_shown()
        self.add_button.setFocus()
        self.editor.leave(self.index)

    def _closed_shown(self) -> None:
        self.closed.setVisible(not self.ranges)
        self.add_button.setText("Add hours" if self.ranges else "Open this day")

    def minutes(self) -> list[tuple[int, int]]:
        return [(first.minutes(), second.minutes()) for first, second, _ in self.ranges]

    def set_minutes(self, ranges: list[tuple[int, int]]) -> None:
        for entry in list(self.ranges):
            self.ranges.remove(entry)
            entry[2].setParent(None)
            entry[2].deleteLater()
        for opens, closes in ranges:
            self.add_range(opens, closes, touch=False)
        self._closed_shown()


class WeekHoursEditor(QWidget):
    """The opening hours of each weekday, several ranges a day, on quarter hours. ``table()`` is the profile's
    ``availability.hours`` (every day named; an empty list is a closed day); ``problems()`` day → sentence."""

    def __init__(self, hours: WeeklyHours, *, twelve_hour: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.twelve_hour = twelve_hour
        self.touched: set[int] = set()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.days: list[_DayRow] = []
        self.day_problems: list[QLabel] = []
        for index, name in enumerate(DAY_LABELS):
            row = _DayRow(self, index, hours.days[index])
            problem = problem_label()
            problem.setWordWrap(False)  # one short line; a wrapping label in the grid squeezes its rows in a scroll
            problem.setVisible(False)
            grid.addWidget(QLabel(name), 2 * index, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(row, 2 * index, 1)
            grid.addWidget(problem, 2 * index + 1, 1)
            self.days.append(row)
            self.day_problems.append(problem)
        self.copy_monday = QPushButton("Same as Monday, Tuesday to Friday")
        self.copy_monday.setAutoDefault(False)
        self.copy_monday.clicked.connect(self._copy_monday)
        grid.addWidget(self.copy_monday, 14, 1, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)

    def set_week(self, hours: WeeklyHours) -> None:
        for row, ranges in zip(self.days, hours.days):
            row.set_minutes(list(ranges))
        self.show_problems()

    def _copy_monday(self) -> None:
        monday = self.days[0].minutes()
        for row in self.days[1:5]:
            row.set_minutes(monday)
        self.touched.update(range(5))
        self.show_problems()

    def leave(self, index: int) -> None:
        self.touched.add(index)
        self.show_problems()

    def table(self) -> dict[str, list[str]]:
        return {WEEKDAYS[i]: [f"{_clock(a)}-{_clock(b)}" for a, b in sorted(row.minutes())]
                for i, row in enumerate(self.days)}

    def problems(self) -> dict[int, str]:
        found = {}
        for index, row in enumerate(self.days):
            ranges = sorted(row.minutes())
            said = [time_label(m, self.twelve_hour) for pair in ranges for m in pair]
            for (opens, closes), shown in zip(ranges, zip(said[::2], said[1::2])):
                if closes <= opens:
                    found[index] = f"{shown[1]} is not after {shown[0]}: the closing time comes after the opening."
                    break
            else:
                for (a, b), (c, _d) in zip(ranges, ranges[1:]):
                    if c < b:
                        found[index] = (f"{time_label(a, self.twelve_hour)} to {time_label(b, self.twelve_hour)} "
                                        f"and the hours from {time_label(c, self.twelve_hour)} overlap.")
                        break
        return found

    def show_problems(self, every: bool = False) -> bool:
        """Say the problem of each day left (``every``: of all days, as on Save); True when none is said."""
        if every:
            self.touched.update(range(7))
        found = self.problems()
        for index, label in enumerate(self.day_problems):
            text = found.get(index, "") if index in self.touched else ""
            label.setText(f"{DAY_LABELS[index]}: {text}" if text else "")
            label.setVisible(bool(text))
        return not any(i in self.touched for i in found)


class _ClosureRow:
    def __init__(self, editor: "ClosuresEditor", name: str, first: date, last: date | None):
        self.name = QLineEdit(name)
        self.name.setPlaceholderText("e.g. Thanksgiving")
        self.name.setAccessibleName("Closed day name")
        self.first = self._date(first)
        self.several = QCheckBox("to")
        self.several.setChecked(last is not None and last != first)
        self.last = self._date(last or first)
        self.last.setEnabled(self.several.isChecked())
        self.several.toggled.connect(self.last.setEnabled)
        self.remove = remove_button("Remove this closed day")
        self.problem = problem_label()
        self.problem.setVisible(False)
        self.touched = False
        for widget in (self.name, self.first, self.last):
            on_leave(widget, lambda: editor.leave(self))

    @staticmethod
    def _date(value: date) -> QDateEdit:
        edit = QDateEdit(QDate(value.year, value.month, value.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("ddd MM/dd/yyyy")
        return edit

    def widgets(self) -> tuple[QWidget, ...]:
        return self.name, self.first, self.several, self.last, self.remove

    def value(self) -> dict:
        first = self.first.date().toPython()
        last = self.last.date().toPython() if self.several.isChecked() else None
        return {"name": self.name.text().strip(), "date": first, "until": last}

    def problem_text(self) -> str:
        value = self.value()
        if not value["name"]:
            return "Name the closed day: callers are told it (e.g. “Christmas Day”)."
        if value["until"] is not None and value["until"] < value["date"]:
            return "The last closed day is before the first."
        return ""


class _RowsEditor(QWidget):
    """A grid of rows with an Add button under it (``rows``, ``grid``, ``empty``, ``add_button``): removing a row
    moves the ones below up; each row's problem (``problem_of``) is said once the row was left, or every one on
    Save/Next (``show_problems(every=True)``)."""

    rows: list

    def remove(self, row) -> None:  # noqa: ANN001 - a row of this editor
        self.rows.remove(row)
        for widget in (*row.widgets(), row.problem):
            widget.setParent(None)
            widget.deleteLater()
        self._lay_out()
        self.add_button.setFocus()

    def _lay_out(self) -> None:
        """Every row again, after one was removed (the rows below move up)."""
        for index, row in enumerate(self.rows):
            self._place(index, row)
        self._shown()

    def _shown(self) -> None:
        self.empty.setVisible(not self.rows)

    def leave(self, row) -> None:  # noqa: ANN001
        row.touched = True
        self.show_problems()

    def show_problems(self, every: bool = False) -> bool:
        clear = True
        for row in self.rows:
            row.touched = row.touched or every
            text = self.problem_of(row) if row.touched else ""
            row.problem.setText(text)
            row.problem.setVisible(bool(text))
            clear = clear and not text
        return clear


class ClosuresEditor(_RowsEditor):
    """Closed days and holidays: a name, a day (or first and last day). ``closures()`` is the profile's
    ``availability.closures``."""

    def __init__(self, closures: list[dict], *, today: date | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.today = today or date.today()
        self.rows: list[_ClosureRow] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        self.empty = help_label("No closed days: open every week as above.")
        lay.addWidget(self.empty)
        lay.addLayout(self.grid)
        self.add_button = QPushButton("Add a closed day")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add(touch=True))
        lay.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        for closure in closures:
            self.add(closure["name"], closure["date"], closure.get("until"))

    def add(self, name: str = "", first: date | None = None, last: date | None = None, *,
            touch: bool = False) -> None:
        row = _ClosureRow(self, name, first or self.today, last)
        row.remove.clicked.connect(lambda: self.remove(row))
        self.rows.append(row)
        self._place(len(self.rows) - 1, row)
        if touch:
            row.name.setFocus()

    def _place(self, index: int, row: _ClosureRow) -> None:
        for column, widget in enumerate(row.widgets()):
            self.grid.addWidget(widget, 2 * index, column)
        self.grid.addWidget(row.problem, 2 * index + 1, 0, 1, 5)
        self.grid.setColumnStretch(0, 1)
        self.empty.setVisible(not self.rows)

    def problem_of(self, row: _ClosureRow) -> str:
        return row.problem_text()

    def closures(self) -> list[dict]:
        return [row.value() for row in self.rows]


#: the service columns after the name: (option, header, low, high, step, the special value's text or "")
SERVICE_COLUMNS = (
    ("duration_minutes", "Length", 5, 480, 5, ""),
    ("buffer_before_minutes", "Free before", -5, 240, 5, "Usual"),
    ("buffer_after_minutes", "Free after", -5, 240, 5, "Usual"),
    ("max_per_day", "Max a day", 0, 999, 1, "No cap"),
    ("max_per_week", "Max a week", 0, 9999, 1, "No cap"),
)


class _ServiceRow:
    def __init__(self, editor: "ServicesEditor", service: dict):
        self.name = QLineEdit(service.get("name", ""))
        self.name.setPlaceholderText("e.g. Cleaning")
        self.name.setAccessibleName("Service name")
        self.name.setMinimumWidth(120)
        self.spins: dict[str, QSpinBox] = {}
        for option, header, low, high, step, special in SERVICE_COLUMNS:
            box = QSpinBox()
            box.setRange(low, high)
            box.setSingleStep(step)
            box.setAccessibleName(header)
            box.setMaximumWidth(86)
            if option.endswith("minutes"):
                box.setSuffix(" min")
            if special:
                box.setSpecialValueText(special)
            value = service.get(option)
            box.setValue(low if value is None else int(value))
            self.spins[option] = box
        self.resources = QLineEdit(", ".join(service.get("resources", ())))
        self.resources.setPlaceholderText("Any")
        self.resources.setAccessibleName("Needs one of")
        self.resources.setMinimumWidth(80)
        on_leave(self.resources, lambda: editor.leave(self))
        self.remove = remove_button("Remove this service")
        self.problem = problem_label()
        self.problem.setVisible(False)
        self.touched = False
        on_leave(self.name, lambda: editor.leave(self))

    def widgets(self) -> tuple[QWidget, ...]:
        return self.name, *self.spins.values(), self.resources, self.remove

    def value(self) -> dict:
        data: dict = {"name": " ".join(self.name.text().split())}
        for option, _h, low, _hi, _s, _sp in SERVICE_COLUMNS:
            value = self.spins[option].value()
            data[option] = None if option.startswith("buffer") and value == low else value
        data["resources"] = [n.strip() for n in self.resources.text().split(",") if n.strip()]
        return data


class ServicesEditor(_RowsEditor):
    """The bookable services: name, length, free time kept before and after ("Usual": the location's), caps a day
    and a week, and the resources any one of which takes it. ``services()`` is ``availability.services``."""

    def __init__(self, services: list[dict], *, resources: Callable[[], list[str]] = list,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.resources = resources  # the names a service may need (the profile's resources, as edited now)
        self.rows: list[_ServiceRow] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        headers = ("Service", *(c[1] for c in SERVICE_COLUMNS), "Needs one of")
        for column, text in enumerate(headers):
            label = QLabel(f"<b>{text}</b>")
            self.grid.addWidget(label, 0, column)
        self.headers = [self.grid.itemAtPosition(0, c).widget() for c in range(len(headers))]
        self.empty = help_label("No services yet: every booking takes the usual appointment length.")
        lay.addWidget(self.empty)
        lay.addLayout(self.grid)
        self.add_button = QPushButton("Add a service")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add({}, touch=True))
        lay.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        for service in services:
            self.add(service)
        self.grid.setColumnStretch(0, 2)
        self.grid.setColumnStretch(len(SERVICE_COLUMNS) + 1, 1)
        self._shown()

    def add(self, service: dict, *, touch: bool = False) -> None:
        row = _ServiceRow(self, {"duration_minutes": 30, **service})
        row.remove.clicked.connect(lambda: self.remove(row))
        self.rows.append(row)
        self._place(len(self.rows) - 1, row)
        self._shown()
        if touch:
            row.name.setFocus()

    def _place(self, index: int, row: _ServiceRow) -> None:
        for column, widget in enumerate(row.widgets()):
            self.grid.addWidget(widget, 2 * index + 1, column)
        self.grid.addWidget(row.problem, 2 * index + 2, 0, 1, len(row.widgets()))

    def _shown(self) -> None:
        for header in self.headers:
            header.setVisible(bool(self.rows))
        self.empty.setVisible(not self.rows)

    def problem_of(self, row: _ServiceRow) -> str:
        name = row.value()["name"]
        if not name:
            return "Name the service as callers ask for it."
        if [r.value()["name"].lower() for r in self.rows].count(name.lower()) > 1:
            return f"Two services are named “{name}”."
        known = self.resources()
        folded = {" ".join(k.casefold().split()) for k in known}
        for needed in row.value()["resources"]:
            if " ".join(needed.casefold().split()) not in folded:
                return (f"“{needed}” is not one of the resources here ({', '.join(known) or 'none yet'}): add it "
                        "under Resources, or leave “Needs one of” empty.")
        return ""


    def services(self) -> list[dict]:
        return [row.value() for row in self.rows]


__all__ = ["ClosuresEditor", "ServicesEditor", "WeekHoursEditor", "remove_button"]
