"""Reminders, planned from the store: each sync cycle (APScheduler, on the leader) queues in the SMS outbox the
reminders of the appointments coming up, each for its send time (``available_at``), so they live in the database:
a restart loses none, and the outbox's sending mark sends none twice. The quiet hours hold for every text."""

from __future__ import annotations

from datetime import datetime, timedelta

from receptionist.config import Profile
from receptionist.domain.formatting import format_datetime
from receptionist.domain.reminders import QuietHours, hours_for, reminder_at, reminder_text
from receptionist.store import Store
from receptionist.store.texting import ReminderDue


class ReminderPlanner:
    def __init__(self, store: Store, profile: Profile):
        self.store, self.profile = store, profile
        settings = profile.reminders
        longest = max([settings.hours_before] + [hours_for(part.rpartition(":")[0], 0, settings.service_hours)
                                                 for part in settings.service_hours.split(",") if ":" in part])
        # queued a week ahead of its send time: a desk that is off for days still finds it waiting in the store
        self.horizon = timedelta(hours=longest) + timedelta(days=7)

    def plan(self, due: ReminderDue) -> tuple[datetime, str] | None:
        r, loc = self.profile.reminders, self.profile.location
        at = reminder_at(due.start, hours_for(due.service, r.hours_before, r.service_hours), loc.zone,
                         r.quiet_start_hour, r.quiet_end_hour)
        if at is None:
            return None
        body = reminder_text(r.template, caller=due.caller_name, service=due.service, location=loc.name,
                             when=format_datetime(due.start, loc.zone))
        return at, body

    def queue(self, now: datetime) -> int:
        return self.store.texting.queue_reminders(now, now + self.horizon, self.plan)


def reminder_planner(store: Store, profile: Profile) -> ReminderPlanner | None:
    return ReminderPlanner(store, profile) if profile.reminders.enabled else None


def quiet_hours(profile: Profile) -> QuietHours:
    """The hours no text goes to a caller (``reminders.quiet_start_hour``/``quiet_end_hour``, local): the
    reminders are planned outside them, and the desk's confirmations, changes and cancellations wait for their end
    in the outbox (``OutboxSender``)."""
    r = profile.reminders
    return QuietHours(profile.location.zone, r.quiet_start_hour, r.quiet_end_hour)
