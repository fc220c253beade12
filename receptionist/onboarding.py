"""Setting a location up and changing its settings: what the setup screen, the Settings dialog and
``receptionist setup`` share.  No Qt here (the windows call these; tests and the command line too).

Options go to the user profile (TOML, ``paths.user_profile_path()``); secrets go to the OS keyring only.
"""

from __future__ import annotations

import secrets as _secrets
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from receptionist import paths
from receptionist.config import CalDavSettings, Profile, ProfileSource, new_location_id, write_profile
from receptionist.domain.ports import SecretStore
from receptionist.errors import UserError
from receptionist.ingest.receiver import CALLS_PATH, PLATFORM_PATH
from receptionist.ingest.signing import SECRET_KEY as WEBHOOK_SECRET_KEY
from receptionist.version import version

if TYPE_CHECKING:
    from receptionist.providers.caldav_signin import CalDavAccount


def new_profile(name: str, time_zone: str, *, base: Profile | None = None, location_id: str | None = None,
                **sections: dict) -> Profile:
    """A profile for a new location, with a fresh ``location.id``; ``sections`` override option groups (their
    weekly hours in ``availability``)."""
    data = (base or Profile()).model_dump()
    data["location"].update(id=location_id or new_location_id(name), name=name, time_zone=time_zone)
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return Profile.from_dict(data, source="setup")


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Write the user profile (or ``path``); returns where it went."""
    return write_profile(profile, path or paths.user_profile_path())


def generate_webhook_secret() -> str:
    return _secrets.token_urlsafe(32)


def ensure_webhook_secret(secrets: SecretStore) -> str:
    """The location's webhook signing secret, generated and stored on first use."""
    current = secrets.get(WEBHOOK_SECRET_KEY)
    if current:
        return current
    value = generate_webhook_secret()
    secrets.set(WEBHOOK_SECRET_KEY, value)
    return value


def webhook_path(platform: str) -> str:
    """The receiver's path for ``platform`` (our generic payload keeps its versioned path)."""
    return CALLS_PATH if platform == "generic" else PLATFORM_PATH.format(platform=platform)


def webhook_url(profile: Profile, platform: str = "generic", host: str | None = None) -> str:
    """The address to paste into the AI platform: ``ingest.public_base_url`` when set (the address the internet
    reaches, e.g. a reverse proxy), else this computer's (``host`` defaults to the bind address; 0.0.0.0 → its
    name)."""
    if profile.ingest.public_base_url:
        return profile.ingest.public_base_url.rstrip("/") + webhook_path(platform)
    bind = host or profile.ingest.host
    if bind in ("0.0.0.0", "::", ""):
        import socket

        bind = socket.gethostname()
    port = profile.ingest.port or 8765
    return f"http://{bind}:{port}{webhook_path(platform)}"


# --- the keyring, checked before anything is generated -----------------------------------------------------------


def keyring_advice(platform: str | None = None, again: str = "press Check again") -> str:
    """What a person does when this computer has no usable keyring, for its operating system (``sys.platform``);
    ``again``: how they try once more (the setup screen's button, or the command run again)."""
    return _keyring_advice(platform or sys.platform).replace("press Check again", again)


def _keyring_advice(platform: str) -> str:
    if platform.startswith("win"):
        return ("Windows keeps the passwords of this app in Credential Manager, and it is not answering. Sign in to "
                "Windows with your own account (not a temporary or guest profile), make sure the \"Credential "
                "Manager\" service is running (Services → Credential Manager → Start), then press Check again.")
    if platform == "darwin":
        return ("macOS keeps the passwords of this app in the Keychain, and it is locked or not answering. Open "
                "Keychain Access, unlock the \"login\" keychain with your Mac password (File → Unlock Keychain), "
                "then press Check again.")
    return ("This computer has no password keyring this app can use, so nothing secret could be kept safely. "
            "Install and unlock one, then press Check again: on GNOME, Ubuntu or Mint install \"gnome-keyring\" "
            "(sudo apt install gnome-keyring, or sudo dnf install gnome-keyring) and sign out and in again; on KDE "
            "install KWallet (sudo apt install kwalletmanager) and open it once so it is unlocked; on a computer "
            "without a desktop session, ask your installer (the keyring needs a running Secret Service).")


