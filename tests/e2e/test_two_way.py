"""Two-way sync end to end: the real client libraries against the sandbox stand-ins (Google, Microsoft Graph), a
person editing and deleting our events in Outlook, lost answers and Retry-After from Google, and the mass-deletion
guard. The engine's clock is a fake one (no sleeping, no timed assertions)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from receptionist.app import App
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.providers.secrets import memory_secret_store
from receptionist.services.context import location_rules
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.helpers.calls import store_payload
from tests.helpers.fakes import FakeClock
from tests.helpers.payloads import payload

pytestmark = pytest.mark.e2e
CHICAGO = ZoneInfo("America/Chicago")
G, O = "google:primary", "outlook:default"


@pytest.fixture
def app(stack, db_url):
    stack.google.faults.clear()
    stack.microsoft.faults.clear()
    profile = stack.profile()
    secrets = memory_secret_store("two-way")
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False, clock=FakeClock(datetime.now(timezone.utc)))
    yield app
    app.stop()
    stack.google.faults.clear()
    stack.microsoft.faults.clear()


def slot(n: int) -> datetime:
    """The n-th weekday slot (9:00 + n hours, wrapping to the next weekday) from two days ahead, local."""
    day = datetime.now(CHICAGO).date() + timedelta(days=2)
    while True:
        if day.weekday() < 5:
            if n < 8:
                return datetime(day.year, day.month, day.day, 9 + n, 0, tzinfo=CHICAGO)
            n -= 8
        day += timedelta(days=1)


def approve(app, n: int):
    now = app.sync_engine.clock()
    body = payload(requested_start=slot(n).replace(tzinfo=None).isoformat(), duration_minutes=45,
                   caller={"name": f"Caller {n}", "callback_number": f"(312) 555-{2000 + n}", "account_id": "A"})
    call = store_payload(app.store, body, location_rules(app.profile), now)
    return app.desk.bookings.approve(call.proposal.id, call.proposal.version, actor="amy")


def links(app, appt_id):
    return {link.calendar: link for link in app.store.appointments.get(appt_id).links}


def all_synced(app, appt_id):
    return {link.state for link in links(app, appt_id).values()} == {SyncState.SYNCED}


def google_event(stack, appt_id):
    return [e for e in stack.google.events(GOOGLE_ACCOUNT, "primary") if e["id"] == appt_id]


def outlook_event(stack, remote_id):
    return [e for e in stack.microsoft.events() if e["id"] == remote_id]


def instant(when: dict) -> datetime:
    value = datetime.fromisoformat(when["dateTime"][:26].rstrip("Z"))
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def graph_when(moment: datetime) -> dict:
    return {"dateTime": moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(), "timeZone": "UTC"}


def test_moved_in_outlook_is_drift_and_take_theirs_moves_google_too(app, stack):
    appt = approve(app, 0)
    assert app.sync_engine.run_cycle().ok and all_synced(app, appt.id)
    rid = links(app, appt.id)[O].remote_id
    later = appt.start + timedelta(hours=2)
    stack.microsoft.edit_event(None, rid, {"start": graph_when(later), "end": graph_when(later + timedelta(
        minutes=45))})
    report = app.sync_engine.run_cycle()
    link = links(app, appt.id)[O]
    assert not report.ok and link.state is SyncState.DRIFT and set(link.diff) == {"start", "end"}
    assert [instant(e["start"]) for e in google_event(stack, appt.id)] == [appt.start]  # nothing decided silently
    moved = app.desk.sync.take_theirs(link.id, actor="amy")
    assert moved.start == later
    assert app.sync_engine.run_cycle().ok and all_synced(app, appt.id)
    assert [instant(e["start"]) for e in google_event(stack, appt.id)] == [later]


def test_deleted_in_outlook_is_drift_and_keep_ours_recreates_it(app, stack):
    appt = approve(app, 1)
    app.sync_engine.run_cycle()
    rid = links(app, appt.id)[O].remote_id
    stack.microsoft.remove_event(None, rid)
    report = app.sync_engine.run_cycle()
    link = links(app, appt.id)[O]
    assert link.state is SyncState.DRIFT and link.deleted_remotely and link.last_error == "deleted on Outlook"
    app.desk.sync.keep_ours(link.id, actor="amy")
    report = app.sync_engine.run_cycle()
    assert report.ok and all_synced(app, appt.id), links(app, appt.id)[O].last_error
    new_id = links(app, appt.id)[O].remote_id
    assert new_id != rid and [instant(e["start"]) for e in outlook_event(stack, new_id)] == [appt.start]


def test_a_lost_answer_to_a_google_update_is_not_a_conflict(app, stack):
    appt = approve(app, 2)
    app.sync_engine.run_cycle()
    target = slot(3).astimezone(timezone.utc)
    app.desk.appointments.reschedule(appt.id, target)
    stack.google.faults.add(Fault(drop_after_store=True), method="PATCH", path=r"/events/", times=2)
    app.sync_engine.run_cycle()
    app.sync_engine.clock.advance(minutes=5)
    app.sync_engine.run_cycle()
    app.sync_engine.clock.advance(minutes=5)
    assert app.sync_engine.run_cycle().ok and all_synced(app, appt.id)
    assert [instant(e["start"]) for e in google_event(stack, appt.id)] == [target]


def test_retry_after_from_google_pauses_google_and_outlook_goes_on(app, stack):
    first, second = approve(app, 4), approve(app, 5)
    stack.google.faults.add(Fault(status=429, retry_after=120), method="POST", path=r"/events$", times=1)
    report = app.sync_engine.run_cycle()
    assert not report.ok
    assert [links(app, a.id)[O].state for a in (first, second)] == [SyncState.SYNCED] * 2
    assert [links(app, a.id)[G].state for a in (first, second)] == [SyncState.FAILED, SyncState.PENDING]
    assert [c.state for c in app.desk.health.calendars() if c.key == G] == ["throttled"]
    app.sync_engine.clock.advance(seconds=121)
    assert app.sync_engine.run_cycle().ok and all_synced(app, first.id) and all_synced(app, second.id)


def test_an_emptied_outlook_calendar_is_held_until_a_person_answers(app, stack):
    appts = [approve(app, 8 + i) for i in range(6)]
    app.sync_engine.run_cycle()
    for a in appts:
        stack.microsoft.remove_event(None, links(app, a.id)[O].remote_id)
    report = app.sync_engine.run_cycle()
    assert not report.ok
    assert {links(app, a.id)[O].state for a in appts} == {SyncState.DRIFT}
    [health] = [c for c in app.desk.health.calendars() if c.key == O]
    assert health.state == "held" and "6 of our 6 events vanished from Outlook" in health.text
    assert app.desk.sync.resolve_mass_deletion(O, recreate=True, actor="amy") == 6
    assert app.sync_engine.run_cycle().ok
    ids = {e["id"] for e in stack.microsoft.events()}
    assert all(all_synced(app, a.id) and links(app, a.id)[O].remote_id in ids for a in appts)
    assert all(app.store.appointments.get(a.id).status is AppointmentStatus.CONFIRMED for a in appts)


@pytest.fixture
def fresh(tmp_path):
    """A console on stand-ins of its own: a mailbox whose first delta token was handed out before any change."""
    from receptionist_sandbox.stack import SandboxStack

    with SandboxStack() as s:
        s.microsoft.device_code_interval = 0
        profile = s.profile()
        secrets = memory_secret_store("fresh")
        s.provision(profile, secrets)
        app = App.build(profile, f"sqlite:///{tmp_path / 'fresh.db'}", secrets, with_receiver=False,
                        clock=FakeClock(datetime.now(timezone.utc)))
        yield s, app
        app.stop()


@pytest.mark.parametrize("how_many", [1, 6])
def test_our_outlook_events_deleted_before_any_read_saw_them_turn_drift(fresh, how_many):
    """We created them, a person removed them before our next read: Graph's delta reports ids it never listed to
    us ``@removed``; our write's read-back counts as seen, so the removal matches (one: Drift deleted; all of
    them: the mass-deletion hold)."""
    stack, app = fresh
    appts = [approve(app, i) for i in range(how_many)]
    app.sync_engine.run_cycle()
    for a in appts:
        stack.microsoft.remove_event(None, links(app, a.id)[O].remote_id)
    app.sync_engine.run_cycle()
    assert {links(app, a.id)[O].state for a in appts} == {SyncState.DRIFT}
    assert all(links(app, a.id)[O].deleted_remotely for a in appts)
    assert {links(app, a.id)[G].state for a in appts} == {SyncState.SYNCED}
