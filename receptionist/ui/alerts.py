"""The alert bar under the header: one alert per calendar that needs a person, never one per appointment.

- ``held`` (the mass-deletion guard): how many of our events vanished, **Re-create all** / **Accept deletions
  (cancel them)…** → ``desk.sync.resolve_mass_deletion``.
- ``reconnect``: the sign-in was refused or is missing, **Reconnect…** runs ``desk.health.reconnect`` on a worker
  thread (a browser round trip; the GUI thread never waits for it) and reports the result or the error sentence.

The bar is fed with ``desk.health.calendars()`` snapshots (:meth:`AlertBar.show_statuses`); it reads nothing
itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from receptionist.errors import UserError
from receptionist.services import CalendarStatus, Desk
from receptionist.ui.appointment_dialog import user_sentence

log = logging.getLogger(__name__)

ALERT_STATES = ("held", "reconnect")
_STYLE = {
    "error": "QFrame#calendarAlert { background: #fef2f2; border-bottom: 1px solid #fecaca; } "
             "QFrame#calendarAlert QLabel { color: #991b1b; }",
    "busy": "QFrame#calendarAlert { background: #eff6ff; border-bottom: 1px solid #bfdbfe; } "
            "QFrame#calendarAlert QLabel { color: #1e3a8a; }",
}


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """A question whose safe answer (No) is the default; tests replace it."""
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget, title: str, text: str) -> None:
    """An error sentence in a message box; tests replace it."""
    QMessageBox.warning(parent, title, text)


def open_in_browser(url: str) -> None:
    QDesktopServices.openUrl(QUrl(url))


class ReconnectJob(QObject):
    """``desk.health.reconnect(key, open_url)`` on a thread of its own. Results come back as queued signals; the sign-in
    page the flow asks for is opened on the GUI thread (``open_url`` only queues it).

    Signals:
        url_requested(str): the flow wants the browser on this address.
        succeeded(str): the service's sentence ("Google Calendar connected as …").
        failed(str): a sentence saying why not.
    """

    url_requested = Signal(str)
    succeeded = Signal(str)
    failed = Signal(str)

    def __init__(self, desk: Desk, key: str, parent: QObject | None = None):
        super().__init__(parent)
        self.desk = desk
        self.key = key
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=f"reconnect-{self.key}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            said = self.desk.health.reconnect(self.key, self._emit_url)
        except UserError as exc:
            self._emit(self.failed, user_sentence(exc))
        except Exception as exc:  # noqa: BLE001 - a provider or flow error: a sentence, and the details in the log
            log.exception("reconnecting %s failed", self.key)
            self._emit(self.failed, f"Signing in did not finish: {user_sentence(exc)}")
        else:
            self._emit(self.succeeded, said or "Connected again.")

    def _emit_url(self, url: str) -> None:
        self._emit(self.url_requested, url)

    def _emit(self, signal, text: str) -> None:
        try:
            signal.emit(text)
        except RuntimeError:  # the window closed while the sign-in ran: nobody to tell
            log.info("reconnect of %s finished after its window closed: %s", self.key, text)


class CalendarAlert(QFrame):
    """One calendar's alert: a sentence and the buttons that answer it."""

    def __init__(self, status: CalendarStatus, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("calendarAlert")
        self.key = status.key
        self.state = ""
        self.missing = 0
        lay = QHBoxLayout(self)
        lay.setContentsMargins(16, 6, 16, 6)
        lay.setSpacing(8)
        self.icon = QLabel("⚠")
        self.icon.setStyleSheet("font-size: 15px;")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # a browser round trip: no percentage to show
        self.progress.setFixedWidth(120)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.recreate_button = QPushButton("&Re-create all")
        self.accept_button = QPushButton("&Accept deletions (cancel them)…")
        self.accept_button.setObjectName("danger")
        self.reconnect_button = QPushButton("Reco&nnect…")
        lay.addWidget(self.icon)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.progress)
        for b in (self.recreate_button, self.accept_button, self.reconnect_button):
            lay.addWidget(b)
        self.update_status(status)

    def update_status(self, status: CalendarStatus) -> None:
        self.state = status.state
        self.missing = status.health.held_missing
        label = status.label
        held = status.state == "held"
        if held:
            n = status.health.held_missing
            self.text.setText(f"<b>{n} of our events vanished from {label} at once.</b> Nothing more is written "
                              f"to {label} until you decide: re-create them all there, or accept the deletions "
                              "(those appointments are cancelled here and on the other calendars).")
            self.recreate_button.setToolTip(f"Write the {n} vanished events to {label} again")
            self.accept_button.setToolTip(f"Cancel the {n} appointments whose events vanished from {label}")
        else:
            self.text.setText(f"<b>{label} needs to be connected again.</b> {status.text}")
            self.reconnect_button.setToolTip(f"Sign in to {label} again in your browser")
        self.recreate_button.setVisible(held)
        self.accept_button.setVisible(held)
        self.reconnect_button.setVisible(not held)
        self.setStyleSheet(_STYLE["error"])

    def set_busy(self, text: str | None) -> None:
        """Reconnecting: a progress bar and the sentence; None goes back to the plain alert."""
        busy = text is not None
        self.progress.setVisible(busy)
        self.reconnect_button.setEnabled(not busy)
        if busy:
            self.text.setText(text)
            self.setStyleSheet(_STYLE["busy"])
        else:
            self.setStyleSheet(_STYLE["error"])


