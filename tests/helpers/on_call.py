"""The on-call calendar's end-to-end tests: a desk in New York whose agent asks ``who_is_on_call`` on its own
receiver, as Vapi and Retell do."""

from __future__ import annotations

from datetime import datetime, timezone
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
