"""What a sync cycle costs against the stand-ins, counted (never timed): requests, keyring reads."""

from __future__ import annotations

from collections import Counter

import pytest

from receptionist.app import App
from receptionist.providers.microsoft_auth import CACHE_KEY
from receptionist.providers.secrets import memory_secret_store

pytestmark = pytest.mark.e2e


class CountingSecrets:
    def __init__(self, inner):
        self.inner, self.reads = inner, Counter()

    def get(self, key):
        self.reads[key] += 1
        return self.inner.get(key)

    def set(self, key, value):
        self.inner.set(key, value)

    def delete(self, key):
        self.inner.delete(key)


@pytest.fixture
def counted(stack, db_url):
    profile = stack.profile(ingest_port=0)
    secrets = CountingSecrets(memory_secret_store("cycle-costs"))
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False)
    yield app, secrets
    app.stop()


def test_the_outlook_sign_in_is_read_from_the_keyring_once_per_cycle(counted, stack):
    app, secrets = counted
    stack.seed_week()
    app.sync_engine.targets["outlook:default"].provider.page_size = 3  # a full read of many pages
    for cycle in range(3):
        secrets.reads.clear()
        before = len(stack.microsoft.requests)
        report = app.sync_engine.run_cycle()
        assert not report.pull_errors, report
        graph = [p for _m, p in stack.microsoft.requests[before:] if "/v1.0/" in p]
        assert len(graph) >= (5 if cycle == 0 else 1)
        assert secrets.reads[CACHE_KEY] == 1


def test_a_backlog_drains_in_one_cycle_at_one_request_a_link_then_one_request_a_calendar(counted, stack):
    """Every owed link is planned in the cycle (no per-cycle cap): one create each (its answer is compared, no
    read-back), then a quiet cycle asks each calendar once."""
    from datetime import datetime, timedelta, timezone

    from receptionist.domain.bookings import BookingDraft
    from receptionist.domain.models import SyncState
    from receptionist.domain.payload import LocationRules
    from tests.helpers.calls import store_payload
    from tests.helpers.payloads import payload

    app, _ = counted
    app.sync_engine.run_cycle()  # the first full reads
    rules = LocationRules(zone=app.desk.context.rules.zone)
    day = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    ids = []
    for i in range(30):
        call = store_payload(app.store, payload(call_id=f"backlog-{i}"), rules, datetime.now(timezone.utc))
        p = call.proposal
        draft = BookingDraft(p.caller_name, p.callback_number, p.service, day + timedelta(minutes=30 * i), 30, "")
        ids.append(app.store.proposals.approve(p.id, draft, p.version, list(app.sync_engine.calendars), "desk",
                                              datetime.now(timezone.utc)).id)
    before = {"g": len(stack.google.requests), "o": len(stack.microsoft.requests)}

    report = app.sync_engine.run_cycle()

    assert report.pushed == 60 and report.ok, report
    assert all(link.state is SyncState.SYNCED for i in ids for link in app.store.appointments.get(i).links)
    google = [(m, p.rsplit("/", 2)[-2:]) for m, p in stack.google.requests[before["g"]:]]
    graph = [(m, p) for m, p in stack.microsoft.requests[before["o"]:] if "/v1.0/" in p]
    assert len(google) == 1 + 30 and len(graph) == 1 + 30
    assert sum(m == "POST" for m, _ in google) == 30 and sum(m == "POST" for m, _ in graph) == 30

    before = {"g": len(stack.google.requests), "o": len(stack.microsoft.requests)}
    assert app.sync_engine.run_cycle().ok
    assert len(stack.google.requests) - before["g"] == 1
    assert len([p for _m, p in stack.microsoft.requests[before["o"]:] if "/v1.0/" in p]) == 1
