"""A new booking made at the desk, opened on a time of the calendar (a click on free time, a range swept over it,
or N): caller, number, service, date, time, length (the range's, or the service's), the chair or room (a resource
column's, or the first free) and notes, with the nearest free times and whether the time typed is free (and why not)
by the one booking rule (:class:`~receptionist.ui.slot_picker.SlotSuggestions`). &Book runs
:meth:`~receptionist.services.appointments.Appointments.book` (``receptionist appointments book``) on the window's
:class:`~receptionist.ui.operations.OperationRunner`; a refusal stays in the dialog as a sentence.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.models import AppointmentRecord
from receptionist.domain.payload import MAX_MINUTES, MIN_MINUTES
from receptionist.services.appointments import Appointments
from receptionist.services.availability import Availability
from receptionist.ui.appointment_dialog import inline_error_label
from receptionist.ui.fields import DateField, TimeField
from receptionist.ui.operations import OperationRunner, QueryRunner
from receptionist.ui.slot_picker import SlotSuggestions


class NewBookingDialog(QDialog):
    """Signals: booked(AppointmentRecord)."""

    booked = Signal(object)

    def __init__(self, appointments: Appointments, availability: Availability, start: datetime, zone: ZoneInfo,
                 sms_enabled: bool, operations: OperationRunner, queries: QueryRunner,
                 parent: QWidget | None = None, minutes: int | None = None, resource: str | None = None):
        super().__init__(parent)
        self.appointments = appointments
        self.availability = availability
        self.zone = zone
        self.operations = operations
        self.sms_enabled = sms_enabled
        self.setWindowTitle("New booking")
        self.setMinimumWidth(720)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.caller_edit = QLineEdit()
        self.caller_edit.setPlaceholderText("the caller's name")
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText("(312) 555-0142")
        self.service_edit = QComboBox()
        self.service_edit.setEditable(True)
        self.service_edit.setMinimumWidth(220)
        self.service_edit.lineEdit().setPlaceholderText("e.g. Cleaning")
        self.service_edit.addItems(availability.services())
        self.service_edit.setCurrentText(self.service_edit.itemText(0) if self.service_edit.count() else "")
        local = start.astimezone(zone)
        self.date_edit = DateField(QDate(local.year, local.month, local.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.time_edit = TimeField(QTime(local.hour, local.minute))
        self.time_edit.setDisplayFormat("h:mm AP")
        zone_label = QLabel(local.tzname() or zone.key)
        zone_label.setObjectName("muted")
        zone_label.setToolTip(f"Times are in the location's time zone ({zone.key}).")
        time_row = QHBoxLayout()
        time_row.addWidget(self.time_edit)
        time_row.addWidget(zone_label)
        time_row.addStretch(1)
        time_label = QLabel("&Time")
        time_label.setBuddy(self.time_edit)
        self.length_spin = QSpinBox()
        self.length_spin.setRange(MIN_MINUTES, MAX_MINUTES)
        self.length_spin.setSingleStep(5)
        self.length_spin.setSuffix(" min")
        self.length_spin.setValue(minutes or availability.default_minutes(self.service_edit.currentText() or None))
        self.resource_edit = QComboBox(self)  # a chair column chose it; "First free": the rule picks
        self.resource_edit.addItem("First free", None)
        for name in availability.resources():
            self.resource_edit.addItem(name, name)
        if resource is not None:
            self.resource_edit.setCurrentIndex(max(0, self.resource_edit.findData(resource)))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(56)
        self.notify_check = QCheckBox("Te&xt the caller the confirmation")
        self.notify_check.setEnabled(False)
        self.notify_check.setToolTip("SMS to callers is off for this location (twilio.enabled = false in the "
                                     "profile)." if not sms_enabled else "Give a number to text the confirmation.")
        form.addRow("&Caller", self.caller_edit)
        form.addRow("&Phone", self.phone_edit)
        form.addRow("Ser&vice", self.service_edit)
        form.addRow("&Date", self.date_edit)
        form.addRow(time_label, time_row)
        form.addRow("&Length", self.length_spin)
        if self.resource_edit.count() > 1:
            form.addRow("C&hair or room", self.resource_edit)
        else:  # a location without resources: nothing to choose
            self.resource_edit.hide()
        form.addRow("&Notes", self.notes_edit)
        form.addRow("", self.notify_check)
        # the free times beside the form, not under it: the dialog fits a 768-pixel screen (a window is given at
        # most two thirds of it)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addLayout(form)
        left.addStretch(1)
        columns.addLayout(left, 3)
        self.suggestions = SlotSuggestions(availability, queries, zone, verb="book it",
                                           resource=self.resource_edit.currentData())
        self.suggestions.setMinimumWidth(260)
        columns.addWidget(self.suggestions, 2)
        layout.addLayout(columns)
        self.error_label = inline_error_label()
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton("&Book", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primary")
        self.ok_button.setDefault(True)
        close = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        close.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._picking = False
        self.phone_edit.textChanged.connect(self._phone_typed)
        self.service_edit.currentTextChanged.connect(self._service_chosen)
        self.date_edit.dateChanged.connect(lambda _d: self._typed(search=True))
        self.time_edit.timeChanged.connect(lambda _t: self._typed(search=False))
        self.length_spin.valueChanged.connect(lambda _v: self._typed(search=True))
        self.resource_edit.currentIndexChanged.connect(self._resource_chosen)
        self.suggestions.picked.connect(self._pick)
        self._typed(search=True)
        self.caller_edit.setFocus()

    def new_start(self) -> datetime:
        d, t = self.date_edit.date(), self.time_edit.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self.zone)

    def _service(self) -> str | None:
        return self.service_edit.currentText().strip() or None

    def _phone_typed(self, text: str) -> None:
        self.notify_check.setEnabled(self.sms_enabled and bool(text.strip()))

    def _service_chosen(self, _text: str) -> None:
        self.length_spin.setValue(self.availability.default_minutes(self._service()))
        self._typed(search=True)

    def _resource_chosen(self, _index: int) -> None:
        self.suggestions.resource = self.resource_edit.currentData()
        self._typed(search=True)

    def _typed(self, search: bool) -> None:
        start, minutes, service = self.new_start(), self.length_spin.value(), self._service()
        self.suggestions.check(start, minutes, service)
        if search and not self._picking:
            self.suggestions.find(start.date(), start, minutes, service)

    def _pick(self, start: datetime) -> None:
        moment = start.astimezone(self.zone)
        self._picking = True
        self.date_edit.setDate(QDate(moment.year, moment.month, moment.day))
        self.time_edit.setTime(QTime(moment.hour, moment.minute))
        self._picking = False

    def accept(self) -> None:
        appointments, start, minutes = self.appointments, self.new_start(), self.length_spin.value()
        caller, phone = self.caller_edit.text(), self.phone_edit.text().strip() or None
        service, notes = self.service_edit.currentText(), self.notes_edit.toPlainText()
        notify = self.notify_check.isEnabled() and self.notify_check.isChecked()
        resource = self.resource_edit.currentData()
        self.operations.run("New booking", lambda: appointments.book(caller, phone, service, start, minutes, notes,
                                                                      notify=notify, resource=resource),
                            success=self._booked, trigger=self.ok_button, error_label=self.error_label,
                            progress="Booking…")

    def _booked(self, appt: AppointmentRecord) -> None:
        self.booked.emit(appt)
        super().accept()


def install_booking(window) -> None:  # noqa: ANN001 - the MainWindow
    """The calendar's requests for a new booking (a click on free time, a range swept over it, N) open
    :class:`NewBookingDialog` at that start, of that length and on that resource (a resource column's)."""
    window.booking_dialog = None

    def open_booking(start: datetime, minutes: int | None, resource: str | None) -> None:
        desk = window.desk
        if window.booking_dialog is not None:
            window.booking_dialog.close()
        dialog = NewBookingDialog(desk.appointments, desk.availability, start, desk.context.rules.zone,
                                  desk.context.sms_enabled, window.operations, window.runner, parent=window,
                                  minutes=minutes, resource=resource)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.booked.connect(lambda appt: window.status.showMessage(
            f"Booked {appt.caller_name}; the calendars get it at the next sync.", 8000))
        dialog.destroyed.connect(lambda *_: setattr(window, "booking_dialog", None)
                                 if window.booking_dialog is dialog else None)
        window.booking_dialog = dialog
        dialog.open()

    window.calendar.booking_requested.connect(open_booking)


__all__ = ["NewBookingDialog", "install_booking"]
