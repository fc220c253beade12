"""Demo mode: sandbox stand-ins, signed-in accounts, a seeded week, a fresh database and simulated AI calls.

Everything goes through the same code as a real installation: the adapters talk to the stand-ins through the real
client libraries, and the simulated calls arrive as signed webhooks.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
import threading
import time
from pathlib import Path

from receptionist.app import App
from receptionist.config import Profile, write_profile
from receptionist.providers.secrets import memory_secret_store
from receptionist_sandbox.simulator import CallSimulator
from receptionist_sandbox.stack import SandboxStack

log = logging.getLogger(__name__)

BANNER = "DEMO — sandbox calendars and Twilio on loopback, simulated AI calls"
DEMO_PLATFORMS = ("generic", "vapi", "retell", "elevenlabs")


class DemoSession:
    """Attributes: stack, app, simulator (after ``start``); ``profile_path``, the demo's own profile (File → Settings
    edits it, never the user's); ``started`` is the monotonic start time."""

    def __init__(self, base: Profile, *, db_url: str | None = None, interval: tuple[float, float] = (20.0, 40.0),
                 first_call_after: float = 2.0):
        self.base = base
        self.db_url = db_url
        self.interval = interval
        self.first_call_after = first_call_after
        self.started = time.monotonic()
        self.stack: SandboxStack | None = None
        self.app: App | None = None
        self.simulator: CallSimulator | None = None
        self.simulators: list[CallSimulator] = []
        self._first_call: threading.Timer | None = None
        self.profile_path: Path | None = None

    def start(self) -> App:
        folder = Path(tempfile.mkdtemp(prefix="receptionist-demo-"))
        db_url = self.db_url or f"sqlite:///{folder / 'demo.db'}"
        # Radicale (a dev dependency) is the demo's CalDAV calendar where it is installed; a wheel without it runs the
        # demo on Google and Outlook alone
        caldav = importlib.util.find_spec("radicale") is not None
        if not caldav:
            log.info("demo: Radicale is not installed, so the demo has no CalDAV calendar")
        self.stack = SandboxStack(time_zone=self.base.location.time_zone, caldav=caldav).start()
        # Demo secrets are throwaway: kept in memory, never in this machine's real keyring.
        secrets = memory_secret_store("demo")
        profile = self.stack.profile(self.base, ingest_port=0)
        webhook_secret = self.stack.provision(profile, secrets)
        self.profile_path = write_profile(profile, folder / "demo-profile.toml")
        self.stack.seed_week()
        from receptionist.ingest.platforms import ADAPTERS

        # each platform signs with its own secret: Retell with the account's API key, the others with the demo's one
        signing = {p: self.stack.voice.api_keys["retell"] if p == "retell" else webhook_secret for p in DEMO_PLATFORMS}
        for platform, secret in signing.items():
            secrets.set(ADAPTERS[platform].secret_key, secret)
        self.app = App.build(profile, db_url, secrets).start()
        loc = profile.location
        rx = self.app.receiver
        # the calls come from several platforms in turn, each in its own payload and signature, with live updates
        lo, hi = self.interval
        n = len(DEMO_PLATFORMS)
        self.simulators = [
            CallSimulator(rx.url if p == "generic" else rx.url_for(p), signing[p], time_zone=loc.time_zone,
                          interval=(lo * n, hi * n), open_hour=loc.open_hour, close_hour=loc.close_hour,
                          business_name=loc.name, platform=p, live_updates=True)
            for p in DEMO_PLATFORMS]
        self.simulator = self.simulators[0]
        log.info("demo ready in %.2f s: database %s, webhook %s", time.monotonic() - self.started, db_url,
                 self.app.receiver.url)
        return self.app

    def start_calls(self) -> None:
        """The first call soon (so the screen is not empty for long), then one every ``interval`` seconds."""
        assert self.simulator is not None
        self._first_call = threading.Timer(self.first_call_after, self._post_one)
        self._first_call.daemon = True
        self._first_call.start()
        for sim in self.simulators:
            sim.start()

    def _post_one(self) -> None:
        try:
            self.simulator.post_one()
        except Exception as exc:  # the demo goes on; the log says why
            log.warning("simulated call failed: %s", exc)

    def stop(self) -> None:
        if self._first_call is not None:
            self._first_call.cancel()
        for sim in self.simulators:
            sim.stop()
        if self.app is not None:
            self.app.stop()
        if self.stack is not None:
            self.stack.stop()
