"""The review pane of one call (:class:`CallDetail`): the editable booking proposal with a mark per field
(:class:`FieldMark`), what the AI agent captured, the transcript, and Approve / Save edits / Reject.

Every edit is re-checked (debounced) with ``checks.check`` on the window's read worker (busy time is a query), so the
validation marks and the Approve button follow what is typed; only the latest edit's answer is shown. Approve, Save
edits and Reject run on the window's :class:`~receptionist.ui.operations.OperationRunner`. Times are edited as wall-clock time in the location's zone and converted to UTC here (DST gaps are
reported as a field error, not silently shifted).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QStringListModel, Qt, QTime, QTimer, QTimeZone, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.bookings import BookingDraft, blocking
from receptionist.domain.formatting import format_datetime, format_range
from receptionist.domain.models import CallRecord, FieldIssue, Intent, ProposalStatus, Severity
from receptionist.domain.payload import resolve_local_time
from receptionist.services import CallReview
from receptionist.services.bookings import Bookings
from receptionist.services.checks import Checks
from receptionist.ui import theme
from receptionist.ui.models import FIELD_LABELS, display_phone
from receptionist.ui.operations import OperationRunner, QueryRunner
from receptionist.ui.wheel_guard import guard_wheel

# A QDateTimeEdit cannot be empty: its minimum shows as "choose a time" and means "no start".
_UTC = QTimeZone.utc()
_NO_TIME = QDateTime(QDate(2000, 1, 1), QTime(0, 0), _UTC)
EDIT_FIELDS = ("caller_name", "callback_number", "service", "requested_start", "duration_minutes")


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


class CallDetail(QWidget):
    """The review pane of one call: editable proposal, captured details, transcript, and the decisions.

    Signals:
        decided(int, str): a proposal was approved/rejected/edited here (proposal id, "approved"/...).
    """

    decided = Signal(int, str)

    def __init__(self, bookings: Bookings, checks: Checks, zone: ZoneInfo, queries: QueryRunner,
                 operations: OperationRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.bookings = bookings
        self.checks = checks
        self.zone = zone
        self.queries = queries
        self.operations = operations
        self.call: CallRecord | None = None
        self.issues: list[FieldIssue] = []
        self.dirty = False
        self.refusal: str | None = None  # why Approve is off whatever is edited (cancel/reschedule calls)
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
        outer.setSpacing(10)

        self.heading = QLabel()
        self.heading.setObjectName("detailHeading")
        self.heading.setWordWrap(True)
        self.state_banner = QLabel()
        self.state_banner.setObjectName("stateBanner")
        self.state_banner.setWordWrap(True)
        self.state_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.intent_banner = QLabel()
        self.intent_banner.setObjectName("intentBanner")
        self.intent_banner.setWordWrap(True)
        self.intent_banner.hide()
        self.caller_note = QLabel()
        self.caller_note.setObjectName("callerNote")
        self.caller_note.hide()
        outer.addWidget(self.intent_banner)
        outer.addWidget(self.heading)
        outer.addWidget(self.caller_note)
        outer.addWidget(self.state_banner)
        self.empty_hint = QLabel("New calls appear at the top of the list as the AI agent takes them. Pick one to "
                                 "check what it captured, fix anything marked ✗, then approve or reject it.")
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
        self.start_edit = QDateTimeEdit()
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
        rows = [("caller_name", "Caller name", self.name_edit), ("callback_number", "Callback number", self.phone_edit),
                ("service", "Service", self.service_edit), ("requested_start", "Start", start_box),
                ("duration_minutes", "Duration", self.duration_spin)]
        r = 0
        for field, label, editor in rows:
            lab = QLabel(label)
            lab.setBuddy(editor if editor is not start_box else self.start_edit)
            grid.addWidget(lab, r, 0, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(editor, r, 1)
            mark = FieldMark()
            self.marks[field] = mark
            grid.addWidget(mark, r, 2, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(mark.message, r + 1, 1, 1, 2)
            r += 2
        notes_label = QLabel("Notes")
        grid.addWidget(notes_label, r, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.notes_edit, r, 1, 1, 2)
        self.other_issues = QLabel()
        self.other_issues.setWordWrap(True)
        grid.addWidget(self.other_issues, r + 1, 0, 1, 3)

        buttons = QHBoxLayout()
        self.approve_button = QPushButton("Approve")
        self.approve_button.setObjectName("primary")
        self.approve_button.setToolTip("Confirm the booking and write it to the connected calendars")
        self.save_button = QPushButton("Save edits")
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setObjectName("danger")
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.reject_button)
        grid.addLayout(buttons, r + 2, 0, 1, 3)
        outer.addWidget(self.proposal_box)

        self.captured_box = QGroupBox("Captured by the AI agent")
        form = QFormLayout(self.captured_box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.captured: dict[str, QLabel] = {}
        for key, label in (("received", "Received"), ("reasons", "Reason"), ("account", "Account id"),
                           ("agent", "Agent"), ("requested", "Asked for"), ("summary", "AI summary"),
                           ("message", "Caller's message"), ("custom", "Custom fields")):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setTextFormat(Qt.TextFormat.RichText if key == "reasons" else Qt.TextFormat.PlainText)
            self.captured[key] = value
            form.addRow(label, value)
        outer.addWidget(self.captured_box)

        self.transcript_box = transcript_box = QGroupBox("Transcript")
        tlay = QVBoxLayout(transcript_box)
        self.transcript = QTextBrowser()
        self.transcript.setMinimumHeight(140)
        self.transcript.setOpenExternalLinks(False)
        tlay.addWidget(self.transcript)
        outer.addWidget(transcript_box, 1)
        outer.addStretch(0)  # takes the spare height only while the transcript is hidden (no call chosen)

        for edit in (self.name_edit, self.phone_edit, self.service_edit):
            edit.textEdited.connect(self._edited)
        self.start_edit.dateTimeChanged.connect(self._edited)
        self.duration_spin.valueChanged.connect(self._edited)
        self.notes_edit.textChanged.connect(self._edited)
        self.approve_button.clicked.connect(self.approve)
        self.save_button.clicked.connect(self.save)
        self.reject_button.clicked.connect(self.reject)

    # --- showing a call -------------------------------------------------------------------------------------------

    def set_known_services(self, services: list[str]) -> None:
        wanted = sorted(set(services))
        if wanted != self._services.stringList():
            self._services.setStringList(wanted)

    def show_review(self, review: CallReview | None) -> None:
        """Show a call as ``Desk.review`` read it. The same call again keeps what is being typed; a new
        version reloads unless edited."""
        previous = self.call
        call = self.call = review.call if review is not None else None
        if review is None or call is None:
            self.refusal = None
            self.intent_banner.hide()
            self.caller_note.hide()
            self.heading.setText("Select a call to review it")
            self.state_banner.hide()
            self.proposal_box.hide()
            self.captured_box.hide()
            self.transcript_box.hide()
            self.empty_hint.show()
            self.transcript.clear()
            self.dirty = False
            return
        self.proposal_box.show()
        self.captured_box.show()
        self.transcript_box.show()
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

    def _load(self, review: CallReview) -> None:
        call = review.call
        self._loading = True
        try:
            self.dirty = False
            p = call.proposal
            self.heading.setText(f"{(p.caller_name if p else call.caller_name) or 'Unknown caller'} — "
                                 f"{(p.service if p else call.service) or 'no service'}")
            self._fill_captured(call)
            self._show_intent(call, review.refusal, review.caller_note)
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
                self._banner(f"Approved by {p.decided_by or 'staff'} — {when}", "#dcfce7", "#166534")
            elif p.status is ProposalStatus.REJECTED:
                self._banner(f"Rejected by {p.decided_by or 'staff'}: {p.reject_reason or ''}", "#f1f5f9", "#334155")
            else:
                self.state_banner.hide()
            # a pending proposal comes checked again as of now (stored issues go stale)
            self.issues = list(review.issues if review.issues is not None else p.issues)
            self._show_issues()
        finally:
            self._loading = False

    def _show_intent(self, call: CallRecord, refusal: str | None, note: str | None) -> None:
        """The caller's intent at the top when it is not a plain new booking; cancel/reschedule block Approve."""
        self.refusal = refusal
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
        self.caller_note.setText(note or "")
        self.caller_note.setVisible(bool(note))

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
        for button in (self.approve_button, self.save_button, self.reject_button):
            button.setVisible(editable)

    def _fill_captured(self, call: CallRecord) -> None:
        c = self.captured
        c["received"].setText(f"{format_datetime(call.received_at, self.zone, with_zone=True)} via {call.platform}"
                              f" (call {call.call_id})")
        chips = " ".join(
            f'<span style="background-color:#e0e7ff; color:#3730a3;">&nbsp;{html.escape(code)}&nbsp;</span>'
            for code in call.reason_codes)
        c["reasons"].setText(chips or "—")
        c["account"].setText(call.account_id or "—")
        c["agent"].setText(call.agent_id or "—")
        asked = call.requested_start_raw or "—"
        if call.requested_start is not None:
            asked += f"  →  {format_datetime(call.requested_start, self.zone, with_zone=True)}"
        if call.callback_number_raw:
            asked += f"\nnumber said: {call.callback_number_raw}"
        c["requested"].setText(asked)
        c["summary"].setText(call.summary or "—")
        c["message"].setText(call.message or "—")
        c["custom"].setText("\n".join(f"{k}: {_plain(v)}" for k, v in call.custom_fields.items()) or "—")
        lines = []
        for speaker, text in call.transcript:
            color = "#0f766e" if speaker.lower() in ("agent", "assistant", "ai", "bot") else "#1d4ed8"
            lines.append(f'<p style="margin:0 0 6px 0;"><b style="color:{color};">{html.escape(speaker.capitalize())}'
                         f':</b> {html.escape(text)}</p>')
        self.transcript.setHtml("".join(lines) or "<p style='color:#64748b;'>No transcript was sent.</p>")

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

    def _edits(self) -> tuple[BookingDraft, FieldIssue | None, str | None]:
        """What a check of the editors needs, read on the GUI thread: the draft, the start's own finding, and the
        appointment the proposal already booked (its busy time is not a clash)."""
        _, time_issue = self.start_utc()
        return self.draft(), time_issue, self.call.proposal.appointment_id

    def recheck(self) -> None:
        """Validate what is in the editors now, on the worker; the marks and buttons follow when the answer lands
        (an answer for an earlier edit, or another call, is dropped)."""
        self._recheck_timer.stop()
        if self.call is None or self.call.proposal is None:
            return
        checks, (draft, time_issue, appointment) = self.checks, self._edits()
        shown = self._shown_key()
        self.queries.run("review-check", lambda: check_edits(checks, draft, time_issue, appointment),
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
        errors = blocking(self.issues)
        pending = self.call is not None and self.call.proposal is not None and \
            self.call.proposal.status is ProposalStatus.PENDING
        refusal = getattr(self, "refusal", None)
        self.approve_button.setEnabled(pending and not errors and not refusal)
        self.approve_button.setToolTip(
            f"Cannot approve: {refusal}" if refusal else
            "Fix first: " + "; ".join(f"{FIELD_LABELS.get(i.field, i.field)}: {i.message}" for i in errors)
            if errors else "Confirm the booking and write it to the connected calendars")
        self.save_button.setEnabled(pending)
        self.reject_button.setEnabled(pending)

    # --- decisions ------------------------------------------------------------------------------------------------

    def approve(self) -> None:
        """Check the editors once more and, if nothing blocks, approve them as the booking (on the worker)."""
        p = self._pending()
        if p is None:
            return
        self._recheck_timer.stop()
        bookings, checks, (draft, time_issue, appointment) = self.bookings, self.checks, self._edits()
        shown = self._shown_key()

        def approve_unless_blocked() -> tuple[list[FieldIssue], bool]:
            issues = check_edits(checks, draft, time_issue, appointment)
            if blocking(issues):
                return issues, False
            bookings.approve(p.id, p.version, draft)
            return issues, True

        def done(result: tuple[list[FieldIssue], bool]) -> None:
            issues, approved = result
            self._checked(shown, issues)
            if approved:
                self._decided(p.id, "approved")

        self.operations.run("Cannot approve", approve_unless_blocked, success=done, trigger=self.approve_button,
                            progress="Approving the booking…")

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

    def _decided(self, proposal_id: int, decision: str) -> None:
        self.dirty = False
        self.decided.emit(proposal_id, decision)

    def _pending(self):
        if self.call is None or self.call.proposal is None:
            return None
        p = self.call.proposal
        return p if p.status is ProposalStatus.PENDING else None


def check_edits(checks: Checks, draft: BookingDraft, time_issue: FieldIssue | None,
                appointment: str | None) -> list[FieldIssue]:
    """The findings on an edited draft (on a worker: busy time is a query). A start that does not exist in the
    location's zone (a DST gap) replaces the check's own finding on the start."""
    _, issues = checks.check(draft, ignore_appointment=appointment)
    if time_issue is not None:
        issues = [time_issue] + [i for i in issues if i.field != "requested_start" or time_issue.severity
                                 is not Severity.ERROR]
    return issues


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


__all__ = ["CallDetail", "FieldMark", "check_edits"]
