"""Who is at the desk, and the audit log owners read.

- :class:`PersonPicker`: a person picks themself (and gives their PIN, if they have one) when the desk opens, after
  ``people.idle_minutes`` without a key or a click, or from File → Switch person… (Ctrl+L).
- :class:`AuditView`: the audit log, filtered by person, action and dates (owners; anyone else reads a sentence
  saying so).
- :func:`install_people`: puts both into a main window (the menu item, the Audit log tab, the idle watch).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_datetime
from receptionist.domain.people import AuditRecord
from receptionist.services.people import People
from receptionist.ui.models import RecordsModel
from receptionist.ui.operations import OperationRunner, QueryRunner, user_sentence

_Index = QModelIndex | QPersistentModelIndex


class PersonPicker(QDialog):
    """Pick yourself (Enter), with your PIN when you have one. Accepted once ``people.pick`` took it."""

    def __init__(self, people: People, operations: OperationRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.people, self.operations = people, operations
        self.setWindowTitle("Who is at the desk?")
        self.choices = people.choices()
        self.list = QListWidget()
        for choice in self.choices:
            self.list.addItem(f"{choice.name} ({choice.role.replace('-', ' ')})")
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("PIN")
        self.list.setAccessibleName("People at the desk")
        self.pin.setAccessibleName("Your PIN")
        self.error = QLabel()
        self.error.setObjectName("inlineError")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.take)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Pick yourself: what you approve, reject or change is recorded in your name."))
        lay.addWidget(self.list)
        lay.addWidget(self.pin)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.list.currentRowChanged.connect(self._row_changed)
        current = next((i for i, c in enumerate(self.choices) if c.name == people.current()), 0)
        self.list.setCurrentRow(current)
        self.list.setFocus()

    def _row_changed(self, row: int) -> None:
        has_pin = 0 <= row < len(self.choices) and self.choices[row].has_pin
        self.pin.setVisible(has_pin)
        self.pin.clear()

    def take(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.choices):
            return
        name, pin, people = self.choices[row].name, self.pin.text(), self.people
        self.operations.run("Not picked", lambda: people.pick(name, pin), success=lambda _name: self.accept(),
                            trigger=self.buttons, error_label=self.error, progress="Signing in…")

    def reject(self) -> None:  # Escape: someone must be at the desk when the profile lists people
        return


class AuditModel(RecordsModel[AuditRecord]):
    HEADERS = ("When", "Person", "Action", "What")

    def __init__(self, zone: ZoneInfo, parent=None):
        super().__init__(parent)
        self.zone = zone

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        e = self.record(index)
        if e is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            detail = ", ".join(f"{k}: {v}" for k, v in e.detail.items() if v not in (None, ""))
            return (format_datetime(e.at, self.zone), e.actor, e.action,
                    f"{e.entity} {e.entity_id}" + (f" — {detail}" if detail else ""))[index.column()]
        return None


class AuditView(QWidget):
    """The audit log, newest first: person, action (or its family, "callback") and a date range."""

    EVERYONE = "Everyone"

    def __init__(self, people: People, zone: ZoneInfo, today: date, runner: QueryRunner | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.people, self.zone = people, zone
        self.runner = runner or QueryRunner(self)
        self.model = AuditModel(zone, self)
        self.person = QComboBox()
        self.person.addItem(self.EVERYONE)
        self.action = QLineEdit()
        self.action.setPlaceholderText("action, e.g. proposal or callback.done")
        self.start = QDateEdit(QDate(today.year, today.month, today.day).addDays(-30))
        self.end = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MM/dd/yyyy")
        self.show_button = QPushButton("Show")
        bar = QHBoxLayout()
        for label, widget in (("Person", self.person), ("Action", self.action), ("From", self.start),
                              ("To", self.end)):
            bar.addWidget(named := QLabel(label))
            named.setBuddy(widget)  # a screen reader says "From", "To"... for the field
            bar.addWidget(widget)
        bar.addWidget(self.show_button)
        self.message = QLabel()
        self.message.setObjectName("muted")
        self.table = QTableView()
        self.table.setAccessibleName("Audit log")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)
        self.show_button.clicked.connect(self.refresh)
        self.action.returnPressed.connect(self.refresh)
        self.person.activated.connect(lambda _i: self.refresh())

    def _day(self, edit: QDateEdit, after: bool = False) -> datetime:
        d = edit.date().toPython() + (timedelta(days=1) if after else timedelta(0))
        return datetime.combine(d, time(0), self.zone).astimezone(timezone.utc)

    def refresh(self) -> None:
        person = self.person.currentText()
        person = None if person == self.EVERYONE else person
        people, action = self.people, self.action.text().strip() or None
        since, until = self._day(self.start), self._day(self.end, after=True)

        def read():
            return people.audit_actors(), people.audit_log(person=person, action=action, since=since, until=until)

        self.runner.run("audit", read, self._show, self._refused)

    def _show(self, found: tuple[list[str], list[AuditRecord]]) -> None:
        actors, rows = found
        current = self.person.currentText()
        self.person.clear()
        self.person.addItems([self.EVERYONE, *actors])
        self.person.setCurrentText(current)
        self.model.set_rows(rows)
        self.message.setText(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")

    def _refused(self, exc: Exception) -> None:
        self.model.set_rows([])
        self.message.setText(user_sentence(exc))


class IdleWatch(QObject):
    """Calls ``on_idle`` after ``minutes`` without a key press or a click anywhere in the application."""

    def __init__(self, minutes: int, on_idle, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(minutes * 60_000)
        self.timer.timeout.connect(on_idle)
        QApplication.instance().installEventFilter(self)
        self.timer.start()

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress):
            self.timer.start()
        return False


def install_people(window, people: People) -> None:
    """The main window's part: File → Switch person… (Ctrl+L), the Audit log tab, the picker when the desk opens
    (unless a single-user PC's login is the person) and after idle time."""
    login = people.os_login()
    if login is not None:
        QTimer.singleShot(0, lambda: window.operations.run("Not signed in", lambda: people.pick(login)))

    def ask() -> None:
        if people.must_pick() and window.isVisible() and getattr(window, "person_picker", None) is None:
            window.person_picker = PersonPicker(people, window.operations, window)
            window.person_picker.finished.connect(lambda _r: setattr(window, "person_picker", None))
            window.person_picker.open()

    window.person_picker = None
    window.switch_person_action = QAction("S&witch person…", window)
    window.switch_person_action.setShortcut(QKeySequence("Ctrl+L"))
    window.switch_person_action.triggered.connect(ask)
    if people.must_pick():  # nobody to switch to on a desk without people, or a single-user PC's login
        window.menuBar().actions()[0].menu().insertAction(window.settings_action, window.switch_person_action)
    window.audit_view = AuditView(people, window.zone, window.desk.context.clock().astimezone(window.zone).date(),
                                  runner=window.runner)
    window.lower_tabs.addTab(window.audit_view, "Audit log")
    window.lower_tabs.currentChanged.connect(
        lambda i: window.audit_view.refresh() if window.lower_tabs.widget(i) is window.audit_view else None)
    if people.must_pick():
        window.idle_watch = IdleWatch(window.profile.people.idle_minutes, ask, window)
        QTimer.singleShot(0, ask)
