"""Qt item models over plain records. They take rows through ``set_rows`` and name their columns and roles.

Neither model queries anything: a view asks the service for rows and hands them over, so tests can check a model
with plain records and no widgets.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QByteArray, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from receptionist.domain.formatting import format_datetime, format_phone, format_range
from receptionist.domain.models import (
    AppointmentRow,
    AppointmentStatus,
    CallRecord,
    FieldIssue,
    LinkBadge,
    LinkRecord,
    NOT_MARKED,
    SyncState,
    attendance_mark,
)
from receptionist.ui import theme

_Index = QModelIndex | QPersistentModelIndex
R = TypeVar("R")


def role_names(names: dict[int, QByteArray], roles: Iterable[enum.IntEnum]) -> dict[int, QByteArray]:
    """Qt's role names with a model's own ``Role`` members added (lower-case), for QML and model testers."""
    for role in roles:
        names[int(role)] = QByteArray(role.name.lower().encode())
    return names


def row_flags(index: _Index) -> Qt.ItemFlag:
    """A read-only row of a flat model: enabled and selectable."""
    if not index.isValid():
        return Qt.ItemFlag.NoItemFlags
    return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


def call_issues(call: CallRecord) -> tuple[FieldIssue, ...]:
    """The findings that matter now: the proposal's (re-checked on each edit), else the capture's."""
    return call.proposal.issues if call.proposal is not None else call.issues


def display_phone(number: str | None) -> str:
    """E.164 → "(312) 555-0142"; anything else (what the caller said, not a usable number) as it was said."""
    if not number:
        return ""
    return format_phone(number) if number.startswith("+") else number


FIELD_LABELS = {
    "caller_name": "Caller name",
    "callback_number": "Callback number",
    "service": "Service",
    "requested_start": "Start",
    "duration_minutes": "Duration",
    "resource": "Resource",
}


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


DIFF_FIELDS = {"title": "Title", "start": "Start", "end": "End", "description": "Description",
               "location": "Location"}


def appointment_status(appt: AppointmentRow, now: datetime | None = None) -> str:
    """"Booked" / "Cancelled", or once its time has come (``now`` given) whether the caller came: "✓ Attended",
    "✗ No-show", "⚠ Not marked" (:func:`~receptionist.domain.models.attendance_mark`)."""
    if appt.status is AppointmentStatus.CANCELLED:
        return "Cancelled"
    mark = attendance_mark(appt.status, appt.start, appt.attendance, now) if now is not None else ""
    return mark or "Booked"


def link_sentence(link: LinkRecord | LinkBadge, calendar_label: str, zone: ZoneInfo, cancelled: bool = False) -> str:
    """What a badge means, as a sentence for a person: the link's own error when it has one, else what it waits
    for. Drift/Conflict say what changed ("changed on Outlook (start, end)", "deleted on Outlook")."""
    state = link.state
    if cancelled and state is SyncState.SYNCED:
        return f"Removed from {calendar_label}, as the appointment is cancelled."
    if cancelled and state is SyncState.PENDING and not link.last_error:
        return f"Waiting to be removed from {calendar_label}."
    if state is SyncState.SYNCED:
        if link.synced_at is not None:
            return f"{calendar_label} holds our version (checked {format_datetime(link.synced_at, zone)})."
        return f"{calendar_label} holds our version."
    if state in (SyncState.DRIFT, SyncState.CONFLICT):
        if link.deleted_remotely:
            what = f"deleted on {calendar_label}"
        else:
            default = f"changed here and on {calendar_label}" if state is SyncState.CONFLICT \
                else f"changed on {calendar_label}"
            # the engine's message may carry the raw difference after a colon; the fields are named below instead
            what = (link.last_error or default).split(":")[0].strip() or default
            if link.diff:
                what += f" ({', '.join(DIFF_FIELDS.get(f, f).lower() for f in link.diff)})"
        return _sentence(what) + " Choose Keep ours or Take theirs."
    if link.last_error:
        return _sentence(link.last_error)
    if state is SyncState.RECONNECT:
        return f"Waiting for sign-in to {calendar_label}: press Reconnect…"
    if state is SyncState.PENDING:
        if link.next_attempt_at is not None:
            when = format_datetime(link.next_attempt_at, zone)
            return f"Waiting to be written to {calendar_label} (next try {when})."
        return f"Waiting to be written to {calendar_label}."
    return f"{state.label}."


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


class RecordsModel(QAbstractTableModel, Generic[R]):
    """A read-only table of records a view reads on its worker and hands over whole (``set_rows``): quarantine,
    callbacks, the audit log. A subclass names its ``HEADERS`` and answers ``data``."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent=None):  # noqa: ANN001
        super().__init__(parent)
        self._rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def record(self, index: _Index) -> R | None:
        """The record of a valid index, else None."""
        return self._rows[index.row()] if index.isValid() and 0 <= index.row() < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


