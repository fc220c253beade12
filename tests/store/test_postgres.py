"""Several desks on one PostgreSQL: migrations, one sync leader, no lost or doubled approvals."""

import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from receptionist.domain.bookings import BookingDraft
from receptionist.config import Profile
from receptionist.services.context import location_rules
from receptionist.store.db import make_engine, upgrade
from receptionist.store import StaleEdit, Store
from receptionist.store.tables import Base
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload

pytestmark = pytest.mark.postgres


@pytest.fixture
def desks(pg_url):
    engines = [make_engine(pg_url) for _ in range(2)]
    upgrade(engines[0])
    yield [Store(e) for e in engines]
    for e in engines:
        e.dispose()


def test_migrations_apply_and_match_the_models(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []
    engine.dispose()


def test_times_round_trip_as_utc(desks, clock):
    desk, _ = desks
    call = store_payload(desk, payload(), location_rules(Profile()), clock())
    assert desk.calls.get(call.id).requested_start == call.requested_start
    assert call.requested_start.utcoffset() == timedelta(0)


def test_two_desks_approving_at_once_make_one_appointment(desks, clock):
    a, b = desks
    call = store_payload(a, payload(), location_rules(Profile()), clock())
    p = call.proposal
    draft = BookingDraft(p.caller_name, p.callback_number, p.service, p.start, p.duration_minutes)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def approve(store, who):
        barrier.wait()
        try:
            results.append(store.proposals.approve(p.id, draft, p.version, ["google:primary"], who, clock()))
        except StaleEdit as exc:
            results.append(exc)

    threads = [threading.Thread(target=approve, args=(s, f"desk-{i}")) for i, s in enumerate(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, StaleEdit) for r in results) == 1
    assert len(a.appointments.between()) == 1


def test_one_sync_leader_among_desks(desks, clock):
    ttl = timedelta(seconds=60)
    wins = []
    barrier = threading.Barrier(2)

    def take(store, who):
        barrier.wait()
        wins.append((who, store.leases.acquire("sync-leader", who, ttl, clock())))

    threads = [threading.Thread(target=take, args=(s, f"desk-{i}")) for i, s in enumerate(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(w for _, w in wins) == [False, True]


def test_view_rows_read_the_same_on_postgresql(desks, clock):
    from tests.store.test_repo import test_view_rows_carry_the_shown_columns_and_a_badge_per_link as same_checks

    same_checks(desks[0], clock)
