"""One appointment: its booking, each calendar's badge with its sentence, and what a person can do to it
(Reschedule…, Edit…, Cancel appointment…, and once its time has come Attended / No-show). Each action is a small dialog that runs its change on the window's
:class:`~receptionist.ui.operations.OperationRunner`, which shows a UserError as a sentence inside the dialog, so
nothing typed is lost to a message box. The dialogs are handed the appointments capability and what they show of the
desk (its zone, its calendars' labels, whether SMS is on); "service" in them is the booked service.

The same actions are offered by :func:`appointment_menu` (right-click in the week view or the table).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.formatting import format_phone, format_range
from receptionist.domain.models import AppointmentRecord, AppointmentStatus, Attendance, SyncState
from receptionist.domain.payload import MAX_MINUTES, MIN_MINUTES
from receptionist.errors import UserError
from receptionist.services.appointments import Appointments, MovePlan
from receptionist.services.availability import Availability
from receptionist.ui import theme
from receptionist.ui.fields import DateField, TimeField
from receptionist.ui.models import link_sentence
from receptionist.ui.move_confirm import MovePlanView, ProposedMove
from receptionist.ui.operations import OperationRunner, QueryRunner, show_inline_error, user_sentence
from receptionist.ui.slot_picker import SlotSuggestions

SMS_TEXT = "Te&xt the caller about the change"
# the console's QPushButton#danger colour outranks :disabled; a disabled danger button must look disabled
DISABLED_DANGER = "QPushButton#danger:disabled { color: #94a3b8; background: #f8fafc; border-color: #e2e8f0; }"


def sms_checkbox(sms_enabled: bool, appt: AppointmentRecord, text: str = SMS_TEXT) -> QCheckBox:
    """The optional "text the caller" box: usable only when SMS is on and the appointment has a number."""
    box = QCheckBox(text)
    if not sms_enabled:
        box.setEnabled(False)
        box.setToolTip("SMS to callers is off for this location (twilio.enabled = false in the profile).")
    elif not appt.callback_number:
        box.setEnabled(False)
        box.setToolTip("This appointment has no callback number to text.")
    else:
        box.setToolTip(f"Send an SMS to {format_phone(appt.callback_number)} once the change is saved.")
    return box


def badge_label(state: SyncState | None) -> QLabel:
    label = QLabel(state.label if state is not None else "—")
    label.setObjectName("badge")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setMinimumWidth(80)
    if state is not None:
        label.setStyleSheet(f"QLabel#badge {{ color: {theme.SYNC_COLORS[state]}; background: "
                            f"{theme.SYNC_BACKGROUNDS[state]}; border-radius: 9px; padding: 2px 8px; "
                            "font-weight: 600; }")
    return label


def inline_error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("dialogError")
    label.setWordWrap(True)
    label.setStyleSheet("QLabel#dialogError { color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; "
                        "border-radius: 5px; padding: 6px; }")
    label.hide()
    return label


class _ActionDialog(QDialog):
    """A small form whose OK button runs its change on the worker; a UserError stays in the dialog as a red
    sentence."""

    saved = Signal(object)  # the AppointmentRecord the change returned

    def __init__(self, appointments: Appointments, appt: AppointmentRecord, zone: ZoneInfo, sms_enabled: bool,
                 operations: OperationRunner, title: str, ok_text: str, close_text: str = "Close",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.appointments = appointments
        self.appt = appt
        self.zone = zone
        self.sms_enabled = sms_enabled
        self.operations = operations
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.layout_ = QVBoxLayout(self)
        heading = QLabel(f"{appt.caller_name or 'Unknown caller'} — {appt.service or 'Appointment'}")
        heading.setObjectName("detailHeading")
        self.when = QLabel(format_range(appt.start, appt.end, self.zone))
        self.when.setObjectName("muted")
        self.layout_.addWidget(heading)
        self.layout_.addWidget(self.when)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.layout_.addLayout(self.form)
        self.error_label = inline_error_label()
        self.buttons = QDialogButtonBox(self)  # parented now, so setDefault below reaches the dialog
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primary")
        self.ok_button.setDefault(True)
        self.close_button = self.buttons.addButton(close_text, QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def follow_zone(self, zone: ZoneInfo) -> None:
        """Settings changed the location's time zone while this dialog is open: its times are said in the new one."""
        self.zone = zone
        self.when.setText(format_range(self.appt.start, self.appt.end, zone))

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.error_label)
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.buttons)

    def change(self) -> Callable[[], AppointmentRecord]:  # pragma: no cover - overridden
        """The write, with what the form holds now (read here, on the GUI thread)."""
        raise NotImplementedError

    def accept(self) -> None:
        self.operations.run(self.windowTitle(), self.change(), success=self._saved, trigger=self.ok_button,
                            error_label=self.error_label, progress=f"{self.windowTitle()}…")

    def _saved(self, saved: AppointmentRecord) -> None:
        self.saved.emit(saved)
        super().accept()