@dataclass(frozen=True)
class TableRows:
    """Appointments made ready for :class:`AppointmentTableModel` by :func:`table_rows`, which the view runs in
    its read on the worker: setting thousands of rows then walks none of them on the GUI thread. Handed over once:
    the model keeps the lists."""

    rows: list[AppointmentRow]
    ids: tuple[str, ...]
    links: list[dict[str, LinkBadge]]  # per row, its links by calendar
    row_of: dict[str, int]  # appointment id → row
    calendars: tuple[str, ...]  # every calendar a link names, in order of first appearance
    states: frozenset[SyncState]  # every state a link is in


@dataclass(frozen=True)
class Listed:
    """What the model lists now (:meth:`AppointmentTableModel.shown`): its own lists, not copies — the worker only
    reads them, and a row it reads as it is being replaced is either version."""

    rows: Sequence[AppointmentRow]
    links: Sequence[dict[str, LinkBadge]]
    row_of: dict[str, int]


def table_rows(rows: Iterable[AppointmentRow], shown: Listed | None = None) -> TableRows:
    """``rows`` ready for the model. A row equal to the one ``shown`` (:meth:`AppointmentTableModel.shown`) lists
    for the same appointment is taken from it, the very object with its links by calendar, so that replacing what
    is shown frees only what changed: freeing ten thousand rows on the GUI thread took ~25 ms."""
    rows = list(rows)
    links = []
    for i, appt in enumerate(rows):
        at = shown.row_of.get(appt.id) if shown is not None else None
        if at is not None and shown.rows[at] == appt:
            rows[i] = shown.rows[at]
            links.append(shown.links[at])
        else:
            links.append({link.calendar: link for link in appt.links})
    return TableRows(rows, tuple(appt.id for appt in rows), links, {appt.id: i for i, appt in enumerate(rows)},
                     tuple(dict.fromkeys(link.calendar for appt in rows for link in appt.links)),
                     frozenset(link.state for appt in rows for link in appt.links))


