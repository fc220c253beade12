"""Error families.

``UserError`` is something the person at the desk (or the installer) can fix: it is shown as a sentence, never
as a traceback.  ``ProviderError`` and its subclasses describe what a remote service (or its sandbox stand-in)
answered, in terms the sync engine can act on: retry later, refresh credentials, re-read and resolve a conflict,
start a full resync.  Anything else that escapes is a bug.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad profile, newer database, missing sign-in). Shown without traceback."""


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


class ValidationFailed(ProviderError):
    """A write returned success but reading it back shows something else (write-back validation)."""
