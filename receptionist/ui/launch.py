"""``run_gui``, which owns the QApplication, the crash dialog and the event loop around the main window, and the
window a console shows when it cannot start."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from receptionist import errors, logs
from receptionist.errors import EnvironmentProblem, UserError
from receptionist.events import EventBus
from receptionist.paths import log_dir
from receptionist.services import Desk
from receptionist.ui import icons
from receptionist.ui.main_window import MainWindow
from receptionist.ui.shell import SingleInstance, bring_forward

if TYPE_CHECKING:
    from receptionist.onboarding import Installation

log = logging.getLogger(__name__)

WINDOW_SIZE = (1440, 900)


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
            problem = exc if isinstance(exc, EnvironmentProblem) else (
                errors.environment_problem(exc) if isinstance(exc, OSError) else None)
            if problem is not None:  # the computer, not the console: a sentence, never the crash dialog
                parent = self.parent()
                if isinstance(parent, MainWindow):
                    parent.show_environment_problem(problem.title, str(problem))
                QMessageBox.warning(parent, f"{problem.title} — a problem on this computer", str(problem))
                return
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
            tail = logs.tail(150)
            box.setDetailedText(report + (f"\n--- the last lines of {logs.log_file()} ---\n{tail}" if tail else ""))
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            box.exec()
        finally:
            self._showing = False


def show_startup_problem(exc: UserError) -> None:
    """The console cannot start (no database, a broken profile, ...): say why in a window — a windowed build has
    no terminal to print to."""
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setWindowIcon(icons.app_icon())
    title = exc.title if isinstance(exc, EnvironmentProblem) else "Receptionist Console cannot start"
    box = QMessageBox(QMessageBox.Icon.Warning, f"{title} — Receptionist Console", str(exc))
    box.setInformativeText(f"Nothing was changed. The log is in {log_dir()}.")
    if os_offscreen():
        return  # tests and unattended runs: the sentence is printed and logged as well
    box.exec()


def os_offscreen() -> bool:
    return QApplication.platformName() in ("offscreen", "minimal")


def run_gui(desk: Desk, bus: EventBus, *, argv: list[str] | None = None,
            demo_banner: str | None = None, on_ready: Callable[[MainWindow], None] | None = None, quit_after: float | None = None,
            screenshot: str | None = None, installation: "Installation | None" = None,
            settings_target: Path | None = None) -> int:
    """Show the console on ``service`` and ``bus`` and run the Qt event loop until the window closes; returns the
    exit code.

    The caller starts and stops the desk's workers (``App.start()`` before, ``App.stop()`` after). ``on_ready(window)`` runs
    once the event loop is running (e.g. to start a demo call simulator). ``quit_after`` closes the window after
    that many seconds, saving ``screenshot`` (a PNG path) first — for unattended demos and start-up benchmarks.
    """
    qapp = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    qapp.setApplicationName("Receptionist Console")
    qapp.setApplicationDisplayName("Receptionist Console")
    qapp.setWindowIcon(icons.app_icon())
    font = QFont(qapp.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        qapp.setFont(font)
    location = desk.context.profile.location
    instance = SingleInstance(location.id or location.name)
    if instance.forward_to_running():
        log.info("the console of %s already runs here: brought it forward", location.name)
        return 0
    instance.listen()
    window = MainWindow(desk, bus, demo_banner=demo_banner, installation=installation,
                        settings_target=settings_target)
    instance.raise_requested.connect(lambda: bring_forward(window))
    previous = sys.excepthook
    sys.excepthook = CrashHandler(lambda: window, previous)
    try:
        # a 1366×768 laptop sees the whole window (and its status bar), as it was left last time
        window.placement.restore(window, window.named_splitters(), WINDOW_SIZE)
        window.show()
        if on_ready is not None:
            QTimer.singleShot(0, lambda: on_ready(window))
        if quit_after is not None:
            QTimer.singleShot(int(quit_after * 1000), lambda: _close(window, screenshot))
        return qapp.exec()
    finally:
        sys.excepthook = previous
        window.bridge.close()
        instance.close()


def _close(window: MainWindow, screenshot: str | None) -> None:
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(screenshot)
    window.quit_desk(ask=False)


__all__ = ["CrashHandler", "run_gui", "show_startup_problem"]
