"""The Callbacks tab: the calls that need a person, overdue ones in red at the top, the AI summary first (who, what
they want, what the AI told them), the number as a ``tel:`` link, **Call back** and **Done** with an outcome.

Keyboard: ↑/↓ move through the list, Ctrl+Enter calls back, 1–4 record the outcome (Reached, Voicemail, No
answer; Booked asks for the appointment), F5 reads the list again. Reads run on the ``QueryRunner``, writes on the
``OperationRunner``; the list refreshes from the bus (``on_event``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from receptionist import events
from receptionist.domain.callbacks import CallbackCursor, CallbackOutcome, CallbackReason, CallbackRecord
from receptionist.domain.formatting import format_datetime, format_phone
from receptionist.services import CallbackDesk
from receptionist.services.callbacks import PAGE, Callbacks, tel_link
from receptionist.ui.models import RecordsModel
from receptionist.ui.operations import OperationRunner, QueryRunner

_Index = QModelIndex | QPersistentModelIndex
OVERDUE = QColor("#b91c1c")
#: the news that may change the list (a call came in, a booking was rejected, a callback changed)
REFRESH_ON = (events.CALLBACK_CHANGED, events.CALL_RECEIVED, events.PROPOSAL_DECIDED, events.PERSON_CHANGED,
              events.CHANGED_ELSEWHERE)


class CallbackModel(RecordsModel[CallbackRecord]):
    HEADERS = ("Due", "Caller", "Why", "For")

    def __init__(self, zone: ZoneInfo, clock: Callable[[], datetime], country: str = "US", parent=None):
        super().__init__(parent)
        self.zone, self.clock, self.country = zone, clock, country

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        c = self.record(index)
        if c is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if not c.open:
                due = f"Done: {c.outcome.label}"
            else:
                due = ("OVERDUE " if c.overdue(self.clock()) else "") + format_datetime(c.due_at, self.zone)
            return (due, c.summary.who.split(" · ")[0] + (" — " + format_phone(c.number, self.country)
                                                          if c.number else ""),
                    ("⚠ " if c.urgent else "") + c.reason.label, c.assignee or "Anyone")[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and c.overdue(self.clock()):
            return QBrush(OVERDUE)
        if role == Qt.ItemDataRole.ToolTipRole:
            return c.summary.wants
        return None


class CallbacksView(QWidget):
    """Signals:
        title_changed(str): the tab's title, with the open and overdue counts ("Callbacks (3, 1 late)")."""

    title_changed = Signal(str)

    def __init__(self, callbacks: Callbacks, zone: ZoneInfo, clock: Callable[[], datetime], country: str = "US",
                 runner: QueryRunner | None = None, operations: OperationRunner | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.callbacks = callbacks
        self.zone, self.clock, self.country = zone, clock, country
        self.runner = runner or QueryRunner(self)
        self.operations = operations or OperationRunner(self)
        self.model = CallbackModel(zone, clock, country, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.summary_label = QLabel()
        self.summary_label.setObjectName("muted")
        self.show_done = QCheckBox("Show done")
        self.show_done.toggled.connect(lambda _on: self.refresh())
        bar.addWidget(self.summary_label, 1)
        bar.addWidget(self.show_done)
        layout.addLayout(bar)
        self.table = QTableView()
        self.table.setObjectName("callbackTable")
        self.table.setAccessibleName("Callbacks")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 2)
        self._more: CallbackCursor | None = None
        self.more_button = QPushButton("Show more")
        self.more_button.setToolTip("List the next callbacks")
        self.more_button.clicked.connect(self.show_more)
        self.more_button.hide()
        layout.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.detail = QLabel()
        self.detail.setObjectName("callbackDetail")
        self.detail.setAccessibleName("The chosen callback")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setOpenExternalLinks(True)  # the tel: link opens the PC's phone app (softphone, Teams, …)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        layout.addWidget(self.detail, 1)
        buttons = QHBoxLayout()
        self.call_button = QPushButton("Call back (Ctrl+Enter)")
        self.call_button.setToolTip("Your phone rings first; when you answer, the caller is dialled and sees the "
                                    "business number")
        self.call_button.clicked.connect(self.call_selected)
        buttons.addWidget(self.call_button)
        self.outcome_buttons: dict[CallbackOutcome, QPushButton] = {}
        for key, outcome in enumerate(CallbackOutcome, start=1):
            button = QPushButton(f"{outcome.label} ({key})")
            button.clicked.connect(lambda _c=False, o=outcome: self.done_selected(o))
            buttons.addWidget(button)
            self.outcome_buttons[outcome] = button
            QShortcut(QKeySequence(str(key)), self, lambda o=outcome: self.done_selected(o),
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        layout.addLayout(buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.call_selected,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("F5"), self, self.refresh, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.ask_appointment: Callable[[CallbackRecord], str | None] = self._ask_appointment
        self._selection_changed()
        self.refresh()

    # --- reading ------------------------------------------------------------------------------------------------

    def on_event(self, topic: str, _data: dict) -> None:
        if topic in REFRESH_ON:
            self.refresh()

    def refresh(self) -> None:
        """The first page again, and as many more as were shown (a refresh keeps what Show more listed)."""
        include_done, wanted = self.show_done.isChecked(), max(PAGE, self.model.rowCount())
        callbacks = self.callbacks
        self.runner.run("callbacks", lambda: callbacks.desk(include_done=include_done, limit=wanted), self._show)

    def show_more(self) -> None:
        """The next page, read after the last row listed (keyset)."""
        if self._more is None:
            return
        include_done, after, callbacks = self.show_done.isChecked(), self._more, self.callbacks
        self.runner.run("callbacks", lambda: callbacks.desk(include_done=include_done, after=after),
                        lambda found: self._show(found, self.model.rows()))

    def _show(self, found: CallbackDesk, before: Sequence[CallbackRecord] = ()) -> None:
        selected = self.selected()
        self._more = found.more
        self.more_button.setVisible(found.more is not None)
        self.model.set_rows([*before, *found.callbacks])
        self.summary_label.setText(
            f"{found.open} to call back" + (f", {found.overdue} overdue" if found.overdue else "")
            if found.open else "Nobody is waiting for a call back.")
        row = next((i for i, c in enumerate(self.model.rows()) if selected and c.id == selected.id), 0)
        if self.model.rowCount():
            self.table.selectRow(row)
        self._selection_changed()
        late = f", {found.overdue} late" if found.overdue else ""
        self.title_changed.emit(f"Callbacks ({found.open}{late})" if found.open else "Callbacks")

    def selected(self) -> CallbackRecord | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _selection_changed(self) -> None:
        c = self.selected()
        can_act = c is not None and c.open
        self.call_button.setEnabled(can_act and bool(c.number))
        for button in self.outcome_buttons.values():
            button.setEnabled(can_act)
        self.detail.setText(self.detail_html(c) if c is not None else "")

    def detail_html(self, c: CallbackRecord) -> str:
        """The AI summary first; then the number as a ``tel:`` link, why and by when."""
        s = c.summary
        link = tel_link(c.number)
        number = (f'<a href="{escape(link)}">{escape(format_phone(c.number, self.country))}</a>' if link
                  else "no number captured")
        lines = [f"<b>{escape(s.who)}</b>", f"<b>Wants:</b> {escape(s.wants)}",
                 f"<b>The AI told them:</b> {escape(s.told)}", f"<b>Call:</b> {number}"]
        if c.note:
            said = "Booking rejected because" if c.reason is CallbackReason.REJECTED else "From the desk"
            lines.append(f"<b>{said}:</b> {escape(c.note)}")
        if c.called_at:
            lines.append(f"Called {escape(format_datetime(c.called_at, self.zone))} by {escape(c.called_by or '')}")
        if not c.open:
            lines.append(f"Done: {escape(c.outcome.label)} by {escape(c.done_by or '')}")
        elif c.overdue(self.clock()):
            lines.append(f'<span style="color:#b91c1c"><b>Overdue</b> since '
                         f'{escape(format_datetime(c.due_at, self.zone))}</span>')
        return "<br>".join(lines)

    # --- writing ------------------------------------------------------------------------------------------------

    def call_selected(self) -> None:
        c = self.selected()
        if c is None or not c.open or not c.number:
            return
        callbacks = self.callbacks
        self.operations.run("Cannot call back", lambda: callbacks.call_back(c.id), trigger=self.call_button,
                            progress="Ringing your phone…")

    def _ask_appointment(self, c: CallbackRecord) -> str | None:
        text, ok = QInputDialog.getText(self, "Booked", f"The appointment booked for {c.summary.who} (its id, as "
                                                        "the Appointments view shows it):")
        return text.strip() if ok and text.strip() else None

    def done_selected(self, outcome: CallbackOutcome) -> None:
        c = self.selected()
        if c is None or not c.open:
            return
        appointment = None
        if outcome is CallbackOutcome.BOOKED:
            appointment = self.ask_appointment(c)
            if appointment is None:
                return
        callbacks = self.callbacks
        self.operations.run("Cannot record the outcome",
                            lambda: callbacks.done(c.id, outcome, appointment, version=c.version),
                            trigger=self.outcome_buttons[outcome], progress="Recording the outcome…")
