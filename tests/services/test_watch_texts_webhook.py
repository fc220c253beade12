"""Twilio and the webhook measured like the calendars: texts sent against failed over 24 hours and 7 days against
their budget (sent by the real outbox sender to the in-memory messenger, with Twilio's status callbacks), the
webhook's deliveries accepted against refused (counted by the real intake's door) and quarantined in the last hour;
and the alerts of held deletions, failing texts and a webhook spike, each raised once."""

from datetime import timedelta

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.reliability import DoorHour
from receptionist.errors import ProviderError
from receptionist.ingest.intake import Intake
from receptionist.store.outbox import queue_in
from tests.helpers.desk import make_desk
from tests.helpers.health_states import deliveries
from tests.services.test_watch import (  # noqa: F401  (fixtures)
    LABELS,
    cals,
    conn,
    desk,
    engine,
    messenger,
    profile,
)


def queue_texts(store, clock, n):
    with store.session() as s:
        queue_in(s, [("sms.confirmation", {"to": f"+1312555{i:04d}", "body": f"text {i}"}) for i in range(n)],
                 "appt", clock())
        s.commit()


def test_texts_failing_burn_their_budget_show_in_the_report_and_alert_once(desk, store, clock, engine, messenger):
    queue_texts(store, clock, 10)
    messenger.fail_next = [ProviderError("Twilio refused the number", status=400)] * 3  # given up at once
    engine.run_cycle()
    twilio = conn(desk.watch.report(), "twilio")
    assert twilio.numbers["texts_24h"] == {"good": 7, "failed": 3, "total": 10, "success": 0.7}
    assert twilio.state == "failed" and twilio.problems == ("sms-failing",)
    assert twilio.text == "3 of 10 texts in the last hour failed: 15× faster than the error budget allows"
    store.texting.take_status(messenger.sent[0].sid, "undelivered", 30003, clock())  # Twilio's status callback
    twilio = conn(desk.watch.report(), "twilio")
    assert twilio.numbers["texts_7d"]["failed"] == 4 and twilio.numbers["objective"] == 0.98
    assert dict(twilio.facts)["Texts, 24 hours"] == "60.0% of 10 delivered (objective 98%)"
    assert "sms-failing" in twilio.as_json()["runbook"]
    [alert] = [a for a in desk.watch.evaluate() if a.connection == "twilio"]
    assert alert.key == "sms-failing:twilio" and "texts in the last hour failed" in alert.text
    assert not [a for a in desk.watch.evaluate() if a.connection == "twilio"]  # de-duplicated
    clock.advance(hours=7)  # the hour and the 6 hours are clean again (the day still counts them): cleared
    desk.watch.evaluate()
    assert not [a for a in store.reliability.alerts(open_only=True) if a.connection == "twilio"]
    twilio = conn(desk.watch.report(), "twilio")
    assert twilio.state == "ok" and twilio.numbers["texts_24h"]["failed"] == 4


def test_texts_that_went_out_or_were_skipped_burn_nothing(desk, store, clock, engine, messenger):
    queue_texts(store, clock, 4)
    engine.run_cycle()
    store.texting.take_status(messenger.sent[0].sid, "delivered", None, clock())
    twilio = conn(desk.watch.report(), "twilio")
    assert twilio.state == "ok" and twilio.numbers["texts_24h"] == {"good": 4, "failed": 0, "total": 4,
                                                                    "success": 1.0}
    assert desk.watch.evaluate() == []


class ListeningReceiver:
    """The receiver's face the health read uses, over a real ``Intake`` (its door counts the refusals)."""

    def __init__(self, intake: Intake):
        self.intake = intake
        self.url = "http://127.0.0.1:8765/webhooks/<platform>"

    @property
    def rejections(self):
        return self.intake.rejections


def test_a_spike_of_refusals_and_quarantine_is_a_webhook_failure_and_one_alert(store, clock, engine):
    bus = events.EventBus()
    intake = Intake(store, make_desk(store, Profile(), bus, LABELS, clock=clock).context.rules, bus,
                    lambda key: None, clock=clock)
    desk = make_desk(store, Profile(), bus, LABELS, clock=clock, engine=engine,
                     webhook=ListeningReceiver(intake))
    deliveries(store, [clock() - timedelta(minutes=m) for m in range(1, 13)])  # 12 accepted this hour
    webhook = conn(desk.watch.report(), "webhook")
    assert webhook.state == "ok" and webhook.numbers["last_hour"]["accepted"] == 12
    for _ in range(3):
        intake.refuse(401, "bad signature (X-Vapi-Signature)", source="vapi")
    intake.refusals.flush()  # the worker's next tick
    webhook = conn(desk.watch.report(), "webhook")  # 3 of 15 refused: under a quarter, no spike
    assert webhook.state == "ok" and webhook.numbers["last_hour"]["refused"] == 3
    deliveries(store, [clock() - timedelta(minutes=2)] * 2, state="quarantined")
    webhook = conn(desk.watch.report(), "webhook")  # 5 of 17 refused or quarantined
    assert webhook.state == "failed" and webhook.problems == ("webhook-spike",)
    assert webhook.text == "a spike: 14 accepted in the last hour (usually 0.0), 3 refused, 2 quarantined"
    assert webhook.numbers["last_hour"] == {"accepted": 14, "refused": 3, "quarantined": 2, "usual": 0.0,
                                            "spike": True, "refused_by_source": {"vapi": 3}}
    [alert] = desk.watch.evaluate()
    assert alert.key == "webhook-spike:webhook" and desk.watch.evaluate() == []
    clock.advance(minutes=61)
    assert conn(desk.watch.report(), "webhook").state == "ok"
    desk.watch.evaluate()
    assert store.reliability.alerts(open_only=True) == []


def test_a_spike_needs_three_and_a_quarter_of_what_came():
    assert not DoorHour(accepted=0, refused=2, quarantined=0, usual=1.0).spike
    assert DoorHour(accepted=0, refused=3, quarantined=0, usual=1.0).spike
    assert DoorHour(accepted=9, refused=3, quarantined=0, usual=1.0).spike  # 3 of 12
    assert not DoorHour(accepted=10, refused=3, quarantined=0, usual=1.0).spike  # 3 of 13
    assert DoorHour(accepted=10, refused=2, quarantined=2, usual=1.0).spike  # 4 of 12 (quarantined were accepted)


def test_held_writes_alert_even_behind_a_reconnect(desk, store, clock):
    store.health.save("google:primary", clock(), held_missing=12, last_pull_at=clock())
    google = conn(desk.watch.report(), "google:primary")
    assert google.problems[0] == "held" and google.state == "failed"
    [alert] = [a for a in desk.watch.evaluate() if a.state == "held"]
    assert alert.key == "held:google:primary"
    store.health.save("google:primary", clock(), gate="reconnect", pause_reason="Google refused the sign-in")
    google = conn(desk.watch.report(), "google:primary")
    assert google.problems[:2] == ("reconnect", "held")
    assert google.reason("held") == "writes held: 12 events vanished from Google Calendar at once"
    raised = desk.watch.evaluate()
    assert [a.key for a in raised] == ["reconnect:google:primary"]  # the held alert goes on, not raised again
