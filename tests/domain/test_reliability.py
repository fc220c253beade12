"""The error budget's arithmetic (property tests), silence against the usual rhythm (DST on both sides) and the
sign-in forecast."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.domain.reliability import (
    BURN_RULES,
    SILENT_EXPECTED,
    Budget,
    WindowCount,
    WriteOutcome,
    burns,
    count,
    expected_between,
    quiet_probability,
    rhythm,
    token_forecast,
    usual_per_hour,
)

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
NY = ZoneInfo("America/New_York")

budgets = st.builds(Budget, target=st.floats(0.5, 0.9999), within=st.timedeltas(timedelta(seconds=1),
                                                                                 timedelta(hours=1)))
outcomes = st.lists(st.builds(
    lambda age, delay, ok: WriteOutcome(NOW - age - delay, NOW - age, ok),
    st.timedeltas(timedelta(0), timedelta(days=8)), st.timedeltas(timedelta(0), timedelta(hours=2)), st.booleans()),
    max_size=60)
windows = st.timedeltas(timedelta(minutes=1), timedelta(days=8))


@given(outcomes, windows, budgets)
def test_good_and_bad_add_up_to_the_writes_in_the_window(items, window, budget):
    c = count(items, NOW, window, budget)
    assert 0 <= c.good <= c.total
    assert c.total == sum(1 for o in items if NOW - window < o.settled_at <= NOW)
    assert c.good == sum(1 for o in items if NOW - window < o.settled_at <= NOW and o.ok
                         and o.settled_at - o.owed_at <= budget.within)


@given(outcomes, windows, budgets)
def test_the_burn_rate_is_the_bad_fraction_over_the_allowance(items, window, budget):
    c = count(items, NOW, window, budget)
    rate = c.burn_rate(budget)
    assert rate >= 0
    if c.total:
        assert rate == pytest.approx(c.bad / c.total / (1 - budget.target))
        assert c.success == pytest.approx(1 - rate * budget.allowance)
        assert c.budget_left(budget) == pytest.approx(1 - rate)
    else:
        assert rate == 0 and c.success is None and c.budget_left(budget) == 1.0


@given(outcomes, budgets, windows, windows)
def test_a_longer_window_never_holds_fewer_writes(items, budget, a, b):
    short, long = sorted((a, b))
    s, l_ = count(items, NOW, short, budget), count(items, NOW, long, budget)
    assert s.total <= l_.total and s.good <= l_.good and s.bad <= l_.bad


@given(outcomes, budgets)
def test_a_burn_fires_only_when_both_windows_exceed_the_factor(items, budget):
    for burn in burns(items, NOW, budget):
        expected_long = count(items, NOW, burn.rule.long, budget).burn_rate(budget)
        expected_short = count(items, NOW, burn.rule.short, budget).burn_rate(budget)
        assert (burn.long_rate, burn.short_rate) == (pytest.approx(expected_long), pytest.approx(expected_short))
        assert burn.firing == (expected_long > burn.rule.factor and expected_short > burn.rule.factor)


@given(st.integers(0, 200), budgets)
def test_all_good_writes_never_burn(n, budget):
    items = [WriteOutcome(NOW - timedelta(minutes=i), NOW - timedelta(minutes=i), True) for i in range(n)]
    assert not any(b.firing for b in burns(items, NOW, budget))
    assert count(items, NOW, timedelta(days=7), budget).budget_left(budget) == 1.0


def test_the_workbook_rules_and_a_failing_calendar_burns_fast_then_stops():
    assert [(r.name, r.long, r.short, r.factor) for r in BURN_RULES] == [
        ("fast", timedelta(hours=1), timedelta(minutes=5), 14.4),
        ("slow", timedelta(hours=6), timedelta(minutes=30), 6.0)]
    budget = Budget()
    good = [WriteOutcome(NOW - timedelta(minutes=m, seconds=30), NOW - timedelta(minutes=m), True)
            for m in range(1, 60)]
    failing = [WriteOutcome(NOW - timedelta(minutes=m), NOW - timedelta(minutes=m), False) for m in range(0, 5)]
    fast, slow = burns(good + failing, NOW, budget)
    assert fast.firing and slow.firing  # 5 bad of 64 over the hour: 15.6×; all of the last 5 minutes bad
    assert fast.sentence() == ("5 of 64 writes in the last hour failed or landed late: 16× faster than the error "
                               "budget allows")
    later = NOW + timedelta(minutes=10)  # the trouble ended: the short window clears the alert
    assert not burns(good + failing, later, budget)[0].firing


def test_a_late_write_is_bad_and_an_objective_outside_0_1_is_refused():
    budget = Budget(0.995, timedelta(minutes=5))
    assert not WriteOutcome(NOW - timedelta(minutes=6), NOW, True).good(budget)
    assert WriteOutcome(NOW - timedelta(minutes=5), NOW, True).good(budget)
    assert WindowCount(199, 200).burn_rate(budget) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Budget(1.0)


# --- silence -----------------------------------------------------------------------------------------------------

def weekday_mornings(until: datetime, weeks: int, per_hour: int, zone=NY) -> list[datetime]:
    """``per_hour`` deliveries in each 9–11 a.m. local hour of every weekday of the ``weeks`` weeks before."""
    out = []
    day = (until - timedelta(weeks=weeks)).astimezone(zone).date()
    while day <= until.astimezone(zone).date():
        if day.weekday() < 5:
            for hour in (9, 10):
                for i in range(per_hour):
                    at = datetime(day.year, day.month, day.day, hour, i * (60 // per_hour), tzinfo=zone)
                    if at.astimezone(timezone.utc) < until:
                        out.append(at.astimezone(timezone.utc))
        day += timedelta(days=1)
    return out


def test_a_platform_quiet_through_its_busy_hour_is_silent_and_quiet_at_night_is_not():
    monday_1130 = datetime(2026, 12, 7, 11, 30, tzinfo=NY).astimezone(timezone.utc)
    history = [t for t in weekday_mornings(monday_1130, 4, 4) if t < datetime(2026, 12, 7, tzinfo=NY)]
    r = rhythm(history, monday_1130, NY, first_seen=history[0])
    # due since Friday 10:45: that hour's last quarter (1) and Monday 9–11 (each of the last 4 Mondays brought 4
    # in each hour: 4 + 4); none came
    assert r.silent and r.expected == pytest.approx(9.0)
    assert "silent" in r.sentence() and r.last_hour == 0
    sunday_night = datetime(2026, 12, 6, 23, 0, tzinfo=NY).astimezone(timezone.utc)
    r = rhythm([t for t in history if t < sunday_night], sunday_night, NY, first_seen=history[0])
    assert not r.silent and r.expected == pytest.approx(1.0)  # only the rest of Friday's 10 a.m. hour


def test_a_platform_that_keeps_delivering_is_not_silent_and_a_new_one_is_learning():
    monday_1030 = datetime(2026, 12, 7, 10, 30, tzinfo=NY).astimezone(timezone.utc)
    history = weekday_mornings(monday_1030, 4, 4)
    r = rhythm(history, monday_1030, NY, first_seen=history[0])
    assert not r.silent and r.usual_this_hour == pytest.approx(4.0) and r.last_hour == 3
    young = rhythm([], monday_1030, NY, first_seen=monday_1030 - timedelta(days=3))
    assert young.learning and not young.silent and "learning" in young.sentence()


@pytest.mark.parametrize("day", [datetime(2026, 3, 8), datetime(2026, 11, 1)], ids=["spring", "fall"])
def test_expected_deliveries_follow_the_wall_clock_across_dst(day):
    """2 a.m. to 3 a.m. local is skipped in spring and lived twice in fall: a usual of 1 per local hour gives 23
    and 25 over the UTC day that holds the change."""
    usual = {(w, h): 1.0 for w in range(7) for h in range(24)}
    start = day.replace(tzinfo=NY)
    end = (day + timedelta(days=1)).replace(tzinfo=NY)
    hours = 23.0 if day.month == 3 else 25.0
    assert expected_between(start.astimezone(timezone.utc), end.astimezone(timezone.utc), usual, NY) == \
        pytest.approx(hours)
    assert expected_between(start, end, usual, NY) == pytest.approx(hours)  # local times give the same


def test_the_usual_hour_is_local_on_both_sides_of_dst():
    before = datetime(2026, 10, 26, 9, 15, tzinfo=NY)  # EDT (UTC-4)
    after = datetime(2026, 11, 2, 9, 15, tzinfo=NY)  # EST (UTC-5)
    usual = usual_per_hour([before.astimezone(timezone.utc), after.astimezone(timezone.utc)],
                           datetime(2026, 11, 20, tzinfo=timezone.utc), NY)
    assert usual == {(0, 9): 0.5}


@given(st.floats(0, 50))
def test_silence_means_no_delivery_was_unlikely(expected):
    assert (quiet_probability(expected) < 0.05) == (expected >= SILENT_EXPECTED) or \
        abs(expected - SILENT_EXPECTED) < 1e-9


# --- sign-ins ----------------------------------------------------------------------------------------------------

def test_a_google_testing_mode_sign_in_is_forecast_to_end_after_7_days():
    f = token_forecast(NOW - timedelta(days=6), NOW, testing_mode=True)
    assert f.state == "expiring" and f.expires_at == NOW + timedelta(days=1) and "24 hours" in f.text
    assert token_forecast(NOW - timedelta(days=2), NOW, testing_mode=True).state == "ok"
    assert token_forecast(NOW - timedelta(days=8), NOW, testing_mode=True).state == "expired"
    other = token_forecast(NOW - timedelta(days=40), NOW, testing_mode=False)
    assert other.state == "ok" and other.expires_at is None and "40 days" in other.text
    assert token_forecast(None, NOW, testing_mode=True).state == "unknown"
