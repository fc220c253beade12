"""Each connection watched as a small product: its health in numbers against the error budget, its alerts, the
daily sample audit. One read (``report``) feeds the Health tab, ``receptionist health --json`` and ``doctor``; the
leader's scheduled job (``evaluate``) raises, clears and escalates the alerts.

A connection is each enabled calendar, each AI platform that sends calls, Twilio and the webhook receiver. Each has
a state (ok, warning, failed, off), the failure states it is in (each one a runbook entry,
``domain/runbook.py``), one sentence, and its facts: for a calendar the last good pull and push, write success
over 24 hours and 7 days against the objective, the burn rates, the sign-in forecast, drift, what reconciliation
and the sample audit found; for a platform its deliveries in the last hour against the usual for that hour, the
last delivery and its quarantine; for Twilio the texts sent against failed over 24 hours and 7 days against
``health.sms_objective``; for the webhook the last hour's deliveries accepted, refused and quarantined against the
usual; for the shared on-call calendar (when the profile names one) the last successful refresh, the last
attempt's error and what its events got wrong (``OnCallDesk.health``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from receptionist import events
from receptionist.domain.formatting import format_datetime
from receptionist.domain.reliability import (
    DAY,
    HISTORY_WEEKS,
    WEEK,
    AlertRecord,
    Budget,
    DoorHour,
    SampleAuditRecord,
    WindowCount,
    burns,
    rhythm,
    same_hour_before,
    token_forecast,
    usual_this_hour,
)
from receptionist.domain.runbook import entry
from receptionist.errors import UserError, plain
from receptionist.services.context import DeskContext
from receptionist.services.health import CalendarHealth, CalendarStatus

if TYPE_CHECKING:
    from receptionist.domain.ports import Messenger
    from receptionist.services.on_call import OnCallDesk
    from receptionist.sync.engine import SyncEngine

log = logging.getLogger(__name__)

FAILED = ("reconnect", "held", "offline", "error", "budget-fast", "budget-slow", "silent", "webhook-error",
          "sms-error", "sms-failing", "webhook-spike", "on-call-stale")
WARNING = ("token-expiring", "audit-mismatch", "drift", "quarantine", "on-call-event")
ALERTING = ("budget-fast", "budget-slow", "silent", "reconnect", "token-expiring", "audit-mismatch", "held",
            "sms-failing", "webhook-spike", "on-call-stale")
KEEP = timedelta(days=8)  # outcomes and audits kept: the longest window (7 days) and a day


@dataclass(frozen=True)
class Connection:
    key: str
    kind: str  # calendar | platform | twilio | webhook
    label: str
    state: str  # ok | warning | failed | off
    problems: tuple[str, ...]  # the failure states it is in (runbook entries), worst first
    text: str  # one sentence: the worst problem's, or how it is doing
    facts: tuple[tuple[str, str], ...] = ()  # what the Health tab lists, in order
    numbers: dict = field(default_factory=dict)  # the same for a monitoring tool
    reasons: dict[str, str] = field(default_factory=dict)  # each failure state's own sentence (its alert's text)

    def reason(self, problem: str) -> str:
        return self.reasons.get(problem) or self.text

    def as_json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "label": self.label, "state": self.state,
                "problems": list(self.problems), "text": self.text, "facts": dict(self.facts),
                "reasons": {p: self.reason(p) for p in self.problems},
                "runbook": {p: entry(p).text() for p in self.problems if entry(p)}, **self.numbers}


@dataclass(frozen=True)
class HealthReport:
    at: datetime
    objective: str
    connections: list[Connection]
    alerts: list[AlertRecord]
    escalation: str  # who an unacknowledged alert is texted to, or why nobody

    @property
    def failed(self) -> list[str]:
        return [c.key for c in self.connections if c.state == "failed"]

    def as_json(self) -> dict:
        def when(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {"at": self.at.isoformat(), "ok": not self.failed, "failed": self.failed,
                "objective": self.objective, "escalation": self.escalation,
                "connections": [c.as_json() for c in self.connections],
                "alerts": [{"id": a.id, "key": a.key, "connection": a.connection, "state": a.state, "text": a.text,
                            "open": a.open, "raised_at": when(a.raised_at), "acked_at": when(a.acked_at),
                            "acked_by": a.acked_by, "resolved_at": when(a.resolved_at),
                            "resolved_by": a.resolved_by, "texted_at": when(a.texted_at)} for a in self.alerts]}


def _state(problems: list[str], off: bool = False) -> str:
    if off:
        return "off"
    if any(p in FAILED for p in problems):
        return "failed"
    return "warning" if problems else "ok"


def _worst_first(problems: list[str]) -> tuple[str, ...]:
    order = FAILED + WARNING
    return tuple(sorted(dict.fromkeys(problems), key=order.index))


def _percent(success: float | None, total: int) -> str:
    return "no writes" if success is None else f"{success * 100:.1f}% of {total}"


class ConnectionWatch:
    def __init__(self, ctx: DeskContext, health: CalendarHealth, *, engine: "SyncEngine | None" = None,
                 messenger: "Messenger | None" = None, on_call: "OnCallDesk | None" = None):
        self.ctx, self.health, self.engine, self.messenger = ctx, health, engine, messenger
        self.on_call = on_call

    @property
    def budget(self) -> Budget:
        h = self.ctx.profile.health
        return Budget(h.write_objective, timedelta(minutes=h.write_within_minutes))

    def _when(self, at: datetime | None) -> str:
        return format_datetime(at, self.ctx.rules.zone) if at else "never"

    # --- the picture ----------------------------------------------------------------------------------------------

    def report(self) -> HealthReport:
        """Every connection's health and the alerts, in one read (the window runs it on a worker)."""
        ctx, now = self.ctx, self.ctx.clock()
        connections = self._calendars(now) + self._platforms(now)
        connections += [self._twilio(now), self._webhook(now)] + self._on_call()
        return HealthReport(now, self.budget.describe(), connections, ctx.store.reliability.alerts(),
                            self._escalation())

    def _calendars(self, now: datetime) -> list[Connection]:
        store, budget = self.ctx.store.reliability, self.budget
        counts = store.counts(now, budget.within)
        pushes, sign_ins, samples = store.last_pushes(), store.sign_ins(), store.last_samples()
        return [self._calendar(c, now, budget, counts.get(c.key, {}), pushes.get(c.key), sign_ins.get(c.key),
                               samples.get(c.key)) for c in self.health.calendars()]

    def _calendar(self, c: CalendarStatus, now: datetime, budget: Budget, counts: dict[timedelta, WindowCount],
                  pushed: datetime | None, signed_in: datetime | None,
                  sample: SampleAuditRecord | None) -> Connection:
        problems: list[str] = []
        if c.state in ("reconnect", "held", "offline", "error"):
            problems.append(c.state)
        if c.health.held_missing and c.state != "held":  # writes held after a mass deletion, behind another state
            problems.append("held")
        day, week = counts.get(DAY, WindowCount(0, 0)), counts.get(WEEK, WindowCount(0, 0))
        fast, slow = burns(counts, budget)
        problems += [f"budget-{b.rule.name}" for b in (fast, slow) if b.firing]
        token = token_forecast(signed_in, now, testing_mode=self.ctx.profile.health.google_testing_mode
                               and c.key.startswith("google"))
        problems += {"expired": ["reconnect"], "expiring": ["token-expiring"]}.get(token.state, [])
        drift = c.counts.get("drift", 0) + c.counts.get("conflict", 0)
        if drift:
            problems.append("drift")
        if sample is not None and (sample.mismatched or sample.error):
            problems.append("audit-mismatch")
        problems_t = _worst_first(problems)
        first = problems_t[0] if problems_t else None
        said = {"budget-fast": fast.sentence(), "budget-slow": slow.sentence(), "token-expiring": token.text,
                "drift": f"{drift} appointment(s) differ from the calendar",
                "audit-mismatch": f"the sample audit: {sample.sentence()}" if sample else ""}
        if c.state != "held" and c.health.held_missing:
            said["held"] = f"writes held: {c.health.held_missing} events vanished from {c.label} at once"
        if first == "reconnect" and c.state != "reconnect":  # the forecast says the sign-in has ended
            said["reconnect"] = token.text
        text = said.get(first) or c.text
        r = c.health.reconcile_report or {}
        reconciled = ("not yet" if not r else r.get("error") or r.get("skipped") or
                      f"{self._when(c.health.reconciled_at)}: {r.get('needs_person', 0)} need a decision, "
                      f"{r.get('vanished', 0)} vanished")
        facts = (("Last good pull", self._when(c.health.last_pull_at)), ("Last good push", self._when(pushed)),
                 ("Writes, 24 hours", f"{_percent(day.success, day.total)} (objective {budget.target * 100:g}%)"),
                 ("Writes, 7 days", f"{_percent(week.success, week.total)}; "
                                    f"{max(week.budget_left(budget), 0) * 100:.0f}% of the error budget left"),
                 ("Burn rate", f"{fast.long_rate:.1f}× over 1 hour, {slow.long_rate:.1f}× over 6 hours"),
                 ("Sign-in", token.text), ("Drift", f"{drift} waiting for a decision"),
                 ("Reconciliation", reconciled),
                 ("Sample audit", f"{self._when(sample.at)}: {sample.sentence()}" if sample else "not yet"))
        numbers = {"last_pull_at": _iso(c.health.last_pull_at), "last_push_at": _iso(pushed),
                   "writes_24h": {"good": day.good, "total": day.total, "success": day.success},
                   "writes_7d": {"good": week.good, "total": week.total, "success": week.success,
                                 "budget_left": week.budget_left(budget)},
                   "burn": {b.rule.name: {"long": b.long_rate, "short": b.short_rate, "firing": b.firing}
                            for b in (fast, slow)},
                   "sign_in": {"state": token.state, "signed_in_at": _iso(signed_in),
                               "expires_at": _iso(token.expires_at)},
                   "drift": drift,
                   "sample_audit": None if sample is None else {"at": _iso(sample.at), "checked": sample.checked,
                                                                 "mismatched": sample.mismatched,
                                                                 "error": sample.error}}
        return Connection(c.key, "calendar", c.label, _state(list(problems_t)), problems_t, text, facts, numbers,
                          {p: said[p] for p in problems_t if said.get(p)})

    def _platforms(self, now: datetime) -> list[Connection]:
        ctx = self.ctx
        times, first = ctx.store.reliability.deliveries(now - timedelta(weeks=HISTORY_WEEKS, days=2))  # whole days
        quarantined = ctx.store.reliability.quarantined()
        polled = [name for name in ("vapi", "retell", "elevenlabs") if getattr(ctx.profile, name).poll]
        sources = dict.fromkeys([ctx.profile.ingest.platform, *polled, *sorted(times), *sorted(quarantined)])
        out = []
        for name in sources:
            r = rhythm(times.get(name, []), now, ctx.rules.zone, first.get(name))
            held = quarantined.get(name, 0)
            problems = _worst_first((["silent"] if r.silent else []) + (["quarantine"] if held else []))
            text = r.sentence() if not held or r.silent else f"{held} delivery(ies) in quarantine"
            facts = (("Deliveries, last hour", f"{r.last_hour} (usually {r.usual_this_hour:.1f} at this hour)"),
                     ("Last delivery", self._when(r.last)), ("Quarantined", str(held)),
                     ("Rhythm", "learning (less than a week of deliveries)" if r.learning else
                      f"{r.expected:.1f} deliveries were due since the last one"))
            numbers = {"last_delivery_at": _iso(r.last), "last_hour": r.last_hour,
                       "usual_this_hour": r.usual_this_hour, "expected_since_last": r.expected,
                       "learning": r.learning, "quarantined": held}
            out.append(Connection(f"platform:{name}", "platform", f"{name.capitalize()} (AI calls)",
                                  _state(list(problems)), problems, text, facts, numbers,
                                  {"silent": r.sentence(), "quarantine": f"{held} delivery(ies) in quarantine"}))
        return out

    def _twilio(self, now: datetime) -> Connection:
        """Texts sent against failed (given up, or reported undelivered/failed by Twilio) over 24 hours and 7 days
        against ``health.sms_objective``; a burn over the workbook's windows is ``sms-failing``."""
        state, text = self.health.messaging_status()
        budget = Budget(self.ctx.profile.health.sms_objective, timedelta(0))
        counts = self.ctx.store.reliability.text_counts(now)
        day, week = counts[DAY], counts[WEEK]
        fired = [b for b in burns(counts, budget) if b.firing]
        problems = (["sms-error"] if state == "error" else []) + (["sms-failing"] if fired else [])
        failing = fired[0].sentence("texts", "failed") if fired else ""
        facts = (("Texts, 24 hours", f"{_percent(day.success, day.total)} delivered "
                                     f"(objective {budget.target * 100:g}%)"),
                 ("Texts, 7 days", f"{_percent(week.success, week.total)} delivered; "
                                   f"{max(week.budget_left(budget), 0) * 100:.0f}% of the error budget left"),
                 ("Failed texts", f"{day.bad} in 24 hours, {week.bad} in 7 days"))
        numbers = {"texts_24h": {"good": day.good, "failed": day.bad, "total": day.total, "success": day.success},
                   "texts_7d": {"good": week.good, "failed": week.bad, "total": week.total,
                                "success": week.success, "budget_left": week.budget_left(budget)},
                   "objective": budget.target}
        worst = _worst_first(problems)
        reasons = {"sms-error": text, "sms-failing": failing}
        return Connection("twilio", "twilio", "Twilio (texts)", _state(problems, off=state == "off" and not fired),
                          worst, reasons[worst[0]] if worst else text, facts, numbers,
                          {p: reasons[p] for p in worst})

    def _webhook(self, now: datetime) -> Connection:
        """Deliveries accepted against refused and quarantined over the last hour, against the usual accepted at
        this hour; a spike of refusals or quarantine is ``webhook-spike``."""
        state, text = self.health.webhook_status()
        hour_ago = now - timedelta(hours=1)
        came, quarantined, last, times = self.ctx.store.reliability.webhook_hour(now, same_hour_before(now))
        refused_by = self.ctx.store.reliability.refusals(hour_ago, now)  # counted by whichever desk listens
        refused = sum(refused_by.values())
        door = DoorHour(came, refused, quarantined, usual_this_hour(times, now, self.ctx.rules.zone))
        problems = (["webhook-error"] if state == "error" else []) + (["webhook-spike"] if door.spike else [])
        worst = _worst_first(problems)
        reasons = {"webhook-error": text.split("\n")[0], "webhook-spike": f"a spike: {door.sentence()}"}
        facts = (("Deliveries, last hour", door.sentence()), ("Last delivery", self._when(last)),
                 ("Refused, last hour", ", ".join(f"{n} {source}" for source, n in sorted(refused_by.items()))
                  or "none"))
        numbers = {"last_hour": {"accepted": door.accepted, "refused": door.refused,
                                 "quarantined": door.quarantined, "usual": door.usual, "spike": door.spike,
                                 "refused_by_source": refused_by},
                   "last_delivery_at": _iso(last)}
        return Connection("webhook", "webhook", "Webhook receiver",
                          _state(problems, off=state == "off" and not door.spike), worst,
                          reasons[worst[0]] if worst else text.split("\n")[0], facts, numbers,
                          {p: reasons[p] for p in worst})

    def _on_call(self) -> list[Connection]:
        found = self.on_call.health() if self.on_call is not None else None
        if found is None:
            return []
        return [Connection("on-call", "on-call", "On-call calendar", _state(list(found.problems)),
                           _worst_first(list(found.problems)), found.text, found.facts, found.numbers, found.reasons)]

    def _owner_phones(self) -> list[str]:
        return [p.phone for p in self.ctx.profile.people.members if p.role == "owner" and p.phone]

    def _escalation(self) -> str:
        after = f"{self.ctx.profile.health.sms_after_minutes:g} minutes"
        if self.messenger is None:
            return "Alerts are not texted: Twilio is off on this desk."
        phones = self._owner_phones()
        if not phones:
            return ("Alerts are not texted: no owner has a phone (receptionist people add NAME --role owner "
                    "--phone +1…).")
        return f"An alert nobody acknowledges within {after} is texted to {len(phones)} owner phone(s)."

    # --- alerts ---------------------------------------------------------------------------------------------------

    def evaluate(self) -> list[AlertRecord]:
        """The leader's scheduled job: raise an alert for each failure state that alerts and has none open (one
        per connection and state), clear those whose condition ended, text the owners about alerts nobody
        acknowledged in time. Returns the alerts raised."""
        store = self.ctx.store.reliability
        report = self.report()
        now = report.at
        active = {f"{p}:{c.key}": (c, p) for c in report.connections for p in c.problems if p in ALERTING}
        uncleared = store.uncleared()
        raised = []
        for key, (c, problem) in active.items():
            text = f"{c.label}: {c.reason(problem)}"
            if key in uncleared:
                store.seen(uncleared[key].id, text, now)
            else:
                raised.append(store.raise_alert(key, c.key, problem, text, now))
                log.warning("alert raised: %s", text)
        cleared = [a for key, a in uncleared.items() if key not in active and store.clear(a.id, now)]
        texted = self._escalate(now)
        store.forget_before(now - KEEP)
        if raised or cleared or texted:
            self.ctx.bus.publish(events.HEALTH_CHANGED)
        return raised

    def _escalate(self, now: datetime) -> int:
        store = self.ctx.store.reliability
        phones = self._owner_phones()
        if self.messenger is None or not phones:
            return 0
        sent = 0
        for alert in store.to_text(now - timedelta(minutes=self.ctx.profile.health.sms_after_minutes)):
            if not store.texted(alert.id, now, None):  # claimed first: at most one text per alert
                continue
            body = (f"{self.ctx.profile.location.name}: {alert.text} (since "
                    f"{format_datetime(alert.raised_at, self.ctx.rules.zone)}). Reply ACK {alert.id} (or OK) to "
                    "acknowledge it, or do it in the Health tab.")
            try:
                for phone in phones:
                    self.messenger.send_sms(phone, body)
                sent += 1
            except Exception as exc:  # the alert stays open in the window; the failure is shown on it
                log.warning("could not text alert %s: %s", alert.id, plain(exc))
                store.texted(alert.id, now, plain(exc))
        return sent

    def alerts(self) -> list[AlertRecord]:
        """The alerts alone (the newest 200), as ``report`` lists them: what a window reads on news of a write."""
        return self.ctx.store.reliability.alerts()

    def acknowledge(self, alert_id: int, actor: str | None = None) -> AlertRecord:
        """Someone is on it: no text follows. Audited."""
        return self._decide(alert_id, "ack", actor)

    def resolve(self, alert_id: int, actor: str | None = None) -> AlertRecord:
        """Done with it. Audited. While its condition goes on, no new alert of it is raised."""
        return self._decide(alert_id, "resolve", actor)

    def _decide(self, alert_id: int, action: str, actor: str | None) -> AlertRecord:
        ctx = self.ctx
        done = ctx.store.reliability.decide(alert_id, action, ctx.actor(actor), ctx.clock())
        if done is None:
            raise UserError(f"there is no alert {alert_id}: `receptionist health --json` lists them")
        ctx.bus.publish(events.HEALTH_CHANGED)
        return done

    # --- the sample audit -----------------------------------------------------------------------------------------

    def sample_audit(self, seed: int | None = None) -> list[SampleAuditRecord]:
        """The daily job: a random sample of each calendar's Synced events read back and the result recorded (a
        deleted or different one becomes Drift, as reconciliation does)."""
        if self.engine is None:
            raise UserError("this desk does not run calendar sync")
        now = self.ctx.clock()
        out = []
        for key, (checked, mismatched, error) in self.engine.audit_sample(self.ctx.profile.health.sample_size,
                                                                          seed).items():
            self.ctx.store.reliability.record_sample(key, now, checked, mismatched, error)
            out.append(SampleAuditRecord(key, now, checked, mismatched, error))
        return out


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v else None
