"""Fault injection for the stand-ins: make the next N matching requests fail the way the real service does.

A rule matches on HTTP method and a regular expression over the path.  Faults are answered before the stand-in
looks at the request, so the stored state is untouched, except ``drop_after_store``, which lets the request be
processed and then drops the connection (a write the server stored but whose answer the client never saw), and
``close_connection``, which closes the connection without an answer (before processing the request, or after it
with ``drop_after_store``): the client sees the server hang up (``RemoteDisconnected``), not an HTTP error.

Usage::

    sandbox.google.faults.add(Fault(status=429, retry_after=2), method="POST", path=r"/events$", times=1)
    sandbox.google.faults.add(Fault(status=503), times=3)
    sandbox.google.faults.add(Fault(delay=30))          # a timeout, as the client sees it

The same rules can be set over HTTP (``POST /_sandbox/faults`` with a JSON body of ``Fault`` fields plus
``method``, ``path``, ``times``), so a test in another process or a person at the demo can break things.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field

from werkzeug.wrappers import Request, Response


@dataclass
class Fault:
    status: int = 503
    retry_after: float | None = None
    delay: float = 0.0  # seconds to sleep before answering (long delay = client timeout)
    body: dict | None = None  # JSON error body; None = the stand-in's own error shape for that status
    drop_after_store: bool = False  # process the request, then answer 503 with no body (lost answer)
    close_connection: bool = False  # close the connection without answering (after storing, with drop_after_store)


@dataclass
class _Rule:
    fault: Fault
    method: str | None
    path: re.Pattern[str] | None
    remaining: int | None  # None = forever
    hits: int = 0


@dataclass
class FaultInjector:
    """Thread-safe list of fault rules, consulted by a stand-in for every request."""

    _rules: list[_Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault, *, method: str | None = None, path: str | None = None, times: int | None = 1) -> None:
        with self._lock:
            self._rules.append(
                _Rule(fault, method.upper() if method else None, re.compile(path) if path else None, times)
            )

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any rule matches (and count it)."""
        with self._lock:
            for rule in self._rules:
                if rule.method and rule.method != method.upper():
                    continue
                if rule.path and not rule.path.search(path):
                    continue
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule.fault
        return None

    def describe(self) -> list[dict]:
        with self._lock:
            return [
                {**asdict(r.fault), "method": r.method, "path": r.path.pattern if r.path else None,
                 "remaining": r.remaining, "hits": r.hits}
                for r in self._rules
            ]

    def handle_control(self, request: Request) -> Response | None:
        """Serve ``/_sandbox/faults`` (GET lists, POST adds, DELETE clears); None for other paths."""
        if request.path != "/_sandbox/faults":
            return None
        if request.method == "POST":
            spec = request.get_json(force=True)
            method, path, times = spec.pop("method", None), spec.pop("path", None), spec.pop("times", 1)
            self.add(Fault(**spec), method=method, path=path, times=times)
        elif request.method == "DELETE":
            self.clear()
        return Response(json.dumps(self.describe()), content_type="application/json")


class CloseConnection(Exception):
    """Raised by a stand-in's dispatch: the server closes this one connection without an answer
    (``StandIn.__call__``), as a real server or a proxy in between sometimes does."""


def before_request(fault: Fault | None) -> None:
    """A fault that closes the connection before the request is processed does so here."""
    if fault is not None and fault.close_connection and not fault.drop_after_store:
        raise CloseConnection()


def after_request(fault: Fault | None) -> None:
    """A fault that closes the connection after the request was processed (stored) does so here."""
    if fault is not None and fault.close_connection and fault.drop_after_store:
        raise CloseConnection()


def apply_delay(fault: Fault) -> None:
    if fault.delay:
        time.sleep(fault.delay)

