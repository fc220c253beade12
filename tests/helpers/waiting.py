"""Waiting in tests for work done on another thread or process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 15.0, every: float = 0.02) -> T:
    """``predicate()``'s first truthy answer within ``timeout`` seconds; an AssertionError if none came."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {getattr(predicate, '__name__', predicate)}")
        pause.wait(every)
