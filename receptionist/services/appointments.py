"""Appointments: what the views list, and an appointment's life (reschedule, edit, cancel, attended / no-show)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from receptionist import events
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.contact import contact_preference
from receptionist.domain.formatting import format_date, format_datetime, format_phone, format_time
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentRow,
    AppointmentStatus,
    Attendance,
    ExternalEventRecord,
    SyncState,
)
from receptionist.errors import UserError
from receptionist.services.checks import Checks, refuse_blocking
from receptionist.services.context import DeskContext
from receptionist.services.wording import Wording, first_name
from receptionist.store.base import REPUSH_STATES
from receptionist.sync.reminders import quiet_hours


@dataclass(frozen=True)
class WeekView:
    """A week of the merged calendar: our appointments and the connected calendars' other events."""

    start: datetime  # local midnight of the first day, as UTC
    end: datetime
    appointments: list[AppointmentRow]  # live ones
    external: list[ExternalEventRecord]
    cancelled: list[AppointmentRow] = field(default_factory=list)  # shown struck through, never as busy
    resources: tuple[str, ...] = ()  # the location's chairs, rooms and staff: the day view's columns


@dataclass(frozen=True)
class MovePlan:
    """What moving (or resizing) an appointment would do, said before a person confirms it (a drop in the
    calendar): where it goes, the chair or room it would take, which calendars are updated, and the text.

    ``refused``: why it cannot go there at all (the resource asked for is busy then, or does not do the service);
    ``updated``: the calendars owed the move at the next sync (their links go Pending); ``waiting``: the calendars
    that get it only after a person's decision or a sign-in, each in a sentence; ``text``: what the text would say
    happens when the person asks for one (``A text to (312) 555-0100 will tell Ana the new time.``); ``no_text``:
    why no text can go (SMS off, no number, the caller replied STOP), None when one can; ``advice``: why the
    caller is better not texted (the call said they prefer a phone call or opted out), a person may text anyway."""

    appointment_id: str
    start: datetime
    end: datetime
    resource_before: str | None
    resource: str | None
    refused: str | None
    updated: tuple[str, ...]
    waiting: tuple[str, ...]
    text: str
    no_text: str | None
    advice: str | None = None

    @property
    def calendars(self) -> str:
        """The calendars in one sentence."""
        said = [f"{', '.join(self.updated)} will be updated at the next sync." if self.updated else
                "No calendar is connected: only the desk has it."]
        return " ".join(said + list(self.waiting))

    def texting(self, notify: bool) -> str:
        """The text in one sentence, whether or not one is asked for (``notify``)."""
        if self.no_text is not None:
            return f"No text: {self.no_text}."
        if notify:
            return self.text
        if self.advice is not None:
            return f"No text: {self.advice} (tick “Text the caller about the change” to text anyway)."
        return "No text: “Text the caller about the change” is not ticked."


def announce_changed(ctx: DeskContext, appt: AppointmentRecord) -> AppointmentRecord:
    """News of a changed appointment and each of its links, and the sync thread woken to push it."""
    ctx.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=appt.id)
    for link in appt.links:
        ctx.bus.publish(events.LINK_CHANGED, link_id=link.id, appointment_id=appt.id, calendar=link.calendar,
                        state=link.state.value)
    ctx.wake_sync()
    return appt


def moved_note(notes: str, old: datetime, new: datetime, zone, now: datetime) -> str:
    """The notes with a line saying the appointment moved (the summary above it still names the time asked for)."""
    line = (f"Moved on {format_date(now, zone)} from {format_datetime(old, zone)} to "
            f"{format_datetime(new, zone, with_zone=True)}.")
    return f"{notes.rstrip()}\n{line}" if notes.strip() else line


