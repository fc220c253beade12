"""The review pane of one call (:class:`CallDetail`). It opens, scrolled to the top, on what a person decides with:
what the caller wants, who they are (known or new), the AI summary, the proposed slot and its issues in plain words,
and Approve / Save edits / Needs a callback / Reject; then the editable proposal with a mark per field
(:class:`~receptionist.ui.fields.FieldMark`) and what else the agent captured, with readable labels
(:class:`~receptionist.ui.call_details.CallFacts`: the transcript and the technical fields one click away). A cancel
or reschedule call lists the caller's upcoming appointments and offers that action on them instead of Approve; a
question, a callback request or an urgent call offers Needs a callback first (the call leaves the queue as
"callback" and waits on the Callbacks tab, ``callbacks.from_call``).

Approve first asks (:class:`~receptionist.ui.approval.ApproveDialog`) when the booking has warnings, naming them, or
when a confirmation text would be sent (shown, editable, skippable; withheld by default when the caller prefers a
phone call). Picking another call with unsaved edits asks to save, discard or stay.

Every edit is re-checked (debounced) with ``checks.check`` on the window's read worker (busy time is a query), so the
validation marks and the Approve button follow what is typed; only the latest edit's answer is shown. Approve, Save
edits, Needs a callback and Reject run on the window's :class:`~receptionist.ui.operations.OperationRunner`. Times
are edited as wall-clock time in the location's zone and converted to UTC here (DST gaps are reported as a field
error, not silently shifted).
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QStringListModel, Qt, QTime, QTimer, QTimeZone, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.bookings import BookingDraft, blocking
from receptionist.domain.formatting import format_datetime, format_range
from receptionist.domain.models import AppointmentRecord, CallRecord, FieldIssue, Intent, ProposalStatus, Severity
from receptionist.domain.payload import resolve_local_time
from receptionist.services import CallReview
from receptionist.services.bookings import Bookings
from receptionist.services.callbacks import Callbacks
from receptionist.services.checks import Checks
from receptionist.ui import theme
from receptionist.ui.approval import ApproveDialog, unsaved_edits_box
from receptionist.ui.call_details import CallFacts, text_label
from receptionist.ui.fields import DateTimeField, FieldMark
from receptionist.ui.models import FIELD_LABELS, display_phone
from receptionist.ui.operations import OperationRunner, QueryRunner
from receptionist.ui.wheel_guard import guard_wheel

# A QDateTimeEdit cannot be empty: its minimum shows as "choose a time" and means "no start".
_UTC = QTimeZone.utc()
_NO_TIME = QDateTime(QDate(2000, 1, 1), QTime(0, 0), _UTC)
EDIT_FIELDS = ("caller_name", "callback_number", "service", "requested_start", "duration_minutes")


class CallDetail(QWidget):
    """The review pane of one call: what the caller wants and the decisions on top, the editable proposal, what
    else was captured, and the call's details (transcript, ids) one click away.

    ``decisions`` (Approve, Save edits, Needs a callback, Reject) is not in the pane's own layout: the panel pins it
    under the scrolled pane (:meth:`pin_decisions`), so it stays in view at 1366x768 however long the call.

    Signals:
        decided(int, str): a proposal was decided here (proposal id, "approved"/"rejected"/"edited"/"callback").
        action_requested(str, str): cancel or reschedule this appointment (id, "cancel"/"reschedule") — a cancel
            or reschedule call's action on the matching appointment.
        stay_requested(int): the person chose to stay on this call (row id) rather than drop its unsaved edits.
    """

    decided = Signal(int, str)
    action_requested = Signal(str, str)
    stay_requested = Signal(int)
    caller_data_requested = Signal(str, str)  # the caller's number and name: export or forget them (owners)

    APPROVE_KEYS = "Ctrl+Enter"
    REJECT_KEYS = "Ctrl+Shift+R"
    CALLBACK_KEYS = "Ctrl+Shift+C"
    CALLBACK_FIRST = (Intent.QUESTION, Intent.CALLBACK, Intent.URGENT)  # nothing to book: the callback is the answer

    def __init__(self, bookings: Bookings, checks: Checks, zone: ZoneInfo, queries: QueryRunner,
                 operations: OperationRunner, callbacks: Callbacks | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.bookings = bookings
        self.callbacks = callbacks
        self.checks = checks
        self.zone = zone
        self.queries = queries
        self.operations = operations
        self.call: CallRecord | None = None
        self.review_shown: CallReview | None = None
        self.issues: list[FieldIssue] = []
        self.dirty = False
        self.refusal: str | None = None  # why Approve is off whatever is edited (cancel/reschedule calls)
        self.approve_dialog: ApproveDialog | None = None
        self.unsaved_box: QMessageBox | None = None
        self._unsaved_target: CallReview | None = None
        self._focus_after: int | None = None  # a decision on this call: focus the next call's first open question
        self._loading = False
        self._recheck_timer = QTimer(self)
        self._recheck_timer.setSingleShot(True)
        self._recheck_timer.setInterval(120)
        self._recheck_timer.timeout.connect(self.recheck)
        self._build()
        guard_wheel(self)  # scrolling the pane must not edit the duration or start under the pointer
        self.show_review(None)

    # --- layout ---------------------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)

        self.intent_banner = text_label("intentBanner", rich=True)
        self.intent_banner.hide()
        self.heading = text_label("detailHeading")
        self.caller_note = text_label("callerNote")
        self.state_banner = text_label("stateBanner")
        self.summary = text_label("aiSummary", rich=True)
        self.summary.setToolTip("What the AI agent understood from the call")
        self.slot = text_label("proposedSlot", rich=True)
        self.slot_issues = text_label("slotIssues")
        # the caller's history, and their data beside it (export / forget: owners, the dialog says so to others)
        self.caller_data_button = QPushButton("Caller's data…")
        self.caller_data_button.setToolTip("Export this caller's data to a file, or forget them (owners)")
        self.caller_data_button.clicked.connect(self._request_caller_data)
        caller_row = QHBoxLayout()
        caller_row.addWidget(self.caller_note, 1)
        caller_row.addWidget(self.caller_data_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addWidget(self.intent_banner)
        outer.addWidget(self.heading)
        outer.addLayout(caller_row)
        for widget in (self.state_banner, self.summary, self.slot, self.slot_issues):
            outer.addWidget(widget)

        self.matches_box = QGroupBox("The caller's appointment")
        matches = QHBoxLayout(self.matches_box)
        self.matches_combo = QComboBox()
        self.matches_combo.setAccessibleName("The caller's upcoming appointments")
        self.match_label = text_label("matchLabel")
        self.match_action = QPushButton()
        self.match_action.setObjectName("primary")
        self.match_action.setAutoDefault(True)
        matches.addWidget(self.match_label, 1)
        matches.addWidget(self.matches_combo, 1)
        matches.addWidget(self.match_action)
        self.match_action.clicked.connect(self._request_action)
        outer.addWidget(self.matches_box)

        self.decisions = QWidget(self)  # pinned under the scrolled pane by the panel (pin_decisions)
        self.decisions.setObjectName("decisions")
        buttons = QHBoxLayout(self.decisions)
        buttons.setContentsMargins(4, 6, 10, 6)
        self.approve_button = QPushButton("Approve")
        self.approve_button.setObjectName("primary")
        self.save_button = QPushButton("Save edits")
        self.save_button.setToolTip("Keep the changes made below without deciding yet")
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setObjectName("danger")
        self.reject_button.setToolTip(f"Reject this booking, saying why ({self.REJECT_KEYS})")
        self.callback_button = QPushButton("Needs a callback…")
        self.callback_button.setToolTip("Take the call off the queue and onto the Callbacks tab, with a note for "
                                        f"whoever calls back ({self.CALLBACK_KEYS})")
        for button in (self.approve_button, self.save_button, self.callback_button, self.reject_button):
            button.setAutoDefault(True)  # Enter presses the focused button, as Space does
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.callback_button)
        buttons.addWidget(self.reject_button)
        self.empty_hint = QLabel("New calls appear in the list as the AI agent takes them. Pick one to check what "
                                 "it captured, fix anything marked ✗, then approve or reject it.")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setObjectName("muted")
        outer.addWidget(self.empty_hint)

        self.proposal_box = QGroupBox("Booking proposal")
        grid = QGridLayout(self.proposal_box)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 0)

        self.name_edit = QLineEdit()
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText("(312) 555-0142")
        self.service_edit = QLineEdit()
        self._services = QStringListModel(self)
        self._service_completer = QCompleter(self._services, self)
        self._service_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.service_edit.setCompleter(self._service_completer)
        self.start_edit = DateTimeField()
        self.start_edit.setTimeZone(_UTC)  # the edit shows location wall time; no system zone
        self.start_edit.setDisplayFormat("MM/dd/yyyy h:mm AP")
        self.start_edit.setCalendarPopup(True)
        self.start_edit.setMinimumDateTime(_NO_TIME)
        self.start_edit.setSpecialValueText("choose a time")
        self.zone_label = QLabel()
        self.zone_label.setObjectName("muted")
        start_box = QWidget()
        start_row = QHBoxLayout(start_box)
        start_row.setContentsMargins(0, 0, 0, 0)
        start_row.addWidget(self.start_edit, 1)
        start_row.addWidget(self.zone_label)
        self.duration_spin = QSpinBox()
        self.duration_spin.setRange(0, 600)
        self.duration_spin.setSingleStep(5)
        self.duration_spin.setSuffix(" min")
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setFixedHeight(56)
        self.notes_edit.setTabChangesFocus(True)

        self.marks: dict[str, FieldMark] = {}
        self.editors: dict[str, QWidget] = {}
        rows = [("caller_name", "Caller name", self.name_edit), ("callback_number", "Callback number", self.phone_edit),
                ("service", "Service", self.service_edit), ("requested_start", "Start", start_box),
                ("duration_minutes", "Duration", self.duration_spin)]
        r = 0
        for field, label, editor in rows:
            lab = QLabel(label)
            focus = editor if editor is not start_box else self.start_edit
            lab.setBuddy(focus)
            focus.setAccessibleName(label)
            self.editors[field] = focus
            grid.addWidget(lab, r, 0, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(editor, r, 1)
            mark = FieldMark()
            self.marks[field] = mark
            grid.addWidget(mark, r, 2, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(mark.message, r + 1, 1, 1, 2)
            r += 2
        # the chair or room the booking takes: recorded when it was checked, kept at approval while free
        self.resource_label, self.resource_value = QLabel("Resource"), QLabel()
        self.resource_value.setAccessibleName("Resource")
        grid.addWidget(self.resource_label, r, 0)
        grid.addWidget(self.resource_value, r, 1)
        r += 1
        notes_label = QLabel("Notes")
        notes_label.setBuddy(self.notes_edit)
        self.notes_edit.setAccessibleName("Notes")
        grid.addWidget(notes_label, r, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.notes_edit, r, 1, 1, 2)
        self.other_issues = QLabel()
        self.other_issues.setWordWrap(True)
        grid.addWidget(self.other_issues, r + 1, 0, 1, 3)
        outer.addWidget(self.proposal_box)

        # what else the caller said, with readable labels; the call's details one click away
        self.facts = CallFacts(self._show_details)
        self.captured_box, self.details_button, self.details_box = (
            self.facts.captured_box, self.facts.details_button, self.facts.details_box)
        self.captured, self.transcript = self.facts.captured, self.facts.transcript
        outer.addWidget(self.captured_box)
        outer.addWidget(self.details_button)
        outer.addWidget(self.details_box, 1)
        outer.addStretch(0)  # takes the spare height while the details are folded

        for edit in (self.name_edit, self.phone_edit, self.service_edit):
            edit.textEdited.connect(self._edited)
        self.start_edit.dateTimeChanged.connect(self._edited)
        self.duration_spin.valueChanged.connect(self._edited)
        self.notes_edit.textChanged.connect(self._edited)
        self.approve_button.clicked.connect(self.approve)
        self.save_button.clicked.connect(self.save)
        self.reject_button.clicked.connect(self.reject)
        self.callback_button.clicked.connect(self.needs_callback)

    def pin_decisions(self, layout: QVBoxLayout) -> None:
        """Put the decisions at the end of ``layout`` (under the scrolled pane: in view however long the call), and
        keep them in the Tab order after the caller's appointment, before the fields."""
        layout.addWidget(self.decisions)
        chain = (self.match_action, self.approve_button, self.save_button, self.callback_button, self.reject_button,
                 self.name_edit)
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    def _show_details(self, shown: bool) -> None:
        self.details_box.setVisible(shown)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    # --- showing a call -------------------------------------------------------------------------------------------

    def set_known_services(self, services: list[str]) -> None:
        wanted = sorted(set(services))
        if wanted != self._services.stringList():
            self._services.setStringList(wanted)

    def show_review(self, review: CallReview | None) -> None:
        """Show a call as ``Desk.review`` read it. The same call again keeps what is being typed; a new
        version reloads unless edited. Another call while this one has unsaved edits asks first."""
        previous = self.call
        call = review.call if review is not None else None
        if call is not None and previous is not None and previous.id != call.id and self.dirty \
                and self._pending() is not None:
            self._ask_unsaved(review)
            return
        self.call = call
        if review is None or call is None:
            self.refusal = None
            self.review_shown = None
            for widget in (self.intent_banner, self.caller_note, self.caller_data_button, self.state_banner,
                           self.summary, self.slot, self.slot_issues, self.matches_box, self.decisions,
                           self.proposal_box, self.captured_box, self.details_button, self.details_box):
                widget.hide()
            self.heading.setText("Select a call to review it")
            self.empty_hint.show()
            self.transcript.clear()
            self.dirty = False
            return
        for widget in (self.summary, self.proposal_box, self.captured_box, self.details_button):
            widget.show()
        self.empty_hint.hide()
        same = previous is not None and previous.id == call.id
        same_version = (same and previous.proposal is not None and call.proposal is not None
                        and previous.proposal.version == call.proposal.version
                        and previous.proposal.status == call.proposal.status)
        if same and (same_version or self.dirty):
            if not same_version and call.proposal is not None and call.proposal.status is ProposalStatus.PENDING:
                self.call = previous  # keep the version the edits are based on; Save will report the clash
                self._banner("This booking was changed elsewhere while you were editing; saving may be refused.",
                             "#fef3c7", "#92400e")
            elif not same_version:
                self._load(review)
            return
        self._load(review)
        if not same:
            self.details_button.setChecked(False)
            self._show_details(False)
            self._scroll_to_top()
            if self._focus_after is not None and self._pending() is not None:
                self._focus_after = None
                self.focus_first_open_question()

    def _ask_unsaved(self, review: CallReview) -> None:
        """Another call was picked while this one has unsaved edits: save, discard or stay."""
        self._unsaved_target = review  # a read landing again while the question is open: the answer goes to it
        if self.unsaved_box is not None:
            return
        kept, p, draft = self.call, self._pending(), self.draft()
        box = self.unsaved_box = unsaved_edits_box(self.name_edit.text().strip() or "this caller", self)

        def answered(_result: int) -> None:
            self.unsaved_box = None
            target = self._unsaved_target
            role = box.buttonRole(box.clickedButton()) if box.clickedButton() is not None else None
            if role is QMessageBox.ButtonRole.AcceptRole:
                bookings = self.bookings
                self.operations.run("Cannot save", lambda: bookings.edit(p.id, draft, p.version),
                                    progress="Saving the edits…")
            elif role is not QMessageBox.ButtonRole.DestructiveRole:
                self.stay_requested.emit(kept.id)
                return
            self.dirty = False
            self.show_review(target)

        box.finished.connect(answered)
        box.open()

    def _scroll_to_top(self) -> None:
        """A newly picked call opens on its top (what the caller wants, the decisions), not where the last was
        scrolled to."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.verticalScrollBar().setValue(0)

    def focus_first_open_question(self) -> None:
        """Focus the first field needing attention (an error first, then a warning), else the first decision. A
        cancel or reschedule call focuses its action on the caller's appointment, and a question, a callback request
        or an urgent call Needs a callback: their proposal's fields are not what is decided."""
        intent = self.call.intent if self.call is not None else None
        first = ((self.callback_button,) if intent in self.CALLBACK_FIRST else
                 (self.match_action,) if self.refusal else ())
        for severity in () if first else (Severity.ERROR, Severity.WARNING):
            for field in EDIT_FIELDS:
                if any(i.field == field and i.severity is severity for i in self.issues):
                    self.editors[field].setFocus(Qt.FocusReason.OtherFocusReason)
                    return
        for button in first + (self.match_action, self.approve_button, self.reject_button):
            if button.isVisibleTo(self) and button.isEnabled():
                button.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def _load(self, review: CallReview) -> None:
        call = review.call
        self.review_shown = review
        self._loading = True
        try:
            self.dirty = False
            p = call.proposal
            self.heading.setText(f"{(p.caller_name if p else call.caller_name) or 'Unknown caller'} — "
                                 f"{(p.service if p else call.service) or 'no service'}")
            self.facts.fill(call, self.zone)
            self._show_intent(call, review)
            resource = review.resource if p is not None and p.status is ProposalStatus.PENDING else \
                p.resource if p is not None else None
            self.resource_value.setText(resource or "")
            self.resource_label.setVisible(bool(resource))
            self.resource_value.setVisible(bool(resource))
            if p is None:
                self._banner("No booking proposal was made from this call.", "#f1f5f9", "#334155")
                self._set_editable(False)
                self.issues = list(call.issues)
                self._show_issues()
                return
            self.name_edit.setText(p.caller_name or "")
            self.phone_edit.setText(display_phone(p.callback_number or call.callback_number_raw))
            self.service_edit.setText(p.service or "")
            self._set_start(p.start)
            self.duration_spin.setValue(p.duration_minutes)
            self.notes_edit.setPlainText(p.notes or "")
            pending = p.status is ProposalStatus.PENDING
            self._set_editable(pending)
            if p.status is ProposalStatus.APPROVED:
                when = format_range(p.start, p.start + timedelta(minutes=p.duration_minutes), self.zone) \
                    if p.start else ""
                self._banner(f"Approved by {p.decided_by or 'staff'} — {when}"
                             + (f"\n{review.confirmation}" if review.confirmation else ""), "#dcfce7", "#166534")
            elif p.status is ProposalStatus.REJECTED:
                self._banner(f"Rejected by {p.decided_by or 'staff'}: {p.reject_reason or ''}", "#f1f5f9", "#334155")
            elif p.status is ProposalStatus.CALLBACK:
                self._banner(f"Sent to Callbacks by {p.decided_by or 'staff'}" + (f": {p.reject_reason}" if
                             p.reject_reason else ""), "#ccfbf1", "#115e59")
            else:
                self.state_banner.hide()
            # a pending proposal comes checked again as of now (stored issues go stale)
            self.issues = list(review.issues if review.issues is not None else p.issues)
            self._show_issues()
        finally:
            self._loading = False

    def _show_intent(self, call: CallRecord, review: CallReview) -> None:
        """What the caller wants, on top; a cancel/reschedule call offers that action on the caller's
        appointment instead of Approve."""
        self.refusal = review.refusal
        intent = call.intent
        if intent is Intent.BOOK:
            self.intent_banner.hide()
        else:
            strong = intent in (Intent.CANCEL, Intent.RESCHEDULE, Intent.URGENT)
            text = f"<b>{html.escape(intent.label.upper())}</b> — "
            text += {Intent.CANCEL: "the caller wants to cancel an appointment, not book a new one.",
                     Intent.RESCHEDULE: "the caller wants to move an appointment, not book a new one.",
                     Intent.URGENT: "the caller needs someone now.",
                     Intent.QUESTION: "the caller asked a question; there may be nothing to book.",
                     Intent.CALLBACK: "the caller asked to be called back."}.get(intent, "")
            self.intent_banner.setText(text)
            self.intent_banner.setStyleSheet(
                f"background: {'#fee2e2' if strong else '#e0e7ff'}; color: {'#991b1b' if strong else '#3730a3'};"
                " padding: 8px; border-radius: 4px; font-size: 14px;")
            self.intent_banner.show()
        number = display_phone(call.caller_id_number or call.callback_number or call.callback_number_raw)
        known = review.caller_note or "New caller"
        self.caller_note.setText(review.caller_note if review.caller_note else
                                 f"{number} · {known}" if number else known)
        self.caller_note.setToolTip(f"{number} — {known}" if number else known)
        self.caller_note.show()
        self.caller_data_button.setVisible(bool(call.caller_id_number or call.callback_number))
        self.summary.setText(f"<b>AI summary:</b> {html.escape(call.summary)}" if call.summary else
                             "<i>The AI agent sent no summary.</i>")
        self._show_matches(intent, review.matches if review.refusal else [])

    def _request_caller_data(self) -> None:
        call = self.call
        number = call and (call.caller_id_number or call.callback_number)  # the number the history is of
        if number:
            name = call.proposal.caller_name if call.proposal else call.caller_name
            self.caller_data_requested.emit(number, name or "")

    def _show_matches(self, intent: Intent, matches: list[AppointmentRecord]) -> None:
        offered = intent in (Intent.CANCEL, Intent.RESCHEDULE) and self.refusal is not None
        self.matches_box.setVisible(offered)
        if not offered:
            return
        verb = "Cancel" if intent is Intent.CANCEL else "Reschedule"
        self.matches_combo.clear()
        for appt in matches:
            self.matches_combo.addItem(f"{appt.start.astimezone(self.zone):%a} "
                                       f"{format_range(appt.start, appt.end, self.zone)} · {appt.service or ''}",
                                       appt.id)
        self.matches_combo.setVisible(len(matches) > 1)
        if len(matches) == 1:
            self.match_label.setText(self.matches_combo.itemText(0))
        elif matches:
            self.match_label.setText(f"{len(matches)} upcoming appointments — which one?")
        else:
            self.match_label.setText("No upcoming appointment of this caller's number was found: find it in the "
                                     "week or the appointments table.")
        self.match_action.setText(f"{verb} this appointment…")
        self.match_action.setToolTip(f"{verb} the chosen appointment (the caller's request), then reject this "
                                     "proposal: it was not a new booking")
        self.match_action.setVisible(bool(matches))
        self.match_action.setProperty("kind", verb.lower())

    def _request_action(self) -> None:
        appointment_id = self.matches_combo.currentData()
        if appointment_id:
            self.action_requested.emit(appointment_id, self.match_action.property("kind"))

    def resolve_by_action(self, kind: str):
        """What closes this call once its caller's appointment was cancelled or moved: the proposal is rejected
        (it was never a new booking), saying what was done instead."""
        p, zone = self._pending(), self.zone
        if p is None:
            return None
        bookings = self.bookings

        def resolve(appt: AppointmentRecord) -> None:
            done = "Cancelled" if kind == "cancel" else "Moved"
            reason = f"{done} the caller's appointment instead ({format_datetime(appt.start, zone)})"
            self.operations.run("Cannot close the call", lambda: bookings.reject(p.id, p.version, reason),
                                success=lambda _record: self._decided(p.id, "rejected"),
                                progress="Closing the call…")
        return resolve

    def _banner(self, text: str, background: str, color: str) -> None:
        self.state_banner.setText(text)
        self.state_banner.setStyleSheet(f"background: {background}; color: {color}; padding: 6px 8px;"
                                        " border-radius: 4px;")
        self.state_banner.show()

    def _set_editable(self, editable: bool) -> None:
        for edit in (self.name_edit, self.phone_edit, self.service_edit):
            edit.setReadOnly(not editable)
        self.notes_edit.setReadOnly(not editable)
        self.start_edit.setReadOnly(not editable)
        self.start_edit.setCalendarPopup(editable)
        self.duration_spin.setReadOnly(not editable)
        self.decisions.setVisible(editable)
        for button in (self.approve_button, self.save_button, self.reject_button):
            button.setVisible(editable)
        self.callback_button.setVisible(editable and self.callbacks is not None)

    def _set_start(self, start: datetime | None) -> None:
        if start is None:
            self.start_edit.setDateTime(_NO_TIME)
            self.zone_label.setText(self.zone.key)
            return
        wall = start.astimezone(self.zone)
        self.start_edit.setDateTime(QDateTime(QDate(wall.year, wall.month, wall.day), QTime(wall.hour, wall.minute),
                                              _UTC))
        self.zone_label.setText(wall.tzname() or self.zone.key)

    # --- editing and checking -------------------------------------------------------------------------------------

    def start_utc(self) -> tuple[datetime | None, FieldIssue | None]:
        """The edited start as UTC, and a finding if the wall time does not exist (DST gap) or is ambiguous."""
        value = self.start_edit.dateTime()
        if value == _NO_TIME:
            return None, None
        d, t = value.date(), value.time()
        naive = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())
        return resolve_local_time(naive, self.zone)

    def draft(self) -> BookingDraft:
        start, _ = self.start_utc()
        return BookingDraft(
            caller_name=self.name_edit.text().strip() or None,
            callback_number=self.phone_edit.text().strip() or None,
            service=self.service_edit.text().strip() or None,
            start=start,
            duration_minutes=self.duration_spin.value(),
            notes=self.notes_edit.toPlainText(),
        )

    def _edited(self, *_args) -> None:
        if self._loading or self.call is None or self.call.proposal is None:
            return
        if self.call.proposal.status is not ProposalStatus.PENDING:
            return
        self.dirty = True
        start, _ = self.start_utc()
        if start is not None:
            self.zone_label.setText(start.astimezone(self.zone).tzname() or self.zone.key)
        self._recheck_timer.start()

    def _edits(self) -> tuple[BookingDraft, FieldIssue | None, tuple[str | None, tuple[str, str]]]:
        """What a check of the editors needs, read on the GUI thread: the draft, the start's own finding, and what
        is this proposal's own busy time, not a clash: the appointment it already booked and its call's held slot."""
        _, time_issue = self.start_utc()
        return self.draft(), time_issue, (self.call.proposal.appointment_id, (self.call.platform, self.call.call_id))

    def recheck(self) -> None:
        """Validate what is in the editors now, on the worker; the marks and buttons follow when the answer lands
        (an answer for an earlier edit, or another call, is dropped)."""
        self._recheck_timer.stop()
        if self.call is None or self.call.proposal is None:
            return
        checks, (draft, time_issue, own) = self.checks, self._edits()
        shown = self._shown_key()
        self.queries.run("review-check", lambda: check_edits(checks, draft, time_issue, own),
                         lambda issues: self._checked(shown, issues))

    def _shown_key(self) -> tuple | None:
        p = self.call.proposal if self.call is not None else None
        return (self.call.id, p.version) if p is not None else None

    def _checked(self, shown: tuple | None, issues: list[FieldIssue]) -> None:
        if shown == self._shown_key():
            self.issues = issues
            self._show_issues()

    def _show_issues(self) -> None:
        by_field: dict[str, list[FieldIssue]] = {f: [] for f in EDIT_FIELDS}
        other: list[FieldIssue] = []
        for issue in self.issues:
            (by_field[issue.field] if issue.field in by_field else other).append(issue)
        for field, mark in self.marks.items():
            mark.set_issues(by_field[field])
        self.other_issues.setText("\n".join(f"{theme.SEVERITY_MARKS[i.severity]} "
                                            f"{FIELD_LABELS.get(i.field, i.field)}: {i.message}" for i in other))
        self.other_issues.setVisible(bool(other))
        self._show_slot()
        errors = blocking(self.issues)
        pending = self._pending() is not None
        refusal = self.refusal
        self.approve_button.setEnabled(pending and not errors and not refusal)
        self.approve_button.setToolTip(
            f"Cannot approve: {refusal}" if refusal else
            "Fix first: " + "; ".join(f"{FIELD_LABELS.get(i.field, i.field)}: {i.message}" for i in errors)
            if errors else f"Confirm the booking and write it to the connected calendars ({self.APPROVE_KEYS})")
        self.save_button.setEnabled(pending)
        self.reject_button.setEnabled(pending)
        self.callback_button.setEnabled(pending)
        first = pending and self.call.intent in self.CALLBACK_FIRST
        for button, primary in ((self.approve_button, not first), (self.callback_button, first)):
            if (button.objectName() == "primary") != primary:  # a question's answer is the callback, not a booking
                button.setObjectName("primary" if primary else "")
                button.style().unpolish(button)
                button.style().polish(button)

    def _show_slot(self) -> None:
        """The proposed slot in words, and every finding on it, on top of the pane."""
        p = self.call.proposal if self.call is not None else None
        if p is None:
            self.slot.hide()
            self.slot_issues.hide()
            return
        start, _ = self.start_utc()
        length = self.duration_spin.value()
        if start is None:
            when = "no time was given"
        else:
            when = (f"{start.astimezone(self.zone):%a} "
                    f"{format_range(start, start + timedelta(minutes=max(length, 1)), self.zone)}")
        service = self.service_edit.text().strip() or "no service"
        self.slot.setText(f"<b>{html.escape(service)}</b> · {html.escape(when)}")
        self.slot.setToolTip(f"{service} · {when}")  # the words without markup (the confirmation step's heading)
        self.slot.show()
        ordered = sorted(self.issues, key=lambda i: i.severity is not Severity.ERROR)
        self.slot_issues.setText("\n".join(f"{theme.SEVERITY_MARKS[i.severity]} {i.message}" for i in ordered)
                                 if p.status is ProposalStatus.PENDING else "")
        color = theme.SEVERITY_COLORS[theme.worst(i.severity for i in ordered)]
        self.slot_issues.setStyleSheet(f"color: {color};")
        self.slot_issues.setVisible(bool(self.slot_issues.text()))

    # --- decisions ------------------------------------------------------------------------------------------------

    def approve(self) -> None:
        """Check the editors once more and, if nothing blocks, approve them as the booking (on the worker). A
        booking with warnings, or one that would text the caller, is confirmed first (:class:`ApproveDialog`)."""
        self._approve(None)

    def _approve(self, confirmed: tuple[bool, str | None] | None) -> None:
        """``confirmed``: the confirmation's answer (whether to text the caller, the edited text or None)."""
        p = self._pending()
        if p is None or self.refusal or not self.approve_button.isEnabled():
            return
        self._recheck_timer.stop()
        bookings, checks, (draft, time_issue, own) = self.bookings, self.checks, self._edits()
        shown = self._shown_key()

        def approve_unless_blocked():
            issues = check_edits(checks, draft, time_issue, own)
            if blocking(issues):
                return issues, None, False
            if confirmed is None:
                plan = bookings.approval_plan(p.id, draft)
                plan = replace(plan, warnings=[i for i in issues if i.severity is Severity.WARNING])
                if plan.warnings or plan.text is not None:
                    return issues, plan, False
                bookings.approve(p.id, p.version, draft)
            else:
                notify, text = confirmed
                bookings.approve(p.id, p.version, draft, text=text, notify=notify)
            return issues, None, True

        def done(result) -> None:
            issues, plan, approved = result
            self._checked(shown, issues)
            if approved:
                self._decided(p.id, "approved")
            elif plan is not None and shown == self._shown_key():
                self._confirm(plan)

        self.operations.run("Cannot approve", approve_unless_blocked, success=done, trigger=self.approve_button,
                            progress="Approving the booking…")

    def _confirm(self, plan) -> None:
        if self.approve_dialog is not None:
            self.approve_dialog.close()
        dialog = self.approve_dialog = ApproveDialog(f"{self.heading.text()}\n{self.slot.toolTip()}", plan, self)
        dialog.accepted.connect(lambda: self._approve((dialog.notify, dialog.text)))
        dialog.finished.connect(lambda _r: setattr(self, "approve_dialog", None))
        dialog.open()

    def save(self) -> None:
        p = self._pending()
        if p is None:
            return
        bookings, draft = self.bookings, self.draft()
        self.operations.run("Cannot save", lambda: bookings.edit(p.id, draft, p.version),
                            success=lambda _record: self._decided(p.id, "edited"), trigger=self.save_button,
                            progress="Saving the edits…")

    def reject(self) -> None:
        p = self._pending()
        if p is None:
            return
        reason, ok = QInputDialog.getText(self, "Reject booking",
                                          "Why is this booking rejected? (shown to whoever calls the owner back)")
        if not ok:
            return
        bookings = self.bookings
        self.operations.run("Cannot reject", lambda: bookings.reject(p.id, p.version, reason),
                            success=lambda _record: self._decided(p.id, "rejected"), trigger=self.reject_button,
                            progress="Rejecting the booking…")

    def needs_callback(self) -> None:
        """Needs a callback: off the queue, onto the Callbacks tab with a note for whoever calls back (on the
        worker). Nothing to book here; the AI summary goes with it."""
        p, callbacks = self._pending(), self.callbacks
        if p is None or callbacks is None:
            return
        note, ok = QInputDialog.getText(self, "Needs a callback", "What should whoever calls back know? "
                                        "(optional: the AI summary goes with it)")
        if not ok:
            return
        self.operations.run("Cannot send it to Callbacks", lambda: callbacks.from_call(p.id, p.version, note),
                            success=lambda _record: self._decided(p.id, "callback"), trigger=self.callback_button,
                            progress="Sending the call to Callbacks…")

    def _decided(self, proposal_id: int, decision: str) -> None:
        self.dirty = False
        if decision != "edited" and self.call is not None:
            self._focus_after = self.call.id  # the next call picked opens with focus on its first open question
        self.decided.emit(proposal_id, decision)

    def _pending(self):
        if self.call is None or self.call.proposal is None:
            return None
        p = self.call.proposal
        return p if p.status is ProposalStatus.PENDING else None


def check_edits(checks: Checks, draft: BookingDraft, time_issue: FieldIssue | None,
                own: tuple[str | None, tuple[str, str]]) -> list[FieldIssue]:
    """The findings on an edited draft (on a worker: busy time is a query); ``own``: the appointment the proposal
    booked and its call, whose busy time and held slot are not a clash. A start that does not exist in the
    location's zone (a DST gap) replaces the check's own finding on the start."""
    appointment, call = own
    _, issues = checks.check(draft, ignore_appointment=appointment, call=call)
    if time_issue is not None:
        issues = [time_issue] + [i for i in issues if i.field != "requested_start" or time_issue.severity
                                 is not Severity.ERROR]
    return issues


__all__ = ["CallDetail", "check_edits"]
