"""The call list: :class:`CallListModel` holds one view of the queue (calls, and calls in progress as live rows) so
that rows never move under the pointer, and :class:`CallItemDelegate` paints each row as two lines (what the caller
wants, who, when; the number and service, the issues and what the desk has to do), drawn once into a pixmap.

Rows move only when the desk looks: news of a call the list does not show gathers as *held* (the panel's
"N new calls — show" bar), a call already shown is replaced where it is, a live row becomes its stored call in place,
and a page read when the list is scrolled down is added at the bottom.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from receptionist.domain.call_queue import INTENT_MARKS, RowState, is_urgent, row_state
from receptionist.domain.formatting import format_date, format_datetime, format_elapsed, format_time
from receptionist.domain.intake import LiveCallRecord
from receptionist.domain.models import CallRecord, Severity
from receptionist.ui import theme
from receptionist.ui.models import call_issues, display_phone, field_label, role_names, row_flags

Row = CallRecord | LiveCallRecord
_Index = QModelIndex | QPersistentModelIndex
URGENT_COLOR = "#dc2626"


def _key(row: Row) -> tuple[str, str]:
    """A row's identity across its life: a live call and the call stored when it ended share it."""
    return row.platform, row.call_id


class CallListModel(QAbstractListModel):
    """One view of the queue, one row per call (live rows first when the view lists them).

    Signals:
        held_changed(int): how many calls wait behind the "new calls" bar.
        more_wanted(): the view scrolled to the end of what is listed and more pages follow.
    """

    held_changed = Signal(int)
    more_wanted = Signal()

    class Role(enum.IntEnum):
        ROW = Qt.ItemDataRole.UserRole + 1  # the CallRecord or LiveCallRecord
        CALL = enum.auto()  # the CallRecord (None on a live row)
        CALL_ROW_ID = enum.auto()  # int, None on a live row
        RECEIVED = enum.auto()  # str: local time ("9:02 AM", or "11/22/2026 4:10 PM" when not today)
        CALLER = enum.auto()  # str
        PHONE = enum.auto()  # str: "(312) 555-0142" (or what the caller said, if it is not a number)
        SERVICE = enum.auto()  # str (a live row: what was said last)
        STATUS = enum.auto()  # str: what the desk has to do ("Needs review", "Cancel appointment", "On the call 1:23")
        STATE = enum.auto()  # RowState
        INTENT = enum.auto()  # str: "Booking", "Reschedule", "Cancel", "Question", "Callback", "Urgent"; "" live
        URGENT = enum.auto()  # bool
        ERROR_COUNT = enum.auto()  # int
        WARNING_COUNT = enum.auto()  # int

    def __init__(self, zone: ZoneInfo, now: Callable[[], datetime], parent=None):
        super().__init__(parent)
        self.zone, self._now = zone, now
        self._rows: list[Row] = []
        self._row_of: dict[tuple[str, str], int] = {}
        self._key_of_id: dict[int, tuple[str, str]] = {}
        self._versions: dict[tuple[str, str], tuple] = {}
        self._held: OrderedDict[tuple[str, str], Row] = OrderedDict()
        self._more = False
        self._asked = False  # more_wanted was emitted and the page has not come yet
        self._notes: dict[tuple[str, str], str | None] = {}  # live rows' returning-caller notes

    # --- rows -----------------------------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Row], more: bool = False) -> None:
        """List these rows (a new view, or the desk looked): what was held is now listed."""
        self.beginResetModel()
        self._rows = list(dict((_key(r), r) for r in rows).values())
        self._reindex()
        self._more, self._asked = more, False
        self.endResetModel()
        self._set_held({})

    def append(self, rows: Sequence[Row], more: bool) -> None:
        """The next page, at the bottom (rows already listed or held are skipped)."""
        fresh = [r for r in rows if _key(r) not in self._row_of and _key(r) not in self._held]
        self._more, self._asked = more, False
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._versions = dict(self._versions)  # a worker may be reading the one handed out (shown)
            for i, row in enumerate(fresh, start=first):
                self._rows.append(row)
                self._index(row, i)
            self.endInsertRows()

    def shown(self) -> dict[tuple[str, str], tuple]:
        """What is listed, for :func:`plan_reread` on the worker: each row's key and version. Never changed once
        handed out (the model puts a new mapping in its place), so the worker reads it as the GUI thread moves on,
        and handing it out costs nothing however many rows are listed."""
        return self._versions

    def reconcile(self, plan: "Reread") -> None:
        """The view read again while the desk works in it (``plan`` made on the worker by :func:`plan_reread`):
        changed rows are replaced where they are, unknown rows before the last listed one are held, those after it
        come with the next page (or at the bottom, when the list had reached its end)."""
        self._replace(plan.changed)
        held = dict(self._held)
        held.update((_key(row), row) for row in plan.unknown)
        self._set_held(held)
        if not self._more and plan.tail:
            self.append(plan.tail, plan.more)

    def upsert(self, rows: Sequence[Row]) -> None:
        """Calls (or live calls) named by news: a listed one is replaced where it is, any other is held."""
        held = dict(self._held)
        for row in rows:
            if _key(row) not in self._row_of:
                if isinstance(row, LiveCallRecord) and isinstance(held.get(_key(row)), CallRecord):
                    continue  # it already ended and was stored
                held[_key(row)] = row
        self._replace(rows)
        self._set_held(held)

    def remove(self, call_row_id: int) -> None:
        """Take a call out (the desk decided it: it left the view)."""
        row = self.row_of(call_row_id)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self._reindex()
            self.endRemoveRows()

    def held(self) -> int:
        return len(self._held)

    def noted(self) -> frozenset[tuple[str, str]]:
        """The live calls whose caller note is known (``Bookings.in_progress`` looks up the others)."""
        return frozenset(self._notes)

    def add_notes(self, notes: dict[tuple[str, str], str | None]) -> None:
        """Returning-caller notes of live calls; a listed live row shows its note."""
        self._notes.update(notes)
        for key in notes:
            at = self._row_of.get(key)
            if at is not None and isinstance(self._rows[at], LiveCallRecord):
                self.dataChanged.emit(self.index(at, 0), self.index(at, 0))

    def tick(self) -> None:
        """Live rows show how long the call has lasted: repaint them (they are listed first)."""
        for i, row in enumerate(self._rows):
            if not isinstance(row, LiveCallRecord):
                break
            if row.live:
                self.dataChanged.emit(self.index(i, 0), self.index(i, 0))

    def rows(self) -> list[Row]:
        return list(self._rows)

    def call_at(self, row: int) -> CallRecord | None:
        """The stored call at that row (None for a live row)."""
        found = self._rows[row] if 0 <= row < len(self._rows) else None
        return found if isinstance(found, CallRecord) else None

    def calls_listed(self) -> int:
        """How many stored calls are listed (live rows aside)."""
        return len(self._key_of_id)

    def row_of(self, call_row_id: int) -> int:
        """Row of a stored call by its id, or -1."""
        key = self._key_of_id.get(call_row_id)
        return self._row_of.get(key, -1) if key is not None else -1

    def _replace(self, rows: Iterable[Row]) -> None:
        copied = False
        for row in rows:
            at = self._row_of.get(_key(row))
            if at is None:
                continue
            shown = self._rows[at]
            if isinstance(row, LiveCallRecord) and isinstance(shown, CallRecord):
                continue
            version = row_version(row)
            if version == self._versions.get(_key(row)):
                continue  # unchanged: the row keeps its record (and its drawing)
            if not copied:
                self._versions, copied = dict(self._versions), True
            self._rows[at], self._versions[_key(row)] = row, version
            if isinstance(row, CallRecord):
                self._key_of_id[row.id] = _key(row)
            self.dataChanged.emit(self.index(at, 0), self.index(at, 0))

    def _set_held(self, held: dict) -> None:
        held = {k: v for k, v in held.items() if k not in self._row_of}
        changed = len(held) != len(self._held)
        self._held = OrderedDict(held)
        if changed:
            self.held_changed.emit(len(self._held))

    def _reindex(self) -> None:
        self._row_of, self._key_of_id, self._versions = {}, {}, {}
        for i, row in enumerate(self._rows):
            self._index(row, i)

    def _index(self, row: Row, i: int) -> None:
        key = _key(row)
        self._row_of[key] = i
        self._versions[key] = row_version(row)
        if isinstance(row, CallRecord):
            self._key_of_id[row.id] = key

    # --- Qt -------------------------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._more and not self._asked

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._asked = True
            self.more_wanted.emit()

    def roleNames(self) -> dict[int, QByteArray]:
        return role_names(super().roleNames(), self.Role)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return row_flags(index)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.parent().isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        R = self.Role
        if role == Qt.ItemDataRole.DisplayRole:  # what a screen reader says
            parts = [self.intent(row), "urgent" if is_urgent(row) else "", self.caller(row), self.phone(row),
                     self.service(row), self.received(row), self.status(row)]
            return ", ".join(p for p in parts if p)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == R.ROW:
            return row
        call = row if isinstance(row, CallRecord) else None
        if role == R.CALL:
            return call
        if role == R.CALL_ROW_ID:
            return call.id if call is not None else None
        if role == R.RECEIVED:
            return self.received(row)
        if role == R.CALLER:
            return self.caller(row)
        if role == R.PHONE:
            return self.phone(row)
        if role == R.SERVICE:
            return self.service(row)
        if role == R.STATUS:
            return self.status(row)
        if role == R.STATE:
            return row_state(row)
        if role == R.INTENT:
            return self.intent(row)
        if role == R.URGENT:
            return is_urgent(row)
        if role in (R.ERROR_COUNT, R.WARNING_COUNT):
            severity = Severity.ERROR if role == R.ERROR_COUNT else Severity.WARNING
            return sum(1 for i in call_issues(call) if i.severity is severity) if call is not None else 0
        return None

    # --- what a row says ------------------------------------------------------------------------------------------

    def received(self, row: Row) -> str:
        at = row.received_at if isinstance(row, CallRecord) else (row.started_at or row.updated_at)
        if format_date(at, self.zone) == format_date(self._now(), self.zone):
            return format_time(at, self.zone)
        return format_datetime(at, self.zone)

    def caller(self, row: Row) -> str:
        if isinstance(row, LiveCallRecord):
            if self._notes.get(_key(row)):
                return "Returning caller"
            return "Caller on the line" if row.live else "Caller"
        name = row.proposal.caller_name if row.proposal is not None else row.caller_name
        return name or "Unknown caller"

    @staticmethod
    def phone(row: Row) -> str:
        if isinstance(row, LiveCallRecord):
            return display_phone(row.caller_id_number) or "Unknown number"
        number = row.proposal.callback_number if row.proposal is not None else row.callback_number
        return display_phone(number or row.callback_number_raw)

    @staticmethod
    def service(row: Row) -> str:
        if isinstance(row, LiveCallRecord):
            return f"“{row.transcript[-1][1]}”" if row.transcript else ""
        return (row.proposal.service if row.proposal is not None else row.service) or ""

    @staticmethod
    def intent(row: Row) -> str:
        return INTENT_MARKS[row.intent][1] if isinstance(row, CallRecord) else ""

    def status(self, row: Row) -> str:
        state = row_state(row)
        if isinstance(row, LiveCallRecord):
            length = format_elapsed(row.elapsed_seconds(self._now()))
            if state is RowState.LIVE:
                return f"{state.text} {length}".strip()
            return f"Call lasted {length}, summary coming" if length else state.text
        return state.text

    def _tooltip(self, row: Row) -> str:
        if isinstance(row, LiveCallRecord):
            said = "\n".join(f"{speaker}: {text}" for speaker, text in row.transcript[-4:])
            note = self._notes.get(_key(row)) or "First call from this number"
            return f"{self.status(row)} — {self.phone(row)}\n{note}" + (f"\n{said}" if said else "")
        lines = [f"{INTENT_MARKS[row.intent][1]}: {self.status(row)}",
                 f"Received {format_datetime(row.received_at, self.zone, with_zone=True)}"]
        lines += [f"{theme.SEVERITY_MARKS[i.severity]} {field_label(i.field)}: {i.message}" for i in call_issues(row)]
        return "\n".join(lines)


