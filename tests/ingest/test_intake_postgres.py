"""On PostgreSQL a text value with a NUL character is refused by the database: that delivery is quarantined
with the reason and the rest of its batch is stored."""


import pytest

from receptionist import events
from receptionist.ingest.intake import Intake
from receptionist.ingest.platforms import ADAPTERS, Delivery
from receptionist.services.context import location_rules
from receptionist.store.db import make_engine, upgrade
from receptionist.store import Store
from tests.helpers.intake import ScriptedAdapter, capture_count, scripted_delivery
from tests.helpers.payloads import payload

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def test_a_nul_character_is_quarantined_and_the_batch_goes_on(pg_store, profile, clock):
    intake = Intake(pg_store, location_rules(profile), events.EventBus(), lambda key: None,
                    adapters={"scripted": ScriptedAdapter()}, clock=clock)
    ids = [intake.receive(scripted_delivery(f"pg-{i}", kind), trusted=True).inbox_id
           for i, kind in enumerate(["call", "nul", "call"])]
    intake.process(ids)
    assert capture_count(pg_store) == (2, 2)
    [bad] = intake.inbox.quarantined()
    assert bad.id == ids[1] and "NUL" in bad.reason


def test_a_raw_nul_in_a_generic_payload_is_stored_without_it(pg_store, profile, clock):
    import json

    intake = Intake(pg_store, location_rules(profile), events.EventBus(), lambda key: None,
                    adapters={"generic": ADAPTERS["generic"]}, clock=clock)
    body = json.dumps(payload(call_id="pg-nul", caller={"name": "Nul\u0000Byte", "callback_number": "(312) 555-0142"}))
    answer = intake.receive(Delivery("generic", body.encode(), {}, "file://", clock()), trusted=True)
    assert answer.status == 202  # the raw bytes are stored as they came (bytea takes a NUL)
    intake.process([answer.inbox_id])
    assert capture_count(pg_store) == (1, 1)
    assert "\x00" not in pg_store.calls.recent()[0].caller_name


def test_two_desks_mapping_the_same_inbox_store_each_call_once(pg_store, profile, clock):
    import threading

    from receptionist.store import Store as DeskStore

    other = DeskStore(make_engine(pg_store.engine.url.render_as_string(hide_password=False)))
    desks = [Intake(s, location_rules(profile), events.EventBus(), lambda key: None,
                    adapters={"scripted": ScriptedAdapter()}, clock=clock, batch_size=5) for s in (pg_store, other)]
    ids = [desks[0].receive(scripted_delivery(f"two-{i}"), trusted=True).inbox_id for i in range(30)]
    threads = [threading.Thread(target=d.process, args=(ids,)) for d in desks]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert capture_count(pg_store) == (30, 30)
    assert desks[0].inbox.counts() == {"done": 30}
    other.engine.dispose()
