"""Two-way sync with a CalDAV calendar end to end: the engine, the ``caldav`` client library and a real CalDAV
server (Radicale, from the sandbox stack) beside the Google and Outlook stand-ins. A person edits and deletes our
events from a second CalDAV client. The engine's clock is a fake one (no sleeping, no timed assertions)."""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from receptionist.app import App
from receptionist.config import Profile
from receptionist.domain.models import AppointmentStatus, SyncState
from receptionist.errors import NotFound
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox import caldav as caldav_sandbox
from receptionist_sandbox.caldav import FaultProxy
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.stack import SandboxStack
from tests.e2e.test_two_way import approve, google_event, instant, links, slot
from tests.helpers.caldav import Person
from tests.helpers.fakes import FakeClock

pytestmark = pytest.mark.e2e
CHICAGO = ZoneInfo("America/Chicago")
C, G = f"caldav:{caldav_sandbox.DEMO_CALENDAR}", "google:primary"


@pytest.fixture(scope="module")
def stack():
    with SandboxStack(caldav=True) as s:
        yield s


@pytest.fixture
def app(stack, db_url):
    profile = stack.profile()
    secrets = memory_secret_store("two-way-caldav")
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False, clock=FakeClock(datetime.now(timezone.utc)))
    yield app
    app.stop()


@pytest.fixture
def person(stack):
    someone = Person(stack.radicale.url, stack.caldav_calendar, user=caldav_sandbox.DEMO_USER,
                     password=caldav_sandbox.DEMO_PASSWORD)
    yield someone
    someone.client.close()


def synced_everywhere(app, appt_id) -> bool:
    states = {key: link.state for key, link in links(app, appt_id).items()}
    return set(states) == {C, G, "outlook:default"} and set(states.values()) == {SyncState.SYNCED}


def test_the_caldav_calendar_is_one_of_the_desk_s_calendars(app):
    assert app.sync_engine.calendars[C] == "CalDAV" and C in app.sync_engine.targets
    appt = approve(app, 0)
    assert app.sync_engine.run_cycle().ok and synced_everywhere(app, appt.id)
    [health] = [c for c in app.desk.health.calendars() if c.key == C]
    assert health.state == "ok"
    found = app.sync_engine.reconcile(seed=1)[C]  # a full read of the days ahead, and a re-read sample
    assert found["events_read"] >= 1 and found["needs_person"] == 0 and found["sample_checked"] >= 1


def test_moved_in_caldav_is_drift_and_take_theirs_moves_google_too(app, stack, person):
    appt = approve(app, 1)
    assert app.sync_engine.run_cycle().ok
    remote_id = links(app, appt.id)[C].remote_id
    later = appt.start + timedelta(hours=2)
    person.edit(remote_id, title=app.store.cache.by_remote_id(C, [remote_id])[remote_id].title, start=later,
                end=later + timedelta(minutes=45))
    report = app.sync_engine.run_cycle()
    link = links(app, appt.id)[C]
    assert not report.ok and link.state is SyncState.DRIFT and set(link.diff) == {"start", "end"}
    moved = app.desk.sync.take_theirs(link.id, actor="amy")
    assert moved.start == later
    assert app.sync_engine.run_cycle().ok and synced_everywhere(app, appt.id)
    assert [instant(e["start"]) for e in google_event(stack, appt.id)] == [later]


def test_deleted_in_caldav_is_drift_and_keep_ours_recreates_it_under_a_new_href(app, person):
    appt = approve(app, 2)
    app.sync_engine.run_cycle()
    remote_id = links(app, appt.id)[C].remote_id
    person.delete(remote_id)
    app.sync_engine.run_cycle()
    link = links(app, appt.id)[C]
    assert link.state is SyncState.DRIFT and link.deleted_remotely and link.last_error == "deleted on CalDAV"
    app.desk.sync.keep_ours(link.id, actor="amy")
    assert app.sync_engine.run_cycle().ok and synced_everywhere(app, appt.id)
    new_id = links(app, appt.id)[C].remote_id
    assert new_id != remote_id and new_id.endswith(f"{appt.id}g1.ics")
    event = app.sync_engine.targets[C].provider.get_event(app.sync_engine.targets[C].calendar_id, new_id)
    assert (event.start, event.uid) == (appt.start, appt.id)


def test_our_cancellation_deletes_the_caldav_event(app, person):
    appt = approve(app, 3)
    app.sync_engine.run_cycle()
    remote_id = links(app, appt.id)[C].remote_id
    app.desk.appointments.cancel(appt.id, actor="amy")
    assert app.sync_engine.run_cycle().ok
    target = app.sync_engine.targets[C]
    assert target.provider.get_event(target.calendar_id, remote_id) is None


