"""Everything a person can do in the console, as methods a test can call without the UI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import date, datetime, time, timedelta, timezone

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.availability import conflict_issues
from receptionist.domain.bookings import BookingDraft, blocking, validate_draft
from receptionist.domain.bookings import MAX_APPOINTMENT, event_draft
from receptionist.domain.formatting import format_date, format_datetime, format_phone, format_time
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentRow,
    AppointmentStatus,
    CalendarHealthRecord,
    CallRecord,
    ExternalEventRecord,
    FieldIssue,
    Intent,
    LinkRecord,
    ProposalRecord,
    ProposalStatus,
    SyncState,
)
from receptionist.domain.intake import CallerHistory, DeliverySource, InboxRecord, LiveCallRecord
from receptionist.domain.ports import RemoteEvent
from receptionist.domain.sync_plan import content_hash, norm_text
from receptionist.domain.payload import LocationRules, normalise_phone
from receptionist.errors import UserError
from receptionist.store import Store
from receptionist.sync.engine import SyncEngine, event_template

if TYPE_CHECKING:
    from receptionist.domain.ports import SecretStore
    from receptionist.ingest.intake import Answer, Intake
    from receptionist.ingest.receiver import WebhookReceiver


def location_rules(profile: Profile) -> LocationRules:
    loc = profile.location
    return LocationRules(zone=loc.zone, country=loc.country, open_hour=loc.open_hour, close_hour=loc.close_hour,
                         default_duration_minutes=loc.default_duration_minutes)


@dataclass(frozen=True)
class WeekView:
    """A week of the merged calendar: our appointments and the connected calendars' other events."""

    start: datetime  # local midnight of the first day, as UTC
    end: datetime
    appointments: list[AppointmentRow]  # live ones
    external: list[ExternalEventRecord]
    cancelled: list[AppointmentRow] = field(default_factory=list)  # shown struck through, never as busy


