"""What a calendar provider remembers across restarts beyond the engine's cursor (``ProviderMemory``): one text
document per scope (CalDAV: per calendar URL), written whole."""

from __future__ import annotations

from receptionist.store import tables as t
from receptionist.store.base import Room


class ProviderMemoryStore(Room):
    """``ProviderMemory`` on the ``provider_memory`` table."""

    def recall(self, scope: str) -> str | None:
        with self.session() as s:
            row = s.get(t.ProviderMemory, scope)
            return row.value if row else None

    def keep(self, scope: str, value: str) -> None:
        with self.session() as s:
            s.merge(t.ProviderMemory(scope=scope, value=value))
            s.commit()
