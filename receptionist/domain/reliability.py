"""Each connection's reliability as numbers, pure: the write error budget with its multi-window burn rates, silent
platforms, and when a sign-in is expected to die.

**The budget.** A write (a change owed to a calendar) is *good* when it lands Synced within ``Budget.within`` of the
change; a failed attempt or a late landing is *bad* (the store counts them per window: ``WindowCount``). The objective is ``Budget.target`` of writes good (99.5%
within 5 minutes), so ``1 - target`` of them may be bad: the error budget. The *burn rate* over a window is the bad
fraction there divided by that allowance (1.0 spends the budget exactly over the period). Alerting follows the
multi-window rules of Google's SRE workbook ("Alerting on SLOs", table 5-8): a *fast* burn is a rate above 14.4
over both the last hour and the last 5 minutes (2% of a 30-day budget in an hour), a *slow* burn above 6 over both
6 hours and 30 minutes; the short window makes the alert stop soon after the trouble does.

**Silence.** Deliveries from an AI platform come at a rhythm per hour of the week (a dental office gets calls at
10 a.m. on a Tuesday, none on Sunday night). The usual count for each local (weekday, hour) is the mean over the
last ``weeks`` weeks; what was expected since the last delivery is the sum of those means over the hours since.
Treating arrivals as Poisson, no delivery while ``expected`` were due has probability ``exp(-expected)``: at
``SILENT_EXPECTED`` = 3 that is under 5%, and the platform is called silent.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

SILENT_EXPECTED = 3.0  # deliveries due since the last one before silence is a failure (P(none) = e^-3 < 5%)
HISTORY_WEEKS = 4


@dataclass(frozen=True)
class Budget:
    """The objective: ``target`` of writes Synced within ``within`` of the change."""

    target: float = 0.995
    within: timedelta = timedelta(minutes=5)

    def __post_init__(self):
        if not 0.0 < self.target < 1.0:
            raise ValueError(f"the write objective must be between 0 and 1 (exclusive), not {self.target}")

    @property
    def allowance(self) -> float:
        """The fraction of writes that may be bad."""
        return 1.0 - self.target

    def describe(self) -> str:
        minutes = self.within.total_seconds() / 60
        return f"{self.target * 100:g}% of writes Synced within {minutes:g} minutes"


@dataclass(frozen=True)
class WindowCount:
    good: int
    total: int

    @property
    def bad(self) -> int:
        return self.total - self.good

    @property
    def success(self) -> float | None:
        """The good fraction; None with no writes (nothing to judge)."""
        return self.good / self.total if self.total else None

    def burn_rate(self, budget: Budget) -> float:
        """Bad fraction over the budget's allowance: 1.0 spends the budget exactly; 0 with no writes."""
        return (self.bad / self.total) / budget.allowance if self.total else 0.0

    def budget_left(self, budget: Budget) -> float:
        """The share of this window's error budget not spent (negative once overspent; 1.0 with no writes)."""
        return 1.0 - self.burn_rate(budget)


@dataclass(frozen=True)
class BurnRule:
    name: str  # fast | slow
    long: timedelta
    short: timedelta
    factor: float


BURN_RULES = (BurnRule("fast", timedelta(hours=1), timedelta(minutes=5), 14.4),
              BurnRule("slow", timedelta(hours=6), timedelta(minutes=30), 6.0))


@dataclass(frozen=True)
class Burn:
    rule: BurnRule
    long_rate: float
    short_rate: float
    long: WindowCount  # the writes of the long window

    @property
    def firing(self) -> bool:
        return self.long_rate > self.rule.factor and self.short_rate > self.rule.factor

    def sentence(self, what: str = "writes", went_wrong: str = "failed or landed late") -> str:
        return (f"{self.long.bad} of {self.long.total} {what} in the last {_span(self.rule.long)} {went_wrong}: "
                f"{self.long_rate:.0f}× faster than the error budget allows")


DAY, WEEK = timedelta(days=1), timedelta(days=7)
WINDOWS = tuple(sorted({DAY, WEEK} | {r.long for r in BURN_RULES} | {r.short for r in BURN_RULES}))


def burns(counts: Mapping[timedelta, WindowCount], budget: Budget) -> list[Burn]:
    """Each rule's burn rates over its two windows (``firing`` says whether it alerts), from the writes counted
    over each of ``WINDOWS`` up to now (``store.reliability.counts``)."""
    empty = WindowCount(0, 0)
    return [Burn(rule, counts.get(rule.long, empty).burn_rate(budget), counts.get(rule.short, empty).burn_rate(budget),
                 counts.get(rule.long, empty)) for rule in BURN_RULES]


