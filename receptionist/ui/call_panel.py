"""The live call panel: the list of calls the AI agent took, and a review pane for the selected one.

The review pane edits a :class:`BookingDraft`; every edit is re-checked (debounced) with ``desk.checks.check`` so the
validation marks and the Approve button follow what is typed. Times are edited as wall-clock time in the location's
zone and converted to UTC here (DST gaps are reported as a field error, not silently shifted).
"""

from __future__ import annotations

import html
from collections import OrderedDict
from datetime import datetime, timedelta

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QModelIndex,
    QRect,
    QSize,
    QStringListModel,
    Qt,
    QTime,
    QTimer,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QDateTimeEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.bookings import BookingDraft, blocking
from receptionist.domain.formatting import format_datetime, format_range
from receptionist.domain.models import CallRecord, FieldIssue, Intent, ProposalStatus, Severity
from receptionist.domain.payload import resolve_local_time
from receptionist.errors import UserError
from receptionist.services import CallReview, Desk
from receptionist.ui import theme
from receptionist.ui.models import FIELD_LABELS, CallListModel, display_phone
from receptionist.ui.operations import QueryRunner
from receptionist.ui.wheel_guard import guard_wheel

# A QDateTimeEdit cannot be empty: its minimum shows as "choose a time" and means "no start".
_UTC = QTimeZone.utc()
_NO_TIME = QDateTime(QDate(2000, 1, 1), QTime(0, 0), _UTC)
EDIT_FIELDS = ("caller_name", "callback_number", "service", "requested_start", "duration_minutes")


def show_user_error(parent: QWidget, title: str, message: str) -> None:
    """A UserError is a sentence for the person at the desk, never a traceback."""
    QMessageBox.warning(parent, title, message)