class ConsoleService:
    """Every action of the window and the command line. ``calendars`` maps each enabled calendar's link key to its
    label (connected or not: a booking is owed to every enabled calendar)."""

    def __init__(self, store: Store, profile: Profile, bus: events.EventBus, calendars: dict[str, str],
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 wake_sync: Callable[[], None] = lambda: None, sms_enabled: bool = False,
                 engine: "SyncEngine | None" = None, problems: dict[str, str] | None = None,
                 is_leader: Callable[[], bool] = lambda: False, intake: "Intake | None" = None,
                 webhook: "WebhookReceiver | None" = None, secrets: "SecretStore | None" = None):
        self.store = store
        self.profile = profile
        self.bus = bus
        self.calendars = dict(calendars)
        self.clock = clock
        self.wake_sync = wake_sync
        self.sms_enabled = sms_enabled
        self.engine = engine
        self.problems = problems if problems is not None else {}
        self.is_leader = is_leader
        # Runs a calendar's sign-in flow and puts it back in service (App.reconnect); None where sign-in cannot run.
        self.reconnector: Callable[[str, Callable[[str], None]], str] | None = None
        self.rules = location_rules(profile)
        self.template = event_template(profile)
        self.intake = intake
        self.inbox = store.inbox
        self.webhook = webhook  # the desk's receiver (None: this desk takes no webhooks)
        self.secrets = secrets  # the location's keyring entries, for File → Settings…

    # --- calls and proposals ----------------------------------------------------------------------------------

    def calls(self, limit: int = 200) -> list[CallRecord]:
        """The newest calls, whole (transcripts included): the command line's list."""
        return self.store.calls.recent(limit)

    def call_list(self, limit: int = 200) -> list[CallRecord]:
        """The window's call list: newest first, without transcripts (``complete=False``)."""
        return self.store.calls.list_rows(limit)

    def calls_by_id(self, ids) -> list[CallRecord]:
        return self.store.calls.by_id(ids)

    def review(self, call_row_id: int) -> "CallReview":
        """What the review pane shows of one call, in one read (the window runs it on its worker): the call whole,
        why it can not be approved as a new booking, the returning-caller note, and its pending proposal checked
        again now (issues stored at capture time go stale as time passes and the calendars fill up)."""
        call = self.store.calls.get(call_row_id)
        if call is None:
            raise UserError(f"call {call_row_id} does not exist")
        p = call.proposal
        pending = p is not None and p.status is ProposalStatus.PENDING
        issues = self.check(self.draft_of(p), ignore_appointment=p.appointment_id)[1] if pending else None
        note = self.returning_caller_text(call.caller_id_number or call.callback_number, before_call_row_id=call.id)
        return CallReview(call, _refusal(call.intent) if pending else None, note, issues)

    def pending_count(self) -> int:
        """Booking proposals waiting for a person (counted in SQL)."""
        return self.store.proposals.pending_count()

    def draft_of(self, proposal: ProposalRecord) -> BookingDraft:
        return BookingDraft(proposal.caller_name, proposal.callback_number, proposal.service, proposal.start,
                            proposal.duration_minutes, proposal.notes)

    def check(self, draft: BookingDraft, ignore_appointment: str | None = None) -> tuple[BookingDraft, list[FieldIssue]]:
        """Validate a draft and check it against busy time (our appointments and external calendars)."""
        draft, issues = validate_draft(draft, self.rules, self.clock())
        if draft.start is not None and draft.end is not None:
            busy = self.store.busy.blocks(draft.start, draft.end, exclude_appointment=ignore_appointment)
            issues += conflict_issues(draft.start, draft.end, busy, self.rules.zone, self.calendars)
        return draft, issues

    def edit(self, proposal_id: int, draft: BookingDraft, version: int, actor: str = "staff") -> ProposalRecord:
        draft, issues = self.check(draft)
        record = self.store.proposals.update(proposal_id, draft, issues, version, actor, self.clock())
        self.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="edited")
        return record

    def approve(self, proposal_id: int, version: int, draft: BookingDraft | None = None,
                actor: str = "staff") -> AppointmentRecord:
        """Confirm a proposal (as captured, or as edited): an appointment owed to every connected calendar."""
        if draft is None:
            proposal = self.store.proposals.get(proposal_id)
            if proposal is None:
                raise UserError(f"booking proposal {proposal_id} does not exist")
            draft = self.draft_of(proposal)
        refusal = self.approval_refusal(proposal_id)
        if refusal:
            raise UserError(refusal)
        draft, issues = self.check(draft)
        self._refuse_blocking(issues, "cannot approve yet")
        outbox = []
        if self.sms_enabled and draft.callback_number:
            outbox.append(("sms.confirmation", {"to": draft.callback_number, "body": self.confirmation_text(draft)}))
        appt = self.store.proposals.approve(proposal_id, draft, version, list(self.calendars), actor, self.clock(),
                                           outbox)
        self.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="approved")
        self.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=appt.id)
        self.wake_sync()
        return appt

    def approval_refusal(self, proposal_id: int) -> str | None:
        """Why a proposal can not be approved as a new booking whatever is edited (the caller called to cancel or
        to move an appointment), or None. The review pane shows it and disables Approve."""
        call = self.store.calls.of_proposal(proposal_id)
        return _refusal(call.intent) if call is not None else None

    def reject(self, proposal_id: int, version: int, reason: str, actor: str = "staff") -> ProposalRecord:
        if not reason.strip():
            raise UserError("say why the booking is rejected (the owner sees it when calling back)")
        record = self.store.proposals.reject(proposal_id, version, reason.strip(), actor, self.clock())
        self.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="rejected")
        return record

    def confirmation_text(self, draft: BookingDraft) -> str:
        assert draft.start is not None
        zone = self.rules.zone
        return (f"Hi {self._first_name(draft.caller_name)}, your {draft.service} at {self.profile.location.name} is confirmed for "
                f"{format_date(draft.start, zone)} at {format_time(draft.start, zone)}. "
                "Call us if you need to change it.")

    # --- appointments and sync ------------------------------------------------------------------------------------

    def appointments(self, start: datetime | None = None, end: datetime | None = None, *,
                     include_cancelled: bool = False) -> list[AppointmentRecord]:
        return self.store.appointments.between(start, end, include_cancelled=include_cancelled)

    def week(self, first_day: date) -> WeekView:
        zone = self.rules.zone
        start = datetime.combine(first_day, time(0), zone).astimezone(timezone.utc)
        end = datetime.combine(first_day + timedelta(days=7), time(0), zone).astimezone(timezone.utc)
        appointments = self.store.appointments.rows(start, end)
        ours = {a.id for a in appointments}
        external = [e for e in self.store.cache.events_between(start, end) if e.uid is None or e.uid not in ours]
        live = [a for a in appointments if a.status is not AppointmentStatus.CANCELLED]
        cancelled = [a for a in appointments if a.status is AppointmentStatus.CANCELLED]
        return WeekView(start, end, live, external, cancelled)

    def appointment_page(self, start: datetime, end: datetime, *, offset: int = 0,
                         limit: int = 200) -> list[AppointmentRow]:
        """What the appointments view lists: the window's appointments, then every other one needing attention."""
        return self.store.appointments.page(start, end, offset=offset, limit=limit)

    def appointment_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        return self.store.appointments.counts(start, end)

    def appointments_by_id(self, ids) -> list[AppointmentRow]:
        """The current rows of these appointments (a view updating the rows an event named)."""
        return self.store.appointments.rows_by_id(ids)

    def view_window(self, days_back: int = 7, days_ahead: int = 60) -> tuple[datetime, datetime]:
        """The appointments view's date window around today, from local midnight, in UTC."""
        zone = self.rules.zone
        today = self.clock().astimezone(zone).date()
        return (datetime.combine(today - timedelta(days=days_back), time(0), zone).astimezone(timezone.utc),
                datetime.combine(today + timedelta(days=days_ahead + 1), time(0), zone).astimezone(timezone.utc))

    def appointment(self, appointment_id: str) -> AppointmentRecord:
        appt = self.store.appointments.get(appointment_id)
        if appt is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        return appt

    # --- an appointment's life: reschedule, edit, cancel ------------------------------------------------------------

    def reschedule(self, appointment_id: str, start: datetime, duration_minutes: int | None = None, *,
                   notify: bool = False, actor: str = "staff") -> AppointmentRecord:
        """Move an appointment (checked like a new booking, ignoring itself); every calendar gets the move."""
        appt = self.appointment(appointment_id)
        minutes = duration_minutes or appt.duration_minutes
        draft = BookingDraft(appt.caller_name, appt.callback_number, appt.service, start, minutes, appt.notes)
        draft, issues = self.check(draft, ignore_appointment=appointment_id)
        self._refuse_blocking(issues, "cannot move it there")
        assert draft.start is not None and draft.end is not None
        outbox = self._sms("sms.change", appt, notify, self.change_text(appt, draft.start))
        changed = self.store.appointments.change(appointment_id, appt.version, {"start": draft.start, "end": draft.end},
                                                actor, self.clock(), outbox, action="appointment.rescheduled")
        return self._changed(changed)

    def edit_appointment(self, appointment_id: str, *, service: str | None = None, duration_minutes: int | None = None,
                         notes: str | None = None, caller_name: str | None = None, notify: bool = False,
                         actor: str = "staff") -> AppointmentRecord:
        """Change the service, length, notes or name; the calendars get the new version."""
        appt = self.appointment(appointment_id)
        draft = BookingDraft(caller_name if caller_name is not None else appt.caller_name, appt.callback_number,
                             service if service is not None else appt.service, appt.start,
                             duration_minutes or appt.duration_minutes, notes if notes is not None else appt.notes)
        draft, issues = self.check(draft, ignore_appointment=appointment_id)
        self._refuse_blocking(issues, "cannot change it like that")
        changes: dict = {}
        if draft.service != appt.service:
            changes["service"] = draft.service
        if draft.caller_name != appt.caller_name:
            changes["caller_name"] = draft.caller_name
        if draft.end != appt.end:
            changes["end"] = draft.end
        if draft.notes != appt.notes:
            changes["notes"] = draft.notes
        if not changes:
            return appt
        # Our own fields edited here again: a title/description taken from a calendar earlier gives way to them.
        if {"service", "caller_name"} & set(changes) and appt.title_override is not None:
            changes["title_override"] = None
        if {"notes", "caller_name"} & set(changes) and appt.description_override is not None:
            changes["description_override"] = None
        outbox = self._sms("sms.change", appt, notify and ("end" in changes or "service" in changes),
                           self.change_text(appt, appt.start, draft.service))
        changed = self.store.appointments.change(appointment_id, appt.version, changes, actor, self.clock(), outbox,
                                                action="appointment.edited")
        return self._changed(changed)

    def cancel(self, appointment_id: str, reason: str = "", *, notify: bool = False,
               actor: str = "staff") -> AppointmentRecord:
        """Cancel: the appointment stays, shown as cancelled; its event is deleted from every calendar."""
        appt = self.appointment(appointment_id)
        reason = reason.strip() or "cancelled at the front desk"
        outbox = self._sms("sms.cancel", appt, notify, self.cancel_text(appt))
        changed = self.store.appointments.cancel(appointment_id, appt.version, reason, actor, self.clock(), outbox)
        return self._changed(changed)

    def _refuse_blocking(self, issues: list[FieldIssue], what: str) -> None:
        errors = blocking(issues)
        if errors:
            raise UserError(f"{what}: " + "; ".join(f"{i.field}: {i.message}" for i in errors))

    def _sms(self, topic: str, appt: AppointmentRecord, notify: bool, body: str) -> list[tuple[str, dict]]:
        if not notify:
            return []
        if not self.sms_enabled:
            raise UserError("texting the caller needs Twilio (twilio.enabled = true); nothing was changed")
        if not appt.callback_number:
            raise UserError("there is no callback number to text; nothing was changed")
        return [(topic, {"to": appt.callback_number, "body": body})]

    def _changed(self, appt: AppointmentRecord) -> AppointmentRecord:
        self.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=appt.id)
        for link in appt.links:
            self.bus.publish(events.LINK_CHANGED, link_id=link.id, appointment_id=appt.id, calendar=link.calendar,
                             state=link.state.value)
        self.wake_sync()
        return appt

    def _first_name(self, name: str | None) -> str:
        return (name or "").split(" ")[0] or "there"

    def change_text(self, appt: AppointmentRecord, start: datetime, service: str | None = None) -> str:
        zone = self.rules.zone
        return (f"Hi {self._first_name(appt.caller_name)}, your {service or appt.service} at "
                f"{self.profile.location.name} is now on {format_date(start, zone)} at {format_time(start, zone)}. "
                "Call us if that does not suit you.")

    def cancel_text(self, appt: AppointmentRecord) -> str:
        zone = self.rules.zone
        return (f"Hi {self._first_name(appt.caller_name)}, your {appt.service} at {self.profile.location.name} on "
                f"{format_date(appt.start, zone)} at {format_time(appt.start, zone)} is cancelled. "
                "Call us to book another time.")

    # --- sync: Retry, Keep ours / Take theirs, the mass-deletion alert ------------------------------------------------

    def retry(self, link_id: int, actor: str = "staff") -> int:
        n = self.store.links.retry(self.clock(), [link_id], actor)
        self.bus.publish(events.LINK_CHANGED, link_id=link_id)
        self.wake_sync()
        return n

    def retry_all_failed(self, actor: str = "staff") -> int:
        n = self.store.links.retry(self.clock(), None, actor)
        self.bus.publish(events.LINK_CHANGED)
        self.wake_sync()
        return n

    def link(self, link_id: int) -> LinkRecord:
        link = self.store.links.get(link_id)
        if link is None:
            raise UserError(f"sync link {link_id} does not exist")
        return link

    def discrepancy(self, link_id: int) -> Discrepancy:
        """Ours and the calendar's version of one event, field by field (what Keep ours / Take theirs decide)."""
        link = self.link(link_id)
        appt = self.appointment(link.appointment_id)
        ours = None if appt.status is AppointmentStatus.CANCELLED else event_draft(appt, self.template)
        theirs = self.store.cache.by_remote_id(link.calendar, [link.remote_id]).get(link.remote_id) if link.remote_id \
            else None
        if link.deleted_remotely:
            theirs = None
        rows = []
        zone = self.rules.zone
        for name in ("title", "start", "end", "description", "location"):
            a = getattr(ours, name) if ours is not None else None
            b = getattr(theirs, name) if theirs is not None else None
            show = (lambda v: format_datetime(v, zone) if isinstance(v, datetime) else (v or ""))
            differs = (a != b) if name in ("start", "end") else (norm_text(a or "") != norm_text(b or ""))
            rows.append((name, show(a) if ours is not None else "(cancelled)",
                         show(b) if theirs is not None else "(deleted)", differs))
        return Discrepancy(link, appt, self.calendars.get(link.calendar, link.calendar), theirs is None, rows)

    def _needs_decision(self, link: LinkRecord) -> None:
        if not link.state.needs_person:
            raise UserError(f"this calendar link is {link.state.label}, not in Drift or Conflict: nothing to decide")

    def keep_ours(self, link_id: int, actor: str = "staff") -> LinkRecord:
        """Keep our version: the calendar gets it again (re-created if it was deleted there)."""
        link = self.link(link_id)
        self._needs_decision(link)
        copy = None if link.deleted_remotely or not link.remote_id else \
            self.store.cache.by_remote_id(link.calendar, [link.remote_id]).get(link.remote_id)
        remote_hash = content_hash(_as_event(copy)) if copy is not None else None
        saved = self.store.links.keep_ours(link_id, copy.etag if copy else None, remote_hash, actor, self.clock())
        self.bus.publish(events.LINK_CHANGED, link_id=link_id, appointment_id=saved.appointment_id)
        self.wake_sync()
        return saved

    def take_theirs(self, link_id: int, *, notify: bool = False, actor: str = "staff") -> AppointmentRecord:
        """Take the calendar's version: our appointment moves/changes to match it, or is cancelled if the event was
        deleted there; the other calendars follow. Optionally the caller is texted about the change."""
        link = self.link(link_id)
        self._needs_decision(link)
        appt = self.appointment(link.appointment_id)
        copy = None if link.deleted_remotely or not link.remote_id else \
            self.store.cache.by_remote_id(link.calendar, [link.remote_id]).get(link.remote_id)
        if copy is None:
            changes = None
            outbox = self._sms("sms.cancel", appt, notify, self.cancel_text(appt))
        else:
            if copy.end - copy.start > MAX_APPOINTMENT:
                raise UserError(f"on {self.calendars.get(link.calendar, link.calendar)} it now lasts more than a "
                                "day, which no appointment can: Keep ours, or change it there first")
            ours = event_draft(appt, self.template)
            changes = {}
            if copy.start != appt.start or copy.end != appt.end:
                changes.update(start=copy.start, end=copy.end)
            if copy.title.strip() != ours.title.strip():
                changes["title_override"] = copy.title
            if norm_text(copy.description) != norm_text(ours.description):
                changes["description_override"] = copy.description
            outbox = self._sms("sms.change", appt, notify and "start" in changes, self.change_text(appt, copy.start))
        remote_hash = content_hash(_as_event(copy)) if copy is not None else None
        changed = self.store.links.take_theirs(link_id, changes, copy.etag if copy else None, remote_hash, actor,
                                         self.clock(), outbox)
        return self._changed(changed)

    def resolve_mass_deletion(self, calendar: str, *, recreate: bool, actor: str = "staff") -> int:
        """The answer to "many events vanished from this calendar": re-create them all, or accept the deletions
        (those appointments are cancelled and deleted from the other calendars)."""
        if calendar not in self.calendars:
            raise UserError(f"no calendar {calendar!r} is enabled (enabled: {', '.join(self.calendars) or 'none'})")
        n = self.store.links.resolve_mass_deletion(calendar, recreate, actor, self.clock())
        self.bus.publish(events.LINK_CHANGED)
        self.bus.publish(events.APPOINTMENT_CHANGED)
        self.bus.publish(events.HEALTH_CHANGED)
        self.wake_sync()
        return n

    # --- health and status ------------------------------------------------------------------------------------------

    def calendar_health(self, all_counts: bool = False) -> list[CalendarStatus]:
        """Each enabled calendar's state in a sentence, for the health pills, ``status`` and ``doctor``. The counts
        are of links not Synced (indexed; the window asks often); ``all_counts`` adds Synced (``status``)."""
        now = self.clock()
        rows = self.store.health.all()
        counts = self.store.links.counts(None if all_counts else [s for s in SyncState if s is not SyncState.SYNCED])
        out = []
        for key, label in self.calendars.items():
            h = rows.get(key) or CalendarHealthRecord(calendar=key, gate="open")
            problem = self.problems.get(key)
            if problem:
                state, text = "reconnect", problem
            elif h.gate == "reconnect":
                state, text = "reconnect", h.pause_reason or f"{label} needs to be connected again"
            elif h.held_missing:
                state, text = "held", h.pause_reason or f"{h.held_missing} events vanished from {label}"
            elif h.paused_until is not None and h.paused_until > now:
                state, text = h.gate, h.pause_reason or f"paused until {format_datetime(h.paused_until, self.rules.zone)}"
            elif h.last_error_at is not None and (h.last_pull_at is None or h.last_error_at > h.last_pull_at):
                state, text = "error", h.last_error or "the last request failed"
            elif h.last_pull_at is None:
                state, text = "unknown", "not read yet"
            else:
                state, text = "ok", f"read {format_datetime(h.last_pull_at, self.rules.zone)}"
            out.append(CalendarStatus(key, label, state, text, h, counts.get(key, {})))
        return out

    def reconnect(self, calendar: str, open_url: Callable[[str], None]) -> str:
        """Sign a calendar in again (Reconnect…): the sign-in flow runs, then its waiting links are pushed. Slow
        (a browser round trip): the window calls it on a worker."""
        if self.reconnector is None:
            raise UserError("signing in is not available here; run `receptionist connect` on this desk")
        return self.reconnector(calendar, open_url)

    def health_snapshot(self) -> HealthSnapshot:
        """Everything the window's pills, alerts and counts show, in one read (the window runs it on a worker)."""
        quarantined = self.quarantine_count() if self.intake is not None else 0
        return HealthSnapshot(self.calendar_health(), self.messaging_status(), self.is_leader(), quarantined,
                              self.webhook_status(quarantined))

    def webhook_status(self, quarantined: int = 0) -> tuple[str, str]:
        """(state, sentence) of the webhook receiver: off, pending (not listening yet, or deliveries held in
        quarantine), error (with why) or ok; the sentence says where it listens and what it refused."""
        if self.webhook is None:
            return "off", "The webhook receiver is not running on this desk."
        problem = self.problems.get("webhook")  # no signing secret, or the port is taken
        try:
            url = self.webhook.url
        except (AssertionError, AttributeError):  # not listening (yet)
            return ("error", problem) if problem else ("pending", "The webhook receiver has not started yet.")
        tip = f"Listening on {url}"
        rejected = getattr(self.webhook, "rejections", None) or {}
        if rejected:
            tip += "\nRejected requests: " + ", ".join(f"{k} ×{n}" for k, n in rejected.items())
        if problem:
            return "error", f"{tip}\n{problem}"
        if quarantined:
            return "pending", f"{tip}\n{quarantined} delivery(ies) in quarantine: see the Quarantine tab"
        return "ok", tip

    def messaging_status(self) -> tuple[str, str]:
        """(state, sentence) of SMS: off, error (with why) or ok."""
        if "twilio" in self.problems:
            return "error", self.problems["twilio"]
        if not self.sms_enabled:
            return "off", "SMS to callers is off (twilio.enabled = false in the profile)."
        error = self.engine.twilio_error if self.engine is not None else None
        if error:
            return "error", f"The last SMS failed: {error}"
        return "ok", "SMS to callers go through Twilio."

    def reconcile_now(self) -> dict[str, dict]:
        """Compare every connected calendar with our appointments now (a full read), as the hourly job does."""
        if self.engine is None:
            raise UserError("this desk does not run calendar sync")
        return self.engine.reconcile()

    def status(self) -> dict:
        """What ``receptionist status --json`` prints: every appointment with every link, and each calendar's
        health."""
        zone = self.rules.zone

        def when(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "location": self.profile.location.name,
            "time_zone": self.profile.location.time_zone,
            "calendars": {
                c.key: {"label": c.label, "state": c.state, "text": c.text, "last_pull_at": when(c.health.last_pull_at),
                        "last_error": c.health.last_error, "last_error_at": when(c.health.last_error_at),
                        "paused_until": when(c.health.paused_until), "held_missing": c.health.held_missing,
                        "reconciled_at": when(c.health.reconciled_at), "reconcile": c.health.reconcile_report,
                        "links": c.counts}
                for c in self.calendar_health(all_counts=True)
            },
            "appointments": [
                {
                    "id": a.id,
                    "caller": a.caller_name,
                    "phone": format_phone(a.callback_number),
                    "service": a.service,
                    "start_utc": a.start.isoformat(),
                    "end_utc": a.end.isoformat(),
                    "start_local": a.start.astimezone(zone).isoformat(),
                    "status": a.status.value,
                    "cancel_reason": a.cancel_reason,
                    "sync": {link.calendar: link_json(link) for link in a.links},
                }
                for a in self.store.appointments.between(include_cancelled=True)
            ],
        }


    # --- intake: quarantine, saved deliveries, live calls, callers ------------------------------------------------

    def _intake(self) -> "Intake":
        if self.intake is None:
            raise UserError("this console was started without the intake")
        return self.intake

    def quarantined(self, limit: int = 200) -> list[InboxRecord]:
        """Deliveries that could not be mapped, newest first, each with its reason."""
        return self.inbox.quarantined(limit)

    def quarantine_count(self) -> int:
        return self.inbox.quarantine_count()

    def replay(self, inbox_id: int, actor: str = "staff") -> InboxRecord:
        """Map a quarantined delivery again (after a fix, an upgrade, or an API key was set)."""
        record = self._intake().replay(inbox_id, actor)
        if record is None:
            raise UserError(f"delivery {inbox_id} is not in quarantine")
        return record

    def discard(self, inbox_id: int, actor: str = "staff") -> None:
        """A person decided a quarantined delivery is not a call: it leaves quarantine (the raw copy is kept)."""
        if not self.inbox.discard(inbox_id, actor, self.clock()):
            raise UserError(f"delivery {inbox_id} is not in quarantine")
        self.bus.publish(events.QUARANTINE_CHANGED, inbox_id=inbox_id)

    def ingest_file(self, platform: str, body: bytes, headers: dict[str, str] | None = None,
                    url: str = "file://operator") -> tuple["Answer", InboxRecord | None]:
        """A saved delivery given by the operator, through the same door and mapping as a webhook. Trusted
        (the operator gave it), unless headers are given: then its signature is checked as the platform's."""
        from receptionist.ingest.platforms import Delivery

        intake = self._intake()
        if platform not in intake.adapters:
            raise UserError(f"unknown platform {platform!r}; one of {', '.join(sorted(intake.adapters))}")
        delivery = Delivery(platform=platform, body=body, headers={k.lower(): v for k, v in (headers or {}).items()},
                            url=url, received_at=self.clock())
        answer = intake.receive(delivery, source=DeliverySource.FILE, trusted=headers is None)
        if answer.inbox_id is None:
            return answer, None
        intake.process([answer.inbox_id])
        return answer, self.inbox.get(answer.inbox_id)

    def live_calls(self, ended_within: timedelta = timedelta(minutes=10)) -> list[LiveCallRecord]:
        """Calls in progress and those that ended in the last minutes (the live strip of the call panel and
        ``calls live``), the latest news first."""
        return self.inbox.live_calls(self.clock() - ended_within)

    def live_caller_text(self, call: LiveCallRecord) -> str | None:
        """The live strip's note on a call's caller (``returning_caller_text``), counting only the calls before
        this one: once it ended it is a stored call too, and it does not make its own caller a returning one."""
        return self.returning_caller_text(call.caller_id_number,
                                          before_call_row_id=self.store.calls.row_id(call.platform, call.call_id))

    def caller_number(self, written: str) -> str:
        """A number as a person writes it — (312) 555-0142, 312.555.0142, +1 312 555 0142 — in E.164, read in the
        location's country as every number the desk takes is; a ``UserError`` saying why it is not one."""
        if not written.strip():
            raise UserError("give a phone number, e.g. (312) 555-0142")
        number, problem = normalise_phone(written, self.rules.country)
        if problem is not None:
            raise UserError(problem.message)
        return number

    def caller_history(self, number: str | None, before_call_row_id: int | None = None) -> CallerHistory | None:
        """Earlier calls and appointments of the caller's number (E.164), or None without a number."""
        if not number:
            return None
        return self.inbox.caller_history(number, self.clock(), before_call_row_id)

    def returning_caller_text(self, number: str | None, before_call_row_id: int | None = None) -> str | None:
        """"Returning caller, last visit 10/14/2026" (or None for a first-time caller)."""
        return self._returning_text(self.caller_history(number, before_call_row_id))

    def _returning_text(self, history: CallerHistory | None) -> str | None:
        if history is None or not history.returning:
            return None
        zone = self.rules.zone
        parts = ["Returning caller"]
        if history.last_visit is not None:
            parts.append(f"last visit {format_date(history.last_visit, zone)}")
        elif history.last_call_at is not None:
            parts.append(f"called before on {format_date(history.last_call_at, zone)}")
        if history.next_visit is not None:
            parts.append(f"next visit {format_date(history.next_visit, zone)}")
        return ", ".join(parts)

    def caller_file(self, written_number: str, limit: int = 20) -> "CallerFile":
        """What the desk knows about a number written any way (``calls history``): the history and the sentence
        the window shows, and the latest ``limit`` calls and appointments themselves."""
        number = self.caller_number(written_number)
        history = self.caller_history(number)
        return CallerFile(number, history, self._returning_text(history), self.store.calls.from_number(number, limit),
                          self.store.appointments.for_number(number, limit))

    def intake_status(self) -> dict:
        counts = self.inbox.counts()
        intake = self.intake
        return {"inbox": counts, "queued": intake.queued if intake else 0,
                "rejections": dict(intake.rejections) if intake else {},
                "storage_failures": intake.storage_failures if intake else 0}


