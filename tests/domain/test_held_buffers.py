"""A slot held for a caller on the phone is busy time with the service's buffers around it, and a refusal — never a
warning a person books over — whether the start meets the held time or only its buffer (``busy_issues`` over
``Schedule.refusals``, the rule the free-time search uses too), at the check and again in the write's transaction
(``HeldRule``, over the holds the store reads there)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.domain.availability import HeldRule, busy_issues
from receptionist.domain.models import BusyBlock, Severity
from receptionist.domain.schedule import BookingRules, Schedule, ServiceRule, WeeklyHours

CHICAGO = ZoneInfo("America/Chicago")
UTC = timezone.utc
MONDAY = datetime(2026, 12, 7, 8, tzinfo=CHICAGO).astimezone(UTC)
NOW = MONDAY - timedelta(days=1)
HELD = "held for another caller"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 7, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


def test_the_buffer_next_to_a_held_time_is_named_and_refused():
    rules = BookingRules(CHICAGO, WeeklyHours.simple(8, 18),
                         services=(ServiceRule("Cleaning", 30, buffer_before=10, buffer_after=10),))
    held = BusyBlock(at(10), at(10, 30), "hold", HELD, service="Cleaning")
    meeting = BusyBlock(at(14), at(14, 30), "google:primary", "Staff meeting")
    found = busy_issues([(at(10, 30), at(11), "Cleaning"), (at(9, 30), at(10), "Cleaning"),
                         (at(14, 30), at(15), "Cleaning"), (at(10, 45), at(11, 15), "Cleaning")],
                        lambda lo, hi: [held, meeting], rules, NOW)
    after, before, ordinary, clear = (checked.issues for checked in found)
    assert [(i.severity, i.message) for i in after] == [
        (Severity.ERROR, "within the 10-minute buffer after a time held for another caller "
                         "(12/07/2026 10:00 AM – 10:30 AM CST)")]
    assert [(i.severity, i.message) for i in before] == [
        (Severity.ERROR, "within the 10-minute buffer before a time held for another caller "
                         "(12/07/2026 10:00 AM – 10:30 AM CST)")]
    assert [i.severity for i in ordinary] == [Severity.WARNING]  # a calendar's meeting: a person may book over it
    assert clear == []
    offered = {s.start for s in Schedule(rules, [held, meeting], NOW).free_slots(rules.services[0], at(8), at(12))}
    assert at(9, 15) in offered and at(10, 45) in offered
    assert not offered & {at(9, 30), at(9, 45), at(10), at(10, 15), at(10, 30)}


@st.composite
def worlds(draw):
    blocks = []
    for _ in range(draw(st.integers(1, 12))):
        start = MONDAY + timedelta(minutes=5 * draw(st.integers(-12, 120)))
        length = timedelta(minutes=5 * draw(st.integers(1, 18)))
        source = draw(st.sampled_from(["hold", "appointment", "google:primary"]))
        blocks.append(BusyBlock(start, start + length, source, HELD if source == "hold" else "busy",
                                service="Cleaning" if source != "google:primary" else None))
    service = ServiceRule("Cleaning", draw(st.sampled_from([15, 30, 45])), draw(st.integers(0, 30)),
                          draw(st.integers(0, 30)))
    return BookingRules(CHICAGO, WeeklyHours.simple(8, 18), step_minutes=5, services=(service,)), blocks


@settings(max_examples=80)
@given(worlds())
def test_a_start_meeting_a_hold_or_its_buffers_is_an_error_and_never_offered(world):
    rules, blocks = world
    service = rules.services[0]
    length, before, after = (timedelta(minutes=m) for m in (service.duration_minutes, service.buffer_before,
                                                             service.buffer_after))
    offered = {s.start for s in Schedule(rules, blocks, NOW).free_slots(service, MONDAY, MONDAY + timedelta(hours=10))}
    write = HeldRule(rules, service)
    probe = MONDAY
    while probe + length <= MONDAY + timedelta(hours=10):
        [checked] = busy_issues([(probe, probe + length, "Cleaning")], lambda lo, hi: blocks, rules, NOW)
        issues = checked.issues
        near = [b for b in blocks if b.start < probe + length + after and probe - before < b.end]
        errors = [i for i in issues if i.severity is Severity.ERROR]
        held = [b for b in near if b.source == "hold"]
        assert bool(errors) == bool(held), (probe, issues)
        assert all(HELD in i.message for i in errors)
        assert len(issues) == len(near)  # every busy block near it is named once, the rest as warnings
        assert (probe in offered) == (not near)
        lo, hi = write.around(probe, probe + length)  # what the write's transaction reads, and asks the rule of
        refused = write.refusal(probe, None, [b for b in blocks if b.source == "hold" and b.start < hi and lo < b.end],
                                NOW)
        assert (refused is not None) == bool(held), (probe, refused)
        probe += timedelta(minutes=5)
