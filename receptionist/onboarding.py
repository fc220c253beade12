"""Setting a location up and changing its settings: what the setup screen, the Settings dialog and
``receptionist setup`` share.  No Qt here (the windows call these; tests and the command line too).

Options go to the user profile (TOML, ``paths.user_profile_path()``); secrets go to the OS keyring only.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from receptionist import paths
from receptionist.config import Profile, ProfileSource, new_location_id, write_profile
from receptionist.domain.ports import SecretStore
from receptionist.ingest.receiver import CALLS_PATH
from receptionist.ingest.signing import SECRET_KEY as WEBHOOK_SECRET_KEY
from receptionist.errors import UserError
from receptionist.version import version

#: the secrets a person can enter, with what each is for (key → label); tokens from sign-in are not listed
SECRET_FIELDS = {
    "google.client_secret": "Google OAuth client secret",
    "twilio.auth_token": "Twilio auth token",
    "caldav.password": "CalDAV app-specific password",
    WEBHOOK_SECRET_KEY: "Webhook signing secret",
}


def new_profile(name: str, time_zone: str, *, open_hour: int = 8, close_hour: int = 18,
                base: Profile | None = None, location_id: str | None = None, **sections: dict) -> Profile:
    """A profile for a new location, with a fresh ``location.id``; ``sections`` override whole option groups."""
    data = (base or Profile()).model_dump()
    data["location"].update(id=location_id or new_location_id(name), name=name, time_zone=time_zone,
                            open_hour=open_hour, close_hour=close_hour)
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


def webhook_url(profile: Profile, host: str | None = None) -> str:
    """The address to paste into the AI platform (``host`` defaults to the bind address; 0.0.0.0 → this PC)."""
    bind = host or profile.ingest.host
    if bind in ("0.0.0.0", "::", ""):
        import socket

        bind = socket.gethostname()
    port = profile.ingest.port or 8765
    return f"http://{bind}:{port}{CALLS_PATH}"


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


def connect_caldav_account(profile: Profile, secrets: SecretStore, password: str | None = None) -> Profile:
    """Sign the profile's CalDAV account in (``caldav.url``, ``caldav.username``, and ``caldav.calendar_name`` as the
    calendar wanted) with ``password`` (else the one in the keyring); the profile with the calendar found. The
    password is kept in the keyring once the calendar is picked."""
    from receptionist.providers.caldav_calendar import PASSWORD_KEY
    from receptionist.providers.caldav_signin import connect_caldav

    password = password or secrets.get(PASSWORD_KEY)
    if not password:
        raise UserError("type the CalDAV app-specific password on the Secrets tab first")
    section, _ = connect_caldav(profile.caldav, secrets, url=profile.caldav.url, username=profile.caldav.username,
                                password=password, calendar=profile.caldav.calendar_name or None)
    data = profile.model_dump()
    data["caldav"] = section.model_dump()
    return Profile.from_dict(data, source="connect caldav")


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
