"""The alert bar under the header: one alert per calendar that needs a person, never one per appointment.

- ``held`` (the mass-deletion guard): how many of our events vanished, **Re-create all** / **Accept deletions
  (cancel them)…** → ``sync.resolve_mass_deletion``.
- ``reconnect``: the sign-in was refused or is missing (one sentence: why, and press Reconnect…), **Reconnect…**
  runs ``health.reconnect`` (a browser round trip; the GUI thread never waits for it) and reports the result or
  the error sentence. While it runs the alert shows the sign-in address to copy, the time left (a countdown to the
  flows' 5-minute limit) and a **Cancel** that ends the flow at once. When no browser opens it says so, with the
  reason, and gives one piece of advice: for Outlook, **Sign in with a code instead** (Microsoft's device code:
  the address and the code are shown to copy, to type on any phone or computer); for Google (no code for
  calendars), copy the address into a browser on this computer.

Each alert has a **What to do** link: the runbook entry of its state (``domain/runbook.py``), as the Health tab and
``doctor`` give it.

The bar is handed the health and sync-decision capabilities and the calendars' labels; both answers run on the
window's :class:`~receptionist.ui.operations.OperationRunner`. It is fed with ``health.calendars()`` snapshots
(:meth:`AlertBar.show_statuses`); it reads nothing itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.runbook import entry
from receptionist.errors import UserError
from receptionist.services import CalendarStatus
from receptionist.services.health import CalendarHealth
from receptionist.services.sync_decisions import SyncDecisions
from receptionist.ui.operations import OperationRunner, user_sentence

log = logging.getLogger(__name__)

ALERT_STATES = ("held", "reconnect")
SIGN_IN_MINUTES = 5  # the sign-in flows' own time limit (``connect_google``/``connect_outlook`` timeout=300)
CODE_KINDS = ("outlook",)  # calendars whose sign-in offers a device code (Google offers none for calendars)
NO_BROWSER = "no web browser is set up to open addresses on this computer"
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


def open_in_browser(url: str) -> bool:
    """Whether a browser took the address (False on a computer with none)."""
    return bool(QDesktopServices.openUrl(QUrl(url)))


class CalendarAlert(QFrame):
    """One calendar's alert: a sentence and the buttons that answer it; while signing in, a second row with the
    address (and the code) to copy and the time left."""

    def __init__(self, status: CalendarStatus, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("calendarAlert")
        self.key = status.key
        self.offers_code = status.key.split(":", 1)[0] in CODE_KINDS
        self.state = ""
        self.missing = 0
        self.left = 0  # seconds left to sign in
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 6, 16, 6)
        outer.setSpacing(4)
        lay = QHBoxLayout()
        lay.setSpacing(8)
        self.icon = QLabel("⚠")
        self.icon.setStyleSheet("font-size: 15px;")
        self.icon.setAccessibleName("Warning")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recreate_button = QPushButton("&Re-create all")
        self.accept_button = QPushButton("&Accept deletions (cancel them)…")
        self.accept_button.setObjectName("danger")
        self.reconnect_button = QPushButton("Reco&nnect…")
        self.code_button = QPushButton("Sign in with a c&ode instead")
        self.code_button.setToolTip("Sign in on any phone or computer: open the address shown and type the code")
        self.cancel_button = QPushButton("Cancel")
        self.help = QLabel('<a href="runbook">What to do</a>')  # the runbook entry of this state (Health tab too)
        self.help.linkActivated.connect(lambda _link: QToolTip.showText(
            self.help.mapToGlobal(self.help.rect().bottomLeft()), self.help.toolTip(), self.help))
        lay.addWidget(self.icon)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.help)
        for b in (self.recreate_button, self.accept_button, self.reconnect_button, self.code_button,
                  self.cancel_button):
            lay.addWidget(b)
        outer.addLayout(lay)

        self.sign_in_row = QWidget()  # shown while signing in
        row = QHBoxLayout(self.sign_in_row)
        row.setContentsMargins(24, 0, 0, 0)
        row.setSpacing(8)
        self.address = QLineEdit()  # the sign-in address, to copy into a browser by hand
        self.address.setReadOnly(True)
        self.address.setMinimumWidth(220)
        self.address.setAccessibleName("Sign-in address")
        self.copy_button = QPushButton("&Copy address")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.address.text()))
        self.code = QLineEdit()  # Outlook's device code, typed on the other device
        self.code.setReadOnly(True)
        self.code.setObjectName("signInCode")
        self.code.setAccessibleName("Sign-in code")
        self.code.setStyleSheet("font-size: 15px; font-weight: bold; letter-spacing: 2px;")
        self.code.setFixedWidth(140)
        self.copy_code_button = QPushButton("Copy the co&de")
        self.copy_code_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.code.text()))
        self.progress = QProgressBar()  # the time left of the sign-in flow's limit
        self.progress.setFixedWidth(110)
        self.progress.setAccessibleName("Time left to sign in")
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self.tick)
        for widget in (self.address, self.copy_button, self.code, self.copy_code_button):
            row.addWidget(widget)
        row.addStretch(0)
        row.addWidget(self.progress)
        outer.addWidget(self.sign_in_row)
        self.set_busy(None)
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
        else:  # why, in the calendar's words, and one thing to do here: Reconnect…
            why = status.text.split(":", 1)[0].strip().rstrip(".")
            self.text.setText(f"<b>{label} needs to be connected again</b> ({why}). Press Reconnect… to sign in.")
            self.text.setToolTip(status.text)
            self.reconnect_button.setToolTip(f"Sign in to {label} again in your browser")
        steps = entry(status.state)
        self.help.setToolTip(steps.text() if steps else "")
        self.help.setVisible(steps is not None)
        self.recreate_button.setVisible(held)
        self.accept_button.setVisible(held)
        self.reconnect_button.setVisible(not held)
        self.setStyleSheet(_STYLE["error"])

    def set_busy(self, text: str | None, seconds: int = SIGN_IN_MINUTES * 60) -> None:
        """Signing in: the sentence, the time left counting down from ``seconds``, Cancel (and, for Outlook, Sign
        in with a code instead); None goes back to the plain alert."""
        busy = text is not None
        self.sign_in_row.setVisible(busy)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.code_button.setVisible(busy and self.offers_code)
        self.reconnect_button.setEnabled(not busy)
        for widget in (self.address, self.copy_button, self.code, self.copy_code_button):
            widget.hide()
        if busy:
            self.text.setText(text)
            self.setStyleSheet(_STYLE["busy"])
            self.progress.setRange(0, seconds)
            self.left = seconds + 1
            self.tick()
            self.countdown.start()
        else:
            self.countdown.stop()
            self.setStyleSheet(_STYLE["error"])

    def tick(self) -> None:
        """One second less to sign in."""
        self.left = max(0, self.left - 1)
        self.progress.setValue(self.left)
        self.progress.setFormat(f"{self.left // 60}:{self.left % 60:02d} left")
        if not self.left:
            self.countdown.stop()

    def show_address(self, label: str, url: str, reason: str | None) -> None:
        """The sign-in address, to copy; ``reason``: why no browser opened it (None: one did)."""
        self.address.setText(url)
        self.address.setCursorPosition(0)
        self.address.show()
        self.copy_button.show()
        if reason is None:
            self.text.setText(f"<b>Signing in to {label}…</b> Finish in the browser window that opened (or copy "
                              f"the address into another browser on this computer); this waits up to "
                              f"{SIGN_IN_MINUTES} minutes.")
        elif self.offers_code:
            self.text.setText(f"<b>No browser opened on this computer</b> ({reason}). Press Sign in with a code "
                              f"instead, then use any phone or computer; this waits up to {SIGN_IN_MINUTES} "
                              "minutes.")
        else:
            self.text.setText(f"<b>No browser opened on this computer</b> ({reason}). Copy this address into a "
                              f"browser on this computer and sign in to {label} there; this waits up to "
                              f"{SIGN_IN_MINUTES} minutes.")

    def show_code(self, label: str, url: str, code: str) -> None:
        """Outlook's device code: the address to open on any device and the code to type there."""
        self.code_button.hide()
        self.address.setText(url)
        self.address.setCursorPosition(0)
        self.code.setText(code)
        for widget in (self.address, self.copy_button, self.code, self.copy_code_button):
            widget.show()
        self.text.setText(f"<b>Sign in to {label} with a code.</b> On any phone or computer, open the address "
                          f"and type the code there; this waits up to {SIGN_IN_MINUTES} minutes.")


