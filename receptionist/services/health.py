"""Calendar health: each connection's state in a sentence (the pills, the alerts, ``status`` and ``doctor``),
signing a calendar in again, and reconciliation on demand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from receptionist.domain.formatting import format_datetime, format_phone
from receptionist.domain.models import AppointmentStatus, CalendarHealthRecord, SyncState
from receptionist.errors import UserError
from receptionist.services.context import DeskContext
from receptionist.services.sync_decisions import link_json

if TYPE_CHECKING:
    from receptionist.ingest.receiver import WebhookReceiver
    from receptionist.sync.engine import SyncEngine

#: Runs one calendar's sign-in flow (the browser opens through the callable) and puts it back in service;
#: returns a sentence for the person (``app.CalendarSignIn``).
SignIn = Callable[..., str]


def not_queued(label: str) -> str:
    """Why a confirmed appointment has no link to a calendar the desk enables (approved at a desk or by a command
    whose profile does not enable it): the sync leader gives it one at its next cycle."""
    return f"not queued for {label} yet (approved where {label} is not enabled): the sync leader queues it next"


@dataclass(frozen=True)
class CalendarStatus:
    key: str
    label: str
    state: str  # ok | unknown | error | throttled | offline | held | reconnect
    text: str
    health: CalendarHealthRecord
    counts: dict[str, int]


@dataclass(frozen=True)
class HealthSnapshot:
    calendars: list[CalendarStatus]
    messaging: tuple[str, str]  # (state, sentence)
    leader: bool
    quarantined: int = 0  # deliveries waiting in quarantine
    webhook: tuple[str, str] = ("off", "")  # (state, sentence): CalendarHealth.webhook_status


class CalendarHealth:
    def __init__(self, ctx: DeskContext, *, engine: "SyncEngine | None" = None,
                 webhook: "WebhookReceiver | None" = None, sign_in: SignIn | None = None,
                 is_leader: Callable[[], bool] = lambda: False, takes_deliveries: bool = False):
        self.ctx, self.engine, self.webhook, self.sign_in = ctx, engine, webhook, sign_in
        self.is_leader = is_leader
        self.takes_deliveries = takes_deliveries  # this desk runs the intake (its quarantine is counted)

    def calendars(self, all_counts: bool = False) -> list[CalendarStatus]:
        """Each enabled calendar's state in a sentence, for the health pills, ``status`` and ``doctor``. The counts
        are of links not Synced (indexed; the window asks often); ``all_counts`` adds Synced (``status``)."""
        ctx = self.ctx
        now = ctx.clock()
        rows = ctx.store.health.all()
        counts = ctx.store.links.counts(None if all_counts else [s for s in SyncState if s is not SyncState.SYNCED])
        out = []
        for key, label in ctx.calendars.items():
            h = rows.get(key) or CalendarHealthRecord(calendar=key, gate="open")
            problem = ctx.problems.get(key)
            if problem:
                state, text = "reconnect", problem
            elif h.gate == "reconnect":
                state, text = "reconnect", h.pause_reason or f"{label} needs to be connected again"
            elif h.held_missing:
                state, text = "held", h.pause_reason or f"{h.held_missing} events vanished from {label}"
            elif h.paused_until is not None and h.paused_until > now:
                state, text = h.gate, h.pause_reason or f"paused until {format_datetime(h.paused_until, ctx.rules.zone)}"
            elif h.last_error_at is not None and (h.last_pull_at is None or h.last_error_at > h.last_pull_at):
                state, text = "error", h.last_error or "the last request failed"
            elif h.last_pull_at is None:
                state, text = "unknown", "not read yet"
            else:
                state, text = "ok", f"read {format_datetime(h.last_pull_at, ctx.rules.zone)}"
            out.append(CalendarStatus(key, label, state, text, h, counts.get(key, {})))
        return out

    def reconnect(self, calendar: str, open_url: Callable[[str], None], **how) -> str:
        """Sign a calendar in again (Reconnect…): the sign-in flow runs, then its waiting links are pushed. Slow
        (a browser round trip): the window calls it on a worker. ``how``: ``device_code`` (Outlook: a code typed on
        any device), ``on_code(address, code)`` that shows them, ``stop`` (an Event Cancel sets)."""
        if self.sign_in is None:
            raise UserError("signing in is not available here; run `receptionist connect` on this desk")
        return self.sign_in(calendar, open_url, **how)

    def snapshot(self) -> HealthSnapshot:
        """Everything the window's pills, alerts and counts show, in one read (the window runs it on a worker)."""
        quarantined = self.ctx.store.inbox.quarantine_count() if self.takes_deliveries else 0
        return HealthSnapshot(self.calendars(), self.messaging_status(), self.is_leader(), quarantined,
                              self.webhook_status(quarantined))

    def webhook_status(self, quarantined: int = 0) -> tuple[str, str]:
        """(state, sentence) of the webhook receiver: off, pending (not listening yet, or deliveries held in
        quarantine), error (what is wrong and what to do, only that) or ok (where calls arrive, what was
        refused)."""
        if self.webhook is None:
            return "off", "The webhook receiver is not running on this desk."
        problem = self.ctx.problems.get("webhook")  # no signing secret, or the port is taken
        try:
            url = self.webhook.url
        except (AssertionError, AttributeError):  # not listening (yet)
            return ("error", problem) if problem else ("pending", "The webhook receiver has not started yet.")
        if problem:  # what is wrong and what to do, in a sentence or two: nothing else
            return "error", problem
        tip = f"Calls arrive at {url}."
        rejected = getattr(self.webhook, "rejections", None) or {}
        if rejected:
            tip += "\nRefused: " + ", ".join(f"{k} ×{n}" for k, n in rejected.items())
        if quarantined:
            return "pending", f"{tip}\n{quarantined} delivery(ies) in quarantine: see the Quarantine tab"
        return "ok", tip

    def messaging_status(self) -> tuple[str, str]:
        """(state, sentence) of SMS: off, error (with why) or ok."""
        ctx = self.ctx
        if "twilio" in ctx.problems:
            return "error", ctx.problems["twilio"]
        if not ctx.sms_enabled:
            return "off", "SMS to callers is off (twilio.enabled = false in the profile)."
        error = ctx.store.outbox.last_error()
        if error:
            return "error", f"The last SMS failed: {error}"
        return "ok", "SMS to callers go through Twilio."

    def sync_now(self) -> str:
        """A sync cycle now (F5), by the desk holding the sync lease; the sentence says what happens."""
        self.ctx.wake_sync()
        if self.is_leader():
            return "Syncing the calendars now."
        return "Another desk runs the calendar sync; this desk shows what it writes as it lands."

    def reconcile_now(self) -> dict[str, dict]:
        """Compare every connected calendar with our appointments now (a full read), as the hourly job does."""
        if self.engine is None:
            raise UserError("this desk does not run calendar sync")
        return self.engine.reconcile()

    def status(self) -> dict:
        """What ``receptionist status --json`` prints: every appointment with every link, and each calendar's
        health."""
        ctx = self.ctx
        zone = ctx.rules.zone

        def when(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "location": ctx.profile.location.name,
            "time_zone": ctx.profile.location.time_zone,
            "calendars": {
                c.key: {"label": c.label, "state": c.state, "text": c.text, "last_pull_at": when(c.health.last_pull_at),
                        "last_error": c.health.last_error, "last_error_at": when(c.health.last_error_at),
                        "paused_until": when(c.health.paused_until), "held_missing": c.health.held_missing,
                        "reconciled_at": when(c.health.reconciled_at), "reconcile": c.health.reconcile_report,
                        "links": c.counts}
                for c in self.calendars(all_counts=True)
            },
            "appointments": [
                {
                    "id": a.id,
                    "caller": a.caller_name,
                    "phone": format_phone(a.callback_number),
                    "service": a.service,
                    "resource": a.resource,
                    "start_utc": a.start.isoformat(),
                    "end_utc": a.end.isoformat(),
                    "start_local": a.start.astimezone(zone).isoformat(),
                    "status": a.status.value,
                    "cancel_reason": a.cancel_reason,
                    "sync": {**{key: {"state": "not_queued", "error": not_queued(label)}
                                for key, label in ctx.calendars.items() if a.status is AppointmentStatus.CONFIRMED},
                             **{link.calendar: link_json(link) for link in a.links}},
                }
                for a in ctx.store.appointments.between(include_cancelled=True)
            ],
        }