class CallItemDelegate(QStyledItemDelegate):
    """Paints a call as two lines: caller and time; phone · desk, with a status chip and issue counts.

    Each row is drawn once into a pixmap, kept while its call record (the model replaces it when the call changes),
    received time, size and selection are the same: a new call inserted at the top moves every row and repaints
    the list, many times a second under load, and drawing a row reads ten roles and lays out its text."""

    PAD = 8
    KEPT = 64  # drawn rows kept: a few screens of the list (a row is ~150 KB at 1440 px)

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._drawn: OrderedDict[tuple, tuple[CallRecord, QPixmap]] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        fm = QFontMetrics(option.font)
        return QSize(260, fm.height() * 2 + self.PAD * 2 + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        R = CallListModel.Role
        call = index.data(R.CALL)
        rect = option.rect
        ratio = painter.device().devicePixelRatioF()
        key = (call.id if call is not None else None, index.data(R.RECEIVED),
               bool(option.state & QStyle.StateFlag.State_Selected), rect.width(), rect.height(), option.font.key(),
               ratio)
        kept = self._drawn.get(key)
        if kept is not None and kept[0] is call:
            self._drawn.move_to_end(key)
            painter.drawPixmap(rect.topLeft(), kept[1])
            return
        pixmap = QPixmap(rect.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        at_origin = QStyleOptionViewItem(option)
        at_origin.rect = QRect(0, 0, rect.width(), rect.height())
        row_painter = QPainter(pixmap)
        try:
            self._draw(row_painter, at_origin, index)
        finally:
            row_painter.end()
        painter.drawPixmap(rect.topLeft(), pixmap)
        if call is not None:
            self._drawn[key] = (call, pixmap)
            while len(self._drawn) > self.KEPT:
                self._drawn.popitem(last=False)

    def _draw(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        R = CallListModel.Role
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pending = index.data(R.PROPOSAL_STATUS) == ProposalStatus.PENDING.value
        background = QColor("#dbeafe") if selected else QColor("#ffffff" if pending else "#f8fafc")
        painter.fillRect(rect, background)
        if selected:
            painter.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), QColor("#2563eb"))
        painter.setPen(QPen(QColor("#e2e8f0")))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())

        fm = QFontMetrics(option.font)
        inner = rect.adjusted(self.PAD + 4, self.PAD, -self.PAD, -self.PAD)
        line_h = fm.height()
        top = QRect(inner.left(), inner.top(), inner.width(), line_h)
        bottom = QRect(inner.left(), inner.top() + line_h + 6, inner.width(), line_h)

        # line 1: caller (bold) ........ received time
        received = index.data(R.RECEIVED) or ""
        painter.setPen(QColor("#64748b"))
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, received)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#0f172a" if pending else "#475569"))
        name_w = top.width() - fm.horizontalAdvance(received) - 12
        name = QFontMetrics(bold).elidedText(index.data(R.CALLER) or "", Qt.TextElideMode.ElideRight, name_w)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(option.font)

        # line 2, right side: issue counts then the status chip
        x = bottom.right()
        status = index.data(R.STATUS) or ""
        proposal_status = index.data(R.PROPOSAL_STATUS)
        chip_color = QColor(theme.PROPOSAL_COLORS.get(ProposalStatus(proposal_status), "#6b7280")
                            if proposal_status else "#6b7280")
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.85))
        sfm = QFontMetrics(small)
        chip_w = sfm.horizontalAdvance(status) + 14
        chip = QRect(x - chip_w, bottom.top(), chip_w, bottom.height())
        painter.setPen(Qt.PenStyle.NoPen)
        fill = QColor(chip_color)
        fill.setAlpha(30)
        painter.setBrush(fill)
        painter.drawRoundedRect(chip, 8, 8)
        painter.setFont(small)
        painter.setPen(chip_color)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, status)
        x = chip.left() - 8
        for count, severity in ((index.data(R.WARNING_COUNT), Severity.WARNING),
                                (index.data(R.ERROR_COUNT), Severity.ERROR)):
            if count:
                text = f"{theme.SEVERITY_MARKS[severity]} {count}"
                w = sfm.horizontalAdvance(text) + 4
                painter.setPen(QColor(theme.SEVERITY_COLORS[severity]))
                painter.drawText(QRect(x - w, bottom.top(), w, bottom.height()),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
                x -= w + 6
        painter.setFont(option.font)

        # line 2, left side: phone · service
        details = " · ".join(p for p in (index.data(R.PHONE), index.data(R.SERVICE)) if p)
        painter.setPen(QColor("#334155"))
        left = QRect(bottom.left(), bottom.top(), max(0, x - bottom.left() - 6), bottom.height())
        painter.drawText(left, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(details, Qt.TextElideMode.ElideRight, left.width()))
        painter.restore()


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

    def __init__(self, desk: Desk, parent: QWidget | None = None):
        super().__init__(parent)
        self.desk = desk
        self.zone = desk.context.rules.zone
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

    def recheck(self) -> None:
        """Validate what is in the editors now (a quick local query) and update marks and buttons."""
        self._recheck_timer.stop()
        if self.call is None or self.call.proposal is None:
            return
        _, time_issue = self.start_utc()
        appointment = self.call.proposal.appointment_id
        _, issues = self.desk.checks.check(self.draft(), ignore_appointment=appointment)
        if time_issue is not None:
            issues = [time_issue] + [i for i in issues if i.field != "requested_start" or time_issue.severity
                                     is not Severity.ERROR]
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
        p = self._pending()
        if p is None:
            return
        self.recheck()
        if blocking(self.issues):
            return
        try:
            self.desk.bookings.approve(p.id, p.version, self.draft())
        except UserError as exc:
            show_user_error(self, "Cannot approve", str(exc))
            return
        self.dirty = False
        self.decided.emit(p.id, "approved")

    def save(self) -> None:
        p = self._pending()
        if p is None:
            return
        try:
            self.desk.bookings.edit(p.id, self.draft(), p.version)
        except UserError as exc:
            show_user_error(self, "Cannot save", str(exc))
            return
        self.dirty = False
        self.decided.emit(p.id, "edited")

    def reject(self) -> None:
        p = self._pending()
        if p is None:
            return
        reason, ok = QInputDialog.getText(self, "Reject booking",
                                          "Why is this booking rejected? (shown to whoever calls the owner back)")
        if not ok:
            return
        try:
            self.desk.bookings.reject(p.id, p.version, reason)
        except UserError as exc:
            show_user_error(self, "Cannot reject", str(exc))
            return
        self.dirty = False
        self.decided.emit(p.id, "rejected")

    def _pending(self):
        if self.call is None or self.call.proposal is None:
            return None
        p = self.call.proposal
        return p if p.status is ProposalStatus.PENDING else None


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class CallPanel(QWidget):
    """The call list (newest first) above the review pane of the selected call.

    The list is read on a worker (``runner``) without transcripts or payloads; a new call or a decided proposal
    named by news is read alone and updated in place. The review pane reads its one call whole (a lookup by key).

    Signals:
        calls_counted(int): a read landed; how many proposals wait for a person.
    """

    calls_counted = Signal(int)

    LIST_SIZE = 200  # newest calls listed

    def __init__(self, desk: Desk, runner: QueryRunner | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.desk = desk
        self.model = CallListModel(desk.context.rules.zone, now=desk.context.clock, parent=self)
        self.runner = runner or QueryRunner(self)
        self._selected_id: int | None = None
        self._pending = 0
        self._batches = 0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        title = QLabel("Calls")
        title.setObjectName("panelTitle")
        self.counts = QLabel()
        self.counts.setObjectName("muted")
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.counts)
        layout.addLayout(header)
        from receptionist.ui.intake_views import LiveCallsStrip

        self.live = LiveCallsStrip(desk, runner=self.runner)
        layout.addWidget(self.live)

        self.list_view = QListView()
        self.list_view.setObjectName("callList")
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(CallItemDelegate(self.list_view))
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setUniformItemSizes(True)
        self.list_view.setMinimumHeight(150)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

        self.detail = CallDetail(desk)
        scroll = QScrollArea()
        scroll.setObjectName("detailScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder = QWidget()
        holder.setObjectName("detailHolder")
        hl = QVBoxLayout(holder)
        hl.setContentsMargins(4, 8, 10, 8)
        hl.addWidget(self.detail)
        scroll.setWidget(holder)
        self.detail_scroll = scroll

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list_view)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([230, 600])
        self.splitter = splitter
        layout.addWidget(splitter, 1)

        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.detail.decided.connect(self._decided)

    # --- data -----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the call list again (on the worker); the selection (and any edits in the review pane) survive."""
        desk, size = self.desk, self.LIST_SIZE
        self.runner.run("calls", lambda: (desk.bookings.call_list(size), desk.bookings.pending_count()), self._show_calls)

    def _decided(self, *_args) -> None:
        """Approved, saved or rejected here: the pane and the list read the new state."""
        if self._selected_id is not None:
            self._review(self._selected_id)
            self.calls_changed([self._selected_id])

    def _review(self, call_row_id: int | None) -> None:
        """Show that call in the review pane, read on the worker (None: the empty pane, superseding any read)."""
        desk = self.desk
        self.runner.run("review", (lambda: desk.bookings.review(call_row_id)) if call_row_id is not None else
                        (lambda: None), self.detail.show_review, lambda _exc: self.detail.show_review(None))

    def calls_changed(self, call_row_ids) -> None:
        """News named these calls (a new one, a decision): read them alone and update the list in place."""
        ids = [i for i in call_row_ids if i is not None]
        if not ids:
            self.refresh()
            return
        self._batches += 1
        desk = self.desk
        self.runner.run(f"call-rows-{self._batches}", lambda: (desk.bookings.calls_by_id(ids), desk.bookings.pending_count()),
                        self._upsert)

    def _upsert(self, result) -> None:
        calls, pending = result
        self.model.upsert(calls)
        self._counted(pending)
        self._follow_selection()

    @property
    def pending(self) -> int:
        """Proposals waiting for a person, as last counted."""
        return self._pending

    def _counted(self, pending: int) -> None:
        self._pending = pending
        self.counts.setText(f"{pending} to review · {self.model.rowCount()} shown")
        self.detail.set_known_services([c.service for c in self.model.rows() if c.service])
        self.calls_counted.emit(pending)

    def _show_calls(self, result) -> None:
        calls, pending = result
        self.model.set_rows(calls)
        self._counted(pending)
        self._follow_selection()

    def _follow_selection(self) -> None:
        calls = self.model.rows()
        if self._selected_id is None:
            # nothing chosen yet: open the newest call still waiting for review, the desk's next job
            waiting = next((c for c in calls if c.proposal is not None
                            and c.proposal.status is ProposalStatus.PENDING), None)
            if waiting is not None:
                self.select_call(waiting.id)
        elif self._selected_id is not None:
            row = self.model.row_of(self._selected_id)
            if row < 0:
                self._selected_id = None
                self._review(None)
            else:
                index = self.model.index(row, 0)
                if self.list_view.currentIndex() != index:
                    self.list_view.setCurrentIndex(index)
                listed, shown = self.model.call_at(row), self.detail.call
                if shown is None or _version(shown) != _version(listed):
                    self._review(listed.id)

    def select_call(self, call_row_id: int) -> bool:
        row = self.model.row_of(call_row_id)
        if row < 0:
            return False
        self.list_view.setCurrentIndex(self.model.index(row, 0))
        return True


    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        listed = self.model.call_at(current.row()) if current.isValid() else None
        self._selected_id = listed.id if listed is not None else None
        self._review(self._selected_id)


def _version(call: CallRecord) -> tuple:
    p = call.proposal
    return (call.id, p.version, p.status) if p is not None else (call.id,)


__all__ = ["CallDetail", "CallItemDelegate", "CallPanel", "FieldMark", "show_user_error"]
