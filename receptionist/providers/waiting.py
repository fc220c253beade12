"""Waiting for a person to finish signing in, with a way out: Cancel in the window sets ``stop``."""

from __future__ import annotations

import threading
import time

STEP = 0.1  # how soon a Cancel is noticed, in seconds


def wait_for(done: threading.Event, timeout: float, stop: threading.Event | None = None) -> bool:
    """Whether ``done`` was set within ``timeout`` seconds; False as soon as ``stop`` is set."""
    deadline = time.monotonic() + timeout
    while not done.is_set():
        left = deadline - time.monotonic()
        if left <= 0 or (stop is not None and stop.is_set()):
            return False
        done.wait(min(left, STEP) if stop is not None else left)
    return True


def cancelled(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()
