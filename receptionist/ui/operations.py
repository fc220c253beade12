"""The window's work off the GUI thread: :class:`QueryRunner` for reads, :class:`OperationRunner` for writes.

The GUI thread never waits on the database or the network: it hands a runner a function, and the result (or the
exception) comes back by a queued signal to a callback on the GUI thread.

Reads
-----

After Anki's ``QueryOp``: a view hands :meth:`QueryRunner.run` a read function (service calls that return plain
records, no widgets), a success callback and optionally a failure callback. The read runs on the runner's own
``QThreadPool``; its result or exception comes back by a queued signal and the callback runs on the runner's
thread (the GUI thread), so the window keeps painting while the database works.

Each request names the view it is for. A newer request for the same view supersedes the older ones: their results
are dropped (and their reads skipped if they have not started), so a slow read of last week never overwrites the
week now on screen.

Writes
------
After Anki's ``CollectionOp``, but one runner for the whole window rather than an object per call: a view hands
:meth:`OperationRunner.run` a title ("Cannot approve"), the write (capability calls only), and what to do with its
result. While it runs, the button that asked is disabled, the pointer is busy and ``progressed`` carries a sentence
for the status bar. A ``UserError`` is shown in one place, one sentence with the same look everywhere
(:func:`user_sentence`): in the dialog's own error label when the view passes one (nothing typed is lost to a
message box), else in a message box (:func:`show_user_error`). Any other exception is a bug for the crash handler.
Nothing is refreshed by hand: each capability announces what it changed on the event bus, and the window's views
refresh from there.
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThreadPool, Qt, Signal, Slot
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from receptionist.errors import UserError
from receptionist.ui.models import FIELD_LABELS

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Outcome:
    ticket: int
    value: Any = None
    error: BaseException | None = None
    skipped: bool = False


@dataclass(frozen=True)
class _Request:
    view: str
    success: Callable[[Any], None]
    failure: Callable[[Exception], None] | None


def _outcome_of(ticket: int, work: Callable[[], Any]) -> "_Outcome":
    """``work()``'s value or exception (handed to the GUI thread, which decides what to do with it)."""
    try:
        return _Outcome(ticket, value=work())
    except BaseException as exc:  # noqa: BLE001
        return _Outcome(ticket, error=exc)


def _tell(finished: Signal, outcome: "_Outcome") -> None:
    """Queue ``outcome`` to the runner's thread, from a pool thread."""
    try:
        finished.emit(outcome)
    except RuntimeError:  # the runner is gone (the window closed while this ran): nobody to tell
        pass


class _PoolRunner(QObject):
    """What both runners share: a thread pool of their own, tickets, and outcomes queued back to the runner's thread,
    where each runner's own ``_deliver`` takes them."""

    _finished = Signal(object)  # an _Outcome, emitted on a worker thread, queued into the runner's thread

    def __init__(self, parent: QObject | None, max_threads: int):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._tickets = itertools.count(1)
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def wait_for_done(self, msecs: int = -1) -> bool:
        """Block until the running work ends (at shutdown, before the store closes); its outcomes still queue."""
        return self._pool.waitForDone(msecs)


class QueryRunner(_PoolRunner):
    """Runs the window's reads on a thread pool and delivers each result on the runner's thread.

    ``failure`` gets an ``Exception`` raised by the read; without one, the exception goes to ``sys.excepthook``
    (the console's crash handler: a UserError becomes a message, anything else a bug report). A BaseException
    that is not an Exception (KeyboardInterrupt) is re-raised on the GUI thread.
    """

    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent, max_threads)
        self._latest: dict[str, int] = {}  # view → its newest ticket (read by workers: one dict lookup, GIL-safe)
        self._requests: dict[int, _Request] = {}

    def run(self, view: str, read: Callable[[], T], success: Callable[[T], None],
            failure: Callable[[Exception], None] | None = None) -> int:
        """Start ``read()`` on a worker; returns the request's ticket. Supersedes earlier requests for ``view``."""
        ticket = next(self._tickets)
        self._latest[view] = ticket
        self._requests[ticket] = _Request(view, success, failure)
        self._pool.start(lambda: self._work(view, ticket, read))
        return ticket

    def forget(self, view: str) -> None:
        """Drop what is still coming for ``view`` (a dialog that closed while its read ran)."""
        self._latest.pop(view, None)

    def is_current(self, view: str, ticket: int) -> bool:
        """Whether ``ticket`` is still the newest request for ``view``."""
        return self._latest.get(view) == ticket

    @property
    def busy(self) -> bool:
        """Some request has not been delivered (or dropped) yet."""
        return bool(self._requests)

    def _work(self, view: str, ticket: int, read: Callable[[], Any]) -> None:
        """Runs on a pool thread."""
        superseded = not self.is_current(view, ticket)
        _tell(self._finished, _Outcome(ticket, skipped=True) if superseded else _outcome_of(ticket, read))

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        request = self._requests.pop(outcome.ticket)
        if outcome.skipped or not self.is_current(request.view, outcome.ticket):
            log.debug("dropped a superseded %s read", request.view)
            return
        error = outcome.error
        if error is None:
            request.success(outcome.value)
        elif not isinstance(error, Exception):
            raise error
        elif request.failure is not None:
            request.failure(error)
        else:
            sys.excepthook(type(error), error, error.__traceback__)