class Appointments:
    def __init__(self, ctx: DeskContext, checks: Checks, wording: Wording):
        self.ctx, self.checks, self.wording = ctx, checks, wording

    # --- what the views list ---------------------------------------------------------------------------------------

    def between(self, start: datetime | None = None, end: datetime | None = None, *,
                include_cancelled: bool = False) -> list[AppointmentRecord]:
        return self.ctx.store.appointments.between(start, end, include_cancelled=include_cancelled)

    def week(self, first_day: date) -> WeekView:
        store, zone = self.ctx.store, self.ctx.rules.zone
        start = datetime.combine(first_day, time(0), zone).astimezone(timezone.utc)
        end = datetime.combine(first_day + timedelta(days=7), time(0), zone).astimezone(timezone.utc)
        appointments = store.appointments.rows(start, end)
        ours = {a.id for a in appointments}
        external = [e for e in store.cache.events_between(start, end) if e.uid is None or e.uid not in ours]
        live = [a for a in appointments if a.status is not AppointmentStatus.CANCELLED]
        cancelled = [a for a in appointments if a.status is AppointmentStatus.CANCELLED]
        return WeekView(start, end, live, external, cancelled,
                        tuple(r.name for r in self.ctx.rules.booking.resources))

    def page(self, start: datetime, end: datetime, *, offset: int = 0, limit: int = 200) -> list[AppointmentRow]:
        """What the appointments view lists: the window's appointments, then every other one needing attention."""
        return self.ctx.store.appointments.page(start, end, offset=offset, limit=limit)

    def counts(self, start: datetime, end: datetime) -> dict[str, int]:
        return self.ctx.store.appointments.counts(start, end)

    def rows_by_id(self, ids) -> list[AppointmentRow]:
        """The current rows of these appointments (a view updating the rows an event named)."""
        return self.ctx.store.appointments.rows_by_id(ids)

    def view_window(self, days_back: int = 7, days_ahead: int = 60) -> tuple[datetime, datetime]:
        """The appointments view's date window around today, from local midnight, in UTC."""
        zone = self.ctx.rules.zone
        today = self.ctx.clock().astimezone(zone).date()
        return (datetime.combine(today - timedelta(days=days_back), time(0), zone).astimezone(timezone.utc),
                datetime.combine(today + timedelta(days=days_ahead + 1), time(0), zone).astimezone(timezone.utc))

    def get(self, appointment_id: str) -> AppointmentRecord:
        appt = self.ctx.store.appointments.get(appointment_id)
        if appt is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        return appt

    # --- an appointment's life -------------------------------------------------------------------------------------

    def book(self, caller_name: str, callback_number: str | None, service: str, start: datetime,
             duration_minutes: int | None = None, notes: str = "", *, notify: bool = False,
             actor: str | None = None, resource: str | None = None) -> AppointmentRecord:
        """A booking made at the desk (a caller on the phone, a walk-in): checked like an approval by the one booking
        rule (errors refuse it; a clash is a warning a person may book over, as on approval), then owed to every
        calendar; ``notify`` texts the usual confirmation when SMS is on and there is a number. ``resource``: the
        chair or room it is to take (refused when that one is busy then); by default the rule picks one."""
        ctx = self.ctx
        minutes = duration_minutes or ctx.rules.booking.service(service).duration_minutes
        draft = BookingDraft(caller_name.strip(), callback_number, service.strip(), start, minutes, notes)
        seen = self.checks.seen_clashes(draft)  # before the check: a booking after it is never among them
        draft, issues = self.checks.check(draft)
        refuse_blocking(issues, "cannot book it")
        assert draft.start is not None  # the check picked its resource as an approval's (``pick_resource``)
        refused = self._resource_refusal(draft, resource, None)
        if refused:
            raise UserError(f"cannot book it: {refused}")
        if resource is not None:
            draft = replace(draft, resource=self._resource_name(resource))
        taken = self.checks.taken_since(draft)
        if taken:
            raise UserError("cannot book it: " + "; ".join(taken) + "; choose another time")
        outbox = []
        if notify and ctx.sms_enabled and draft.callback_number:
            outbox.append(("sms.confirmation", {"to": draft.callback_number,
                                                "body": self.wording.confirmation(draft)}))
        appt = ctx.store.appointments.create(draft, list(ctx.calendars), ctx.actor(actor), ctx.clock(), outbox,
                                             seen_clashes=seen, held=self.checks.held_rule(draft))
        return announce_changed(ctx, appt)

    def reschedule(self, appointment_id: str, start: datetime, duration_minutes: int | None = None, *,
                   notify: bool = False, actor: str | None = None, resource: str | None = None) -> AppointmentRecord:
        """Move an appointment (checked like a new booking, ignoring itself); every calendar gets the move.
        ``resource``: the chair or room it is to take (refused when that one is busy then); by default the rule
        picks one, as for a new booking."""
        ctx = self.ctx
        appt = self.get(appointment_id)
        minutes = duration_minutes or appt.duration_minutes
        draft = BookingDraft(appt.caller_name, appt.callback_number, appt.service, start, minutes, appt.notes,
                             appt.resource)  # it keeps its chair while that one is free (``pick_resource``)
        seen = self.checks.seen_clashes(draft, ignore_appointment=appointment_id)  # before the check, as approve
        draft, issues = self.checks.check(draft, ignore_appointment=appointment_id)
        refuse_blocking(issues, "cannot move it there")
        assert draft.start is not None and draft.end is not None
        refused = self._resource_refusal(draft, resource, appointment_id)
        if refused:
            raise UserError(f"cannot move it there: {refused}")
        taken = self.checks.taken_since(draft)
        if taken:
            raise UserError("cannot move it there: " + "; ".join(taken))
        outbox = self.wording.text("sms.change", appt, notify, self.wording.change(appt, draft.start))
        changes = {"start": draft.start, "end": draft.end,
                   "resource": self._resource_name(resource) if resource is not None else draft.resource}
        if draft.start != appt.start:  # the notes (the call's summary) name the old time: say it moved
            changes["notes"] = moved_note(appt.notes, appt.start, draft.start, ctx.rules.zone, ctx.clock())
        changed = ctx.store.appointments.change(appointment_id, appt.version, changes, ctx.actor(actor), ctx.clock(),
                                                outbox, action="appointment.rescheduled", seen_clashes=seen,
                                                held=self.checks.held_rule(draft))
        return announce_changed(ctx, changed)

    def move_plan(self, appointment_id: str, start: datetime, duration_minutes: int | None = None, *,
                  resource: str | None = None) -> MovePlan:
        """What :meth:`reschedule` with these arguments would do, for the person to confirm (nothing changes):
        the calendars owed the move (the links the store puts back to Pending: ``REPUSH_STATES``), the text the
        change would send and why none can go (``Wording.text``; a number that replied STOP and the quiet hours, as
        the outbox sends; the call's own words on texting, as an approval reads them: ``domain/contact.py``), and
        the resource it would take."""
        ctx = self.ctx
        appt = self.get(appointment_id)
        minutes = duration_minutes or appt.duration_minutes
        draft = BookingDraft(appt.caller_name, appt.callback_number, appt.service, start, minutes, appt.notes,
                             appt.resource)  # it keeps its chair while that one is free (``pick_resource``)
        draft, _issues = self.checks.check(draft, ignore_appointment=appointment_id)
        if draft.start is None or draft.end is None:
            raise UserError(f"cannot move it to {start}: not a time it can start")
        refused = self._resource_refusal(draft, resource, appointment_id)
        taking = self._resource_name(resource) if resource is not None else draft.resource
        updated, waiting = [], []
        for link in appt.links:
            if link.calendar not in ctx.calendars:
                continue
            label = ctx.label(link.calendar)
            if link.state.value in REPUSH_STATES:
                updated.append(label)
            elif link.state is SyncState.RECONNECT:
                waiting.append(f"{label} gets it once it is signed in again.")
            else:
                waiting.append(f"{label} waits for your decision on its {link.state.label.lower()} first "
                               "(Keep ours / Take theirs).")
        number = appt.callback_number
        no_text = ("texting is off for this location (twilio.enabled = false)" if not ctx.sms_enabled else
                   "the booking has no number to text" if not number else
                   "the caller replied STOP to our texts" if ctx.store.texting.stopped(number) else None)
        text = ""
        if number:
            text = f"A text to {format_phone(number)} will tell {first_name(appt.caller_name)} the new time"
            quiet_until = quiet_hours(ctx.profile).until(ctx.clock())
            text += (f" at {format_time(quiet_until, ctx.rules.zone)}, when the quiet hours end." if quiet_until
                     else ".")
        call = ctx.store.calls.of_call_id(appt.call_id) if appt.call_id else None
        contact = contact_preference(call.summary, call.message, call.custom_fields) if call is not None else None
        return MovePlan(appointment_id, draft.start, draft.end, appt.resource, taking, refused, tuple(updated),
                        tuple(waiting), text, no_text, contact.reason if contact and not contact.text_ok else None)

    def _resource_name(self, name: str) -> str:
        try:
            return self.ctx.rules.booking.resource(name).name
        except KeyError:
            known = ", ".join(r.name for r in self.ctx.rules.booking.resources) or "none in the profile"
            raise UserError(f"{name!r} is not a resource here ({known})") from None

    def _resource_refusal(self, draft: BookingDraft, resource: str | None,
                          appointment_id: str | None) -> str | None:
        """Why the draft cannot take ``resource`` (it does not do the service, or is busy then), or None."""
        if resource is None:
            return None
        name = self._resource_name(resource)
        rule = self.ctx.rules.booking.service(draft.service, draft.duration_minutes)
        if name.casefold() not in {r.casefold() for r in rule.resources}:
            return f"{name} does not take {draft.service or 'this service'}"
        busy = self.checks.resource_busy(draft, name, ignore_appointment=appointment_id)
        return f"{name} is not free then: " + "; ".join(busy) if busy else None

    def edit(self, appointment_id: str, *, service: str | None = None, duration_minutes: int | None = None,
             notes: str | None = None, caller_name: str | None = None, notify: bool = False,
             actor: str | None = None) -> AppointmentRecord:
        """Change the booked service, length, notes or name; the calendars get the new version."""
        ctx = self.ctx
        appt = self.get(appointment_id)
        draft = BookingDraft(caller_name if caller_name is not None else appt.caller_name, appt.callback_number,
                             service if service is not None else appt.service, appt.start,
                             duration_minutes or appt.duration_minutes, notes if notes is not None else appt.notes,
                             appt.resource)  # it keeps its chair while that one is free (``pick_resource``)
        draft, issues = self.checks.check(draft, ignore_appointment=appointment_id)
        refuse_blocking(issues, "cannot change it like that")
        changes: dict = {}
        if draft.service != appt.service:
            changes["service"] = draft.service
        if draft.caller_name != appt.caller_name:
            changes["caller_name"] = draft.caller_name
        if draft.end != appt.end:
            changes["end"] = draft.end
        if draft.notes != appt.notes:
            changes["notes"] = draft.notes
        if {"service", "end"} & set(changes):  # another service or length may need another chair or room
            if draft.resource != appt.resource:
                changes["resource"] = draft.resource
        if not changes:
            return appt
        # Our own fields edited here again: a title/description taken from a calendar earlier gives way to them.
        if {"service", "caller_name"} & set(changes) and appt.title_override is not None:
            changes["title_override"] = None
        if {"notes", "caller_name"} & set(changes) and appt.description_override is not None:
            changes["description_override"] = None
        outbox = self.wording.text("sms.change", appt, notify and ("end" in changes or "service" in changes),
                                   self.wording.change(appt, appt.start, draft.service))
        changed = ctx.store.appointments.change(appointment_id, appt.version, changes, ctx.actor(actor), ctx.clock(),
                                                outbox, action="appointment.edited")
        return announce_changed(ctx, changed)

    def cancel(self, appointment_id: str, reason: str = "", *, notify: bool = False,
               actor: str | None = None) -> AppointmentRecord:
        """Cancel: the appointment stays, shown as cancelled; its event is deleted from every calendar."""
        ctx = self.ctx
        appt = self.get(appointment_id)
        reason = reason.strip() or "cancelled at the front desk"
        outbox = self.wording.text("sms.cancel", appt, notify, self.wording.cancellation(appt))
        changed = ctx.store.appointments.cancel(appointment_id, appt.version, reason, ctx.actor(actor), ctx.clock(),
                                                outbox)
        return announce_changed(ctx, changed)

    def markable(self, appt: AppointmentRecord) -> bool:
        """Whether attended / no-show may be marked now: a live appointment whose time has come (no SQL)."""
        return appt.status is not AppointmentStatus.CANCELLED and appt.start <= self.ctx.clock()

    def mark_attendance(self, appointment_id: str, attendance: Attendance | str, *,
                        actor: str | None = None) -> AppointmentRecord:
        """Mark that the caller came (``attended``) or did not (``no-show``), once the time has come; any person at
        the desk may, and the audit names them. The conversion report counts a kept appointment from this mark."""
        ctx = self.ctx
        try:
            attendance = Attendance(attendance)
        except ValueError:
            raise UserError(f"{attendance!r} is not attended or no-show") from None
        appt = self.get(appointment_id)
        marked = ctx.store.appointments.mark_attendance(appointment_id, appt.version, attendance, ctx.actor(actor),
                                                        ctx.clock())
        ctx.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=marked.id)
        return marked
