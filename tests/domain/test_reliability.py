"""The error budget's arithmetic (property tests), silence against the usual rhythm (DST on both sides) and the
sign-in forecast."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.domain.reliability import (
    BURN_RULES,
    DAY,
    SILENT_EXPECTED,
    WEEK,
    WINDOWS,
    Budget,
    WindowCount,
    burns,
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
window_counts = st.integers(0, 500).flatmap(lambda total: st.builds(WindowCount, st.integers(0, total),
                                                                    st.just(total)))
all_counts = st.fixed_dictionaries({w: window_counts for w in WINDOWS})


@given(window_counts, budgets)
def test_the_burn_rate_is_the_bad_fraction_over_the_allowance(c, budget):
    rate = c.burn_rate(budget)
    assert rate >= 0 and c.bad == c.total - c.good >= 0
    if c.total:
        assert rate == pytest.approx(c.bad / c.total / (1 - budget.target))
        assert c.success == pytest.approx(1 - rate * budget.allowance)
        assert c.budget_left(budget) == pytest.approx(1 - rate)
    else:
        assert rate == 0 and c.success is None and c.budget_left(budget) == 1.0


@given(all_counts, budgets)
def test_a_burn_fires_only_when_both_windows_exceed_the_factor(counts, budget):
    for burn in burns(counts, budget):
        long, short = counts[burn.rule.long].burn_rate(budget), counts[burn.rule.short].burn_rate(budget)
        assert (burn.long_rate, burn.short_rate) == (pytest.approx(long), pytest.approx(short))
        assert burn.firing == (long > burn.rule.factor and short > burn.rule.factor)
        assert burn.long == counts[burn.rule.long]


@given(st.integers(0, 500), budgets)
def test_all_good_writes_never_burn_and_leave_the_budget_whole(n, budget):
    counts = {w: WindowCount(n, n) for w in WINDOWS}
    assert not any(b.firing for b in burns(counts, budget))
    assert counts[WEEK].budget_left(budget) == 1.0
    assert not any(b.firing for b in burns({}, budget))  # no writes at all: nothing to judge


def test_the_workbook_rules_and_a_failing_calendar_burns_fast_then_stops():
    assert [(r.name, r.long, r.short, r.factor) for r in BURN_RULES] == [
        ("fast", timedelta(hours=1), timedelta(minutes=5), 14.4),
        ("slow", timedelta(hours=6), timedelta(minutes=30), 6.0)]
    assert WINDOWS == (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=6), DAY, WEEK)
    budget = Budget()
    counts = {timedelta(minutes=5): WindowCount(0, 5), timedelta(minutes=30): WindowCount(25, 30),
              timedelta(hours=1): WindowCount(59, 64), timedelta(hours=6): WindowCount(359, 364)}
    fast, slow = burns(counts, budget)
    assert fast.firing and not slow.firing  # 5 bad of 64 over the hour: 15.6×, all of the last 5 minutes bad
    assert fast.sentence() == ("5 of 64 writes in the last hour failed or landed late: 16× faster than the error "
                               "budget allows")
    later = {**counts, timedelta(minutes=5): WindowCount(3, 3)}  # the trouble ended: the short window clears it
    assert not burns(later, budget)[0].firing


def test_an_objective_outside_0_1_is_refused():
    assert WindowCount(199, 200).burn_rate(Budget(0.995)) == pytest.approx(1.0)
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


def test_an_owner_text_acknowledges_an_alert_or_the_latest():
    from receptionist.domain.reliability import read_ack

    assert read_ack("ACK 12") == (True, 12) and read_ack(" ack #12. ") == (True, 12)
    assert read_ack("OK") == (True, None) and read_ack("okay!") == (True, None) and read_ack("Ack") == (True, None)
    assert read_ack("ok 7") == (True, 7)
    for other in ("", "C", "STOP", "ok thanks, will look", "acknowledged 12", "12", "BOOK 12"):
        assert read_ack(other) == (False, None), other


@settings(max_examples=60)
@given(st.lists(st.integers(0, 6 * 7 * 24 * 60), max_size=120),
       st.sampled_from([datetime(2026, 3, 9, 15, 30, tzinfo=timezone.utc),  # the day after spring forward
                        datetime(2026, 11, 2, 7, 10, tzinfo=timezone.utc),  # the day after fall back, 1:10 CST
                        datetime(2026, 11, 1, 6, 40, tzinfo=timezone.utc),  # 1:40 CDT, an hour repeated later
                        datetime(2026, 12, 7, 21, 5, tzinfo=timezone.utc)]))
def test_the_usual_this_hour_needs_only_the_same_hour_of_earlier_weeks(minutes_ago, now):
    """The webhook reads only the spans ``same_hour_before`` names: the usual for this hour is the same as from
    every delivery, across DST on both sides."""
    from receptionist.domain.reliability import same_hour_before, usual_this_hour

    zone = ZoneInfo("America/Chicago")
    times = [now - timedelta(minutes=m) for m in minutes_ago]
    spans = same_hour_before(now)
    picked = [at for at in times if any(start <= at < end for start, end in spans)]
    everything = usual_per_hour(times, now, zone).get((now.astimezone(zone).weekday(), now.astimezone(zone).hour), 0.0)
    assert usual_this_hour(picked, now, zone) == everything