def user_sentence(exc: Exception) -> str:
    """A UserError as a sentence: capital first letter, full stop."""
    text = str(exc).strip() or "That did not work."
    for key, label in FIELD_LABELS.items():  # the capabilities name fields by key ("requested_start: …")
        text = text.replace(f"{key}: ", f"{label.lower()}: ")
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def show_user_error(parent: QWidget | None, title: str, sentence: str) -> None:
    """How a write's UserError looks when no dialog shows it inline: a warning with the sentence."""
    QMessageBox.warning(parent, title, sentence)


def show_inline_error(label: QLabel, sentence: str) -> None:
    """How a write's UserError looks inside the dialog that asked for it."""
    label.setText(sentence)
    label.show()


@dataclass(frozen=True)
class _Operation:
    title: str
    success: Callable[[Any], None] | None
    failure: Callable[[str], None] | None
    trigger: QWidget | None
    was_enabled: bool
    error_label: QLabel | None


class OperationRunner(_PoolRunner):
    """Runs the window's writes on a thread pool, one call each, and handles their outcome on the runner's thread.

    ``run(title, write, ...)``: ``write()`` runs on a worker. Its result goes to ``success``. A ``UserError`` becomes
    one sentence, shown in ``error_label`` (a dialog's inline label) when given, else by :func:`show_user_error`
    with ``title``; ``failure(sentence)`` then lets the view undo what it showed while the write ran. Another
    exception goes to ``sys.excepthook`` (the crash handler). ``trigger`` (the button that asked) is disabled until
    the write ends; the pointer is busy while any write runs, and ``progressed`` says what is being done ("" when
    nothing is). Two workers: a sign-in waiting on a browser does not hold up the other writes.

    Signals:
        progressed(str): a sentence for the status bar while writes run; "" once they are all done.
    """

    progressed = Signal(str)
    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent, max_threads)
        self._running: dict[int, _Operation] = {}

    def run(self, title: str, write: Callable[[], T], *, success: Callable[[T], None] | None = None,
            failure: Callable[[str], None] | None = None, trigger: QWidget | None = None,
            error_label: QLabel | None = None, progress: str = "Saving…") -> int:
        """Start ``write()`` on a worker; returns the operation's ticket."""
        ticket = next(self._tickets)
        was_enabled = trigger is not None and trigger.isEnabled()
        if trigger is not None:
            trigger.setEnabled(False)
        if error_label is not None:
            error_label.hide()
        if not self._running:
            QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BusyCursor))
        self._running[ticket] = _Operation(title, success, failure, trigger, was_enabled, error_label)
        self.progressed.emit(progress)
        self._pool.start(lambda: self._work(ticket, write))
        return ticket

    @property
    def busy(self) -> bool:
        """Some write has not been handled yet."""
        return bool(self._running)

    def _work(self, ticket: int, write: Callable[[], Any]) -> None:
        """Runs on a pool thread."""
        _tell(self._finished, _outcome_of(ticket, write))

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        op = self._running.pop(outcome.ticket)
        if not self._running:
            QApplication.restoreOverrideCursor()
            self.progressed.emit("")
        if op.trigger is not None and op.was_enabled:
            op.trigger.setEnabled(True)
        error = outcome.error
        if error is None:
            if op.success is not None:
                op.success(outcome.value)
        elif isinstance(error, UserError):
            sentence = user_sentence(error)
            if op.error_label is not None:
                show_inline_error(op.error_label, sentence)
            else:
                show_user_error(_window_of(self), op.title, sentence)
            if op.failure is not None:
                op.failure(sentence)
        elif isinstance(error, Exception):
            sys.excepthook(type(error), error, error.__traceback__)
        else:
            raise error


def _window_of(runner: QObject) -> QWidget | None:
    parent = runner.parent()
    return parent.window() if isinstance(parent, QWidget) else None


__all__ = ["OperationRunner", "QueryRunner", "show_inline_error", "show_user_error", "user_sentence"]