def _span(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "hour" if hours == 1 else f"{hours} hours"


# --- silence ----------------------------------------------------------------------------------------------------

HourOfWeek = tuple[int, int]  # (weekday 0 = Monday, local hour)


def usual_per_hour(deliveries: Iterable[datetime], now: datetime, zone: ZoneInfo,
                   weeks: int = HISTORY_WEEKS) -> dict[HourOfWeek, float]:
    """The mean number of deliveries in each local hour of the week over the ``weeks`` whole weeks before the
    local day ``now`` is in (each hour of the week is in them ``weeks`` times, whatever DST did meanwhile)."""
    today = now.astimezone(zone).date()
    top = datetime.combine(today, time(0), tzinfo=zone)
    since = datetime.combine(today - timedelta(weeks=weeks), time(0), tzinfo=zone)
    counts = Counter(_hour_of_week(at, zone) for at in deliveries if since <= at < top)
    return {key: n / weeks for key, n in counts.items()}


def _hour_of_week(at: datetime, zone: ZoneInfo) -> HourOfWeek:
    local = at.astimezone(zone)
    return local.weekday(), local.hour


def expected_between(start: datetime, end: datetime, usual: dict[HourOfWeek, float], zone: ZoneInfo) -> float:
    """Deliveries usually due over [start, end): each UTC hour's share of the local hour it falls in (an hour
    that DST repeats counts twice, a skipped one not at all, as the clock on the wall does)."""
    if end <= start or not usual:
        return 0.0
    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    end = min(end, start + timedelta(weeks=HISTORY_WEEKS))  # a month of silence says all there is to say
    total = 0.0
    at = start
    while at < end:
        top = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        step_end = min(top, end)
        total += usual.get(_hour_of_week(at, zone), 0.0) * (step_end - at).total_seconds() / 3600
        at = step_end
    return total


@dataclass(frozen=True)
class Rhythm:
    """A delivery source against its usual: ``silent`` when ``expected`` deliveries were due since ``last``."""

    last: datetime | None
    last_hour: int  # deliveries in the last 60 minutes
    usual_this_hour: float
    expected: float  # due since the last delivery (or over the whole history window when there was none)
    learning: bool  # less than a week of history: no verdict yet

    @property
    def silent(self) -> bool:
        return not self.learning and self.expected >= SILENT_EXPECTED

    def sentence(self) -> str:
        rate = f"{self.last_hour} in the last hour (usually {self.usual_this_hour:.1f})"
        if self.learning:
            return f"{rate}; learning the usual rhythm (less than a week of deliveries)"
        if self.silent:
            return (f"silent: about {self.expected:.0f} deliveries were due since the last one (none at all had a "
                    f"{quiet_probability(self.expected) * 100:.2g}% chance); {rate}")
        return rate


def rhythm(deliveries: Iterable[datetime], now: datetime, zone: ZoneInfo, first_seen: datetime | None) -> Rhythm:
    """A source's deliveries (their received times, any order) against its usual rhythm. ``first_seen`` is the
    oldest delivery the desk holds of it (a source younger than a week is still learning)."""
    times = sorted(at for at in deliveries if at <= now)
    usual = usual_per_hour(times, now, zone)
    last = times[-1] if times else None
    hour_ago = now - timedelta(hours=1)
    learning = first_seen is None or now - first_seen < timedelta(weeks=1)
    since = last if last is not None else now - timedelta(weeks=HISTORY_WEEKS)
    return Rhythm(last, sum(1 for at in times if at > hour_ago), usual.get(_hour_of_week(now, zone), 0.0),
                  expected_between(since, now, usual, zone), learning)


def quiet_probability(expected: float) -> float:
    """How likely no delivery at all is when ``expected`` were due (Poisson)."""
    return math.exp(-max(expected, 0.0))


# --- the webhook -------------------------------------------------------------------------------------------------

def same_hour_before(now: datetime, weeks: int = HISTORY_WEEKS) -> list[tuple[datetime, datetime]]:
    """UTC spans that hold every delivery of the local hour of the week ``now`` is in, over the ``weeks`` weeks
    before (two hours either side: the local hour, wherever DST moved it). Reading only these is enough for
    ``usual_this_hour``."""
    return [(now - timedelta(weeks=k, hours=2), now - timedelta(weeks=k) + timedelta(hours=2))
            for k in range(1, weeks + 1)]


def usual_this_hour(deliveries: Iterable[datetime], now: datetime, zone: ZoneInfo) -> float:
    """``usual_per_hour``'s value for the local hour of the week ``now`` is in."""
    return usual_per_hour(deliveries, now, zone).get(_hour_of_week(now, zone), 0.0)


SPIKE_MIN = 3  # refused or quarantined deliveries in an hour before a spike is called
SPIKE_SHARE = 0.25  # ... and at least this share of what reached the door that hour


@dataclass(frozen=True)
class DoorHour:
    """The webhook over the last hour: deliveries accepted (stored), refused at the door (bad signature, too
    large, unknown platform; counted in the database per minute by whichever desk listens), quarantined (stored
    but not mappable), against the usual accepted deliveries at this local hour of the week."""

    accepted: int
    refused: int
    quarantined: int
    usual: float

    @property
    def bad(self) -> int:
        return self.refused + self.quarantined

    @property
    def spike(self) -> bool:
        """At least ``SPIKE_MIN`` bad deliveries, and at least ``SPIKE_SHARE`` of all that came in this hour
        (accepted ones include the quarantined)."""
        came = self.accepted + self.refused
        return self.bad >= SPIKE_MIN and self.bad >= SPIKE_SHARE * came

    def sentence(self) -> str:
        return (f"{self.accepted} accepted in the last hour (usually {self.usual:.1f}), {self.refused} refused, "
                f"{self.quarantined} quarantined")


# --- sign-ins ---------------------------------------------------------------------------------------------------

GOOGLE_TESTING_LIFETIME = timedelta(days=7)  # a refresh token of an OAuth client in "Testing" publishing status
WARN_BEFORE = timedelta(days=2)


@dataclass(frozen=True)
class TokenForecast:
    state: str  # ok | expiring | expired | unknown
    text: str
    expires_at: datetime | None


def token_forecast(signed_in_at: datetime | None, now: datetime, *, testing_mode: bool) -> TokenForecast:
    """When a calendar's sign-in is expected to stop working. Google ends a refresh token of a client in testing
    mode 7 days after it was issued; other sign-ins have no fixed end (they die when revoked or unused for
    months), so only their age is told."""
    if signed_in_at is None:
        return TokenForecast("unknown", "signed in before this desk recorded sign-ins", None)
    age = now - signed_in_at
    days = age.total_seconds() / 86400
    if not testing_mode:
        return TokenForecast("ok", f"signed in {days:.0f} days ago; no fixed expiry", None)
    expires = signed_in_at + GOOGLE_TESTING_LIFETIME
    left = expires - now
    if left <= timedelta(0):
        return TokenForecast("expired", "the sign-in expired (Google testing-mode clients last 7 days)", expires)
    hours = left.total_seconds() / 3600
    when = f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.1f} days"
    state = "expiring" if left <= WARN_BEFORE else "ok"
    return TokenForecast(state, f"the sign-in ends in {when} (Google testing-mode clients last 7 days)", expires)


