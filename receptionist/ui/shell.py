"""What keeps the desk running around the window: the tray icon with the waiting count and a notification (and a
taskbar alert) per call that needs a person (:class:`DeskTray`), where the window opens and how its splitters sit
(:class:`WindowPlacement`, in QSettings), and one running console per location (:class:`SingleInstance`).

The tray is best-effort (some desktops show no tray or no messages): the window's own counts stay the source of
truth, and without a tray closing the window quits as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QSystemTrayIcon,
    QWidget,
)

from receptionist.domain.formatting import format_datetime
from receptionist.domain.models import CallRecord, Intent
from receptionist.paths import data_dir


class DeskTray(QObject):
    """The tray icon (its badge and tooltip: calls waiting), one notification, taskbar alert and sound per call that
    needs a person (a call announced twice is announced once; the sound when ``chime()`` says so: the profile's
    ``location.sound_on_new_call``), Show console / Quit in its menu.

    The sound is the platform's own alert sound (``QApplication.beep``: Windows' default beep sound, the X11 bell,
    macOS's alert): QtMultimedia's ``QSoundEffect`` would bring Qt6Multimedia and its FFmpeg libraries into a
    per-location build already at 285 MB of its 300 MB bound (``packaging/build.py`` drops Qt6Multimedia).

    Signals:
        show_requested(): the icon was clicked or Show console chosen.
        quit_requested(): Quit was chosen in the tray menu.
    """

    show_requested = Signal()
    quit_requested = Signal()
    beep = staticmethod(QApplication.beep)  # the platform's alert sound
    flash = staticmethod(QApplication.alert)  # the taskbar entry flashes until the window is looked at

    def __init__(self, window: QWidget, icon: QIcon, *, available: bool | None = None,
                 chime: Callable[[], bool] = lambda: False):
        super().__init__(window)
        self.window = window
        self.chime = chime
        self.icon = icon
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self.waiting = 0
        self.announced: set[int] = set()
        self.tray = QSystemTrayIcon(icon, self)
        menu = QMenu(window)
        menu.addAction("Show console", self.show_requested.emit)
        menu.addSeparator()
        menu.addAction("Quit", self.quit_requested.emit)
        self.menu = menu
        self.tray.setContextMenu(menu)
        self.tray.activated.connect(self._activated)
        self.set_waiting(0)
        if self.available:
            self.tray.show()

    def set_waiting(self, count: int) -> None:
        self.waiting = count
        self.tray.setToolTip(f"Receptionist Console — {count} call{'s' if count != 1 else ''} waiting"
                             if count else "Receptionist Console — no calls waiting")
        self.tray.setIcon(badged(self.icon, count) if count else self.icon)

    def announce(self, call_row_id: int, title: str, text: str) -> bool:
        """A call that needs a person: a tray message, a taskbar alert and (when ``chime()``) a sound, once per
        call. False when it was announced before."""
        if call_row_id in self.announced:
            return False
        self.announced.add(call_row_id)
        if self.available and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        self.flash(self.window)
        if self.chime():
            self.beep()
        return True

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()


def call_actions(window: QWidget, menu: QMenu, detail, list_view: QWidget,
                 sync_now: Callable[[], None]) -> tuple[QAction, QAction, QAction, QAction, QAction]:
    """Approve (Ctrl+Enter), Reject (Ctrl+Shift+R), Needs a callback (Ctrl+Shift+C), Back to the call list (Esc) and
    Sync now (F5): in the menu, and on the window so that each works wherever the focus is. ``detail`` is the review
    pane."""
    approve = QAction("&Approve…", window)
    approve.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
    approve.triggered.connect(lambda: detail.approve())
    reject = QAction("&Reject…", window)
    reject.setShortcut(QKeySequence(detail.REJECT_KEYS))
    reject.triggered.connect(lambda: detail.reject())
    callback = QAction("Needs a &callback…", window)
    callback.setShortcut(QKeySequence(detail.CALLBACK_KEYS))
    callback.triggered.connect(lambda: detail.needs_callback())
    back = QAction("Back to the call &list", window)
    back.setShortcut(QKeySequence(Qt.Key.Key_Escape))
    back.triggered.connect(lambda: list_view.setFocus(Qt.FocusReason.ShortcutFocusReason))
    sync = QAction("&Sync now", window)
    sync.setShortcut(QKeySequence(Qt.Key.Key_F5))
    sync.triggered.connect(lambda: sync_now())
    for action in (approve, reject, callback, back, sync):
        menu.addAction(action)
        window.addAction(action)
    return approve, reject, callback, back, sync


def call_notice(call: CallRecord, zone: ZoneInfo) -> tuple[str, str]:
    """The tray message's title and text for a new call: who, what, when (no internal ids)."""
    p = call.proposal
    who = (p.caller_name if p else call.caller_name) or "Unknown caller"
    what = call.intent.label if call.intent is not Intent.BOOK else (p.service if p else None) or "booking"
    when = f", {format_datetime(p.start, zone)}" if p is not None and p.start is not None else ""
    return f"New call: {who}", f"{what}{when} — waiting for review"


