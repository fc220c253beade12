"""Each failure state of the health report made in a database, as the desk's own parts leave it (for the Health
tab's, the alerts' and ``doctor --json``'s tests)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from receptionist.store import Store
from receptionist.store import tables as t

G = "google:primary"
ROTA = "google:rota@group.calendar.google.com"  # the shared on-call calendar
PROFILE_TOML = ('[location]\nid = "main-st"\nname = "Main St Dental"\n\n[google]\nenabled = true\n\n'
                '[ingest]\nplatform = "vapi"\n\n[health]\ngoogle_testing_mode = true\n\n'
                f'[availability]\non_call_calendar = "{ROTA}"\n')
PROFILE = {"location": {"id": "main-st", "name": "Main St Dental"}, "google": {"enabled": True},
           "ingest": {"platform": "vapi"}, "health": {"google_testing_mode": True},
           "availability": {"on_call_calendar": ROTA}}


def deliveries(store: Store, times: list[datetime], state: str = "done") -> None:
    with store.session() as s:
        s.execute(insert(t.InboxDelivery), [
            {"platform": "vapi", "dedupe_key": f"{state}{i}", "source": "webhook", "received_at": at, "url": "/",
             "headers": {}, "body": b"{}", "state": state, "attempts": 1} for i, at in enumerate(times)])
        s.commit()


def make_state(store: Store, state: str, now: datetime) -> str:
    """Put the desk in ``state``; returns the connection that shows it. The on-call calendar was read just now,
    unless the state is one of its own."""
    if state == "on-call-stale":  # read well, then failing for 40 minutes
        store.on_call.replace(ROTA, [], [], now - timedelta(minutes=40))
        store.on_call.failed(ROTA, now, "Google answered 503")
        return "on-call"
    if state == "on-call-event":
        store.on_call.replace(ROTA, [], ["the on-call event of 12/9 ('On call') names nobody"], now)
        return "on-call"
    store.on_call.replace(ROTA, [], [], now)
    if state in ("budget-fast", "budget-slow"):
        for i in range(5):
            store.reliability.record_write(G, f"appt{i}", now - timedelta(minutes=i), ok=False)
    elif state == "reconnect":
        store.health.save(G, now, gate="reconnect", pause_reason="Google refused the stored sign-in")
    elif state == "held":
        store.health.save(G, now, held_missing=12, last_pull_at=now)
    elif state == "error":
        store.health.save(G, now, last_pull_at=now - timedelta(minutes=2), last_error="Google answered 500",
                          last_error_at=now - timedelta(minutes=1))
    elif state == "token-expiring":
        store.health.reopen(G, now - timedelta(days=6, hours=12))
    elif state == "audit-mismatch":
        store.reliability.record_sample(G, now, 10, 2)
    elif state == "silent":
        deliveries(store, [now - timedelta(days=d, hours=h) for d in range(2, 27) for h in range(24)])
        return "platform:vapi"
    elif state == "sms-failing":  # 3 texts given up and 2 sent, one of them reported undelivered by Twilio
        with store.session() as s:
            s.execute(insert(t.OutboxMessage), [
                {"topic": "sms.confirmation", "payload": {}, "created_at": now - timedelta(minutes=m),
                 "available_at": now, "attempts": 1, "done_at": now - timedelta(minutes=m),
                 "provider_id": None if m < 3 else f"SM{m}", "last_error": "Twilio refused the number" if m < 3
                 else None} for m in range(5)])
            s.commit()
        store.texting.take_status("SM4", "undelivered", 30003, now)
        return "twilio"
    elif state == "webhook-spike":  # 3 of the last hour's 4 deliveries quarantined
        deliveries(store, [now - timedelta(minutes=m) for m in (5, 6, 7)], state="quarantined")
        deliveries(store, [now - timedelta(minutes=8)])
        return "webhook"
    elif state == "quarantine":
        deliveries(store, [now - timedelta(minutes=5)], state="quarantined")
        return "platform:vapi"
    else:
        raise ValueError(state)
    return G


STATES = ("budget-fast", "budget-slow", "reconnect", "held", "error", "token-expiring", "audit-mismatch", "silent",
          "quarantine", "sms-failing", "webhook-spike", "on-call-stale", "on-call-event")