def row_version(row: Row) -> tuple:
    """What a row shows changes only with these: a call (its id first) is written once by the intake and its
    proposal's version moves with each change a person makes; a live row changes with every status update."""
    if isinstance(row, LiveCallRecord):
        return ("live", row.status, row.updated_at, row.ended_at, len(row.transcript))
    p = row.proposal
    return (row.id, row.intent.value, p.version if p else None, p.status.value if p else None)


def stale_ids(shown: dict[tuple[str, str], tuple], versions: dict[int, tuple]) -> list[int]:
    """The listed calls whose version moved (``versions``: ``Bookings.call_versions`` of the listed ids)."""
    return [v[0] for v in shown.values() if isinstance(v[0], int) and versions.get(v[0], v[1:]) != v[1:]]


@dataclass(frozen=True)
class Reread:
    """How a view read again differs from what is listed (:func:`plan_reread`)."""

    changed: list[Row]  # listed rows whose version differs
    unknown: list[Row]  # rows not listed, placed before the last listed one: held behind the bar
    tail: list[Row]  # rows after the last listed one: the next page's
    more: bool
    gone: tuple[int, ...] = ()  # listed calls no longer stored (a caller forgotten): taken out


def plan_reread(shown: dict[tuple[str, str], tuple], rows: Sequence[Row], more: bool,
                updated: Iterable[CallRecord] = (), gone: Iterable[int] = ()) -> Reread:
    """Compare a view read again (``rows``, and ``updated``: listed calls the view no longer lists, read as they are
    now) with what is listed (``CallListModel.shown``). Runs on the worker, so that the GUI thread touches only the
    rows that changed, however many are listed."""
    rows = list(rows)
    last_known = max((i for i, r in enumerate(rows) if _key(r) in shown), default=-1)
    changed = [r for r in (*rows[:last_known + 1], *updated)
               if _key(r) in shown and shown[_key(r)] != row_version(r)]
    unknown = [r for r in rows[:last_known + 1] if _key(r) not in shown]
    return Reread(changed, unknown, rows[last_known + 1:], more, tuple(gone))