def quit_question(waiting: int, parent: QWidget) -> QMessageBox:
    """Quit anyway / Keep running, with calls waiting (not shown yet: ``open()`` it)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Quit Receptionist Console?",
                      f"{waiting} call{'s' if waiting != 1 else ''} waiting for review.", parent=parent)
    box.setInformativeText("Quitting stops the webhook receiver: the AI platform's calls are not received on this "
                           "desk until the console runs again.")
    box.addButton("Quit anyway", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    return box


def badged(icon: QIcon, count: int, size: int = 64) -> QIcon:
    """The icon with the count in a red disc at its top right ("99+" past 99)."""
    pixmap = icon.pixmap(size, size)
    if pixmap.isNull():
        pixmap = QPixmap(size, size)
        pixmap.fill(QColor("#2563eb"))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    disc = QRect(size * 2 // 5, 0, size * 3 // 5, size * 3 // 5)
    painter.setBrush(QColor("#dc2626"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(disc)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(size // 4 if count < 100 else size // 6)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, str(count) if count < 100 else "99+")
    painter.end()
    return QIcon(pixmap)


class WindowPlacement:
    """The window's size, position and splitters, kept in ``<data>/window.ini`` per location; a window always opens
    inside the screen's available area (a 1366×768 desk sees its status bar)."""

    def __init__(self, location: str, path: str | None = None):
        self.settings = QSettings(path or str(data_dir() / "window.ini"), QSettings.Format.IniFormat)
        self.group = f"location-{_key(location)}"

    def restore(self, window: QWidget, splitters: dict[str, QSplitter], default: tuple[int, int]) -> None:
        s = self.settings
        s.beginGroup(self.group)
        try:
            geometry = s.value("geometry")
            if isinstance(geometry, QByteArray) and not geometry.isEmpty():
                window.restoreGeometry(geometry)
                # a size saved on a smaller screen (or before the window needed more) would clip its contents
                least = window.minimumSizeHint()
                if window.width() < least.width() or window.height() < least.height():
                    window.resize(max(window.width(), least.width()), max(window.height(), least.height()))
            else:  # the first start: most of a big screen, at least ``default`` (then fitted to a small one)
                screen = window.screen() or QGuiApplication.primaryScreen()
                room = screen.availableGeometry() if screen is not None else QRect(0, 0, *default)
                window.resize(max(default[0], room.width() * 85 // 100), max(default[1], room.height() * 9 // 10))
            for name, splitter in splitters.items():
                state = s.value(f"splitter/{name}")
                if isinstance(state, QByteArray) and not state.isEmpty():
                    splitter.restoreState(state)
        finally:
            s.endGroup()
        fit_to_screen(window)

    def save(self, window: QWidget, splitters: dict[str, QSplitter]) -> None:
        s = self.settings
        s.beginGroup(self.group)
        s.setValue("geometry", window.saveGeometry())
        for name, splitter in splitters.items():
            s.setValue(f"splitter/{name}", splitter.saveState())
        s.endGroup()
        s.sync()


def fit_to_screen(window: QWidget) -> None:
    """Shrink and move the window (its frame) into the available area of the screen it is on."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    frame = window.frameGeometry()
    x, y, width, height = fitted(frame, window.width(), window.height(), screen.availableGeometry())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    window.move(x, y)


def fitted(frame: QRect, width: int, height: int, room: QRect) -> tuple[int, int, int, int]:
    """Where the frame goes and the size the window takes so that its frame (title bar and borders around
    ``width`` × ``height``) lies inside ``room``: (frame x, frame y, width, height)."""
    extra_w, extra_h = frame.width() - width, frame.height() - height
    width = min(width, room.width() - extra_w)
    height = min(height, room.height() - extra_h)
    x = min(max(frame.x(), room.x()), room.x() + room.width() - width - extra_w)
    y = min(max(frame.y(), room.y()), room.y() + room.height() - height - extra_h)
    return x, y, width, height


class EnterPresses(QObject):
    """Enter (and Return) press the focused push button anywhere in the window, as Space does — outside a dialog a
    QPushButton ignores Enter. Installed on the application; dialogs keep their own default-button rule."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(watched, QPushButton)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers()
                and not isinstance(watched.window(), QDialog) and watched.isEnabled()):
            watched.click()
            return True
        return False


class SingleInstance(QObject):
    """One console per location on this computer: the first start listens on a local socket named after the
    location and its data folder; a second start finds it, asks it to come forward, and exits.

    Signals:
        raise_requested(): another start of this location's console asked this one to come forward.
    """

    raise_requested = Signal()

    def __init__(self, location: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = f"receptionist-console-{_key(location + '|' + str(data_dir()))}"
        self.server: QLocalServer | None = None

    def forward_to_running(self, timeout_ms: int = 500) -> bool:
        """True when a console of this location already runs (it was asked to come forward)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(b"raise\n")
        socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # a crashed console's stale socket file
            if not server.listen(self.name):
                return False
        server.newConnection.connect(self._connected)
        self.server = server
        return True

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def _connected(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
            connection.disconnected.connect(connection.deleteLater)
            self.raise_requested.emit()


def bring_forward(window: QWidget) -> None:
    """Show the window (from the tray, or minimised) and bring it to the front."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = ["DeskTray", "EnterPresses", "SingleInstance", "WindowPlacement", "badged", "bring_forward",
           "call_actions", "call_notice", "fit_to_screen", "fitted", "quit_question"]