# --- an owner's answer to an alert's text ------------------------------------------------------------------------

_ACK = re.compile(r"^\s*(?:ACK|OK|OKAY)\b[\s#:.!-]*(\d+)?\s*[.!]?\s*$", re.IGNORECASE)


def read_ack(body: str) -> tuple[bool, int | None]:
    """Whether a text acknowledges an alert, and which: "ACK 12" (or "ok #12") that alert, a bare "ACK" or "OK"
    the latest alert texted. Anything else is not an acknowledgement."""
    m = _ACK.match(body or "")
    return (False, None) if m is None else (True, int(m.group(1)) if m.group(1) else None)


# --- what the store hands out -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertRecord:
    """One alert (``health_alerts`` row): open until a person resolves it or its condition clears."""

    id: int
    key: str
    connection: str
    state: str
    text: str
    raised_at: datetime
    last_seen_at: datetime
    acked_at: datetime | None = None
    acked_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    cleared_at: datetime | None = None
    texted_at: datetime | None = None
    text_error: str | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class SampleAuditRecord:
    calendar: str
    at: datetime
    checked: int
    mismatched: int
    error: str | None = None

    def sentence(self) -> str:
        if self.error:
            return f"could not be read back: {self.error}"
        if not self.checked:
            return "no Synced events to read back"
        return (f"{self.checked} Synced event(s) read back, all as we wrote them" if not self.mismatched else
                f"{self.checked} Synced event(s) read back, {self.mismatched} differed (now Drift)")
