"""The alert bar under the header: one alert per calendar that needs a person, never one per appointment.

- ``held`` (the mass-deletion guard): how many of our events vanished, **Re-create all** / **Accept deletions
  (cancel them)…** → ``sync.resolve_mass_deletion``.
- ``reconnect``: the sign-in was refused or is missing (one sentence: why, and press Reconnect…), **Reconnect…**
  runs ``health.reconnect`` (a browser round trip; the GUI thread never waits for it) and reports the result or
  the error sentence. While it runs the alert shows the sign-in address to copy (the only way in when no browser
  opens, which it then says), a **Cancel** that stops waiting, and the time limit of the sign-in flows.

Each alert has a **What to do** link: the runbook entry of its state (``domain/runbook.py``), as the Health tab and
``doctor`` give it.

The bar is handed the health and sync-decision capabilities and the calendars' labels; both answers run on the
window's :class:`~receptionist.ui.operations.OperationRunner`. It is fed with ``health.calendars()`` snapshots
(:meth:`AlertBar.show_statuses`); it reads nothing itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import Qt, QUrl, Signal, Slot
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
        self.address = QLineEdit()  # the sign-in address, to copy into a browser by hand
        self.address.setReadOnly(True)
        self.address.setMinimumWidth(220)
        self.address.hide()
        self.copy_button = QPushButton("&Copy address")
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.address.text()))
        self.copy_button.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.help = QLabel('<a href="runbook">What to do</a>')  # the runbook entry of this state (Health tab too)
        self.help.linkActivated.connect(lambda _link: QToolTip.showText(
            self.help.mapToGlobal(self.help.rect().bottomLeft()), self.help.toolTip(), self.help))
        lay.addWidget(self.icon)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.help)
        lay.addWidget(self.address)
        lay.addWidget(self.copy_button)
        lay.addWidget(self.progress)
        for b in (self.recreate_button, self.accept_button, self.reconnect_button, self.cancel_button):
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

    def set_busy(self, text: str | None) -> None:
        """Reconnecting: a progress bar, the sentence and Cancel; None goes back to the plain alert."""
        busy = text is not None
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.reconnect_button.setEnabled(not busy)
        if busy:
            self.text.setText(text)
            self.setStyleSheet(_STYLE["busy"])
        else:
            self.address.hide()
            self.copy_button.hide()
            self.setStyleSheet(_STYLE["error"])

    def show_address(self, label: str, url: str, opened: bool) -> None:
        """The sign-in address, to copy; and whether a browser opened it."""
        self.address.setText(url)
        self.address.setCursorPosition(0)
        self.address.show()
        self.copy_button.show()
        if opened:
            self.text.setText(f"<b>Signing in to {label}…</b> Finish in the browser window that opened (or copy "
                              f"the address into another browser); this waits up to {SIGN_IN_MINUTES} minutes.")
        else:
            self.text.setText(f"<b>No browser opened on this computer.</b> Copy this address into a browser, here "
                              f"or on another device, and sign in to {label} there; this waits up to "
                              f"{SIGN_IN_MINUTES} minutes.")


class AlertBar(QWidget):
    """Alerts for calendars in state ``held`` or ``reconnect`` (see the module docstring).

    Signals:
        reported(str): a sentence for the status bar (a decision taken, a reconnect finished).
    """

    reported = Signal(str)
    _url_requested = Signal(str, str)  # (calendar, address): the sign-in flow, on a worker, wants the browser

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
        self.signing_in: set[str] = set()  # calendar keys whose Reconnect… runs now
        self.cancelled: set[str] = set()  # Reconnect… cancelled: its flow ends at its time limit, unheard
        self.last_result: dict[str, str] = {}  # calendar key → the last reconnect's sentence
        self._url_requested.connect(self._open_url, Qt.ConnectionType.QueuedConnection)
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
                alert.cancel_button.clicked.connect(lambda _c=False, key=key: self.cancel_reconnect(key))
                self.alerts[key] = alert
                self._layout.addWidget(alert)
            elif key not in self.signing_in:
                alert.update_status(status)
        self.setVisible(bool(self.alerts))

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

    def reconnect(self, key: str) -> None:
        """Sign in to that calendar again on a worker; the alert shows progress until it ends."""
        if key in self.signing_in:
            return
        label, health = self._label(key), self.health

        def open_url(url: str) -> None:
            self._url_requested.emit(key, url)

        def sign_in() -> str:
            try:
                return health.reconnect(key, open_url)
            except UserError:
                if key in self.cancelled:  # nobody waits for this answer any more: no box for it
                    return ""
                raise
            except Exception as exc:  # a provider or flow error: a sentence, and the details in the log
                log.exception("reconnecting %s failed", key)
                raise UserError(f"Signing in did not finish: {user_sentence(exc)}") from exc

        self.signing_in.add(key)
        self.cancelled.discard(key)
        alert = self.alerts.get(key)
        if alert is not None:
            alert.set_busy(f"<b>Signing in to {label}…</b> Finish in the browser window that opens; this waits "
                           f"up to {SIGN_IN_MINUTES} minutes.")
        self.operations.run(f"Reconnect {label}", sign_in,
                            success=lambda said: self._reconnected(key, said or "Connected again.", True),
                            failure=lambda why: self._reconnected(key, why, False),
                            progress=f"Signing in to {label}…")

    @Slot(str, str)
    def _open_url(self, key: str, url: str) -> None:
        try:
            opened = self.open_url(url) is not False
        except Exception:  # no usable browser: the address in the alert is the way in
            log.info("could not open a browser for the sign-in", exc_info=True)
            opened = False
        alert = self.alerts.get(key)
        if alert is not None and key in self.signing_in:
            alert.show_address(self._label(key), url, opened)

    def cancel_reconnect(self, key: str) -> None:
        """Stop waiting for a sign-in: the alert is as before; the flow itself ends at its time limit, and what it
        answers then is not shown (a sign-in finished after all is picked up by the sync all the same)."""
        if key not in self.signing_in:
            return
        self.signing_in.discard(key)
        self.cancelled.add(key)
        alert = self.alerts.get(key)
        if alert is not None:
            alert.set_busy(None)
            alert.text.setText(f"<b>Signing in to {self._label(key)} was cancelled.</b> Press Reconnect… to try "
                               "again.")
        self.reported.emit(f"Signing in to {self._label(key)} was cancelled.")

    def _reconnected(self, key: str, sentence: str, ok: bool) -> None:
        """The sign-in ended: on failure the runner has shown the sentence; the alert and the status bar say it."""
        if key in self.cancelled:
            self.cancelled.discard(key)
            log.info("a cancelled sign-in of %s ended: %s", key, sentence)
            return
        self.signing_in.discard(key)
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


__all__ = ["AlertBar", "CalendarAlert", "ask_yes_no", "open_in_browser"]
