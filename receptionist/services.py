"""Everything a person can do in the console, as methods a test can call without the UI."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import date, datetime, time, timedelta, timezone

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.availability import conflict_issues
from receptionist.domain.bookings import BookingDraft, blocking, validate_draft
from receptionist.domain.formatting import format_date, format_phone, format_time
from receptionist.domain.models import (
    AppointmentRecord,
    AppointmentStatus,
    CallRecord,
    ExternalEventRecord,
    FieldIssue,
    Intent,
    ProposalRecord,
)
from receptionist.domain.intake import CallerHistory, DeliverySource, InboxRecord, LiveCallRecord
from receptionist.domain.payload import LocationRules
from receptionist.errors import UserError
from receptionist.store.inbox import InboxStore
from receptionist.store.repo import Store

if TYPE_CHECKING:
    from receptionist.ingest.intake import Answer, Intake


def location_rules(profile: Profile) -> LocationRules:
    loc = profile.location
    return LocationRules(zone=loc.zone, country=loc.country, open_hour=loc.open_hour, close_hour=loc.close_hour,
                         default_duration_minutes=loc.default_duration_minutes)


@dataclass(frozen=True)
class WeekView:
    """A week of the merged calendar: our appointments and the connected calendars' other events."""

    start: datetime  # local midnight of the first day, as UTC
    end: datetime
    appointments: list[AppointmentRecord]
    external: list[ExternalEventRecord]


