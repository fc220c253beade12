"""A ``Desk`` over a store without the App: the capabilities a test drives, wired the way ``App.assemble`` wires
them, with only the parts a test names."""

from __future__ import annotations

from datetime import datetime, timezone

from receptionist.services import Desk, DeskContext


def make_desk(store, profile, bus, calendars, *, clock=lambda: datetime.now(timezone.utc), engine=None, intake=None,
              sms_enabled: bool = False, is_leader=lambda: False, problems: dict | None = None, webhook=None,
              wake_sync=lambda: None, secrets=None) -> Desk:
    context = DeskContext.of(store, profile, bus, dict(calendars or {}), clock, problems=problems,
                             wake_sync=wake_sync, sms_enabled=sms_enabled, secrets=secrets)
    return Desk(context, engine=engine, intake=intake, webhook=webhook, is_leader=is_leader)