class RescheduleDialog(_ActionDialog):
    """Date, time and length in the location's zone (``proposed``: where the booking was dropped or resized in the
    calendar, and the resource column it was dropped in); the nearest free times to pick from and whether the typed
    time is free, with every reason it is not (:class:`~receptionist.ui.slot_picker.SlotSuggestions`, read on
    ``queries``); what the move will do — the calendars updated, the text, the chair
    (:class:`~receptionist.ui.move_confirm.MovePlanView`); the service checks the new time like a new booking when
    it is written. A drop is confirmed here: Reschedule or Cancel, the text ticked when one can go."""

    def __init__(self, appointments: Appointments, appt: AppointmentRecord, zone: ZoneInfo, sms_enabled: bool,
                 operations: OperationRunner, parent: QWidget | None = None, *, availability: Availability,
                 queries: QueryRunner, proposed: ProposedMove | None = None):
        super().__init__(appointments, appt, zone, sms_enabled, operations, "Reschedule appointment", "&Reschedule",
                         close_text="Cancel" if proposed is not None else "Close", parent=parent)
        self.resource = proposed.resource if proposed is not None else None  # a resource column dropped in
        self._offer_text = proposed is not None  # a drop: the text is ticked once the plan says one can go
        local = (proposed.start if proposed is not None else appt.start).astimezone(self.zone)
        self.date_edit = DateField(QDate(local.year, local.month, local.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.time_edit = TimeField(QTime(local.hour, local.minute))
        self.time_edit.setDisplayFormat("h:mm AP")
        self.zone_label = QLabel(local.tzname() or str(self.zone))
        self.zone_label.setObjectName("muted")
        self.zone_label.setToolTip(f"Times are in the location's time zone ({self.zone.key}).")
        time_row = QHBoxLayout()
        time_row.addWidget(self.time_edit)
        time_row.addWidget(self.zone_label)
        time_row.addStretch(1)
        self.length_spin = QSpinBox()
        self.length_spin.setRange(MIN_MINUTES, MAX_MINUTES)
        self.length_spin.setSingleStep(5)
        self.length_spin.setSuffix(" min")
        self.length_spin.setValue(proposed.minutes if proposed is not None and proposed.minutes
                                  else appt.duration_minutes)
        self.notify_check = sms_checkbox(sms_enabled, appt)
        time_label = QLabel("&Time")
        time_label.setBuddy(self.time_edit)  # a row holding a layout gets no buddy by itself
        self.form.addRow("&Date", self.date_edit)
        self.form.addRow(time_label, time_row)
        self.form.addRow("&Length", self.length_spin)
        self.form.addRow("", self.notify_check)
        self.suggestions = SlotSuggestions(availability, queries, self.zone, moving=appt.id, resource=self.resource)
        self.suggestions.setMinimumWidth(280)
        self.plan = MovePlanView(appointments, queries, appt.id)
        # the fields and what the move will do on the left, the free times beside them: the dialog fits a
        # 768-pixel screen with every reason and sentence shown
        self.layout_.removeItem(self.form)
        left = QVBoxLayout()
        left.addLayout(self.form)
        left.addWidget(self.plan)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addWidget(self.suggestions, 2)
        self.layout_.addLayout(columns)
        self.setMinimumWidth(760)
        self.finish_layout()
        self._picking = False
        self.date_edit.dateChanged.connect(lambda _d: self._typed(search=True))
        self.time_edit.timeChanged.connect(lambda _t: self._typed(search=False))
        self.length_spin.valueChanged.connect(lambda _v: self._typed(search=True))
        self.notify_check.toggled.connect(self.plan.show_notify)
        self.plan.planned.connect(self._planned)
        self.suggestions.picked.connect(self._pick)
        self._typed(search=True)
        self.date_edit.setFocus()

    def follow_zone(self, zone: ZoneInfo) -> None:
        """The same moment stays proposed, in the new zone's date and time (the list of free times is read again)."""
        start = self.new_start()
        super().follow_zone(zone)
        self.suggestions.zone = zone
        self.zone_label.setToolTip(f"Times are in the location's time zone ({zone.key}).")
        self._pick(start)
        self.zone_label.setText(self.new_start().tzname() or zone.key)
        self._typed(search=True)

    def _typed(self, search: bool) -> None:
        """A field changed: is the time free (and why not)? A new day or length also finds the nearest free times."""
        start, minutes = self.new_start(), self.length_spin.value()
        self.suggestions.check(start, minutes)
        self.plan.read(start, minutes, self.resource)
        if search and not self._picking:
            self.suggestions.find(start.date(), start, minutes)

    def _planned(self, plan: MovePlan) -> None:
        """A plan landed: Reschedule is refused where the move cannot go (the chair asked for is busy then); a
        drop ticks the text once, when one can go and the call did not ask for none."""
        self.ok_button.setEnabled(plan.refused is None)
        if self._offer_text and plan.no_text is None and plan.advice is None and self.notify_check.isEnabled():
            self.notify_check.setChecked(True)
        self._offer_text = False

    def _pick(self, start: datetime) -> None:
        """A free time chosen in the list: into the fields (the list stays as it is)."""
        moment = start.astimezone(self.zone)
        self._picking = True
        self.date_edit.setDate(QDate(moment.year, moment.month, moment.day))
        self.time_edit.setTime(QTime(moment.hour, moment.minute))
        self._picking = False

    def new_start(self) -> datetime:
        d, t = self.date_edit.date(), self.time_edit.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self.zone)

    def change(self) -> Callable[[], AppointmentRecord]:
        appointments, appointment_id, start = self.appointments, self.appt.id, self.new_start()
        minutes, notify, resource = self.length_spin.value(), self.notify_check.isChecked(), self.resource
        return lambda: appointments.reschedule(appointment_id, start, minutes, notify=notify, resource=resource)


class EditAppointmentDialog(_ActionDialog):
    """Service, length and notes; the calendars get the new version."""

    def __init__(self, appointments: Appointments, appt: AppointmentRecord, zone: ZoneInfo, sms_enabled: bool,
                 operations: OperationRunner, parent: QWidget | None = None):
        super().__init__(appointments, appt, zone, sms_enabled, operations, "Edit appointment", "&Save changes",
                         parent=parent)
        self.service_edit = QLineEdit(appt.service or "")
        self.length_spin = QSpinBox()
        self.length_spin.setRange(MIN_MINUTES, MAX_MINUTES)
        self.length_spin.setSingleStep(5)
        self.length_spin.setSuffix(" min")
        self.length_spin.setValue(appt.duration_minutes)
        self.notes_edit = QPlainTextEdit(appt.notes or "")
        self.notes_edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
        self.notes_edit.setFixedHeight(72)
        self.notify_check = sms_checkbox(sms_enabled, appt)
        self.notify_check.setToolTip(self.notify_check.toolTip() + "\nOnly a new service or length is texted.")
        self.form.addRow("Ser&vice", self.service_edit)
        self.form.addRow("&Length", self.length_spin)
        self.form.addRow("&Notes", self.notes_edit)
        self.form.addRow("", self.notify_check)
        self.finish_layout()
        self.service_edit.setFocus()

    def change(self) -> Callable[[], AppointmentRecord]:
        appointments, appointment_id = self.appointments, self.appt.id
        service, minutes = self.service_edit.text().strip(), self.length_spin.value()
        notes, notify = self.notes_edit.toPlainText(), self.notify_check.isChecked()
        return lambda: appointments.edit(appointment_id, service=service, duration_minutes=minutes, notes=notes,
                                         notify=notify)


class CancelAppointmentDialog(_ActionDialog):
    """Asks why; the appointment stays listed as cancelled and its events are deleted from every calendar."""

    def __init__(self, appointments: Appointments, appt: AppointmentRecord, zone: ZoneInfo, sms_enabled: bool,
                 operations: OperationRunner, parent: QWidget | None = None):
        super().__init__(appointments, appt, zone, sms_enabled, operations, "Cancel appointment",
                         "&Cancel appointment", "&Keep appointment", parent=parent)
        self.ok_button.setObjectName("danger")
        self.ok_button.setDefault(False)
        self.ok_button.setAutoDefault(False)
        self.close_button.setAutoDefault(True)
        self.close_button.setDefault(True)  # Enter never cancels an appointment by accident
        explain = QLabel("The appointment stays in the list, marked cancelled; its event is deleted from every "
                         "connected calendar.")
        explain.setWordWrap(True)
        self.layout_.insertWidget(2, explain)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("e.g. the caller asked to cancel")
        self.notify_check = sms_checkbox(sms_enabled, appt)
        self.form.addRow("&Reason", self.reason_edit)
        self.form.addRow("", self.notify_check)
        self.finish_layout()
        self.reason_edit.setFocus()

    def change(self) -> Callable[[], AppointmentRecord]:
        appointments, appointment_id = self.appointments, self.appt.id
        reason, notify = self.reason_edit.text(), self.notify_check.isChecked()
        return lambda: appointments.cancel(appointment_id, reason, notify=notify)


class AppointmentDialog(QDialog):
    """The booking, a badge per calendar with its sentence (and Keep ours / Take theirs… where a person must
    decide), and Reschedule… / Edit… / Cancel appointment…. It opens on a record the window read on its
    :class:`~receptionist.ui.operations.QueryRunner`; ``reload()`` re-reads it there (the window calls it on news).

    Attributes: badges, sentences, compare_buttons — per calendar key; sub_dialog — the action dialog open now.
    """

    compare_requested = Signal(int)  # link id: open ours vs theirs
    caller_data_requested = Signal(str, str)  # the caller's number and name: export or forget them (owners)

    def __init__(self, appointments: Appointments, appt: AppointmentRecord, *, zone: ZoneInfo,
                 calendars: Mapping[str, str], sms_enabled: bool, operations: OperationRunner,
                 queries: QueryRunner, availability: Availability, parent: QWidget | None = None):
        super().__init__(parent)
        self.appointments = appointments
        self.availability = availability
        self.appointment_id = appt.id
        self.zone = zone
        self.calendars = calendars
        self.sms_enabled = sms_enabled
        self.operations = operations
        self.queries = queries
        self.appt = appt
        self.sub_dialog: QDialog | None = None
        self.setWindowTitle("Appointment")
        self.setMinimumWidth(640)
        self.setStyleSheet(DISABLED_DANGER)

        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("detailHeading")
        self.heading.setWordWrap(True)
        self.status_banner = QLabel()
        self.status_banner.setObjectName("cancelledBanner")
        self.status_banner.setWordWrap(True)
        self.status_banner.setStyleSheet("QLabel#cancelledBanner { color: #991b1b; background: #fee2e2; "
                                         "border: 1px solid #fecaca; border-radius: 5px; padding: 6px; "
                                         "font-weight: 600; }")
        layout.addWidget(self.heading)
        layout.addWidget(self.status_banner)
        self.attended_button = QPushButton("A&ttended")
        self.no_show_button = QPushButton("&No-show")
        self.caller_data_button = QPushButton("Caller's &data…")
        self.caller_data_button.setToolTip("Export this caller's data to a file, or forget them (owners)")
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key, label in (("when", "When"), ("length", "Length"), ("caller", "Caller"), ("phone", "Phone"),
                           ("service", "Service"), ("notes", "Notes"), ("attendance", "Attendance")):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[key] = value
            row = {"phone": [self.caller_data_button],
                   "attendance": [self.attended_button, self.no_show_button]}.get(key)
            if row is None:
                form.addRow(f"{label}:", value)
                continue
            line = QHBoxLayout()  # the actions on this field beside it
            line.addWidget(value, 1)
            for b in row:
                line.addWidget(b)
            form.addRow(f"{label}:", line)
        layout.addLayout(form)

        layout.addSpacing(6)
        calendars_title = QLabel("Calendars")
        calendars_title.setObjectName("panelTitle")
        layout.addWidget(calendars_title)
        self.calendar_frame = QFrame()
        self.calendar_grid = QGridLayout(self.calendar_frame)
        self.calendar_grid.setContentsMargins(0, 0, 0, 0)
        self.calendar_grid.setHorizontalSpacing(10)
        self.calendar_grid.setColumnStretch(2, 1)
        layout.addWidget(self.calendar_frame)
        self.badges: dict[str, QLabel] = {}
        self.sentences: dict[str, QLabel] = {}
        self.compare_buttons: dict[str, QPushButton] = {}

        self.error_label = inline_error_label()
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        self.reschedule_button = QPushButton("&Reschedule…")
        self.edit_button = QPushButton("&Edit…")
        self.cancel_button = QPushButton("&Cancel appointment…")
        self.cancel_button.setObjectName("danger")
        self.close_button = QPushButton("C&lose")
        for b in (self.reschedule_button, self.edit_button, self.cancel_button, self.attended_button,
                  self.no_show_button, self.caller_data_button, self.close_button):
            b.setAutoDefault(False)
        buttons.addWidget(self.reschedule_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

        self.reschedule_button.clicked.connect(self.reschedule)
        self.edit_button.clicked.connect(self.edit)
        self.cancel_button.clicked.connect(self.cancel_appointment)
        self.attended_button.clicked.connect(lambda: self.mark(Attendance.ATTENDED))
        self.no_show_button.clicked.connect(lambda: self.mark(Attendance.NO_SHOW))
        self.caller_data_button.clicked.connect(lambda: self.caller_data_requested.emit(
            self.appt.callback_number or "", self.appt.caller_name or ""))
        self.close_button.clicked.connect(self.reject)
        self._read_view = f"appointment dialog {id(self)}"
        self.destroyed.connect(lambda *_, view=self._read_view: queries.forget(view))
        self.show_record(appt)

    # --- data -----------------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the appointment on the window's read worker; the dialog shows it when it lands."""
        appointments, appointment_id = self.appointments, self.appointment_id
        self.queries.run(self._read_view, lambda: appointments.get(appointment_id), self.show_record,
                         self._unreadable)

    def _unreadable(self, exc: Exception) -> None:
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        show_inline_error(self.error_label, user_sentence(exc))
        for b in (self.reschedule_button, self.edit_button, self.cancel_button, self.attended_button,
                  self.no_show_button):
            b.setEnabled(False)

    def follow_zone(self, zone: ZoneInfo) -> None:
        """Settings changed the location's time zone while the dialog is open: its times are said in the new one
        (a Reschedule… open over it keeps the moment it proposes, in the new zone)."""
        self.zone = zone
        self.show_record(self.appt)

    def show_record(self, appt: AppointmentRecord) -> None:
        self.appt = appt
        cancelled = appt.status is AppointmentStatus.CANCELLED
        self.setWindowTitle(f"Appointment — {appt.caller_name or 'Unknown caller'}")
        self.heading.setText(f"{appt.caller_name or 'Unknown caller'} — {appt.service or 'Appointment'}")
        self.status_banner.setText(f"Cancelled: {appt.cancel_reason or 'no reason given'}. It stays listed; its "
                                   "events are removed from the calendars." if cancelled else "")
        self.status_banner.setVisible(cancelled)
        self.fields["when"].setText(format_range(appt.start, appt.end, self.zone))
        self.fields["length"].setText(f"{appt.duration_minutes} min")
        self.fields["caller"].setText(appt.caller_name or "Unknown caller")
        self.fields["phone"].setText(format_phone(appt.callback_number) or "no number")
        self.fields["service"].setText((appt.service or "—") + (f" · {appt.resource}" if appt.resource else ""))
        self.fields["notes"].setText(appt.notes or "—")
        markable = self.appointments.markable(appt)
        self.caller_data_button.setEnabled(bool(appt.callback_number))
        self.fields["attendance"].setText(
            f"{appt.attendance.label} (marked by {appt.attendance_by})" if appt.attendance else
            "Not marked yet: did the caller come?" if markable else
            "—" if cancelled else "Can be marked once its time has come")
        for b, value in ((self.attended_button, Attendance.ATTENDED), (self.no_show_button, Attendance.NO_SHOW)):
            b.setEnabled(markable and appt.attendance is not value)
            b.setToolTip(f"Mark that the caller {'came' if value is Attendance.ATTENDED else 'did not come'}"
                         if markable else "Attended / No-show can be marked once the appointment's time has come")
        for b in (self.reschedule_button, self.edit_button, self.cancel_button):
            b.setEnabled(not cancelled)
            b.setToolTip("A cancelled appointment cannot be changed; book a new one." if cancelled else "")
        self._fill_calendars(appt)

    def _fill_calendars(self, appt: AppointmentRecord) -> None:
        while self.calendar_grid.count():
            item = self.calendar_grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.badges.clear()
        self.sentences.clear()
        self.compare_buttons.clear()
        links = {link.calendar: link for link in appt.links}
        calendars = dict(self.calendars)
        for key in links:
            calendars.setdefault(key, key)
        cancelled = appt.status is AppointmentStatus.CANCELLED
        row = 0
        top = Qt.AlignmentFlag.AlignTop
        for key, label in calendars.items():
            link = links.get(key)
            name = QLabel(label)
            name.setStyleSheet("font-weight: 600;")
            badge = badge_label(link.state if link is not None else None)
            sentence = QLabel(link_sentence(link, label, self.zone, cancelled=cancelled) if link is not None
                              else f"Not written to {label}.")
            sentence.setWordWrap(True)
            sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.calendar_grid.addWidget(name, row, 0, top)
            self.calendar_grid.addWidget(badge, row, 1, top)
            self.calendar_grid.addWidget(sentence, row, 2, top)
            self.badges[key], self.sentences[key] = badge, sentence
            row += 1
            if link is not None and link.state.needs_person:
                button = QPushButton("Keep ours / Take theirs…")
                button.setAutoDefault(False)
                button.setToolTip(f"Compare our version with {label}'s, field by field, and decide")
                button.clicked.connect(lambda _checked=False, link_id=link.id: self.compare_requested.emit(link_id))
                self.calendar_grid.addWidget(button, row, 2, Qt.AlignmentFlag.AlignLeft)
                self.compare_buttons[key] = button
                row += 1
        # Tab goes top to bottom: the decisions above first, then the actions row
        chain = [*self.compare_buttons.values(), self.reschedule_button, self.edit_button, self.cancel_button,
                 self.attended_button, self.no_show_button, self.caller_data_button, self.close_button]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    # --- actions --------------------------------------------------------------------------------------------------

    def _open(self, cls, **extra) -> QDialog:
        dialog = cls(self.appointments, self.appt, self.zone, self.sms_enabled, self.operations, parent=self, **extra)
        dialog.saved.connect(self.show_record)  # the write returns the appointment as it now is
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.sub_dialog = dialog
        dialog.open()
        return dialog

    def reschedule(self) -> QDialog:
        return self._open(RescheduleDialog, availability=self.availability, queries=self.queries)

    def edit(self) -> QDialog:
        return self._open(EditAppointmentDialog)

    def cancel_appointment(self) -> QDialog:
        return self._open(CancelAppointmentDialog)

    def mark(self, attendance: Attendance) -> None:
        """Attended / No-show, written on the worker; the dialog shows the appointment as it then is."""
        appointments, appointment_id = self.appointments, self.appointment_id
        trigger = self.attended_button if attendance is Attendance.ATTENDED else self.no_show_button
        self.operations.run(f"Mark {attendance.label.lower()}",
                            lambda: appointments.mark_attendance(appointment_id, attendance),
                            success=self.show_record, trigger=trigger, error_label=self.error_label,
                            progress=f"Marking {attendance.label.lower()}…")


def appointment_menu(parent: QWidget, appt: AppointmentRecord | None, *, open_: Callable[[], None],
                     reschedule: Callable[[], None], cancel: Callable[[], None],
                     mark: Callable[[Attendance], None], markable: bool = False) -> QMenu:
    """Open… / Reschedule… / Cancel… / Mark attended / Mark no-show, for a right-click on an appointment (the week
    view, the table); the marks once its time has come (``markable``)."""
    menu = QMenu(parent)
    live = appt is not None and appt.status is not AppointmentStatus.CANCELLED
    menu.addAction("&Open…").triggered.connect(lambda _checked=False: open_())
    action = menu.addAction("&Reschedule…")
    action.setEnabled(live)
    action.triggered.connect(lambda _checked=False: reschedule())
    action = menu.addAction("&Cancel appointment…")
    action.setEnabled(live)
    action.triggered.connect(lambda _checked=False: cancel())
    menu.addSeparator()
    for text, value in (("Mark &attended", Attendance.ATTENDED), ("Mark &no-show", Attendance.NO_SHOW)):
        action = menu.addAction(text)
        action.setEnabled(markable and appt is not None and appt.attendance is not value)
        action.triggered.connect(lambda _checked=False, value=value: mark(value))
    return menu


__all__ = ["AppointmentDialog", "CancelAppointmentDialog", "EditAppointmentDialog", "RescheduleDialog",
           "appointment_menu", "sms_checkbox"]
