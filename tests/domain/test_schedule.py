"""The booking rule (``Schedule.refusals``): each reason, DST days, and — with hypothesis — that what is offered is
exactly what is accepted, never overlaps busy time plus buffers, and keeps the caps."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.domain.models import BusyBlock
from receptionist.domain.schedule import (
    BUFFER,
    CLOSED,
    DAY_FULL,
    HOLIDAY,
    OFF_GRID,
    OUTSIDE_HOURS,
    OVERLAP,
    PAST,
    TOO_FAR,
    TOO_SOON,
    WEEK_FULL,
    BookingRules,
    Closure,
    ResourceRule,
    Schedule,
    ServiceRule,
    WeeklyHours,
    parse_range,
)

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # Tuesday 6 AM in Chicago
SPLIT = WeeklyHours.of({"mon": ["08:00-12:00", "13:00-17:00"], "tue": ["08:00-12:00", "13:00-17:00"],
                        "wed": ["08:00-12:00", "13:00-17:00"], "thu": ["08:00-12:00", "13:00-17:00"],
                        "fri": ["08:00-12:00", "13:00-17:00"], "sat": ["09:00-13:00"], "sun": []})


def at(day: int, hour: int, minute: int = 0, zone=CHICAGO, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def rules(**kw) -> BookingRules:
    return BookingRules(CHICAGO, kw.pop("hours", SPLIT), **kw)


def test_ranges_are_read_strictly():
    assert parse_range("08:00-12:30") == (480, 750)
    assert parse_range("13:00-24:00") == (780, 1440)
    for bad in ("8-12", "08:00-07:00", "25:00-26:00", "08:60-09:00"):
        with pytest.raises(ValueError):
            parse_range(bad)
    with pytest.raises(ValueError, match="overlap"):
        WeeklyHours.of({"mon": ["08:00-12:00", "11:00-13:00"]})


def test_each_reason_is_named():
    lunch = BusyBlock(at(2, 10), at(2, 11), "google:primary", "Staff meeting")
    booked = BusyBlock(at(3, 9), at(3, 10), "appointment", "Cleaning — Ann", service="Cleaning")
    r = rules(closures=(Closure(date(2026, 12, 25), date(2026, 12, 25), "Christmas Day"),), min_notice_minutes=180,
              horizon_days=30, max_per_day=1)
    s = Schedule(r, [lunch, booked], NOW, labels={"google:primary": "Google"})
    svc = ServiceRule("Cleaning", 30, buffer_before=15, buffer_after=15)
    assert codes(s.refusals(at(1, 5), svc)) == [PAST, OUTSIDE_HOURS]
    assert codes(s.refusals(at(1, 7), svc)) == [TOO_SOON, OUTSIDE_HOURS]
    assert codes(s.refusals(at(1, 8), svc)) == [TOO_SOON]
    assert codes(s.refusals(at(2, 12), svc)) == [OUTSIDE_HOURS]  # lunch
    assert codes(s.refusals(at(2, 8, 5), svc)) == [OFF_GRID]
    [overlap] = s.refusals(at(2, 10, 30), svc)
    assert overlap.code == OVERLAP and "Staff meeting (Google, 12/02/2026 10:00 AM – 11:00 AM CST)" in overlap.message
    [buffer] = s.refusals(at(2, 11), svc)
    assert buffer.code == BUFFER and "15-minute buffer before" in buffer.message
    assert codes(s.refusals(at(3, 14), svc)) == [DAY_FULL]
    assert codes(s.refusals(at(6, 10), svc)) == [CLOSED]
    assert s.refusals(at(6, 10), svc)[0].message == "we are closed on Sundays"
    assert s.refusals(at(25, 10), svc)[0].message == "closed for Christmas Day (12/25)"
    assert codes(s.refusals(at(25, 10), svc)) == [HOLIDAY]
    assert codes(s.refusals(datetime(2027, 1, 4, 16, tzinfo=UTC), svc)) == [TOO_FAR]
    assert s.refusals(at(2, 14), svc) == []


def test_week_cap_and_service_cap():
    booked = [BusyBlock(at(d, 9), at(d, 10), "appointment", "", service="Consultation") for d in (1, 2)]
    consult = ServiceRule("Consultation", 30, max_per_day=1, max_per_week=2)
    s = Schedule(rules(), booked, NOW)
    assert codes(s.refusals(at(3, 9), consult)) == [WEEK_FULL]
    assert codes(s.refusals(at(2, 14), consult)) == [DAY_FULL, WEEK_FULL]
    assert s.refusals(at(3, 9), ServiceRule("Cleaning", 30)) == []  # another service: no cap of its own
    assert s.refusals(at(8, 9), consult) == []  # next week


def test_resources_have_their_own_hours_and_calendar():
    lee = ResourceRule("Dr. Lee", hours=WeeklyHours.of({"wed": ["09:00-12:00"]}, SPLIT),
                       calendar="google:lee")
    chair = ResourceRule("Chair 1", "chair")
    r = rules(resources=(lee, chair), services=(ServiceRule("Consultation", 30, resources=("Dr. Lee",)),
                                                 ServiceRule("Cleaning", 60, resources=("Chair 1",))))
    surgery = BusyBlock(at(2, 9), at(2, 11), "google:lee", "Surgery")
    s = Schedule(r, [surgery], NOW)
    consult, cleaning = r.service("consultation"), r.service("CLEANING")
    assert codes(s.check(at(2, 9, 30), consult)[1]) == [OVERLAP]  # Dr. Lee's own calendar
    assert s.check(at(2, 9, 30), cleaning)[0].resource == "Chair 1"  # not the chair's
    assert codes(s.check(at(2, 13), consult)[1]) == [OUTSIDE_HOURS]  # her Wednesday is a morning
    offered = s.free_slots(consult, at(2, 0), at(3, 0))
    assert [x.start for x in offered][:2] == [at(2, 11), at(2, 11, 15)]
    assert {x.resource for x in offered} == {"Dr. Lee"}


# --- DST: a range's length is real time, so the day's count follows the clocks --------------------------------------

@pytest.mark.parametrize("zone, day, month, expected", [
    (NEW_YORK, 8, 3, 46),   # spring forward: a 23-hour day
    (NEW_YORK, 1, 11, 50),  # fall back: a 25-hour day
    (NEW_YORK, 15, 3, 48),
    (PHOENIX, 8, 3, 48),    # no DST in Arizona
    (PHOENIX, 1, 11, 48),
])
def test_dst_days_have_the_right_number_of_slots(zone, day, month, expected):
    always = WeeklyHours.of({d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    r = BookingRules(zone, always, step_minutes=30)
    s = Schedule(r, [], datetime(2026, 1, 1, tzinfo=UTC))
    start = datetime(2026, month, day, tzinfo=zone).astimezone(UTC)
    end = (datetime(2026, month, day, tzinfo=zone) + timedelta(days=1)).astimezone(UTC)
    assert len(s.free_slots(ServiceRule("x", 30), start, end)) == expected


@pytest.mark.parametrize("zone", [NEW_YORK, PHOENIX])
@pytest.mark.parametrize("day, month", [(8, 3), (1, 11)])
def test_business_hours_are_wall_clock_on_dst_days(zone, day, month):
    r = BookingRules(zone, WeeklyHours.of({d: ["08:00-18:00"] for d in ("sun", "mon")}), step_minutes=30)
    s = Schedule(r, [], datetime(2026, 1, 1, tzinfo=UTC))
    start = datetime(2026, month, day, tzinfo=zone).astimezone(UTC)
    slots = s.free_slots(ServiceRule("x", 30), start, start + timedelta(days=1))
    assert len(slots) == 20
    assert slots[0].start.astimezone(zone).hour == 8 and slots[-1].end.astimezone(zone).hour == 18


# --- properties ------------------------------------------------------------------------------------------------------

WINDOW_START = at(7, 0)  # a Monday
WINDOW_END = at(14, 0)


@st.composite
def worlds(draw):
    blocks = []
    for _ in range(draw(st.integers(0, 25))):
        start = WINDOW_START + timedelta(minutes=5 * draw(st.integers(-100, 7 * 288)))
        length = timedelta(minutes=5 * draw(st.integers(1, 48)))
        source = draw(st.sampled_from(["appointment", "hold", "google:primary", "google:lee"]))
        service = draw(st.sampled_from(["Cleaning", "Consultation"])) if source in ("appointment", "hold") else None
        blocks.append(BusyBlock(start, start + length, source, "busy", service=service))
    lee = ResourceRule("Dr. Lee", hours=WeeklyHours.of({"tue": ["10:00-15:00"], "sat": []}, SPLIT),
                       calendar="google:lee")
    services = (
        ServiceRule("Cleaning", draw(st.sampled_from([20, 30, 45, 60])), draw(st.integers(0, 20)),
                    draw(st.integers(0, 20)), draw(st.integers(0, 4)), draw(st.integers(0, 12))),
        ServiceRule("Consultation", 30, 5, 0, 0, 0, ("Dr. Lee", "Chair 1")),
    )
    r = BookingRules(CHICAGO, SPLIT, closures=(Closure(date(2026, 12, 10), date(2026, 12, 10), "Training"),),
                     step_minutes=draw(st.sampled_from([10, 15, 30])),
                     min_notice_minutes=draw(st.sampled_from([0, 60, 24 * 60])),
                     horizon_days=draw(st.sampled_from([0, 3, 10])), max_per_day=draw(st.integers(0, 6)),
                     max_per_week=draw(st.integers(0, 20)), services=services,
                     resources=(lee, ResourceRule("Chair 1", "chair")))
    now = WINDOW_START + timedelta(minutes=5 * draw(st.integers(-300, 600)))
    return r, blocks, now, draw(st.sampled_from(["Cleaning", "Consultation"]))


PROPERTY = settings(max_examples=60)


@PROPERTY
@given(worlds())
def test_offered_is_exactly_accepted(world):
    r, blocks, now, name = world
    s = Schedule(r, blocks, now)
    service = r.service(name)
    offered = {x.start: x for x in s.free_slots(service, WINDOW_START, WINDOW_END)}
    probe = WINDOW_START
    while probe < WINDOW_END:
        slot, reasons = s.check(probe, service)
        assert (slot is not None) == (probe in offered), (probe, reasons)
        assert (slot is None) == bool(reasons)
        if slot is not None:
            assert slot == offered[probe]
        probe += timedelta(minutes=5)


@PROPERTY
@given(worlds())
def test_no_offered_slot_touches_busy_time_or_its_buffers(world):
    r, blocks, now, name = world
    s = Schedule(r, blocks, now)
    service = r.service(name)
    for slot in s.free_slots(service, WINDOW_START, WINDOW_END):
        lo = slot.start - timedelta(minutes=service.buffer_before)
        hi = slot.end + timedelta(minutes=service.buffer_after)
        mine = {"google:primary", "appointment", "hold"} | ({"google:lee"} if slot.resource == "Dr. Lee" else set())
        assert not [b for b in blocks if b.source in mine and b.start < hi and lo < b.end]
        assert slot.start >= now + timedelta(minutes=r.min_notice_minutes)


@PROPERTY
@given(worlds())
def test_booking_every_offer_keeps_the_caps(world):
    r, blocks, now, name = world
    service = r.service(name)
    blocks = [b for b in blocks if b.source not in ("appointment", "hold")]
    while True:  # book the first offer again and again, as callers would
        offers = Schedule(r, blocks, now).free_slots(service, WINDOW_START, WINDOW_END)
        if not offers:
            break
        blocks.append(BusyBlock(offers[0].start, offers[0].end, "appointment", "", service=service.name))
    ours = sorted(b.start for b in blocks if b.source == "appointment")
    per_day: dict[date, int] = {}
    for start in ours:
        per_day[start.astimezone(CHICAGO).date()] = per_day.get(start.astimezone(CHICAGO).date(), 0) + 1
    if r.max_per_day:
        assert all(n <= r.max_per_day for n in per_day.values())
    if service.max_per_day:
        assert all(n <= service.max_per_day for n in per_day.values())
    if r.max_per_week:
        assert len(ours) <= r.max_per_week  # the window is one Monday-to-Sunday week
    ends = sorted((b.start, b.end) for b in blocks if b.source == "appointment")
    if not service.resources:  # one at a time when the location as a whole takes it
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ends, ends[1:]))