class AlertBar(QWidget):
    """Alerts for calendars in state ``held`` or ``reconnect`` (see the module docstring).

    Signals:
        reported(str): a sentence for the status bar (a decision taken, a reconnect finished).
    """

    reported = Signal(str)

    def __init__(self, desk: Desk, open_url: Callable[[str], None] = open_in_browser,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.desk = desk
        self.open_url = open_url
        self.alerts: dict[str, CalendarAlert] = {}
        self.jobs: dict[str, ReconnectJob] = {}
        self.last_result: dict[str, str] = {}  # calendar key → the last reconnect's sentence
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.setVisible(False)

    def show_statuses(self, statuses: Sequence[CalendarStatus]) -> None:
        wanted = {s.key: s for s in statuses if s.state in ALERT_STATES}
        for key in list(self.alerts):
            if key not in wanted and key not in self.jobs:
                self.alerts.pop(key).deleteLater()
        for key, status in wanted.items():
            alert = self.alerts.get(key)
            if alert is None:
                alert = CalendarAlert(status)
                alert.recreate_button.clicked.connect(lambda _c=False, key=key: self.recreate_all(key))
                alert.accept_button.clicked.connect(lambda _c=False, key=key: self.accept_deletions(key))
                alert.reconnect_button.clicked.connect(lambda _c=False, key=key: self.reconnect(key))
                self.alerts[key] = alert
                self._layout.addWidget(alert)
            elif key not in self.jobs:
                alert.update_status(status)
        self.setVisible(bool(self.alerts))

    def _label(self, key: str) -> str:
        return self.desk.context.calendars.get(key, key)

    # --- mass deletion --------------------------------------------------------------------------------------------

    def recreate_all(self, key: str) -> None:
        self._resolve(key, recreate=True)

    def accept_deletions(self, key: str) -> None:
        label = self._label(key)
        alert = self.alerts.get(key)
        n = f"the {alert.missing}" if alert is not None and alert.missing else "the"
        if not ask_yes_no(self, "Accept the deletions?",
                          f"Cancel {n} appointments whose events vanished from {label}? They are deleted from the "
                          "other calendars too, and stay listed here as cancelled."):
            return
        self._resolve(key, recreate=False)

    def _resolve(self, key: str, *, recreate: bool) -> None:
        label = self._label(key)
        try:
            n = self.desk.sync.resolve_mass_deletion(key, recreate=recreate)
        except UserError as exc:
            show_error(self, "Cannot do that", user_sentence(exc))
            return
        self.reported.emit(f"{n} event(s) will be written to {label} again." if recreate
                           else f"{n} appointment(s) cancelled, as their events were deleted on {label}.")

    # --- reconnect ------------------------------------------------------------------------------------------------

    def reconnect(self, key: str) -> ReconnectJob | None:
        if key in self.jobs:
            return self.jobs[key]
        label = self._label(key)
        job = ReconnectJob(self.desk, key, self)
        job.url_requested.connect(self._open_url, Qt.ConnectionType.QueuedConnection)
        job.succeeded.connect(lambda said, key=key: self._reconnected(key, said, True),
                              Qt.ConnectionType.QueuedConnection)
        job.failed.connect(lambda why, key=key: self._reconnected(key, why, False), Qt.ConnectionType.QueuedConnection)
        self.jobs[key] = job
        alert = self.alerts.get(key)
        if alert is not None:
            alert.set_busy(f"<b>Signing in to {label}…</b> Finish in the browser window that opens; this bar "
                           "updates when it is done.")
        job.start()
        return job

    @Slot(str)
    def _open_url(self, url: str) -> None:
        self.open_url(url)

    def _reconnected(self, key: str, sentence: str, ok: bool) -> None:
        self.jobs.pop(key, None)
        self.last_result[key] = sentence
        alert = self.alerts.get(key)
        label = self._label(key)
        if ok:
            self.reported.emit(f"{label}: {sentence}")
            if alert is not None:  # gone at the next health snapshot; until then say it worked
                alert.set_busy(None)
                alert.reconnect_button.setEnabled(True)
                alert.text.setText(f"<b>{label}:</b> {sentence}")
            return
        if alert is not None:
            alert.set_busy(None)
            alert.text.setText(f"<b>Reconnecting {label} did not work.</b> {sentence}")
        self.reported.emit(f"Reconnecting {label} did not work: {sentence}")
        show_error(self, f"Reconnect {label}", sentence)


__all__ = ["AlertBar", "CalendarAlert", "ReconnectJob", "ask_yes_no", "open_in_browser", "show_error"]