class AppointmentTableModel(QAbstractTableModel):
    """Appointments with one sync badge column per connected calendar.

    Columns: When, Caller, Phone, Service, Status, then one per calendar (header = the calendar's label).  A badge
    cell shows the state ("Synced", "Pending", "Failed", "Conflict", "Drift", "Reconnect"), a coloured swatch
    (DecorationRole), a pale background (BackgroundRole), and as its tooltip the state with its sentence
    (:func:`link_sentence`). Cancelled appointments stay listed: struck through, grey, Status "Cancelled". Given a
    ``clock``, Status says whether the caller came once the time has come ("✓ Attended", "✗ No-show", "⚠ Not
    marked", the last in amber to prompt the desk): worked out when asked, so :meth:`time_passed` (every minute)
    turns a "Booked" that has begun into "⚠ Not marked".

    Thousands of rows may be listed: Qt asks ``data`` for a dozen roles of every cell it paints, so ``data`` answers
    the roles below and nothing else at once, and a row's texts are formatted when it is first painted, then kept.
    Nothing here walks every row for a cell (a view sizes its columns from :meth:`widest_text`, not by asking
    each row).
    """

    class Column(enum.IntEnum):
        WHEN = 0
        CALLER = 1
        PHONE = 2
        SERVICE = 3
        STATUS = 4

    FIRST_BADGE = len(Column)
    HEADERS = {Column.WHEN: "When", Column.CALLER: "Caller", Column.PHONE: "Phone", Column.SERVICE: "Service",
               Column.STATUS: "Status"}

    class Role(enum.IntEnum):
        APPOINTMENT = Qt.ItemDataRole.UserRole + 1  # the AppointmentRow (every column)
        APPOINTMENT_ID = enum.auto()  # str
        LINK = enum.auto()  # LinkBadge on a badge column (None elsewhere, or when the calendar has no link)
        SYNC_STATE = enum.auto()  # SyncState on a badge column
        CALENDAR = enum.auto()  # calendar key on a badge column

    _DISPLAY = int(Qt.ItemDataRole.DisplayRole)
    _TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
    _FONT = int(Qt.ItemDataRole.FontRole)
    _FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
    _DECORATION = int(Qt.ItemDataRole.DecorationRole)
    _BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
    _ANSWERED = frozenset({_DISPLAY, _TOOLTIP, _FONT, _FOREGROUND, _DECORATION, _BACKGROUND, *map(int, Role)})

    def __init__(self, zone: ZoneInfo, calendars: Sequence[tuple[str, str]] = (), parent=None,
                 clock: Callable[[], datetime] | None = None):
        """``calendars``: (key, label) of each connected calendar, in column order; ``clock``: now (UTC), for the
        attendance marks (without it Status reads "Booked" / "Cancelled" only)."""
        super().__init__(parent)
        self.zone = zone
        self.clock = clock
        self._calendars: list[tuple[str, str]] = list(calendars)
        self._labels = dict(self._calendars)
        self._rows: list[AppointmentRow] = []
        self._ids: tuple[str, ...] = ()
        self._links: list[dict[str, LinkBadge]] = []
        self._texts: list[tuple[str, ...] | None] = []  # a row's column texts, once it has been painted
        self._row_of: dict[str, int] = {}
        self._link_rows: dict[int, int] | None = None  # link id → row, made when first asked
        self._states: frozenset[SyncState] | None = frozenset()  # None after an update in place
        self._struck: QFont | None = None
        self._more = False  # rows are left after the last one listed (``canFetchMore``)

    # --- rows -----------------------------------------------------------------------------------------------------

    def set_rows(self, rows: TableRows | Sequence[AppointmentRow]) -> None:
        """Replace the appointments (best made ready on the worker with :func:`table_rows`). Same appointments in
        the same order → cells update in place (selection kept); otherwise the model resets. A link to a calendar
        that is no longer connected gets its own column."""
        ready = rows if isinstance(rows, TableRows) else table_rows(rows)
        calendars = self._calendars + [(key, key) for key in ready.calendars if key not in self._labels]
        same = calendars == self._calendars and ready.ids == self._ids
        if not same:
            self.beginResetModel()
        self._calendars, self._labels, self._ids, self._row_of = calendars, dict(calendars), ready.ids, ready.row_of
        # the lists are the model's from now on; the replaced ones go, freeing only the rows that changed
        self._rows, self._links, self._texts = ready.rows, ready.links, [None] * len(ready.rows)
        self._link_rows, self._states = None, ready.states
        if not same:
            self.endResetModel()
        elif ready.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(ready.rows) - 1, self.columnCount() - 1))

    def append_rows(self, ready: TableRows) -> bool:
        """The next page, after the rows listed (Show more, or the view scrolled to the end): inserted, nothing
        listed is touched. False, and nothing done, when it cannot be appended (a row already listed, or a link to
        a calendar without a column): the caller reads the whole listing again."""
        if any(link_cal not in self._labels for link_cal in ready.calendars) or any(
                i in self._row_of for i in ready.ids):
            return False
        if not ready.rows:
            return True
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(ready.rows) - 1)
        # new lists, not the old ones extended: a worker may be reading the old ones (``shown``)
        self._rows = self._rows + ready.rows
        self._links = self._links + ready.links
        self._texts = self._texts + [None] * len(ready.rows)
        self._ids = self._ids + ready.ids
        self._row_of = {**self._row_of, **{i: first + n for i, n in ready.row_of.items()}}
        self._link_rows = None
        self._states = None if self._states is None else self._states | ready.states
        self.endInsertRows()
        return True

    # Qt's incremental loading: a view scrolled to the last row asks for more (the panel reads the next page)
    more_wanted = Signal()

    def set_more(self, more: bool) -> None:
        """Whether rows are left after the last one listed."""
        self._more = more

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: N802 - Qt's name
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: N802 - Qt's name
        if not parent.isValid() and self._more:
            self._more = False  # one request at a time; the page that lands says whether more are left
            self.more_wanted.emit()

    def replace_rows(self, updated: Sequence[AppointmentRow]) -> list[str]:
        """Update the rows of these appointments in place (one ``dataChanged`` per row, no reset: the selection
        and scroll position stay). Returns the ids that are not listed (the caller decides whether to reload)."""
        missing = []
        for appt in updated:
            row = self.row_of(appt.id)
            if row < 0 or any(link.calendar not in self._labels for link in appt.links):
                missing.append(appt.id)
                continue
            self._rows[row], self._texts[row], self._link_rows, self._states = appt, None, None, None
            self._links[row] = {link.calendar: link for link in appt.links}
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
        return missing

    def rows(self) -> list[AppointmentRow]:
        return list(self._rows)

    def time_passed(self) -> None:
        """The clock moved (every minute): Status is asked again, so an appointment that has begun unmarked reads
        "⚠ Not marked"."""
        if self._rows:
            column = self.Column.STATUS
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column),
                                  [self._DISPLAY, self._FOREGROUND])

    def shown(self) -> Listed:
        """What is listed now, for :func:`table_rows` on the worker."""
        return Listed(self._rows, self._links, self._row_of)

    def calendars(self) -> list[tuple[str, str]]:
        return list(self._calendars)

    def calendar_of_column(self, column: int) -> str | None:
        i = column - self.FIRST_BADGE
        return self._calendars[i][0] if 0 <= i < len(self._calendars) else None

    def link_at(self, row: int, column: int) -> LinkBadge | None:
        key = self.calendar_of_column(column)
        if key is None or not 0 <= row < len(self._rows):
            return None
        return self._links[row].get(key)

    def appointment_of_link(self, link_id: int) -> AppointmentRow | None:
        if self._link_rows is None:
            self._link_rows = {link.id: i for i, appt in enumerate(self._rows) for link in appt.links}
        row = self._link_rows.get(link_id)
        return self._rows[row] if row is not None else None

    def links_of_row(self, row: int) -> list[LinkBadge]:
        return [self._links[row][key] for key, _ in self._calendars if key in self._links[row]]

    def row_of(self, appointment_id: str) -> int:
        return self._row_of.get(appointment_id, -1)

    def states(self) -> frozenset[SyncState]:
        """Every state a listed link is in."""
        if self._states is None:
            self._states = frozenset(link.state for links in self._links for link in links.values())
        return self._states

    def widest_text(self, column: int) -> str | None:
        """The widest text a column of known format shows (When, Phone, Status, a badge), so a view sizes it
        without asking every row; None for the free-text columns (Caller, Service)."""
        if column >= self.FIRST_BADGE:
            return max((state.label for state in SyncState), key=len)
        if column == self.Column.WHEN:
            return format_datetime(datetime(2026, 12, 28, 22, 48, tzinfo=self.zone), self.zone)
        if column == self.Column.PHONE:
            return format_phone("+18888888888")
        if column == self.Column.STATUS:
            return max(("Booked", "Cancelled", "✓ Attended", "✗ No-show", "⚠ Not marked"), key=len)
        return None

    # --- Qt -------------------------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.FIRST_BADGE + len(self._calendars)

    def roleNames(self) -> dict[int, QByteArray]:
        return role_names(super().roleNames(), self.Role)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return row_flags(index)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        key = self.calendar_of_column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if key is None:
                return self.HEADERS[self.Column(section)]
            return self._labels[key]
        if role == Qt.ItemDataRole.ToolTipRole and key is not None:
            return f"Sync state with {key}"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in self._ANSWERED:  # most of what the delegate asks for every painted cell
            return None
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._rows) or not 0 <= column < self.FIRST_BADGE + len(self._calendars):
            return None  # an invalid index (row -1) too
        appt = self._rows[row]
        R = self.Role
        if role == R.APPOINTMENT:
            return appt
        if role == R.APPOINTMENT_ID:
            return appt.id
        if column < self.FIRST_BADGE:
            return self._plain_data(row, appt, column, role)
        key = self._calendars[column - self.FIRST_BADGE][0]
        link = self._links[row].get(key)
        if role == R.CALENDAR:
            return key
        if role == R.LINK:
            return link
        if link is None:
            if role == self._DISPLAY:
                return "—"
            if role == self._TOOLTIP:
                return f"not written to {self._labels[key]}"
            return None
        if role == self._DISPLAY:
            return link.state.label
        if role == R.SYNC_STATE:
            return link.state
        if role == self._DECORATION or role == self._FOREGROUND:
            return _SYNC_COLORS[link.state]
        if role == self._BACKGROUND:
            return _SYNC_BACKGROUNDS[link.state]
        if role == self._TOOLTIP:
            label = self._labels[key]
            sentence = link_sentence(link, label, self.zone, cancelled=appt.status is AppointmentStatus.CANCELLED)
            return f"{label}: {link.state.label}\n{sentence}"
        return None

    def _plain_data(self, row: int, appt: AppointmentRow, column: int, role: int):
        C = self.Column
        if column == C.STATUS and self.clock is not None and role in (self._DISPLAY, self._FOREGROUND):
            return self._status_data(appt, role)
        if role == self._DISPLAY:
            texts = self._texts[row]
            if texts is None:
                texts = self._texts[row] = self._format(appt)
            return texts[column]
        cancelled = appt.status is AppointmentStatus.CANCELLED
        if role == self._FONT and cancelled:
            if self._struck is None:
                self._struck = QFont()
                self._struck.setStrikeOut(True)
            return self._struck if column != C.STATUS else None
        if role == self._FOREGROUND and cancelled:
            return _CANCELLED_TEXT if column != C.STATUS else _CANCELLED_STATUS
        if role == self._TOOLTIP:
            tip = f"{appt.service or 'Appointment'} — {format_range(appt.start, appt.end, self.zone)}"
            if cancelled:
                tip += f"\nCancelled: {appt.cancel_reason or 'no reason given'}"
            elif column == C.STATUS and self.clock is not None:
                status = appointment_status(appt, self.clock())
                if status.endswith(NOT_MARKED):
                    return tip + "\nIts time has come and nobody marked it: open it (Enter), then mark Attended " \
                                 "or No-show."
                if status != "Booked":
                    tip += f"\n{status}"
            return tip + "\nDouble-click or press Enter to open it."
        return None

    def _status_data(self, appt: AppointmentRow, role: int):
        """Status as of now (not kept with the row's texts: the time passes)."""
        status = appointment_status(appt, self.clock())
        if role == self._DISPLAY:
            return status
        if appt.status is AppointmentStatus.CANCELLED:
            return _CANCELLED_STATUS
        return _NOT_MARKED if status.endswith(NOT_MARKED) else None

    def _format(self, appt: AppointmentRow) -> tuple[str, ...]:
        """The texts of a row's plain columns, in column order."""
        return (format_datetime(appt.start, self.zone), appt.caller_name or "Unknown caller",
                format_phone(appt.callback_number), appt.service or "", appointment_status(appt))


_CANCELLED_TEXT = QColor("#94a3b8")
_CANCELLED_STATUS = QColor("#b91c1c")
_NOT_MARKED = QColor("#b45309")
_SYNC_COLORS = {state: theme.sync_color(state) for state in SyncState}
_SYNC_BACKGROUNDS = {state: theme.sync_background(state) for state in SyncState}


__all__ = ["AppointmentTableModel", "DIFF_FIELDS", "FIELD_LABELS", "Listed", "TableRows",
           "appointment_status", "field_label", "link_sentence", "call_issues", "display_phone", "table_rows"]