def link_json(link: LinkRecord) -> dict:
    return {"link_id": link.id, "state": link.state.value, "remote_id": link.remote_id, "error": link.last_error,
            "attempts": link.attempts,
            "next_attempt_at": link.next_attempt_at.isoformat() if link.next_attempt_at else None,
            "diff": {k: list(v) for k, v in link.diff.items()}, "deleted_remotely": link.deleted_remotely}

def _as_event(copy: ExternalEventRecord) -> RemoteEvent:
    return RemoteEvent(remote_id=copy.remote_id, etag=copy.etag or "", title=copy.title, start=copy.start,
                       end=copy.end, description=copy.description, location=copy.location, uid=copy.uid)


@dataclass(frozen=True)
class Discrepancy:
    """Ours and theirs for one Drift/Conflict: rows of (field, ours, theirs, differs)."""

    link: LinkRecord
    appointment: AppointmentRecord
    calendar_label: str
    deleted: bool
    rows: list[tuple[str, str, str, bool]]


@dataclass(frozen=True)
class CallerFile:
    """A caller's number (E.164), its history, the window's sentence on it, and its latest calls (list rows,
    newest first) and appointments (cancelled too, the latest start first)."""

    number: str
    history: CallerHistory
    note: str | None
    calls: list[CallRecord]
    appointments: list[AppointmentRecord]


