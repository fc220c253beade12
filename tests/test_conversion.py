"""The conversion report: calls → proposals → confirmed → kept, each drop-off named, per day (the location's, DST
included), reason and platform, counted in SQL; and ``receptionist report conversion --json|--csv``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from receptionist import events
from receptionist.cli import main
from receptionist.config import Profile
from receptionist.domain.bookings import BookingDraft
from receptionist.domain.conversion import DROP_OFFS, Funnel
from receptionist.domain.models import Attendance
from receptionist.errors import UserError
from receptionist.services.context import location_rules
from tests.helpers.calls import store_payload
from tests.helpers.desk import make_desk
from tests.helpers.payloads import payload


def seed(store, clock):
    """Seven calls on Monday 11/23 and one on Sunday 11/1 (the fall-back day, 25 hours long in Chicago):
    attended (kept), a no-show, one whose time came without a mark, upcoming, cancelled, rejected, no time, a
    question."""
    rules = location_rules(Profile())
    at = clock()

    def approve(call, start):
        p = call.proposal
        return store.proposals.approve(p.id, BookingDraft(p.caller_name, p.callback_number, p.service, start, 30),
                                       p.version, [], "Ana", at)

    kept = approve(store_payload(store, payload(platform="vapi"), rules, at), at - timedelta(hours=1))
    store.appointments.mark_attendance(kept.id, kept.version, Attendance.ATTENDED, "Ana", at)
    missed = approve(store_payload(store, payload(), rules, at), at - timedelta(hours=2))
    store.appointments.mark_attendance(missed.id, missed.version, Attendance.NO_SHOW, "Ana", at)
    approve(store_payload(store, payload(), rules, at), at - timedelta(hours=3))  # its time came: not marked
    upcoming = store_payload(store, payload(), rules, at)
    approve(upcoming, at + timedelta(days=2))
    cancelled = store_payload(store, payload(), rules, at)
    appt = approve(cancelled, at + timedelta(days=3))
    store.appointments.cancel(appt.id, appt.version, "asked to", "Ana", at)
    rejected = store_payload(store, payload(platform="vapi"), rules, at)
    store.proposals.reject(rejected.proposal.id, rejected.proposal.version, "full", "Ana", at)
    store_payload(store, payload(requested_start=...), rules, at)  # a booking call without a time
    # 11:30 PM CST on Sunday 11/1 is 05:30 UTC on 11/2: the location's day is still the 1st
    store_payload(store, payload(reason_codes=["general inquiry"], service=..., requested_start=...), rules,
                  datetime(2026, 11, 2, 5, 30, tzinfo=timezone.utc))


def test_the_funnel_names_every_drop_off(store, profile, clock):
    seed(store, clock)
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    report = desk.reports.conversion(date(2026, 11, 1), date(2026, 11, 23))
    assert report.total == Funnel(calls=8, proposals=6, confirmed=5, kept=1, not_a_booking=1, no_time=1,
                                  rejected=1, pending=0, cancelled=1, no_show=1, not_marked=1, upcoming=1)
    t = report.total  # every call is at one stage's end or one drop-off
    assert t.kept + sum(getattr(t, k) for k in DROP_OFFS) == t.calls
    assert report.by_day[date(2026, 11, 1)] == Funnel(calls=1, not_a_booking=1)
    assert report.by_day[date(2026, 11, 2)] == Funnel()
    assert len(report.by_day) == 23
    assert report.by_reason["question"].calls == 1 and report.by_reason["book"].calls == 7
    assert report.by_platform["vapi"] == Funnel(calls=2, proposals=2, confirmed=1, kept=1, rejected=1)
    behind = desk.reports.calls_behind(date(2026, 11, 23), date(2026, 11, 23), "rejected", platform="vapi")
    assert len(behind) == 1 and store.calls.get(behind[0]).proposal.reject_reason == "full"
    assert len(desk.reports.calls_behind(date(2026, 11, 1), date(2026, 11, 23), "calls")) == 8
    for stage in ("kept", "no_show", "not_marked", "upcoming"):  # each drop-off lists exactly the calls it counts
        assert len(desk.reports.calls_behind(date(2026, 11, 1), date(2026, 11, 23), stage)) == 1, stage


def test_the_default_is_the_last_30_days_and_bad_ranges_are_refused(store, profile, clock):
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    report = desk.reports.conversion()
    assert (report.start, report.end) == (date(2026, 10, 25), date(2026, 11, 23))
    with pytest.raises(UserError, match="ends .* before it starts"):
        desk.reports.conversion(date(2026, 11, 23), date(2026, 11, 1))
    with pytest.raises(UserError, match="not a stage"):
        desk.reports.calls_behind(date(2026, 11, 1), date(2026, 11, 2), "lost")


def test_report_conversion_json_and_csv(db_url, capsys, clock):
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    seed(Store(engine), clock)
    engine.dispose()
    capsys.readouterr()
    assert main(["report", "conversion", "--from", "2026-11-01", "--to", "2026-11-23", "--json", "--db",
                 db_url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"]["calls"] == 8 and out["by_day"]["2026-11-01"]["not_a_booking"] == 1
    assert out["total"]["no_show"] == 1 and out["total"]["kept"] == 1
    assert main(["report", "conversion", "--from", "2026-11-01", "--to", "2026-11-23", "--csv", "--db",
                 db_url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # the command line's now is the real one: the appointment of 11/25 has come too, and nobody marked it, so it
    # is "not marked", never kept
    assert rows[0]["group"] == "total" and rows[0]["kept"] == "1" and rows[0]["cancelled"] == "1"
    assert (rows[0]["not_marked"], rows[0]["upcoming"]) == ("2", "0")
    assert {r["key"] for r in rows if r["group"] == "platform"} == {"generic", "vapi"}
    # a US desk's dates are the same days
    assert main(["report", "conversion", "--from", "11/01/2026", "--to", "11/23/2026", "--json", "--db", db_url]) == 0
    assert json.loads(capsys.readouterr().out) == out
    assert main(["report", "conversion", "--from", "11/31/2026", "--db", db_url]) == 2
    assert "--from: '11/31/2026' is not a date (month/day/year)" in capsys.readouterr().err


def test_the_clock_changes_of_a_year_in_chicago():
    from zoneinfo import ZoneInfo

    from receptionist.domain.conversion import clock_changes

    start = datetime(2026, 1, 1, 6, 0, tzinfo=timezone.utc)  # midnight in Chicago
    assert clock_changes(start, start + timedelta(days=365), ZoneInfo("America/Chicago")) == [
        (datetime(2026, 3, 8, 8, 0, tzinfo=timezone.utc), 1.0),  # 2 AM CST → 3 AM CDT
        (datetime(2026, 11, 1, 7, 0, tzinfo=timezone.utc), 0.0)]  # 2 AM CDT → 1 AM CST
    assert clock_changes(start, start + timedelta(days=365), ZoneInfo("America/Phoenix")) == []


def test_calls_on_both_dst_days_fall_on_their_local_day(store, profile, clock):
    rules = location_rules(profile)
    # 11:30 PM local on Saturday 3/7 (CST) and 11:30 PM on Sunday 3/8 (CDT), 12:30 AM on Monday 3/9
    for at in (datetime(2026, 3, 8, 5, 30), datetime(2026, 3, 9, 4, 30), datetime(2026, 3, 9, 5, 30)):
        store_payload(store, payload(), rules, at.replace(tzinfo=timezone.utc))
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    by_day = desk.reports.conversion(date(2026, 3, 7), date(2026, 3, 9)).by_day
    assert [by_day[date(2026, 3, d)].calls for d in (7, 8, 9)] == [1, 1, 1]


def test_the_report_gives_sqlite_what_it_needs_to_read_the_covering_indexes(store, profile, clock):
    """A database filled after its migrations has no statistics (ANALYZE of empty tables records nothing), and
    without them SQLite reads the calls' wide rows rather than the report's covering index: the first report gathers
    them."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its own statistics")
    seed(store, clock)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    sent = []
    listen = lambda _c, _cur, statement, params, _ctx, _many: sent.append((statement, params))  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        before = desk.reports.conversion(date(2026, 11, 1), date(2026, 11, 23))
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    statement, params = next((s, p) for s, p in sent if "day_no" in s)
    with store.engine.connect() as conn:
        analyzed = {r[0] for r in conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
        plan = " ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
    assert "calls" in analyzed
    assert "COVERING INDEX ix_calls_funnel" in plan and "JOIN" not in plan.upper(), plan
    assert desk.reports.conversion(date(2026, 11, 1), date(2026, 11, 23)) == before  # statistics change no answer


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_each_call_keeps_where_it_ended_and_a_backfill_agrees(request, tmp_path, profile, clock, database):
    """The report reads each call's leaf (``store/funnel.py``), kept in the transactions that change the call, its
    proposal or appointment: it equals the same expression worked out afresh for every call (the migration's
    backfill), a move puts a call from "not marked" back to "upcoming", and the report equals the calls behind each
    bar on both databases."""
    from sqlalchemy import select, update

    from receptionist.store import Store, funnel
    from receptionist.store import tables as t
    from receptionist.store.db import make_engine, upgrade

    url = request.getfixturevalue("pg_url") if database == "postgresql" else f"sqlite:///{tmp_path / 'f.db'}"
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    seed(store, clock)
    desk = make_desk(store, profile, events.EventBus(), {}, clock=clock)
    kept = lambda: {r.id: (r.funnel, r.funnel_at) for r in  # noqa: E731
                    store.session().execute(select(t.Call.id, t.Call.funnel, t.Call.funnel_at))}
    maintained = kept()
    assert None not in {leaf for leaf, _at in maintained.values()}
    with engine.begin() as conn:  # forget every leaf, then work them out again as the migration does
        conn.execute(update(t.Call).values(funnel=None, funnel_at=None))
        funnel.refresh(conn)
    assert kept() == maintained
    report = desk.reports.conversion(date(2026, 11, 1), date(2026, 11, 23))
    for stage in ("calls", "proposals", "confirmed", "kept", *DROP_OFFS):
        behind = desk.reports.calls_behind(date(2026, 11, 1), date(2026, 11, 23), stage)
        assert len(behind) == getattr(report.total, stage), stage
    # the appointment whose time came unmarked is moved to next week: upcoming again
    late = next(a for a in store.appointments.between() if a.start == clock() - timedelta(hours=3))
    start = clock() + timedelta(days=7)
    store.appointments.change(late.id, late.version, {"start": start, "end": start + timedelta(minutes=30)}, "Ana",
                              clock())
    after = desk.reports.conversion(date(2026, 11, 1), date(2026, 11, 23)).total
    assert (after.not_marked, after.upcoming) == (report.total.not_marked - 1, report.total.upcoming + 1)
    engine.dispose()
