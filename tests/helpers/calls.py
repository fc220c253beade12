"""Calls stored the way production stores them: through the intake's inbox, never by a write of their own.

The intake's door writes the raw delivery to the inbox (``InboxStore.store_delivery``); its worker maps it to a
capture and writes the outcome (``InboxStore.apply``), which builds the call row and its pending proposal with
``call_row`` in the same transaction as the inbox row's new state. ``store_call`` makes those two writes for a
capture a test built itself, as ``receptionist ingest FILE`` does for a delivery an operator gives
(``DeliverySource.FILE``), so a test's call has an inbox row, an audit entry and ``calls.inbox_id`` like any other.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from receptionist.config import Profile
from receptionist.domain.callbacks import callback_due
from receptionist.domain.intake import DeliverySource, InboxState
from receptionist.domain.models import CallRecord
from receptionist.domain.payload import CallCapture, LocationRules, normalise, parse_payload
from receptionist.ingest.intake import body_as_payload
from receptionist.services.context import location_rules
from receptionist.store.inbox import Outcome
from receptionist.store import Store


def dedupe_key(capture: CallCapture) -> str:
    """The inbox key of a delivery of this call: its platform and call id (as the generic adapter keys one)."""
    return f"generic:{capture.platform}:{capture.call_id}"


def store_call(store: Store, capture: CallCapture, payload: dict | None = None,
               received_at: datetime | None = None, rules: LocationRules | None = None) -> CallRecord:
    """Store ``capture`` through the inbox, as the intake would: the delivery (``payload`` as its JSON body, ``{}``
    when not given) in the inbox, then the mapped outcome applied; returns the stored call as read back.

    A call that needs a person gets its callback, due by ``rules``' open hours (the default profile's when not
    given), as the intake's worker does. A second delivery of the same call changes nothing and returns the call stored first. Storage failures raise
    as they do at the door (``StorageUnavailable``, with the ``EnvironmentProblem`` as its cause)."""
    received_at = received_at or datetime.now(timezone.utc)
    body = json.dumps(payload if payload is not None else {}).encode()
    inbox = store.inbox
    inbox_id, created = inbox.store_delivery(
        platform="generic", dedupe_key=dedupe_key(capture), source=DeliverySource.FILE, received_at=received_at,
        url="file://tests", headers={"content-type": "application/json"}, body=body)
    if created:
        rules = rules or location_rules(Profile())
        [applied] = inbox.apply([Outcome(inbox_id, InboxState.DONE, capture=capture,
                                         payload=body_as_payload(body))], received_at,
                                lambda received, urgent: callback_due(received, urgent, rules))
        call_row_id = applied.call.id
    else:  # already delivered: the inbox row names the call it made
        call_row_id = inbox.get(inbox_id).call_row_id
    call = store.calls.get(call_row_id)
    assert call is not None, f"inbox row {inbox_id} made no call"
    return call


def store_payload(store: Store, body: dict, rules: LocationRules, received_at: datetime | None = None) -> CallRecord:
    """Store the call of a booking payload (``tests.helpers.payloads.payload``), mapped as the generic adapter maps
    it (``normalise(parse_payload(...))``), through the inbox; returns the stored call."""
    received_at = received_at or datetime.now(timezone.utc)
    return store_call(store, normalise(parse_payload(body), rules, received_at), body, received_at, rules)


__all__ = ["dedupe_key", "store_call", "store_payload"]