@dataclass(frozen=True)
class CallReview:
    call: CallRecord
    refusal: str | None  # why Approve is off whatever is edited (ConsoleService.approval_refusal)
    caller_note: str | None  # "Returning caller, last visit …"
    issues: list[FieldIssue] | None  # the pending proposal checked now; None when it is decided or there is none


def _refusal(intent: Intent) -> str | None:
    if intent not in (Intent.CANCEL, Intent.RESCHEDULE):
        return None
    verb = "cancel" if intent is Intent.CANCEL else "reschedule"
    return (f"the caller asked to {verb} an appointment, not to book a new one: approving would book it and "
            f"send a confirmation. {verb.capitalize()} the matching appointment instead, then reject this "
            "proposal with that reason.")


@dataclass(frozen=True)
class HealthSnapshot:
    calendars: list["CalendarStatus"]
    messaging: tuple[str, str]  # (state, sentence)
    leader: bool
    quarantined: int = 0  # deliveries waiting in quarantine
    webhook: tuple[str, str] = ("off", "")  # (state, sentence): ConsoleService.webhook_status


@dataclass(frozen=True)
class CalendarStatus:
    key: str
    label: str
    state: str  # ok | unknown | error | throttled | offline | held | reconnect
    text: str
    health: CalendarHealthRecord
    counts: dict[str, int]


__all__ = ["CalendarStatus", "CallReview", "CallerFile", "ConsoleService", "Discrepancy", "HealthSnapshot",
           "WeekView", "link_json", "location_rules"]