def keyring_problem(secrets: SecretStore, again: str = "press Check again") -> str | None:
    """None when ``secrets`` can store and remove a value; else a sentence with what to do on this computer."""
    writable = getattr(secrets, "writable", None)
    if writable is None or writable():
        return None
    return keyring_advice(again=again)


# --- the AI platform: its address, its secret, what to do in its dashboard, and a test call ----------------------


@dataclass(frozen=True)
class PlatformGuide:
    """How one AI platform is connected: ``secret_key`` in the keyring; ``we_make_secret`` — generated here and
    pasted there (else copied from the platform's dashboard into this desk); ``steps`` — what to do in that
    platform's dashboard, in its own words; ``poll_key`` — the keyring key of the API key when the desk can fetch
    calls instead (None: this platform cannot be polled)."""

    key: str
    label: str
    secret_key: str
    secret_label: str
    we_make_secret: bool
    steps: str
    poll_key: str | None = None


PLATFORM_GUIDES: dict[str, PlatformGuide] = {g.key: g for g in (
    PlatformGuide("vapi", "Vapi", "vapi.webhook_secret", "HMAC secret key", True,
                  "In the Vapi dashboard open Integrations → Custom Credentials and add an HMAC credential: Secret "
                  "Key = the secret below, Algorithm = SHA256, Signature Header = x-signature, Timestamp Header = "
                  "x-timestamp, Payload Format = {timestamp}.{body}. Then paste the address below as the Server URL "
                  "of your assistant (or phone number) and pick that credential.", "vapi.api_key"),
    PlatformGuide("retell", "Retell", "retell.api_key", "Retell API key", False,
                  "In the Retell dashboard open your agent's Webhook Settings and paste the address below as the "
                  "agent's webhook URL. Retell signs with your API key: open API Keys, copy the key marked with the "
                  "webhook badge and paste it here.", "retell.api_key"),
    PlatformGuide("elevenlabs", "ElevenLabs", "elevenlabs.webhook_secret", "Webhook secret", False,
                  "In ElevenLabs open Settings → Webhooks → Create webhook, paste the address below, choose HMAC "
                  "authentication and copy the secret it shows into the field here. Then pick that webhook as the "
                  "post-call webhook (transcription) in your agent's settings.", "elevenlabs.api_key"),
    PlatformGuide("bland", "Bland", "bland.webhook_secret", "Webhook signing secret", False,
                  "In Bland's Dev Portal open Account Settings → Keys and press Replace Secret; paste that signing "
                  "secret here (Bland shows it only once). Then paste the address below as the webhook of your "
                  "inbound number or pathway."),
    PlatformGuide("synthflow", "Synthflow", "synthflow.webhook_secret", "Webhook secret key", False,
                  "In Synthflow open Settings → Security → Webhooks, generate a secret key and paste it here. Then "
                  "paste the address below as your agent's post-call webhook. Synthflow signs only the call id, so "
                  "the desk also reads each call back with your Synthflow API key (Settings → AI agent)."),
    PlatformGuide("twilio", "Twilio", "twilio.auth_token", "Twilio auth token", False,
                  "In the Twilio Console open Phone Numbers → your number → Voice configuration and set \"Call "
                  "status changes\" to the address below (HTTP POST). Twilio signs with your account's Auth Token "
                  "(on the Console's home page): paste it here."),
    PlatformGuide("generic", "Another system (generic)", WEBHOOK_SECRET_KEY, "Signing secret", True,
                  "Your system POSTs each call as JSON to the address below, with X-Receptionist-Timestamp: <unix "
                  "time> and X-Receptionist-Signature: v1=<hex HMAC-SHA256 of \"<unix time>.<body>\" with the secret "
                  "below>."),
)}


@dataclass(frozen=True)
class TestCallResult:
    """What a test call proved: ``ok``, and one sentence for the person."""

    ok: bool
    sentence: str


