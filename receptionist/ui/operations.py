"""Reads on a worker thread, results on the GUI thread: how the window asks for anything that grows with the data.

After Anki's ``QueryOp``: a view hands :meth:`QueryRunner.run` a read function (service calls that return plain
records, no widgets), a success callback and optionally a failure callback. The read runs on the runner's own
``QThreadPool``; its result or exception comes back by a queued signal and the callback runs on the runner's
thread (the GUI thread), so the window keeps painting while the database works.

Each request names the view it is for. A newer request for the same view supersedes the older ones: their results
are dropped (and their reads skipped if they have not started), so a slow read of last week never overwrites the
week now on screen.
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThreadPool, Qt, Signal, Slot

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


class QueryRunner(QObject):
    """Runs the window's reads on a thread pool and delivers each result on the runner's thread.

    ``failure`` gets an ``Exception`` raised by the read; without one, the exception goes to ``sys.excepthook``
    (the console's crash handler: a UserError becomes a message, anything else a bug report). A BaseException
    that is not an Exception (KeyboardInterrupt) is re-raised on the GUI thread.
    """

    _finished = Signal(object)  # an _Outcome, emitted on a worker thread, queued into the runner's thread

    def __init__(self, parent: QObject | None = None, max_threads: int = 2):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._tickets = itertools.count(1)
        self._latest: dict[str, int] = {}  # view → its newest ticket (read by workers: one dict lookup, GIL-safe)
        self._requests: dict[int, _Request] = {}
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(self, view: str, read: Callable[[], T], success: Callable[[T], None],
            failure: Callable[[Exception], None] | None = None) -> int:
        """Start ``read()`` on a worker; returns the request's ticket. Supersedes earlier requests for ``view``."""
        ticket = next(self._tickets)
        self._latest[view] = ticket
        self._requests[ticket] = _Request(view, success, failure)
        self._pool.start(lambda: self._work(view, ticket, read))
        return ticket

    def is_current(self, view: str, ticket: int) -> bool:
        """Whether ``ticket`` is still the newest request for ``view``."""
        return self._latest.get(view) == ticket

    @property
    def busy(self) -> bool:
        """Some request has not been delivered (or dropped) yet."""
        return bool(self._requests)

    def wait_for_done(self, msecs: int = -1) -> bool:
        """Block until the running reads end (at shutdown, before the store closes). Their results still queue."""
        return self._pool.waitForDone(msecs)

    def _work(self, view: str, ticket: int, read: Callable[[], Any]) -> None:
        """Runs on a pool thread."""
        if not self.is_current(view, ticket):
            outcome = _Outcome(ticket, skipped=True)
        else:
            try:
                outcome = _Outcome(ticket, value=read())
            except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread, which decides
                outcome = _Outcome(ticket, error=exc)
        try:
            self._finished.emit(outcome)
        except RuntimeError:  # the runner is gone (window closed while this read ran): nobody to tell
            pass

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


__all__ = ["QueryRunner"]
