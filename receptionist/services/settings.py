"""File → Settings applied to the running desk: what changed takes effect at once where the desk's parts can re-read
it, and the rest is said to wait for the next start (``Applied``). The work is the composition root's (``App`` knows
the receiver, the sync engine and how calendars are built); this capability hands the window a way to ask for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from receptionist.config import Profile


@dataclass(frozen=True)
class Applied:
    """What a saved profile changed on the running desk: ``live`` took effect now, ``at_restart`` waits for the
    next start (each a sentence for the status bar)."""

    live: tuple[str, ...] = ()
    at_restart: tuple[str, ...] = ()

    def sentence(self) -> str:
        said = " ".join(self.live + self.at_restart)
        return said or "Nothing the desk uses changed."


class DeskSettings:
    """``apply(profile)``: take a saved profile into the running desk (blocks: a receiver rebinding, calendars
    re-read from the keyring; the window runs it on a worker)."""

    def __init__(self, reconfigure: Callable[[Profile], Applied] | None = None):
        self._reconfigure = reconfigure

    def apply(self, profile: Profile) -> Applied:
        if self._reconfigure is None:  # a desk without the App's parts (a test desk, the command line)
            return Applied(at_restart=("The new settings apply when the console starts again.",))
        return self._reconfigure(profile)


__all__ = ["Applied", "DeskSettings"]