class ConsoleService:
    def __init__(self, store: Store, profile: Profile, bus: events.EventBus, calendars: list[str],
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 wake_sync: Callable[[], None] = lambda: None, sms_enabled: bool = False,
                 intake: "Intake | None" = None):
        self.store = store
        self.profile = profile
        self.bus = bus
        self.calendars = calendars
        self.clock = clock
        self.wake_sync = wake_sync
        self.sms_enabled = sms_enabled
        self.rules = location_rules(profile)
        self.intake = intake
        self.inbox = InboxStore(store)

    # --- calls and proposals ----------------------------------------------------------------------------------

    def calls(self, limit: int = 200) -> list[CallRecord]:
        return self.store.recent_calls(limit)

    def draft_of(self, proposal: ProposalRecord) -> BookingDraft:
        return BookingDraft(proposal.caller_name, proposal.callback_number, proposal.service, proposal.start,
                            proposal.duration_minutes, proposal.notes)

    def check(self, draft: BookingDraft, ignore_appointment: str | None = None) -> tuple[BookingDraft, list[FieldIssue]]:
        """Validate a draft and check it against busy time (our appointments and external calendars)."""
        draft, issues = validate_draft(draft, self.rules, self.clock())
        if draft.start is not None and draft.end is not None:
            busy = self.store.busy_blocks(draft.start, draft.end, exclude_appointment=ignore_appointment)
            issues += conflict_issues(draft.start, draft.end, busy, self.rules.zone)
        return draft, issues

    def edit(self, proposal_id: int, draft: BookingDraft, version: int, actor: str = "staff") -> ProposalRecord:
        draft, issues = self.check(draft)
        record = self.store.update_proposal(proposal_id, draft, issues, version, actor, self.clock())
        self.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="edited")
        return record

    def approve(self, proposal_id: int, version: int, draft: BookingDraft | None = None,
                actor: str = "staff") -> AppointmentRecord:
        """Confirm a proposal (as captured, or as edited): an appointment owed to every connected calendar."""
        if draft is None:
            proposal = self.store.get_proposal(proposal_id)
            if proposal is None:
                raise UserError(f"booking proposal {proposal_id} does not exist")
            draft = self.draft_of(proposal)
        refusal = self.approval_refusal(proposal_id)
        if refusal:
            raise UserError(refusal)
        draft, issues = self.check(draft)
        errors = blocking(issues)
        if errors:
            raise UserError("cannot approve yet: " + "; ".join(f"{i.field}: {i.message}" for i in errors))
        outbox = []
        if self.sms_enabled and draft.callback_number:
            outbox.append(("sms.confirmation", {"to": draft.callback_number, "body": self.confirmation_text(draft)}))
        appt = self.store.approve_proposal(proposal_id, draft, version, self.calendars, actor, self.clock(), outbox)
        self.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="approved")
        self.bus.publish(events.APPOINTMENT_CHANGED, appointment_id=appt.id)
        self.wake_sync()
        return appt

    def approval_refusal(self, proposal_id: int) -> str | None:
        """Why a proposal can not be approved as a new booking whatever is edited (the caller called to cancel or
        to move an appointment), or None. The review pane shows it and disables Approve."""
        call = self.store.call_of_proposal(proposal_id)
        if call is None or call.intent not in (Intent.CANCEL, Intent.RESCHEDULE):
            return None
        verb = "cancel" if call.intent is Intent.CANCEL else "reschedule"
        return (f"the caller asked to {verb} an appointment, not to book a new one: approving would book it and "
                f"send a confirmation. {verb.capitalize()} the matching appointment instead, then reject this "
                "proposal with that reason.")

    def reject(self, proposal_id: int, version: int, reason: str, actor: str = "staff") -> ProposalRecord:
        if not reason.strip():
            raise UserError("say why the booking is rejected (the owner sees it when calling back)")
        record = self.store.reject_proposal(proposal_id, version, reason.strip(), actor, self.clock())
        self.bus.publish(events.PROPOSAL_DECIDED, proposal_id=proposal_id, status="rejected")
        return record

    def confirmation_text(self, draft: BookingDraft) -> str:
        assert draft.start is not None
        zone = self.rules.zone
        first = (draft.caller_name or "").split(" ")[0] or "there"
        return (f"Hi {first}, your {draft.service} at {self.profile.location.name} is confirmed for "
                f"{format_date(draft.start, zone)} at {format_time(draft.start, zone)}. "
                "Call us if you need to change it.")

    # --- appointments and sync ------------------------------------------------------------------------------------

    def appointments(self, start: datetime | None = None, end: datetime | None = None) -> list[AppointmentRecord]:
        return self.store.appointments(start, end)

    def week(self, first_day: date) -> WeekView:
        zone = self.rules.zone
        start = datetime.combine(first_day, time(0), zone).astimezone(timezone.utc)
        end = datetime.combine(first_day + timedelta(days=7), time(0), zone).astimezone(timezone.utc)
        appointments = self.store.appointments(start, end, include_cancelled=True)
        ours = {a.id for a in appointments}
        external = [e for e in self.store.external_events(start, end) if e.uid is None or e.uid not in ours]
        live = [a for a in appointments if a.status is not AppointmentStatus.CANCELLED]
        return WeekView(start, end, live, external)

    def retry(self, link_id: int, actor: str = "staff") -> int:
        n = self.store.retry_links(self.clock(), [link_id], actor)
        self.bus.publish(events.LINK_CHANGED, link_id=link_id)
        self.wake_sync()
        return n

    def retry_all_failed(self, actor: str = "staff") -> int:
        n = self.store.retry_links(self.clock(), None, actor)
        self.bus.publish(events.LINK_CHANGED)
        self.wake_sync()
        return n

    def override(self, link_id: int, actor: str = "staff") -> None:
        """Keep our version: rewrite the calendar's event without If-Match (for Conflict and Drift)."""
        now = self.clock()
        self.store.save_link(link_id, now, state="pending", etag=None, attempts=0, next_attempt_at=None)
        self.store.audit(now, actor, "sync.override", "link", str(link_id), {})
        self.bus.publish(events.LINK_CHANGED, link_id=link_id)
        self.wake_sync()

    def status(self) -> dict:
        """What ``receptionist status --json`` prints."""
        zone = self.rules.zone
        return {
            "location": self.profile.location.name,
            "time_zone": self.profile.location.time_zone,
            "calendars": self.calendars,
            "sync_counts": self.store.sync_counts(),
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
                    "sync": {
                        link.calendar: {
                            "state": link.state.value,
                            "remote_id": link.remote_id,
                            "error": link.last_error,
                            "attempts": link.attempts,
                            "next_attempt_at": link.next_attempt_at.isoformat() if link.next_attempt_at else None,
                        }
                        for link in a.links
                    },
                }
                for a in self.store.appointments(include_cancelled=True)
            ],
        }

    def status_json(self) -> str:
        return json.dumps(self.status(), indent=2)

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
        """Calls in progress and those that ended in the last minutes (the live strip of the call panel)."""
        return self.inbox.live_calls(self.clock() - ended_within)

    def caller_history(self, number: str | None, before_call_row_id: int | None = None) -> CallerHistory | None:
        """Earlier calls and appointments of the caller's number (E.164), or None without a number."""
        if not number:
            return None
        return self.inbox.caller_history(number, self.clock(), before_call_row_id)

    def returning_caller_text(self, number: str | None, before_call_row_id: int | None = None) -> str | None:
        """"Returning caller, last visit 10/14/2026" (or None for a first-time caller)."""
        history = self.caller_history(number, before_call_row_id)
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

    def intake_status(self) -> dict:
        counts = self.inbox.counts()
        intake = self.intake
        return {"inbox": counts, "queued": intake.queued if intake else 0,
                "rejections": dict(intake.rejections) if intake else {},
                "storage_failures": intake.storage_failures if intake else 0}


__all__ = ["ConsoleService", "WeekView", "location_rules"]
