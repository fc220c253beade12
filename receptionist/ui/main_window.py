"""The main window (header with health pills; calls on the left; week calendar and sync table on the right) and
``run_gui``, which owns the QApplication, the crash dialog and the event loop.

Views refresh from the EventBus (through :class:`EventBridge`), debounced, never by poking each other.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from receptionist import events
from receptionist.domain.formatting import format_date, format_time
from receptionist.errors import UserError
from receptionist.paths import resource
from receptionist.ui import theme
from receptionist.ui.bridge import EventBridge, Throttle
from receptionist.ui.calendar_view import WeekCalendarView
from receptionist.ui.intake_views import QuarantinePanel
from receptionist.ui.call_panel import CallPanel
from receptionist.ui.sync_panel import SyncPanel

if TYPE_CHECKING:  # the window needs only these attributes of App (tests pass a lookalike)
    from receptionist.app import App

log = logging.getLogger(__name__)

WINDOW_SIZE = (1440, 900)
_KIND_LABELS = {"google": "Google Calendar", "outlook": "Outlook"}


def load_stylesheet() -> str:
    path = resource("style", "console.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet %s is missing; using the platform look", path)
        return ""


class HealthPill(QLabel):
    """A rounded status label: ``ok`` green, ``pending`` amber, ``error`` red, ``off`` grey."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.state = "pending"
        self.setObjectName("healthPill")
        self.set_state("pending", "")

    def set_state(self, state: str, tooltip: str, text: str | None = None) -> None:
        self.state = state
        color = theme.HEALTH_COLORS[state]
        background = {"ok": "#dcfce7", "pending": "#fef3c7", "error": "#fee2e2", "off": "#f1f5f9"}[state]
        self.setText(f"● {text or self.name}")
        self.setStyleSheet(f"QLabel#healthPill {{ color: {color}; background: {background}; border: 1px solid "
                           f"{color}40; border-radius: 10px; padding: 2px 8px; font-weight: 600; }}")
        self.setToolTip(tooltip)


