"""The events of a calendar's last window listing, kept so that listing it again parses only what changed."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from receptionist.domain.ports import RemoteEvent


class Relisting:
    """Per calendar, the events of its last window listing by remote id, each with the version it was listed at
    (its etag, and whatever else its parsing depended on). An event listed again at the same version is the event
    parsed then: a service changes an event's etag with any change to it, and reconciliation already trusts that
    (``RemoteCache.replace_window`` writes only what was listed with another etag), so a reconciliation that
    finds nothing changed parses nothing again. An event without an etag is always parsed."""

    def __init__(self) -> None:
        self._last: dict[str, dict[str, tuple[Hashable, RemoteEvent]]] = {}

    def read(self, calendar_id: str, items: Iterable[tuple[str, Hashable, Any]],
             parse: Callable[[Any], RemoteEvent]) -> list[RemoteEvent]:
        """``items``: (remote id, version, what ``parse`` reads) of each listed event, in the listing's order;
        a falsy version is never reused. Returns the listing's events, each remote id once."""
        before = self._last.get(calendar_id, {})
        listed: dict[str, tuple[Hashable, RemoteEvent]] = {}
        for remote_id, version, item in items:
            known = before.get(remote_id)
            if known is None or not version or known[0] != version:
                known = (version, parse(item))
            listed[remote_id] = known
        self._last[calendar_id] = listed
        return [event for _, event in listed.values()]
