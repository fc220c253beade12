"""Error families.

``UserError`` is something the person at the desk (or the installer) can fix: it is shown as a sentence, never
as a traceback.  ``ProviderError`` and its subclasses describe what a remote service (or its sandbox stand-in)
answered, in terms the sync engine can act on: retry later, refresh credentials, re-read and resolve a conflict,
start a full resync.  Anything else that escapes is a bug.

``EnvironmentProblem`` (a ``UserError``) is the environment failing under us: the disk is full, the database file
is not a database or is damaged or read-only, the database server cannot be reached, the OS keyring is missing,
the profile cannot be read.  After qutebrowser's ``KnownError`` vs ``BugError`` (``qutebrowser/misc/sql.py``),
:func:`environment_problem` is the one place that decides which low-level errors are such problems and words the
sentence; everything it does not recognise stays an exception, i.e. a bug with a crash report.  The command line
prints the sentence and exits 2; the window shows it as a problem of this computer, not as a crash.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class UserError(Exception):
    """A problem the user can fix (bad profile, newer database, missing sign-in). Shown without traceback."""


class EnvironmentProblem(UserError):
    """The machine, not the program, failed: one sentence saying what happened and what to do."""

    #: short title for the window ("Disk full", "Database damaged", ...)
    title = "Problem on this computer"


class DiskFull(EnvironmentProblem):
    title = "Disk full"


class DatabaseUnusable(EnvironmentProblem):
    """Not a database, damaged (malformed), or cannot be opened at all."""

    title = "Database cannot be used"


class DatabaseReadOnly(EnvironmentProblem):
    title = "Database is read-only"


class DatabaseUnreachable(EnvironmentProblem):
    title = "Database server unreachable"


class KeyringUnavailable(EnvironmentProblem):
    title = "No OS keyring"


class ProfileUnreadable(EnvironmentProblem):
    title = "Profile cannot be read"


class NoProfile(UserError):
    """No location profile was found anywhere it is looked for."""


DISK_FULL = "the disk is full: free space, nothing was lost"


def environment_problem(exc: BaseException, *, what: str = "the database",
                        path: str | None = None) -> EnvironmentProblem | None:
    """The EnvironmentProblem ``exc`` stands for, or None when it is not one (then it is a bug or a UserError).

    ``exc`` is a DBAPI error (sqlite3, psycopg) or an OSError; ``what`` names the file or server in the sentence;
    ``path`` (a SQLite file) lets a read-only drive be told from a file without write permission.
    """
    if isinstance(exc, EnvironmentProblem):
        return exc
    if isinstance(exc, OSError) and not isinstance(exc, (ConnectionError, TimeoutError)):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return DiskFull(f"{DISK_FULL} ({what} could not be written)")
        if exc.errno == errno.EROFS:
            return DatabaseReadOnly(f"{what} is on a read-only drive: move it to a writable folder")
        return None
    if isinstance(exc, sqlite3.Error):
        return _sqlite_problem(exc, what, path)
    if type(exc).__module__.split(".")[0] == "psycopg":
        return _postgres_problem(exc, what)
    return None


def _on_read_only_drive(path: str | None) -> bool:
    if not path or not hasattr(os, "statvfs"):
        return False
    folder = os.path.dirname(os.path.abspath(path)) or "."
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _sqlite_problem(exc: sqlite3.Error, what: str, path: str | None = None) -> EnvironmentProblem | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return DiskFull(DISK_FULL)
    if name.startswith("SQLITE_NOTADB") or "file is not a database" in text:
        return DatabaseUnusable(f"{what} is not a Receptionist Console database (it holds something else): "
                                "point --db at the right file, or move this one away to start a new database")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return DatabaseUnusable(f"{what} is damaged (malformed): restore it from a backup, or move it away to "
                                "start a new database; the damaged file is kept as it is")
    read_only = name.startswith("SQLITE_READONLY") or "readonly database" in text or "read-only" in text
    if (read_only or name.startswith("SQLITE_CANTOPEN")) and _on_read_only_drive(path):
        return DatabaseReadOnly(f"{what} is on a read-only drive: move it to a writable folder and point --db "
                                "at it (nothing was changed)")
    if read_only:
        return DatabaseReadOnly(f"{what} is read-only: give this user write permission on the file and its "
                                "folder (nothing was changed)")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        return DatabaseUnusable(f"{what} cannot be opened: check that its folder exists and this user may "
                                "write there")
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return DatabaseUnusable(f"{what} could not be read or written (disk I/O error): check the drive; "
                                "nothing stored was changed by the failed write")
    return None


def _postgres_problem(exc: BaseException, what: str) -> EnvironmentProblem | None:
    kind = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else kind
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if sqlstate == "53100":  # disk_full
        return DiskFull(f"{DISK_FULL} (on the database server)")
    if kind == "OperationalError" and (not sqlstate or sqlstate.startswith("08")):
        return DatabaseUnreachable(f"cannot reach {what} ({text}): check that the database server is running and "
                                   "this PC can reach it on the network, then start again")
    if sqlstate == "28P01" or sqlstate == "28000":
        return DatabaseUnreachable(f"{what} refused the sign-in ({text}): check the user and password in the "
                                   "database URL")
    return None


# --- a small bridge: deep code reports environment problems; the window (if any) listens -------------------------

_listeners: list[Callable[[EnvironmentProblem], None]] = []
_lock = threading.Lock()


def on_environment_problem(callback: Callable[[EnvironmentProblem], None]) -> Callable[[], None]:
    """Call ``callback(problem)`` (from any thread) for each problem reported; returns a function that stops it."""
    with _lock:
        _listeners.append(callback)

    def remove() -> None:
        with _lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return remove


def report(problem: EnvironmentProblem) -> EnvironmentProblem:
    """Tell the listeners (the window's banner) about ``problem``; returns it, to be raised."""
    log.warning("%s", problem, extra={"to_screen": False})  # the caller prints or shows the sentence
    with _lock:
        listeners = list(_listeners)
    for callback in listeners:
        try:
            callback(problem)
        except Exception:  # a listener's bug must not hide the problem itself
            log.exception("environment problem listener failed")
    return problem


class ProviderError(Exception):
    """A remote calendar/messaging service refused or failed a request.

    Attributes:
        retryable: whether trying the same request later may succeed.
        retry_after: seconds the service asked us to wait (``Retry-After``), if it said.
        status: the HTTP status, if there was one.
    """

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class TransientError(ProviderError):
    """5xx, timeouts, dropped connections: try again with backoff."""

    retryable = True


class Unreachable(TransientError):
    """No answer at all (no network, DNS, connection refused): waited out, never counted as a failed attempt."""


class Dropped(TransientError):
    """A connection was made and the server closed it before answering: retried soon (not waited out as no
    network); the retry checks whether a write landed."""


class RateLimited(TransientError):
    """429 (or Google's 403 rateLimitExceeded): wait ``retry_after`` seconds if given."""


class AuthError(ProviderError):
    """Credentials were refused even after a refresh: the account must be connected again."""


class NotFound(ProviderError):
    """The remote object does not exist (404) or was deleted (410 on an event)."""


class ConflictError(ProviderError):
    """412 Precondition Failed: the remote object changed since the etag we hold."""


class CursorExpired(ProviderError):
    """410 Gone on a sync token / delta link: the caller must drop its cursor and do a full read."""


class Unsupported(ProviderError):
    """The service refused this kind of request for this calendar (a free/busy query it does not answer there, a
    permission the sign-in lacks): the caller reads the same thing another way."""


def plain(exc: BaseException) -> str:
    """An error as a sentence for the badge: the provider's message, or for a bug its type and message."""
    if isinstance(exc, ProviderError):
        return str(exc) or type(exc).__name__
    return f"something unexpected went wrong ({type(exc).__name__}); the log has the details"
