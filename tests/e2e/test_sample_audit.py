"""The daily sample audit end to end: Synced events read back through the real client libraries from the Google and
Microsoft Graph stand-ins; one a person edited on Google and one removed from Outlook (neither pulled yet) become
Drift, the audit is recorded and the Health report shows it."""

from datetime import datetime, timezone

import pytest

from receptionist.app import App
from receptionist.domain.models import SyncState
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.faults import Fault
from receptionist_sandbox.stack import GOOGLE_ACCOUNT
from tests.e2e.test_two_way import approve, links
from tests.helpers.fakes import FakeClock

pytestmark = pytest.mark.e2e
G, O = "google:primary", "outlook:default"


@pytest.fixture
def app(stack, db_url):
    stack.google.faults.clear()
    stack.microsoft.faults.clear()
    profile = stack.profile()
    secrets = memory_secret_store("sample-audit")
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False, clock=FakeClock(datetime.now(timezone.utc)))
    yield app
    app.stop()


def test_the_sample_audit_finds_an_edit_and_a_removal_the_pulls_have_not_seen(app, stack):
    appts = [approve(app, n) for n in range(4)]
    app.sync_engine.run_cycle()
    assert all(link.state is SyncState.SYNCED for a in appts for link in links(app, a.id).values())
    stack.google.edit_event(GOOGLE_ACCOUNT, "primary", links(app, appts[1].id)[G].remote_id,
                            {"summary": "Changed by hand"})
    stack.microsoft.remove_event(None, links(app, appts[2].id)[O].remote_id)
    results = {r.calendar: r for r in app.desk.watch.sample_audit(seed=7)}
    assert (results[G].checked, results[G].mismatched, results[G].error) == (4, 1, None)
    assert (results[O].checked, results[O].mismatched) == (4, 1)
    assert links(app, appts[1].id)[G].state is SyncState.DRIFT
    assert links(app, appts[2].id)[O].state is SyncState.DRIFT and "deleted on Outlook" in \
        links(app, appts[2].id)[O].last_error
    report = app.desk.watch.report()
    google = next(c for c in report.connections if c.key == G)
    assert "audit-mismatch" in google.problems and google.numbers["sample_audit"]["mismatched"] == 1
    assert "4 Synced event(s) read back, 1 differed (now Drift)" in dict(google.facts)["Sample audit"]
    raised = {a.key for a in app.desk.watch.evaluate()}
    assert {"audit-mismatch:google:primary", "audit-mismatch:outlook:default"} <= raised


def test_outlook_reads_the_sample_in_one_batch_and_a_read_throttled_inside_it_fails_alone(app, stack):
    appts = [approve(app, n) for n in range(4)]
    app.sync_engine.run_cycle()
    throttled = links(app, appts[0].id)[O].remote_id
    stack.microsoft.remove_event(None, links(app, appts[2].id)[O].remote_id)
    stack.microsoft.faults.add(Fault(status=429, retry_after=30), method="GET", path=throttled)
    before = len(stack.microsoft.requests)

    results = {r.calendar: r for r in app.desk.watch.sample_audit(seed=7)}

    assert stack.microsoft.requests[before:] == [("POST", "/v1.0/$batch")]
    assert (results[O].checked, results[O].mismatched) == (4, 1)
    assert results[O].error.startswith("Outlook:")  # the throttled read, in its own words
    assert links(app, appts[2].id)[O].state is SyncState.DRIFT  # read in the same batch: planned
    assert links(app, appts[0].id)[O].state is SyncState.SYNCED  # its read failed: left as it was
    assert (results[G].checked, results[G].mismatched, results[G].error) == (4, 0, None)

    stack.microsoft.faults.add(Fault(status=429, retry_after=30), method="GET", path=throttled)
    found = app.desk.health.reconcile_now()
    assert "error" in found[O] and "error" not in found[G]
