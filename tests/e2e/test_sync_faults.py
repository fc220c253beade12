"""Each fault switch of the stand-ins, end to end through the sync engine and the real client libraries: what the
badge and the calendar's health say while it lasts, and that the booking lands exactly once when it is over."""

from datetime import timedelta

import pytest

from receptionist.app import App
from receptionist.domain.models import SyncState
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.e2e.test_two_way import G, O, all_synced, approve, google_event, links, outlook_event
from tests.helpers.fakes import FakeClock

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(stack, db_url):
    from datetime import datetime, timezone

    stack.google.faults.clear()
    stack.microsoft.faults.clear()
    base = stack.profile()
    # short timeouts, so a stalled answer is a timeout here rather than a 20 s wait
    profile = base.model_copy(update={"outlook": base.outlook.model_copy(update={"timeout_seconds": 0.5}),
                                      "google": base.google.model_copy(update={"timeout_seconds": 0.5})})
    secrets = memory_secret_store("faults")
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False, clock=FakeClock(datetime.now(timezone.utc)))
    yield app
    app.stop()
    stack.google.faults.clear()
    stack.microsoft.faults.clear()


def settle(app, cycles: int = 3):
    """Let backoffs run out (fake clock) and cycle until quiet."""
    for _ in range(cycles):
        app.sync_engine.clock.advance(minutes=20)
        app.sync_engine.run_cycle()


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_fails_the_link_then_it_lands_once(app, stack, status):
    appt = approve(app, 20 + status % 7)
    stack.google.faults.add(Fault(status=status), method="POST", path=r"/events$", times=1)
    stack.microsoft.faults.add(Fault(status=status), method="POST", path=r"/events$", times=1)
    app.sync_engine.run_cycle()
    for key in (G, O):
        link = links(app, appt.id)[key]
        assert link.state is SyncState.FAILED and "retrying at" in link.last_error, link
    settle(app)
    assert all_synced(app, appt.id)
    assert len(google_event(stack, appt.id)) == 1
    assert len(outlook_event(stack, links(app, appt.id)[O].remote_id)) == 1


def test_a_timeout_whose_write_landed_is_not_a_second_event(app, stack):
    appt = approve(app, 30)
    # the stand-in stores the event, but answers after the client gave up: a lost answer on both calendars
    stack.google.faults.add(Fault(delay=1.5), method="POST", path=r"/events$", times=1)
    stack.microsoft.faults.add(Fault(delay=1.5), method="POST", path=r"/events$", times=1)
    app.sync_engine.run_cycle()
    assert {links(app, appt.id)[k].state for k in (G, O)} <= {SyncState.FAILED, SyncState.SYNCED}
    settle(app)
    assert all_synced(app, appt.id)
    assert len(google_event(stack, appt.id)) == 1
    assert len(outlook_event(stack, links(app, appt.id)[O].remote_id)) == 1


def test_an_answer_lost_after_the_create_landed_is_one_event(app, stack):
    appt = approve(app, 31)
    stack.google.faults.add(Fault(drop_after_store=True), method="POST", path=r"/events$", times=1)
    stack.microsoft.faults.add(Fault(drop_after_store=True), method="POST", path=r"/events$", times=1)
    app.sync_engine.run_cycle()
    settle(app)
    assert all_synced(app, appt.id)
    assert len(google_event(stack, appt.id)) == 1
    assert len(outlook_event(stack, links(app, appt.id)[O].remote_id)) == 1


def test_a_persons_edit_between_a_lost_create_and_its_retry_is_drift_on_both_calendars_not_overwritten(app, stack):
    appt = approve(app, 34)
    stack.google.faults.add(Fault(drop_after_store=True), method="POST", path=r"/events$", times=1)
    stack.microsoft.faults.add(Fault(drop_after_store=True), method="POST", path=r"/events$", times=1)
    app.sync_engine.run_cycle()
    assert links(app, appt.id)[G].remote_id is None and links(app, appt.id)[O].remote_id is None
    stack.google.edit_event(GOOGLE_ACCOUNT, "primary", appt.id, {"summary": "Moved to Friday — Dr. Patel"})
    [landed] = [e for e in stack.microsoft.events() if appt.id in str(e.get("singleValueExtendedProperties"))]
    stack.microsoft.edit_event(None, landed["id"], {"subject": "Moved to Friday — Dr. Patel"})
    settle(app)
    for key in (G, O):
        link = links(app, appt.id)[key]
        assert link.state is SyncState.DRIFT and set(link.diff) == {"title"}, link
    assert google_event(stack, appt.id)[0]["summary"] == "Moved to Friday — Dr. Patel"
    assert outlook_event(stack, landed["id"])[0]["subject"] == "Moved to Friday — Dr. Patel"