def test_an_emptied_caldav_calendar_is_held_until_a_person_answers(app, person):
    appts = [approve(app, 8 + i) for i in range(6)]
    app.sync_engine.run_cycle()
    for a in appts:
        person.delete(links(app, a.id)[C].remote_id)
    report = app.sync_engine.run_cycle()
    assert not report.ok
    assert {links(app, a.id)[C].state for a in appts} == {SyncState.DRIFT}
    [health] = [c for c in app.desk.health.calendars() if c.key == C]
    assert health.state == "held" and "6 of our 6 events vanished from CalDAV" in health.text
    assert app.desk.sync.resolve_mass_deletion(C, recreate=True, actor="amy") == 6
    assert app.sync_engine.run_cycle().ok
    assert all(synced_everywhere(app, a.id) for a in appts)
    assert all(app.store.appointments.get(a.id).status is AppointmentStatus.CONFIRMED for a in appts)


@pytest.fixture
def proxy(stack):
    proxy = FaultProxy(stack.radicale.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_app(stack, proxy, db_url):
    """The desk talking to Radicale through the fault proxy."""
    base = stack.profile()
    data = base.model_dump()
    data["caldav"].update(url=proxy.url, calendar_url=proxy.url.rstrip("/") + urlsplit(stack.caldav_calendar).path)
    profile = Profile.from_dict(data, source="proxied")
    secrets = memory_secret_store("two-way-caldav-proxied")
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False, clock=FakeClock(datetime.now(timezone.utc)))
    yield app
    app.stop()


def test_a_create_whose_answer_was_lost_is_one_event_after_the_network_is_back(proxied_app, proxy):
    app = proxied_app
    proxy.faults.add(Fault(drop_after_store=True), method="PUT", times=1)
    appt = approve(app, 4)
    report = app.sync_engine.run_cycle()
    assert links(app, appt.id)[C].state is not SyncState.SYNCED and report.waiting
    [health] = [c for c in app.desk.health.calendars() if c.key == C]
    assert "waiting for network" in health.text
    app.sync_engine.clock.advance(minutes=1)
    assert app.sync_engine.run_cycle().ok and synced_everywhere(app, appt.id)
    target = app.sync_engine.targets[C]
    ours = [e for e in target.provider.list_events(target.calendar_id, appt.start - timedelta(hours=1),
                                                   appt.end + timedelta(hours=1)) if e.uid == appt.id]
    assert [e.remote_id for e in ours] == [links(app, appt.id)[C].remote_id]


def test_a_412_is_read_and_compared_before_it_is_called_a_conflict(proxied_app, proxy, person):
    app = proxied_app
    appt = approve(app, 5)
    assert app.sync_engine.run_cycle().ok
    app.desk.appointments.reschedule(appt.id, slot(6).astimezone(timezone.utc))
    proxy.faults.add(Fault(status=412), method="PUT", times=1)  # the event is as we left it: not a conflict
    assert app.sync_engine.run_cycle().ok and synced_everywhere(app, appt.id)

    remote_id = links(app, appt.id)[C].remote_id
    app.desk.appointments.reschedule(appt.id, slot(7).astimezone(timezone.utc))
    cached = app.store.cache.by_remote_id(C, [remote_id])[remote_id]
    person.edit(remote_id, title="Changed by the owner", start=cached.start, end=cached.end)  # not pulled yet
    proxy.faults.add(Fault(status=500), method="REPORT", times=1)  # the pull fails, the write goes on: 412
    app.sync_engine.run_cycle()
    link = links(app, appt.id)[C]
    assert link.state is SyncState.CONFLICT and link.last_error.startswith("changed on CalDAV as we wrote")
    assert "title" in link.diff


def test_the_desk_s_caldav_provider_keeps_its_memory_in_the_desk_s_database(app, stack, db_url):
    appt = approve(app, 7)
    assert app.sync_engine.run_cycle().ok and synced_everywhere(app, appt.id)
    app.desk.appointments.cancel(appt.id, actor="amy")
    assert app.sync_engine.run_cycle().ok  # our event deleted from the CalDAV calendar: remembered as gone
    kept = json.loads(app.store.provider_memory.recall(stack.caldav_calendar))
    [(cursor, _)] = kept["snapshots"][:1]
    assert cursor == app.store.cache.cursor(C)[0]
    assert any(href.endswith(f"{appt.id}.ics") for href in kept["gone"])
    app.stop()

    again = App.build(app.profile, db_url, app.secrets, with_receiver=False, clock=app.sync_engine.clock)
    try:  # a desk started anew on the same database answers a retried create of that event as deleted
        target = again.sync_engine.targets[C]
        with pytest.raises(NotFound):
            target.provider.create_event(target.calendar_id, again.sync_engine.draft_for(appt))
    finally:
        again.stop()