class CallItemDelegate(QStyledItemDelegate):
    """Paints a row as two lines: intent chip, caller and time; number · service, issue counts and a state chip
    (a glyph and words, so no state is told by colour alone). An urgent call has a red edge.

    Each row is drawn once into a pixmap, kept while its record, texts, size and selection are the same: painting
    a row reads a dozen roles and lays out its text, and the list repaints whenever a row changes."""

    PAD = 8
    KEPT = 64  # drawn rows kept: a few screens of the list (a row is ~150 KB at 1440 px)

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._drawn: OrderedDict[tuple, tuple[Row, QPixmap]] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        fm = QFontMetrics(option.font)
        return QSize(260, fm.height() * 2 + self.PAD * 2 + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        R = CallListModel.Role
        row = index.data(R.ROW)
        rect = option.rect
        ratio = painter.device().devicePixelRatioF()
        key = (index.data(R.RECEIVED), index.data(R.STATUS), bool(option.state & QStyle.StateFlag.State_Selected),
               bool(option.state & QStyle.StateFlag.State_HasFocus), rect.width(), rect.height(), option.font.key(),
               ratio, id(row))
        kept = self._drawn.get(key)
        if kept is not None and kept[0] is row:
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
        if row is not None:
            self._drawn[key] = (row, pixmap)
            while len(self._drawn) > self.KEPT:
                self._drawn.popitem(last=False)

    def _draw(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        R = CallListModel.Role
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        state: RowState = index.data(R.STATE)
        waiting = state not in (RowState.APPROVED, RowState.REJECTED, RowState.NO_PROPOSAL)
        painter.fillRect(rect, QColor("#dbeafe") if selected else QColor("#ffffff" if waiting else "#f8fafc"))
        edge = URGENT_COLOR if index.data(R.URGENT) else ("#2563eb" if selected else None)
        if edge:
            painter.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), QColor(edge))
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(QColor("#1d4ed8"), 2, Qt.PenStyle.DotLine))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        painter.setPen(QPen(QColor("#e2e8f0")))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())

        fm = QFontMetrics(option.font)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.85))
        sfm = QFontMetrics(small)
        inner = rect.adjusted(self.PAD + 4, self.PAD, -self.PAD, -self.PAD)
        line_h = fm.height()
        top = QRect(inner.left(), inner.top(), inner.width(), line_h)
        bottom = QRect(inner.left(), inner.top() + line_h + 6, inner.width(), line_h)

        # line 1: [intent chip] caller (bold) ........ received time
        x = top.left()
        intent = index.data(R.INTENT)
        if intent:
            call = index.data(R.CALL)
            glyph = INTENT_MARKS[call.intent][0]
            color = QColor(URGENT_COLOR if index.data(R.URGENT) else _INTENT_COLORS.get(intent, "#475569"))
            x = _chip(painter, small, sfm, x, top, f"{glyph} {intent}", color, filled=index.data(R.URGENT)) + 8
        received = index.data(R.RECEIVED) or ""
        painter.setFont(option.font)
        painter.setPen(QColor("#64748b"))
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, received)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#0f172a" if waiting else "#475569"))
        name_rect = QRect(x, top.top(), max(0, top.right() - fm.horizontalAdvance(received) - 12 - x), line_h)
        name = QFontMetrics(bold).elidedText(index.data(R.CALLER) or "", Qt.TextElideMode.ElideRight,
                                             name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)

        # line 2, right side: the state chip (glyph + words), then issue counts to its left
        status = index.data(R.STATUS) or ""
        chip_w = sfm.horizontalAdvance(f"{state.glyph} {status}") + 14
        _chip(painter, small, sfm, bottom.right() - chip_w, bottom, f"{state.glyph} {status}", QColor(state.color),
              filled=state is RowState.LIVE)
        x = bottom.right() - chip_w - 8
        painter.setFont(small)
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


_INTENT_COLORS = {"Booking": "#1d4ed8", "Reschedule": "#7c3aed", "Cancel": "#b45309", "Question": "#0f766e",
                  "Callback": "#0f766e"}


def _chip(painter: QPainter, font: QFont, fm: QFontMetrics, x: int, line: QRect, text: str, color: QColor,
          filled: bool = False) -> int:
    """A rounded chip at ``x`` on ``line``; returns its right edge."""
    w = fm.horizontalAdvance(text) + 14
    chip = QRect(x, line.top(), w, line.height())
    painter.setPen(Qt.PenStyle.NoPen)
    fill = QColor(color)
    if not filled:
        fill.setAlpha(30)
    painter.setBrush(fill)
    painter.drawRoundedRect(chip, 8, 8)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff") if filled else color)
    painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
    return chip.right()


__all__ = ["CallItemDelegate", "CallListModel", "Reread", "plan_reread", "row_version", "stale_ids"]