class MainWindow(QMainWindow):
    """Attributes:
        call_panel, calendar, sync_panel: the three views.
        bridge: the EventBridge the views refresh from.
        pills: health pill per integration key (calendar keys, "twilio", "webhook", "leader").
    """

    def __init__(self, app: "App | Any", *, demo_banner: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.service = app.service
        self.zone = app.profile.location.zone
        self.setWindowTitle(f"Receptionist Console — {app.profile.location.name}")
        self.setMinimumSize(1100, 700)
        self.setStyleSheet(load_stylesheet())

        labels = {key: target.label for key, target in app.engine.targets.items()}
        for key in getattr(app, "problems", {}) or {}:
            if ":" in key:  # a calendar that is enabled but not usable ("google:primary"); not "twilio"/"webhook"
                labels.setdefault(key, _KIND_LABELS.get(key.split(":", 1)[0], key))
        calendars = [(key, labels.get(key, key)) for key in self.service.calendars]

        central = QWidget()
        central.setObjectName("central")
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_header(labels, demo_banner))
        self.demo_label = QLabel(demo_banner or "")
        self.demo_label.setObjectName("demoBanner")
        self.demo_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_label.setVisible(bool(demo_banner))
        root.addWidget(self.demo_label)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(10, 10, 10, 6)
        self.call_panel = CallPanel(self.service)
        self.call_panel.setMinimumWidth(470)
        self.calendar = WeekCalendarView(self.service, labels)
        self.calendar.setMinimumHeight(380)
        self.sync_panel = SyncPanel(self.service, calendars)
        self.sync_panel.setMinimumHeight(200)

        self.quarantine_panel = QuarantinePanel(self.service)
        self.lower_tabs = QTabWidget()
        self.lower_tabs.setObjectName("lowerTabs")
        self.lower_tabs.addTab(self.sync_panel, "Sync")
        self.lower_tabs.addTab(self.quarantine_panel, "Quarantine")
        self.quarantine_panel.count_changed.connect(self._quarantine_count)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self._card(self.calendar))
        right.addWidget(self._card(self.lower_tabs))
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setChildrenCollapsible(False)
        right.setSizes([560, 250])
        right.setMinimumWidth(640)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self._card(self.call_panel))
        main.addWidget(right)
        main.setStretchFactor(0, 2)
        main.setStretchFactor(1, 3)
        main.setChildrenCollapsible(False)
        main.setSizes([560, 860])
        self.splitters = (main, right)
        body_layout.addWidget(main, 1)
        root.addWidget(body, 1)
        self.setCentralWidget(central)

        self.status = QStatusBar()
        self.status_counts = QLabel()
        self.status.addPermanentWidget(self.status_counts)
        self.setStatusBar(self.status)

        # news → debounced refreshes
        self.bridge = EventBridge(app.bus, self)
        self.bridge.event_received.connect(self._on_event)
        self._refresh_calls = Throttle(self.refresh_calls, parent=self)
        self._refresh_sync = Throttle(self.refresh_sync, parent=self)
        self._refresh_calendar = Throttle(self.calendar.refresh, parent=self)
        self._refresh_health = Throttle(self.refresh_health, parent=self)
        self._refresh_live = Throttle(self.call_panel.live.refresh, parent=self)
        self._refresh_quarantine = Throttle(self.quarantine_panel.refresh, parent=self)
        self.calendar.appointment_clicked.connect(self.sync_panel.select_appointment)

        self._minute = QTimer(self)
        self._minute.setInterval(60_000)
        self._minute.timeout.connect(self.tick)
        self._minute.start()

        self.refresh_all()
        QTimer.singleShot(0, lambda: self.calendar.scroll_to_hour(max(0, self.app.profile.location.open_hour - 1)))

    # --- layout helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _card(widget: QWidget) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        lay = QVBoxLayout(card)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.addWidget(widget)
        return card

    def _build_header(self, labels: dict[str, str], demo_banner: str | None) -> QWidget:
        header = QFrame()
        header.setObjectName("header")
        lay = QHBoxLayout(header)
        lay.setContentsMargins(16, 10, 16, 10)
        lay.setSpacing(10)
        name = QLabel(self.app.profile.location.name)
        name.setObjectName("locationName")
        self.clock_label = QLabel()
        self.clock_label.setObjectName("headerClock")
        lay.addWidget(name)
        lay.addWidget(self.clock_label)
        lay.addStretch(1)

        self.pills: dict[str, HealthPill] = {}
        for key, label in labels.items():
            self.pills[key] = HealthPill(label)
        if not labels:  # a first start: say how to connect, rather than showing nothing
            self.pills["calendars"] = HealthPill("No calendar connected")
            self.pills["calendars"].set_state(
                "off", "Appointments stay on this desk until a calendar is connected: set google.enabled or "
                       "outlook.enabled in the location profile, then run `receptionist connect google` or "
                       "`receptionist connect outlook` (see the README).", "No calendar connected")
        self.pills["twilio"] = HealthPill("Twilio SMS")
        self.pills["webhook"] = HealthPill("Webhook")
        self.pills["leader"] = HealthPill("Sync leader")
        for pill in self.pills.values():
            lay.addWidget(pill)
        return header

    # --- refreshing -----------------------------------------------------------------------------------------------

    def _on_event(self, topic: str, data: dict) -> None:
        if topic == events.LIVE_CALL_CHANGED:
            self._refresh_live.trigger()
        elif topic == events.QUARANTINE_CHANGED:
            self._refresh_quarantine.trigger()
            self._refresh_health.trigger()  # the webhook pill counts the quarantine
            self._refresh_calls.trigger()  # a replayed delivery may have become a call
        if topic in (events.CALL_RECEIVED, events.PROPOSAL_DECIDED):
            self._refresh_calls.trigger()
            if topic == events.CALL_RECEIVED:
                self.status.showMessage(f"New call received ({data.get('call_id', '')})", 8000)
        elif topic in (events.APPOINTMENT_CHANGED, events.LINK_CHANGED):
            self._refresh_sync.trigger()
            self._refresh_calendar.trigger()
        elif topic == events.CALENDAR_REFRESHED:
            self._refresh_calendar.trigger()
        elif topic == events.HEALTH_CHANGED:
            self._refresh_health.trigger()
            self._refresh_sync.trigger()  # a cycle ended: badge tooltips ("retrying at …") may have moved
        elif topic == events.MESSAGE_SENT:
            self.status.showMessage("SMS confirmation sent", 8000)

    def refresh_all(self) -> None:
        self.refresh_calls()
        self.refresh_sync()
        self.calendar.refresh()
        self.refresh_health()
        self.tick()

    def refresh_calls(self) -> None:
        self.call_panel.refresh()
        self._update_counts()

    def refresh_sync(self) -> None:
        self.sync_panel.refresh()
        self._update_counts()

    def _update_counts(self) -> None:
        calls = self.call_panel.model.rows()
        pending = sum(1 for c in calls if c.proposal is not None and c.proposal.status.value == "pending")
        failing = sum(1 for a in self.sync_panel.model.rows() for link in a.links if link.state.value != "synced"
                      and link.state.value != "pending")
        self.status_counts.setText(f"{pending} call(s) to review   ·   {failing} sync problem(s)")

    def _quarantine_count(self, count: int) -> None:
        self.lower_tabs.setTabText(1, f"Quarantine ({count})" if count else "Quarantine")

    def refresh_health(self) -> None:
        health = self.app.engine.health
        problems = getattr(self.app, "problems", {}) or {}
        for key, pill in self.pills.items():
            if key == "calendars":
                continue  # fixed at start: connecting a calendar needs a restart of the console
            if key == "webhook":
                self._webhook_pill(pill)
            elif key == "leader":
                leader = bool(getattr(self.app.scheduler, "is_leader", False))
                pill.set_state("ok" if leader else "off",
                               "This desk runs the calendar sync." if leader else
                               "Another desk holds the sync lease (or the first sync cycle has not run yet); "
                               "this desk shows what it writes.",
                               "Sync leader" if leader else "Not sync leader")
            elif key == "twilio" and key not in health:
                pill.set_state("off", "SMS confirmations are off (twilio.enabled = false in the profile).",
                               "Twilio SMS off")
            else:
                h = health.get(key)
                if h is None:
                    pill.set_state("error", problems.get(key, "not connected"))
                elif h.ok is None:
                    pill.set_state("pending", problems.get(key) or "not contacted yet")
                elif h.ok:
                    tip = f"OK — last success {self._when(h.last_success)}"
                    if h.latency_ms is not None:
                        tip += f" ({h.latency_ms:.0f} ms)"
                    if h.last_error:
                        tip += f"\nearlier error ({self._when(h.last_error_at)}): {h.last_error}"
                    pill.set_state("ok", tip)
                else:
                    pill.set_state("error", f"{h.last_error or 'failing'}\n(at {self._when(h.last_error_at)})")

    def _webhook_pill(self, pill: HealthPill) -> None:
        receiver = getattr(self.app, "receiver", None)
        if receiver is None:
            pill.set_state("off", "The webhook receiver is not running on this desk.", "Webhook off")
            return
        try:
            url = receiver.url
        except (AssertionError, AttributeError):
            pill.set_state("pending", "The webhook receiver has not started yet.")
            return
        rejected = getattr(receiver, "rejections", {}) or {}
        tip = f"Listening on {url}"
        if rejected:
            tip += "\nRejected requests: " + ", ".join(f"{k} ×{n}" for k, n in rejected.items())
        problem = (getattr(self.app, "problems", {}) or {}).get("webhook")
        if problem:
            pill.set_state("error", f"{tip}\n{problem}")
            return
        held = self.service.quarantine_count()
        if held:
            pill.set_state("pending", f"{tip}\n{held} delivery(ies) in quarantine: see the Quarantine tab")
            return
        pill.set_state("ok", tip)
        self.status.setToolTip(tip)

    def _when(self, instant: datetime | None) -> str:
        if instant is None:
            return "never"
        return f"{format_date(instant, self.zone)} {format_time(instant, self.zone)}"

    def tick(self) -> None:
        """Every minute: the header clock and the calendar's now line."""
        now = self.service.clock().astimezone(self.zone)
        self.clock_label.setText(f"{now:%a} {format_date(now, self.zone)} · {format_time(now, self.zone)} "
                                 f"{now.tzname()}")
        self.calendar.tick()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.bridge.close()
        self._minute.stop()
        super().closeEvent(event)