class AlertBar(QWidget):
    """Alerts for calendars in state ``held`` or ``reconnect`` (see the module docstring).

    Signals:
        reported(str): a sentence for the status bar (a decision taken, a reconnect finished).
    """

    reported = Signal(str)
    _url_requested = Signal(str, str)  # (calendar, address): the sign-in flow, on a worker, wants the browser
    _code_given = Signal(str, str, str)  # (calendar, address, code): Outlook's device code, to show

    def __init__(self, health: CalendarHealth, sync: SyncDecisions, calendars: Mapping[str, str],
                 operations: OperationRunner, open_url: Callable[[str], None] = open_in_browser,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.health = health
        self.sync = sync
        self.calendars = calendars
        self.operations = operations
        self.open_url = open_url
        self.alerts: dict[str, CalendarAlert] = {}
        self.stops: dict[str, threading.Event] = {}  # calendar key → its running sign-in's Cancel
        self.last_result: dict[str, str] = {}  # calendar key → the last reconnect's sentence
        self._url_requested.connect(self._open_url, Qt.ConnectionType.QueuedConnection)
        self._code_given.connect(self._show_code, Qt.ConnectionType.QueuedConnection)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.setVisible(False)

    def show_statuses(self, statuses: Sequence[CalendarStatus]) -> None:
        wanted = {s.key: s for s in statuses if s.state in ALERT_STATES}
        for key in list(self.alerts):
            if key not in wanted and key not in self.signing_in:
                self.alerts.pop(key).deleteLater()
        for key, status in wanted.items():
            alert = self.alerts.get(key)
            if alert is None:
                alert = CalendarAlert(status)
                alert.recreate_button.clicked.connect(lambda _c=False, key=key: self.recreate_all(key))
                alert.accept_button.clicked.connect(lambda _c=False, key=key: self.accept_deletions(key))
                alert.reconnect_button.clicked.connect(lambda _c=False, key=key: self.reconnect(key))
                alert.code_button.clicked.connect(lambda _c=False, key=key: self.reconnect(key, device_code=True))
                alert.cancel_button.clicked.connect(lambda _c=False, key=key: self.cancel_reconnect(key))
                self.alerts[key] = alert
                self._layout.addWidget(alert)
            elif key not in self.signing_in:
                alert.update_status(status)
        self.setVisible(bool(self.alerts))

    @property
    def signing_in(self) -> set[str]:
        """The calendars whose Reconnect… runs now."""
        return set(self.stops)

    def _label(self, key: str) -> str:
        return self.calendars.get(key, key)

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
        label, sync = self._label(key), self.sync
        alert = self.alerts.get(key)
        self.operations.run(
            "Cannot do that", lambda: sync.resolve_mass_deletion(key, recreate=recreate),
            success=lambda n: self.reported.emit(
                f"{n} event(s) will be written to {label} again." if recreate
                else f"{n} appointment(s) cancelled, as their events were deleted on {label}."),
            trigger=None if alert is None else alert.recreate_button if recreate else alert.accept_button,
            progress=f"Re-creating the events on {label}…" if recreate else "Cancelling the appointments…")

    # --- reconnect ------------------------------------------------------------------------------------------------

    def reconnect(self, key: str, *, device_code: bool = False) -> None:
        """Sign in to that calendar again on a worker; the alert shows progress until it ends. ``device_code``
        (Outlook): a code to type on any device, replacing a browser sign-in still waiting (it ends at once,
        unheard)."""
        running = self.stops.pop(key, None)
        if running is not None:
            if not device_code:
                self.stops[key] = running
                return
            running.set()
        stop = self.stops[key] = threading.Event()
        label, health = self._label(key), self.health
        how = {"device_code": True, "on_code": lambda url, code: self._code_given.emit(key, url, code)} \
            if device_code else {}

        def open_url(url: str) -> None:
            if not stop.is_set():
                self._url_requested.emit(key, url)

        def sign_in() -> str:
            try:
                return health.reconnect(key, open_url, stop=stop, **how)
            except Exception as exc:
                if stop.is_set():  # cancelled: nobody waits for this answer any more, no box for it
                    log.info("a cancelled sign-in of %s ended: %s", key, exc)
                    return ""
                if isinstance(exc, UserError):
                    raise
                log.exception("reconnecting %s failed", key)  # a provider or flow error: a sentence, details here
                raise UserError(f"Signing in did not finish: {user_sentence(exc)}") from exc

        alert = self.alerts.get(key)
        if alert is not None:
            alert.set_busy(f"<b>Signing in to {label} with a code…</b> Getting the code from Microsoft."
                           if device_code else
                           f"<b>Signing in to {label}…</b> Finish in the browser window that opens; this waits "
                           f"up to {SIGN_IN_MINUTES} minutes.")
        self.operations.run(f"Reconnect {label}", sign_in,
                            success=lambda said: self._reconnected(key, stop, said or "Connected again.", True),
                            failure=lambda why: self._reconnected(key, stop, why, False),
                            progress=f"Signing in to {label}…")

    @Slot(str, str)
    def _open_url(self, key: str, url: str) -> None:
        try:
            reason = None if self.open_url(url) is not False else NO_BROWSER
        except Exception as exc:  # no usable browser: the address in the alert is the way in
            log.info("could not open a browser for the sign-in", exc_info=True)
            reason = user_sentence(exc).rstrip(".")
        alert = self.alerts.get(key)
        if alert is not None and key in self.stops:
            alert.show_address(self._label(key), url, reason)

    @Slot(str, str, str)
    def _show_code(self, key: str, url: str, code: str) -> None:
        alert = self.alerts.get(key)
        if alert is not None and key in self.stops:
            alert.show_code(self._label(key), url, code)

    def cancel_reconnect(self, key: str) -> None:
        """Stop signing in: the flow ends at once (what it answers is not shown), and the alert is as before."""
        stop = self.stops.pop(key, None)
        if stop is None:
            return
        stop.set()
        alert = self.alerts.get(key)
        if alert is not None:
            alert.set_busy(None)
            alert.text.setText(f"<b>Signing in to {self._label(key)} was cancelled.</b> Press Reconnect… to try "
                               "again.")
        self.reported.emit(f"Signing in to {self._label(key)} was cancelled.")

    def _reconnected(self, key: str, stop: threading.Event, sentence: str, ok: bool) -> None:
        """A sign-in ended: on failure the runner has shown the sentence; the alert and the status bar say it. The
        end of a sign-in cancelled or replaced meanwhile is not shown."""
        if self.stops.get(key) is not stop:
            return
        del self.stops[key]
        self.last_result[key] = sentence
        alert = self.alerts.get(key)
        label = self._label(key)
        if ok:
            self.reported.emit(f"{label}: {sentence}")
            if alert is not None:  # gone at the next health snapshot; until then say it worked
                alert.set_busy(None)
                alert.text.setText(f"<b>{label}:</b> {sentence}")
            return
        if alert is not None:
            alert.set_busy(None)
            alert.text.setText(f"<b>Reconnecting {label} did not work.</b> {sentence}")
        self.reported.emit(f"Reconnecting {label} did not work: {sentence}")


__all__ = ["AlertBar", "CalendarAlert", "ask_yes_no", "open_in_browser"]