def send_test_call(profile: Profile, platform: str, secret: str, *, timeout: float = 20) -> TestCallResult:
    """Send ``platform``'s signed end-of-call report for a test call through the real receiver and intake, on a
    throwaway desk (its own database in a temporary folder, removed afterwards) listening where the desk will
    (``ingest.host``/``ingest.port``): it proves the port is free, the secret matches the platform's signature and
    the report becomes a call. Blocks (HTTP and a database): the window runs it on a worker thread."""
    from receptionist.events import EventBus
    from receptionist.ingest.intake import Intake
    from receptionist.ingest.platforms import platform_adapters
    from receptionist.ingest.receiver import WebhookReceiver
    from receptionist.ingest.trial_call import deliver, signed_trial_call, synthflow_record
    from receptionist.services.context import location_rules
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade

    guide = PLATFORM_GUIDES[platform]
    if not secret:
        return TestCallResult(False, f"Enter the {guide.secret_label} first: the test call is signed with it.")
    with tempfile.TemporaryDirectory(prefix="receptionist-test-call-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'test-call.db'}")
        try:
            upgrade(engine)
            store = Store(engine)
            adapters = platform_adapters(profile)
            sent: dict[str, object] = {}
            intake = Intake(store, location_rules(profile), EventBus(),
                            lambda key: secret if key == adapters[platform].secret_key else None, adapters=adapters,
                            confirmers={"synthflow": lambda call_id: synthflow_record(call_id, sent["at"])})
            receiver = WebhookReceiver(profile.ingest, intake)
            try:
                receiver.start()
            except UserError as exc:
                return TestCallResult(False, f"The test call could not be received: {exc}")
            try:
                path = webhook_path(platform)
                local = receiver.base_url + path
                public = profile.ingest.public_base_url.rstrip("/") + path if profile.ingest.public_base_url else local
                from datetime import datetime, timezone

                sent["at"] = datetime.now(timezone.utc)
                trial = signed_trial_call(platform, secret, public, sent["at"])  # type: ignore[arg-type]
                status, answer = deliver(local, trial, timeout)
                if status < 300:
                    intake.drain()
            finally:
                receiver.stop()
            if status >= 300:
                return TestCallResult(False, f"The receiver refused the {guide.label} test call ({status}): {answer}. "
                                             "Check the secret.")
            row = store.calls.row_id(platform, trial.call_id)
            call = store.calls.get(row) if row is not None else None
            if call is None:
                problem = next((r.reason for r in store.inbox.quarantined()), "it was not mapped to a call")
                return TestCallResult(False, f"The {guide.label} test call arrived but did not become a call: "
                                             f"{problem}")
            return TestCallResult(True, f"A signed {guide.label} test call reached this computer and appeared in the "
                                        f"call list as “{call.caller_name or 'Test Caller'}”. It was removed again; "
                                        "nothing was kept.")
        finally:
            engine.dispose()


def connect(kind: str, profile: Profile, secrets: SecretStore, *, open_url: Callable[[str], object],
            on_prompt: Callable[[str], object] = print, device_code: bool = False, timeout: float = 300) -> str:
    """Run the sign-in flow of ``kind`` ("google" or "outlook"); returns a line saying who is connected.

    Blocks until the person finishes in the browser: the window runs it on a worker thread."""
    if kind == "google":
        from receptionist.providers.google_oauth import connect_google

        return connect_google(profile.google, secrets, open_url=open_url, timeout=timeout)
    if kind == "outlook":
        from receptionist.providers.microsoft_auth import connect_outlook

        account = connect_outlook(profile.outlook, secrets, device_code=device_code, open_url=open_url,
                                  on_prompt=on_prompt, timeout=timeout)
        return f"Outlook connected as {account}"
    raise ValueError(kind)


def find_caldav_calendars(caldav: CalDavSettings, url: str, username: str, password: str) -> "CalDavAccount":
    """Sign a CalDAV account in and list its calendars (the server as discovered from what was typed), as
    ``receptionist connect caldav --list`` does; blocks (the window runs it on a worker thread)."""
    from receptionist.providers.caldav_signin import discover

    return discover(caldav, url, username, password)


@dataclass(frozen=True)
class Installation:
    """Where this run's things are, for ``doctor`` and Help → About."""

    profile: ProfileSource | None
    location_id: str
    location_id_derived: bool
    database: str
    log_folder: Path
    keyring_service: str

    @classmethod
    def describe(cls, profile: Profile, source: ProfileSource | None, database: str,
                 keyring_service: str) -> "Installation":
        return cls(source, profile.location.key, not profile.location.id, database, paths.log_dir(),
                   keyring_service)

    @property
    def version(self) -> str:
        """Read from the package metadata when asked (parsing it costs a tenth of a second at start-up)."""
        return version()


def location_secrets(profile: Profile) -> SecretStore:
    """The location's entries in the OS keyring (the setup screen stores the webhook secret and sign-ins there)."""
    from receptionist.providers.secrets import location_secret_store

    return location_secret_store(profile.location)