def test_a_refused_sign_in_is_reconnect_not_retried_then_a_new_sign_in_pushes(app, stack):
    appt = approve(app, 32)
    stack.microsoft.revoke_refresh_tokens()
    stack.microsoft.expire_access_tokens()
    app.sync_engine.run_cycle()
    assert links(app, appt.id)[O].state is SyncState.RECONNECT
    assert links(app, appt.id)[G].state is SyncState.SYNCED  # the other calendar goes on
    [outlook] = [c for c in app.desk.health.calendars() if c.key == O]
    assert outlook.state == "reconnect" and "Reconnect" in outlook.text
    requests_before = len(stack.microsoft.requests)
    app.sync_engine.clock.advance(seconds=30)
    app.sync_engine.run_cycle()  # not retried with backoff: still waiting for a person
    assert links(app, appt.id)[O].state is SyncState.RECONNECT
    assert len(stack.microsoft.requests) == requests_before  # no request to a calendar that refused us

    stack.provision(app.profile, app.secrets)  # a person signs in again (what Reconnect… runs)
    from receptionist.app import calendar_targets

    target = next(t for t in calendar_targets(app.profile, app.secrets)[0] if t.key == O)
    app.sync_engine.targets[O] = target
    app.store.health.reopen(O, app.sync_engine.clock())
    app.sync_engine.run_cycle()
    assert all_synced(app, appt.id)


def test_an_expired_sync_token_is_a_full_read_that_still_sees_a_persons_edit(app, stack):
    appt = approve(app, 33)
    app.sync_engine.run_cycle()
    assert all_synced(app, appt.id)
    later = appt.start + timedelta(hours=1)
    stack.google.edit_event(GOOGLE_ACCOUNT, "primary", appt.id,
                            {"start": {"dateTime": later.isoformat()},
                             "end": {"dateTime": (later + timedelta(minutes=45)).isoformat()}})
    stack.google.invalidate_sync_tokens()  # the next incremental read answers 410
    report = app.sync_engine.run_cycle()
    assert G not in report.pull_errors  # 410 → a full read, not a failure
    link = links(app, appt.id)[G]
    assert link.state is SyncState.DRIFT and set(link.diff) == {"start", "end"}


@pytest.mark.parametrize("after_store", [False, True], ids=["before-store", "after-store"])
def test_one_closed_connection_is_retried_soon_not_waited_out_as_no_network(app, stack, after_store):
    """The server closes one connection (before or after storing the create): the link fails with a plain
    sentence and a retry seconds away, the calendars stay open (not "waiting for network"), and the retry
    finds what landed: one event per calendar."""
    appt = approve(app, 40 + after_store)
    for sandbox in (stack.google, stack.microsoft):
        # httplib2 re-sends a request once by itself after a dropped connection: Google needs two in a row
        sandbox.faults.add(Fault(close_connection=True, drop_after_store=after_store), method="POST",
                           path=r"/events$", times=2 if sandbox is stack.google else 1)
    app.sync_engine.run_cycle()
    now = app.sync_engine.clock()
    for key, label in ((G, "Google Calendar"), (O, "Outlook")):
        link = links(app, appt.id)[key]
        assert link.state is SyncState.FAILED, link
        assert link.last_error.startswith(f"{label} closed the connection before answering — retrying at")
        assert "(" not in link.last_error.split("—")[0]  # no Python repr
        assert link.next_attempt_at - now <= timedelta(seconds=15)
        assert app.store.health.of(key).gate == "open"
    app.sync_engine.clock.advance(seconds=15)
    assert app.sync_engine.run_cycle().ok and all_synced(app, appt.id)
    assert len(google_event(stack, appt.id)) == 1
    assert len(outlook_event(stack, links(app, appt.id)[O].remote_id)) == 1
    assert [e for e in stack.microsoft.events() if appt.id in str(e)] == outlook_event(
        stack, links(app, appt.id)[O].remote_id)


def test_a_calendar_that_cannot_be_connected_to_waits_for_the_network_in_words(app, stack, monkeypatch):
    """No connection can be made (the port refuses): "waiting for network" with the reason in plain words."""
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    target = app.sync_engine.targets[O]
    monkeypatch.setattr(target.provider, "_root", f"http://127.0.0.1:{port}/v1.0")
    monkeypatch.setattr(target.provider, "_origin", f"http://127.0.0.1:{port}")
    appt = approve(app, 42)
    app.sync_engine.run_cycle()
    health = app.store.health.of(O)
    assert health.gate == "offline"
    assert health.pause_reason == "waiting for network: Outlook cannot be reached: it refused the connection"
    assert links(app, appt.id)[O].state is SyncState.PENDING
