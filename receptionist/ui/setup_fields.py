"""The fields setup and Settings share: a time-zone picker a person can search by place, times of day in the
location's format, help text under a field, an "Advanced" disclosure, and a runner for flows that block (a sign-in
in the browser, a test call).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from receptionist.errors import ProviderError, UserError

log = logging.getLogger(__name__)


def _offset(zone: str, now: datetime) -> str:
    delta = now.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: str, now: datetime | None = None) -> str:
    """``"America/New_York"`` → ``"New York — America (UTC−5 now)"``: the place first, then where, then the offset
    today (it changes with daylight saving time)."""
    now = now or datetime.now(timezone.utc)
    parts = zone.replace("_", " ").split("/")
    place = parts[-1]
    region = ", ".join(parts[:-1])
    return f"{place} — {region} ({_offset(zone, now)} now)" if region else f"{place} ({_offset(zone, now)} now)"


class ZoneBox(QComboBox):
    """Every time zone, by place: type any part of a city or region ("new york", "phoenix") and pick a match. Each
    entry shows the place and its offset from UTC today; ``zone()`` is the zone's id ("America/New_York")."""

    def __init__(self, current: str = "America/Chicago", parent: QWidget | None = None):
        super().__init__(parent)
        now = datetime.now(timezone.utc)
        zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
        zones.append("UTC")
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        labels = [zone_label(z, now) for z in zones]
        for zone, label in zip(zones, labels):
            self.addItem(label, zone)
        completer = QCompleter(QStringListModel(labels, self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        self.setCompleter(completer)
        self.setMaxVisibleItems(15)
        self.set_zone(current)
        self.lineEdit().setPlaceholderText("Type a city, e.g. Chicago")

    def set_zone(self, zone: str) -> None:
        index = self.findData(zone)
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self.setEditText(zone)

    def keyPressEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        """Enter settles the typed place and then goes on to the dialog (Next in setup), as in any other field."""
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.settle()
            event.ignore()

    def _index(self) -> int:
        """The entry the text names: its label, its id, or the only label that contains it ("phoenix")."""
        text = self.currentText().strip()
        index = self.findText(text)
        if index < 0:
            index = self.findData(text)
        if index < 0 and text:
            needle = text.lower()
            found = [i for i in range(self.count()) if needle in self.itemText(i).lower()]
            index = found[0] if len(found) == 1 else -1
        return index

    def zone(self) -> str:
        """The chosen zone's id, or "" when the text names none (or several)."""
        index = self._index()
        return self.itemData(index) if index >= 0 else ""

    def settle(self) -> None:
        """Show the whole entry the typed text names (on leaving the field: "phoenix" → "Phoenix — America …")."""
        index = self._index()
        if index >= 0 and self.currentText() != self.itemText(index):
            self.setCurrentIndex(index)


def time_label(minutes: int, twelve_hour: bool) -> str:
    """Minutes after midnight as a person reads them: "8:00 AM", "12:00 PM" (noon), "Midnight" for the end of the
    day in the US; "08:00", "24:00" elsewhere."""
    hours, rest = divmod(minutes, 60)
    if not twelve_hour:
        return f"{hours:02d}:{rest:02d}"
    if minutes in (0, 24 * 60):
        return "Midnight" if minutes else "12:00 AM"
    suffix = "AM" if hours < 12 else "PM"
    return f"{(hours - 1) % 12 + 1}:{rest:02d} {suffix}"


class TimeBox(QComboBox):
    """A time of day from a list, every ``step`` minutes from ``first`` to ``last`` (minutes after midnight), in the
    location's format (12-hour in the US). ``minutes()`` is the choice."""

    def __init__(self, minutes: int, *, first: int = 0, last: int = 24 * 60, step: int = 15,
                 twelve_hour: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        for value in range(first, last + 1, step):
            self.addItem(time_label(value, twelve_hour), value)
        self.setMaxVisibleItems(12)
        self.set_minutes(minutes)
        self.setMinimumContentsLength(8)

    def minutes(self) -> int:
        return int(self.currentData())

    def set_minutes(self, minutes: int) -> None:
        index = self.findData(minutes)
        self.setCurrentIndex(index if index >= 0 else 0)


def help_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("muted")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def problem_label() -> QLabel:
    """Where a field's problem is said, in red, once the field has been left (empty until then)."""
    label = QLabel()
    label.setObjectName("problem")
    label.setStyleSheet("color: #b91c1c;")
    label.setWordWrap(True)
    return label


def with_help(field: QWidget | QHBoxLayout, text: str) -> QWidget:
    """A field with its help text right under it (a separate form row would leave a gap)."""
    holder = QWidget()
    holder.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    lay = QVBoxLayout(holder)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    if isinstance(field, (QLineEdit, ZoneBox)):
        lay.addWidget(field)
    elif isinstance(field, QWidget):  # spin boxes, check boxes, short lists: their own width
        lay.addWidget(field, 0, Qt.AlignmentFlag.AlignLeft)
    else:
        lay.addLayout(field)
    if text:
        help_text = help_label(text)
        help_text.setWordWrap(len(text) > 64)  # a short line never wraps: a wrapped one reserves rows in a form
        lay.addWidget(help_text)
    return holder


def secret_edit(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


class _LeaveWatcher(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None]):
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.FocusOut:
            self._callback()
        return False


def on_leave(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever focus leaves ``widget``, changed or not (``editingFinished`` is silent when
    an empty field is left empty)."""
    _LeaveWatcher(widget, callback)


class Disclosure(QWidget):
    """"Advanced ▸": a button that shows or hides ``body`` (closed at first: what most people never need)."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.body = body
        self.button = QToolButton()
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setArrowType(Qt.ArrowType.RightArrow)
        self.button.setAutoRaise(True)
        self.button.toggled.connect(self.set_open)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(body)
        body.setVisible(False)

    def set_open(self, on: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)


class FlowRunner(QObject):
    """Runs a blocking flow (a sign-in in the browser, a test call) on a worker thread; ``finished(kind, ok,
    message)`` arrives on the GUI thread."""

    finished = Signal(str, bool, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.running: set[str] = set()

    def start(self, kind: str, flow: Callable[[], str | tuple[bool, str]]) -> threading.Thread:
        """``flow`` returns a sentence (success) or (ok, sentence); a ``UserError``/``ProviderError`` is a failure
        said as its sentence."""
        self.running.add(kind)

        def run() -> None:
            try:
                result = flow()
                ok, message = result if isinstance(result, tuple) else (True, result)
            except (UserError, ProviderError) as exc:
                ok, message = False, str(exc)
            except Exception as exc:  # a bug in a flow: say so here, and log the traceback
                log.exception("%s failed", kind)
                ok, message = False, f"{kind} failed unexpectedly ({type(exc).__name__}: {exc}); see the log"
            self.finished.emit(kind, ok, message)

        thread = threading.Thread(target=run, name=f"flow-{kind}", daemon=True)
        thread.start()
        return thread

    def done(self, kind: str) -> None:
        self.running.discard(kind)


__all__ = ["Disclosure", "FlowRunner", "TimeBox", "ZoneBox", "help_label", "on_leave", "problem_label", "secret_edit",
           "time_label", "with_help", "zone_label"]
