"""A person's sync decisions: Retry, Keep ours / Take theirs on a Drift or Conflict, and the answer to the
mass-deletion alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from receptionist import events
from receptionist.domain.bookings import MAX_APPOINTMENT, event_draft
from receptionist.domain.formatting import format_datetime
from receptionist.domain.models import AppointmentRecord, AppointmentStatus, ExternalEventRecord, LinkRecord
from receptionist.domain.sync_plan import EventContent, content_hash, norm_text, remote_event_of
from receptionist.errors import UserError
from receptionist.services.appointments import Appointments, announce_changed
from receptionist.services.context import DeskContext
from receptionist.services.wording import Wording

FIELDS = ("title", "start", "end", "description", "location")  # what a person compares, in this order


@dataclass(frozen=True)
class Discrepancy:
    """Ours and theirs for one Drift/Conflict: rows of (field, ours, theirs, differs)."""

    link: LinkRecord
    appointment: AppointmentRecord
    calendar_label: str
    deleted: bool
    rows: list[tuple[str, str, str, bool]]


def link_json(link: LinkRecord) -> dict:
    return {"link_id": link.id, "state": link.state.value, "remote_id": link.remote_id, "error": link.last_error,
            "attempts": link.attempts,
            "next_attempt_at": link.next_attempt_at.isoformat() if link.next_attempt_at else None,
            "diff": {k: list(v) for k, v in link.diff.items()}, "deleted_remotely": link.deleted_remotely}


class SyncDecisions:
    def __init__(self, ctx: DeskContext, appointments: Appointments, wording: Wording):
        self.ctx, self.appointments, self.wording = ctx, appointments, wording

    def retry(self, link_id: int, actor: str | None = None) -> int:
        ctx = self.ctx
        n = ctx.store.links.retry(ctx.clock(), [link_id], ctx.actor(actor))
        ctx.bus.publish(events.LINK_CHANGED, link_id=link_id)
        ctx.wake_sync()
        return n

    def retry_all_failed(self, actor: str | None = None) -> int:
        ctx = self.ctx
        n = ctx.store.links.retry(ctx.clock(), None, ctx.actor(actor))
        ctx.bus.publish(events.LINK_CHANGED)
        ctx.wake_sync()
        return n

    def link(self, link_id: int) -> LinkRecord:
        link = self.ctx.store.links.get(link_id)
        if link is None:
            raise UserError(f"sync link {link_id} does not exist")
        return link

    def _their_copy(self, link: LinkRecord) -> ExternalEventRecord | None:
        """The calendar's version as last read, or None where the event is gone."""
        if link.deleted_remotely or not link.remote_id:
            return None
        return self.ctx.store.cache.by_remote_id(link.calendar, [link.remote_id]).get(link.remote_id)

    def discrepancy(self, link_id: int) -> Discrepancy:
        """Ours and the calendar's version of one event, field by field (what Keep ours / Take theirs decide)."""
        link = self.link(link_id)
        appt = self.appointments.get(link.appointment_id)
        ours = None if appt.status is AppointmentStatus.CANCELLED else event_draft(appt, self.ctx.template)
        copy = self._their_copy(link)
        theirs = remote_event_of(copy) if copy is not None else None
        differ = set(EventContent.of(ours).diff(EventContent.of(theirs))) if ours and theirs else set(FIELDS)
        zone = self.ctx.rules.zone

        def show(event, name: str, missing: str) -> str:
            if event is None:
                return missing
            value = getattr(event, name)
            return format_datetime(value, zone) if isinstance(value, datetime) else (value or "")

        rows = [(name, show(ours, name, "(cancelled)"), show(theirs, name, "(deleted)"), name in differ)
                for name in FIELDS]
        return Discrepancy(link, appt, self.ctx.label(link.calendar), theirs is None, rows)

    def _needs_decision(self, link_id: int) -> LinkRecord:
        link = self.link(link_id)
        if not link.state.needs_person:
            raise UserError(f"this calendar link is {link.state.label}, not in Drift or Conflict: nothing to decide")
        return link

    def keep_ours(self, link_id: int, actor: str | None = None) -> LinkRecord:
        """Keep our version: the calendar gets it again (re-created if it was deleted there)."""
        ctx = self.ctx
        link = self._needs_decision(link_id)
        copy = self._their_copy(link)
        remote_hash = content_hash(remote_event_of(copy)) if copy is not None else None
        saved = ctx.store.links.keep_ours(link_id, copy.etag if copy else None, remote_hash, ctx.actor(actor),
                                          ctx.clock())
        ctx.bus.publish(events.LINK_CHANGED, link_id=link_id, appointment_id=saved.appointment_id)
        ctx.wake_sync()
        return saved

    def take_theirs(self, link_id: int, *, notify: bool = False, actor: str | None = None) -> AppointmentRecord:
        """Take the calendar's version: our appointment moves/changes to match it, or is cancelled if the event was
        deleted there; the other calendars follow. Optionally the caller is texted about the change."""
        ctx = self.ctx
        link = self._needs_decision(link_id)
        appt = self.appointments.get(link.appointment_id)
        copy = self._their_copy(link)
        if copy is None:
            changes = None
            outbox = self.wording.text("sms.cancel", appt, notify, self.wording.cancellation(appt))
        else:
            if copy.end - copy.start > MAX_APPOINTMENT:
                raise UserError(f"on {ctx.label(link.calendar)} it now lasts more than a day, which no appointment "
                                "can: Keep ours, or change it there first")
            ours = event_draft(appt, ctx.template)
            changes = {}
            if copy.start != appt.start or copy.end != appt.end:
                changes.update(start=copy.start, end=copy.end)
            if copy.title.strip() != ours.title.strip():
                changes["title_override"] = copy.title
            if norm_text(copy.description) != norm_text(ours.description):
                changes["description_override"] = copy.description
            outbox = self.wording.text("sms.change", appt, notify and "start" in changes,
                                       self.wording.change(appt, copy.start))
        remote_hash = content_hash(remote_event_of(copy)) if copy is not None else None
        changed = ctx.store.links.take_theirs(link_id, changes, copy.etag if copy else None, remote_hash,
                                              ctx.actor(actor), ctx.clock(), outbox)
        return announce_changed(ctx, changed)

    def resolve_mass_deletion(self, calendar: str, *, recreate: bool, actor: str | None = None) -> int:
        """The answer to "many events vanished from this calendar": re-create them all, or accept the deletions
        (those appointments are cancelled and deleted from the other calendars)."""
        ctx = self.ctx
        if calendar not in ctx.calendars:
            raise UserError(f"no calendar {calendar!r} is enabled (enabled: {', '.join(ctx.calendars) or 'none'})")
        n = ctx.store.links.resolve_mass_deletion(calendar, recreate, ctx.actor(actor), ctx.clock())
        ctx.bus.publish(events.LINK_CHANGED)
        ctx.bus.publish(events.APPOINTMENT_CHANGED)
        ctx.bus.publish(events.HEALTH_CHANGED)
        ctx.wake_sync()
        return n