class CrashHandler:
    """``sys.excepthook`` for the GUI: a UserError is a message; anything else is a bug with a report to copy."""

    def __init__(self, parent: Callable[[], QWidget | None], previous=None):
        self.parent = parent
        self.previous = previous or sys.__excepthook__
        self._showing = False

    def __call__(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        if threading.current_thread() is not threading.main_thread() or self._showing:
            self.previous(exc_type, exc, tb)
            return
        self._showing = True
        try:
            if issubclass(exc_type, UserError):
                QMessageBox.warning(self.parent(), "Receptionist Console", str(exc))
                return
            report = "".join(traceback.format_exception(exc_type, exc, tb))
            log.error("unexpected error (a bug):\n%s", report)
            box = QMessageBox(self.parent())
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle("Receptionist Console — unexpected error")
            box.setText("Something went wrong inside the console (a bug, not something you did).\n\n"
                        f"{exc_type.__name__}: {exc}")
            box.setInformativeText("Your data is saved. You can keep working; if it happens again, copy the "
                                   "details below and send them to support.")
            box.setDetailedText(report)
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            box.exec()
        finally:
            self._showing = False


def run_gui(app: "App | Any", *, argv: list[str] | None = None, demo_banner: str | None = None,
            on_ready: Callable[[MainWindow], None] | None = None, quit_after: float | None = None,
            screenshot: str | None = None) -> int:
    """Show the console for ``app`` and run the Qt event loop until the window closes; returns the exit code.

    The caller starts and stops ``app`` (``app.start()`` before, ``app.stop()`` after). ``on_ready(window)`` runs
    once the event loop is running (e.g. to start a demo call simulator). ``quit_after`` closes the window after
    that many seconds, saving ``screenshot`` (a PNG path) first — for unattended demos and start-up benchmarks.
    """
    qapp = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    qapp.setApplicationName("Receptionist Console")
    qapp.setApplicationDisplayName("Receptionist Console")
    font = QFont(qapp.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        qapp.setFont(font)
    window = MainWindow(app, demo_banner=demo_banner)
    previous = sys.excepthook
    sys.excepthook = CrashHandler(lambda: window, previous)
    try:
        window.resize(*WINDOW_SIZE)
        window.show()
        if on_ready is not None:
            QTimer.singleShot(0, lambda: on_ready(window))
        if quit_after is not None:
            QTimer.singleShot(int(quit_after * 1000), lambda: _close(window, screenshot))
        return qapp.exec()
    finally:
        sys.excepthook = previous
        window.bridge.close()


def _close(window: MainWindow, screenshot: str | None) -> None:
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(screenshot)
    window.close()


__all__ = ["CrashHandler", "HealthPill", "MainWindow", "run_gui"]
