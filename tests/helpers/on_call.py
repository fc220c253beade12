"""The on-call calendar's end-to-end tests: a desk in New York whose agent asks ``who_is_on_call`` on its own
receiver, as Vapi and Retell do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from receptionist.app import App
from receptionist.config import Profile
from receptionist.ingest.platforms import ADAPTERS
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.voice_platforms import call_tool
from tests.helpers.fakes import FakeClock

NY = ZoneInfo("America/New_York")
SECRETS = {"vapi": "vapi-secret", "retell": "retell-secret"}


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(timezone.utc)


def wall(moment: datetime) -> str:
    return moment.astimezone(NY).replace(tzinfo=None).isoformat()


def started_app(stack, db_url: str, profile: Profile, namespace: str) -> App:
    """The desk with its receiver listening, provisioned on the sandbox stack, on a fake clock set to Saturday
    10/31/2026 9 PM in New York, the night before the clocks go back."""
    secrets = memory_secret_store(namespace)
    stack.provision(profile, secrets)
    for platform, secret in SECRETS.items():
        secrets.set(ADAPTERS[platform].secret_key, secret)
    clock = FakeClock(ny(2026, 10, 31, 21))
    app = App.build(profile, db_url, secrets, clock=clock)
    app.receiver.start()
    app.clock = clock
    return app


def ask(app: App, platform: str, **args):
    """``who_is_on_call`` from ``platform`` on the app's receiver: (status, answer)."""
    return call_tool(app.receiver.tools_url_for(platform), platform, SECRETS[platform], f"{platform}-urgent",
                     "who_is_on_call", args, now=app.clock(), caller_id="+12125550142")


def assert_the_rota_answers(app: App) -> None:
    """The rota both on-call calendars carry (nightly 6 PM-8 AM shifts of Dr. Ana Ruiz from Monday 10/26, 21 of
    them, a cover by Dr. Ben Cole on Thursday 10/29 8-11 PM, and Sunday 11/8 all day for him), read by the leader's
    refresh, answers ``who_is_on_call`` rightly, before and after the clocks go back, and the Health tab shows
    the refresh."""
    status, before = ask(app, "vapi")
    assert status == 200 and not before["ok"] and before["reason"] == "on-call calendar not read"

    read = app.desk.on_call.refresh()  # what the sync leader runs at once and every on_call_refresh_minutes
    assert read.error is None and read.problems == ()
    assert read.shifts == 21 - 3 + 1 + 1  # the nights from two days back, the cover, Sunday 11/8

    status, now = ask(app, "vapi")
    assert status == 200 and now["ok"], now
    # the night the clocks go back: the series' occurrence keeps its exact 14 hours (RFC 5545; Google's expansion
    # and Graph's occurrences both give it so), so it ends at 7:00 AM EST; the desk takes the instants given
    assert now["on_call"]["now"] == {"person": "Dr. Ana Ruiz", "phone": "+12125550111",
                                     "start": ny(2026, 10, 31, 18).astimezone(NY).isoformat(),
                                     "end": ny(2026, 11, 1, 7).astimezone(NY).isoformat()}
    assert now["say"] == "Dr. Ana Ruiz is on call now, until Sunday 11/1 at 7:00 AM."
    _, repeated_hour = ask(app, "vapi", at="2026-11-01T01:30")  # the first 1:30 AM (EDT)
    assert repeated_hour["on_call"]["now"]["person"] == "Dr. Ana Ruiz"
    _, nobody = ask(app, "vapi", at="2026-11-01T07:30")
    assert not nobody["ok"] and nobody["on_call"]["next"]["start"] == "2026-11-01T18:00:00-05:00"

    _, cover = ask(app, "retell", at=wall(ny(2026, 10, 29, 21)))
    assert cover["on_call"]["now"]["person"] == "Dr. Ben Cole" and cover["on_call"]["now"]["phone"] == "+12125550122"
    _, after_cover = ask(app, "retell", at=wall(ny(2026, 10, 29, 23, 30)))
    assert after_cover["on_call"]["now"]["person"] == "Dr. Ana Ruiz"

    _, day = ask(app, "vapi", at=wall(ny(2026, 11, 8, 12)))
    assert day["on_call"]["now"]["person"] == "Dr. Ben Cole"
    assert day["say"] == "Dr. Ben Cole is on call on Sunday 11/8 at 12:00 PM, until Monday 11/9 at 12:00 AM."
    _, gap = ask(app, "vapi", at=wall(ny(2026, 11, 16, 12)))  # the series ended on 11/15
    assert not gap["ok"] and gap["reason"] == "nobody on call"

    [on_call] = [c for c in app.desk.watch.report().connections if c.key == "on-call"]
    assert on_call.state == "ok" and on_call.numbers["last_refresh_at"] == app.clock().isoformat()


def assert_a_refused_read_keeps_the_last_rota(app: App, refuse_sign_in: Callable[[], None]) -> None:
    """After a good read, the calendar refuses the stored sign-in (``refuse_sign_in``): 45 minutes on, the refresh
    records the error, the agent still hears the last good rota with a word on its age, and the Health tab shows
    the on-call connection failed as stale."""
    app.desk.on_call.refresh()
    refuse_sign_in()
    app.clock.advance(minutes=45)
    read = app.desk.on_call.refresh()
    assert read.error and read.refreshed_at == app.clock() - timedelta(minutes=45)
    _, answer = ask(app, "vapi")
    assert answer["ok"] and answer["on_call"]["now"]["person"] == "Dr. Ana Ruiz"
    assert answer["stale"].startswith("the on-call calendar was last read 45 minutes ago")
    [on_call] = [c for c in app.desk.watch.report().connections if c.key == "on-call"]
    assert on_call.state == "failed" and on_call.problems == ("on-call-stale",)
