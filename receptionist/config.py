"""Location profile (TOML) and settings.

Every option is declared exactly once, here, with its type, default and help text (``Field(description=...)``);
``receptionist doctor`` and the README's configuration table are generated from these declarations.  Secrets are
never options: client secrets, tokens, the webhook signing secret and the Twilio auth token live in the OS
keyring (see ``receptionist.providers.secrets``).

Which profile a desk runs is decided by :func:`find_profile`: ``--profile``, then ``$RECEPTIONIST_PROFILE``, then
the user's config folder (written by setup and Settings), then an IT-managed machine folder, then the profile baked
into a per-location build.  ``location.id`` (a slug, generated once by setup) keys the keyring service, the data
folder and the default database, so renaming a location changes nothing stored; a profile without one gets an id
derived from its name (``doctor`` says so).
"""

from __future__ import annotations

import os
import re
import secrets as _secrets
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from receptionist import paths
from receptionist.errors import NoProfile, ProfileUnreadable, UserError

PROFILE_ENV = "RECEPTIONIST_PROFILE"
_ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$")


def slugify(name: str) -> str:
    """A location id from a name, the same on every machine: ``"Café Smile & Co."`` → ``"cafe-smile-co"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40].strip("-")
    return slug or "location"


def new_location_id(name: str) -> str:
    """A fresh id for setup: the name's slug plus a short random suffix (two "Main St" clinics never collide)."""
    return f"{slugify(name)[:33].strip('-')}-{_secrets.token_hex(3)}"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _replay_window(default: int, signed_time: str):
    """A platform's replay window: how far the time it signs may be from this desk's clock, in seconds. Under 10 s
    a retry or a clock a little off is refused; past a day the window no longer stops a replay (deduplication by
    the platform's ids still does)."""
    return Field(default, ge=10, le=86_400, description=f"{signed_time} further than this many seconds from this "
                 "desk's clock is refused as a replay (10 to 86400).")


class LocationSettings(_Section):
    id: str = Field("", description="Stable id of this location (lowercase letters, digits, dashes), generated once "
                    "by setup; keys its keyring entries, data folder and database. Never change it; empty: derived "
                    "from the name.")
    name: str = Field("Demo Dental & Wellness", description="Business location name shown in the title bar and SMS.")
    time_zone: str = Field("America/Chicago", description="IANA time zone of the location; all times display in it.")
    country: str = Field("US", description="ISO country used to read phone numbers written without +country code.")
    open_hour: int = Field(8, ge=0, le=23, description="Opening hour (local, 24h) for availability.")
    close_hour: int = Field(18, ge=1, le=24, description="Closing hour (local, 24h) for availability.")
    default_duration_minutes: int = Field(30, ge=5, le=480, description="Appointment length when the call gives none.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if value and not _ID_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a location id: use 1-48 lowercase letters, digits and dashes "
                             "(no dash at either end), e.g. 'main-street-dental'")
        return value

    @property
    def key(self) -> str:
        """The id that keys everything stored for this location: ``id``, or one derived from the name."""
        return self.id or slugify(self.name)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class GoogleSettings(_Section):
    enabled: bool = Field(False, description="Sync appointments with a Google Calendar.")
    calendar_id: str = Field("primary", description="Google calendar to write appointments to and read busy time from.")
    api_endpoint: str = Field(
        "https://www.googleapis.com/calendar/v3/", description="Calendar v3 API root (must end in calendar/v3/)."
    )
    token_uri: str = Field("https://oauth2.googleapis.com/token", description="OAuth 2.0 token endpoint.")
    auth_uri: str = Field("https://accounts.google.com/o/oauth2/auth", description="OAuth 2.0 authorization endpoint.")
    client_id: str = Field("", description="OAuth client id of the installed app (the secret is in the keyring).")
    timeout_seconds: float = Field(20.0, gt=0, description="Per-request timeout.")


class OutlookSettings(_Section):
    enabled: bool = Field(False, description="Sync appointments with an Outlook / Microsoft 365 calendar.")
    calendar_id: str = Field("", description="Graph calendar id; empty means the account's default calendar.")
    graph_endpoint: str = Field("https://graph.microsoft.com/v1.0", description="Microsoft Graph API root.")
    authority: str = Field(
        "https://login.microsoftonline.com/common", description="Microsoft identity authority (tenant URL)."
    )
    client_id: str = Field("", description="Azure app registration (public client) id.")
    ca_bundle: str = Field("", description="CA certificate file (PEM) to trust instead of the OS store.")
    timeout_seconds: float = Field(20.0, gt=0, description="Per-request timeout.")


class TwilioSettings(_Section):
    enabled: bool = Field(False, description="Send SMS confirmations through Twilio.")
    api_base: str = Field("https://api.twilio.com", description="Twilio REST API root.")
    account_sid: str = Field("", description="Twilio Account SID (the auth token is in the keyring).")
    from_number: str = Field("", description="Sending number in E.164, e.g. +15551234567.")
    ca_bundle: str = Field("", description="CA certificate file (PEM) to trust instead of the OS store.")
    # Twilio's signature has no time in it (twilio.com/docs/usage/webhooks/webhooks-security) and Twilio publishes
    # no tolerance; a voice status callback's signed ``Timestamp`` parameter is when its event happened, so 15
    # minutes is this project's allowance for a callback delivered late, not a Twilio figure.
    replay_window_seconds: int = _replay_window(
        15 * 60, "A voice status callback (webhooks/twilio) whose signed Timestamp parameter is")


class IngestSettings(_Section):
    host: str = Field("127.0.0.1", description="Address the webhook receiver binds to.")
    port: int = Field(8765, ge=0, le=65535, description="Webhook receiver port (0 picks a free one).")
    # Ours (receptionist.ingest.signing); 5 minutes, the usual webhook tolerance (Stripe's SDKs, Retell's).
    replay_window_seconds: int = _replay_window(
        300, "Our generic payload (webhooks/v1/calls): one whose X-Receptionist-Timestamp is")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest webhook body accepted.")
    public_base_url: str = Field(
        "", description="URL the platforms post to, e.g. https://desk.example.com (behind a reverse proxy); "
                        "Twilio signs it. Empty: the address the request arrived at.")
    threads: int = Field(8, ge=1, le=64, description="Receiver worker threads (requests answered at once).")
    connection_limit: int = Field(
        1000, ge=10, description="Open connections the receiver holds before it stops accepting (idle ones too).")
    channel_timeout_seconds: int = Field(
        30, ge=1, description="An inactive connection is closed after this many seconds.")
    queue_size: int = Field(
        1000, ge=1, description="Stored deliveries waiting to be mapped before the receiver answers 503.")
    batch_size: int = Field(20, ge=1, le=500, description="Deliveries the mapper writes per transaction under load.")
    store_wait_seconds: float = Field(
        2.0, gt=0, le=30, description="How long the receiver waits for a database another program holds locked "
                                      "before answering 503, so the platform retries (they time out in seconds).")


class _PollSource(_Section):
    """A platform's REST API, polled for finished calls by desks that have no public URL (the key is in the
    keyring as ``<platform>.api_key``)."""

    poll: bool = Field(False, description="Fetch finished calls from the platform's API on an interval.")
    interval_seconds: float = Field(60.0, ge=5, description="How often to fetch new calls.")
    page_size: int = Field(50, ge=1, le=1000, description="Calls asked for per request.")


class VapiSettings(_PollSource):
    api_base: str = Field("https://api.vapi.ai", description="Vapi REST API root (GET /call).")
    # Vapi's HMAC credential sends a timestamp "for replay protection" but publishes no tolerance
    # (docs.vapi.ai/server-url/server-authentication); 5 minutes, as Retell's SDK and Stripe's use.
    replay_window_seconds: int = _replay_window(
        300, "A Vapi delivery signed by an HMAC credential (x-timestamp) at a time")


class RetellSettings(_PollSource):
    api_base: str = Field("https://api.retellai.com", description="Retell REST API root (POST /v3/list-calls, GET /v2/get-call).")
    # Retell's own SDK: retell-python-sdk src/retell/lib/webhook_auth.py, FIVE_MINUTES = 5 * 60 * 1000 (ms).
    replay_window_seconds: int = _replay_window(
        300, "A Retell delivery whose x-retell-signature time (v=) is")


class ElevenLabsSettings(_PollSource):
    api_base: str = Field("https://api.elevenlabs.io", description="ElevenLabs API root (conversational AI).")
    agent_id: str = Field("", description="Only this agent's conversations (empty: all agents of the account).")
    # ElevenLabs' own SDK: elevenlabs-python src/elevenlabs/webhooks_custom.py, construct_event refuses a
    # signature older than 30 * 60 * 1000 ms (it does not bound the future; we do, by the same window).
    replay_window_seconds: int = _replay_window(
        30 * 60, "An ElevenLabs delivery whose ElevenLabs-Signature time (t=) is")


class SynthflowSettings(_Section):
    api_base: str = Field("https://api.synthflow.ai/v2", description="Synthflow API root; each webhook is "
                                                                       "confirmed by reading the call back.")


class SyncSettings(_Section):
    interval_seconds: float = Field(30.0, gt=0, description="How often the sync thread runs a full cycle.")
    window_days_back: int = Field(7, ge=0, description="How far back busy time and changes are read.")
    window_days_ahead: int = Field(60, ge=1, description="How far ahead busy time and changes are read.")
    max_attempts: int = Field(8, ge=1, description="Automatic retries of a failed write before it waits for a person.")
    reconcile_interval_minutes: float = Field(
        60.0, gt=0, description="How often every calendar is fully re-read and compared with our appointments.")
    reconcile_days_ahead: int = Field(30, ge=1, description="How far ahead reconciliation compares (full read).")
    reconcile_sample: int = Field(10, ge=0, description="Synced events re-read one by one at each reconciliation.")


class EventSettings(_Section):
    private: bool = Field(
        False, description="Write generic titles and no caller details to calendars (for clinics).")
    title_template: str = Field(
        "{service} — {caller}", description="Event title. Fields: {service} {caller} {phone} {account} {location}.")
    description_template: str = Field(
        "Caller: {caller}\nCallback: {phone}\nAccount: {account}\n\n{notes}",
        description="Event description; a line whose fields are all empty is left out.")
    private_title: str = Field("Patient appointment", description="Event title when events.private is on.")


class ReminderSettings(_Section):
    enabled: bool = Field(False, description="Text each caller a reminder before their appointment (needs Twilio).")
    hours_before: int = Field(24, ge=1, le=24 * 14, description="Hours before the appointment the reminder goes out.")
    service_hours: str = Field("", description="Other lead times per service, e.g. 'Crown: 48, Cleaning: 24'.")
    template: str = Field(
        "Hi {caller}, this is {location} reminding you of your {service} on {when}. Reply C to confirm, R to "
        "reschedule, STOP to stop texts.", description="The reminder. Fields: {caller} {service} {when} {location}.")
    quiet_start_hour: int = Field(21, ge=0, le=23, description="No texts from this hour (local)...")
    quiet_end_hour: int = Field(8, ge=0, le=23, description="...until this hour (local).")


class Person(_Section):
    """One person of the desk: who the audit log names. ``pin_hash`` is a salted PBKDF2 hash
    (``domain/people.py``), never the PIN."""

    name: str = Field(min_length=1, max_length=80, description="The name the audit log shows.")
    role: Literal["front-desk", "owner"] = Field("front-desk", description="front-desk or owner (owners see the "
                                                 "audit log and the conversion report).")
    phone: str = Field("", description="This person's own phone (E.164), rung first by Call back.")
    pin_hash: str = Field("", description="Hash of the person's PIN (empty: no PIN).")


class PeopleSettings(_Section):
    members: tuple[Person, ...] = Field((), description="The desk's people (receptionist people add ...); empty: "
                                        "nobody is asked who they are and the audit log says 'staff'.")
    os_login: bool = Field(False, description="A single-user PC: the person is this computer's login (no picker).")
    idle_minutes: int = Field(15, ge=1, le=480, description="Ask who is at the desk again after this many idle "
                                                            "minutes.")


class Profile(_Section):
    """A location profile: everything an installer sets for one business location."""

    location: LocationSettings = Field(default_factory=LocationSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    outlook: OutlookSettings = Field(default_factory=OutlookSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    vapi: VapiSettings = Field(default_factory=VapiSettings)
    retell: RetellSettings = Field(default_factory=RetellSettings)
    elevenlabs: ElevenLabsSettings = Field(default_factory=ElevenLabsSettings)
    synthflow: SynthflowSettings = Field(default_factory=SynthflowSettings)
    people: PeopleSettings = Field(default_factory=PeopleSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)

    @classmethod
    def load(cls, path: str | Path | None) -> "Profile":
        """Read a TOML profile; ``None`` gives the embedded defaults. Errors name the file and the option."""
        if path is None:
            return cls()
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise UserError(f"profile {path} does not exist") from exc
        except IsADirectoryError as exc:
            raise ProfileUnreadable(f"profile {path} is a folder, not a file: give the path of the .toml file "
                                    "inside it") from exc
        except UnicodeDecodeError as exc:
            raise ProfileUnreadable(f"profile {path} is not UTF-8 text (byte {exc.start} cannot be read): save it "
                                    "again as UTF-8 in a text editor") from exc
        except PermissionError as exc:
            raise ProfileUnreadable(f"profile {path} cannot be read by this user: give it read permission") \
                from exc
        except OSError as exc:
            raise ProfileUnreadable(f"profile {path} cannot be read ({exc.strerror or exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"profile {path} is not valid TOML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = "profile") -> "Profile":
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
            )
            raise UserError(f"{source}: {problems}") from exc

    def to_toml(self) -> str:
        """Serialise as TOML (all sections, all options) — used by ``receptionist sandbox`` to print a profile."""
        lines: list[str] = []
        tables: list[str] = []
        for section, model in self.model_dump().items():
            lines.append(f"[{section}]")
            for key, value in model.items():
                if isinstance(value, (list, tuple)):  # a list of records (people.members): arrays of tables
                    for item in value:
                        tables += [f"[[{section}.{key}]]", *(f"{k} = {_toml_value(v)}" for k, v in item.items()), ""]
                else:
                    lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines + tables)


def write_profile(profile: Profile, path: str | Path) -> Path:
    """Write ``profile`` to ``path`` atomically (a temporary file, then a rename): a crash never leaves half a
    profile.  Secrets are not options, so none can reach the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text("# Receptionist Console location profile (written by setup / Settings; secrets are in the "
                       "OS keyring)\n" + profile.to_toml(), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        from receptionist.errors import environment_problem

        raise (environment_problem(exc, what=f"the profile {path}")
               or ProfileUnreadable(f"cannot write the profile {path} ({exc.strerror or exc})")) from exc
    return path


@dataclass(frozen=True)
class ProfileSource:
    """Which profile a run uses and how it was found (``doctor`` and About say it)."""

    path: Path
    how: str  # "--profile", "$RECEPTIONIST_PROFILE", "user config folder", "IT-managed folder", "baked into build"


def profile_candidates(cli_value: str | None = None) -> list[tuple[str, Path | None]]:
    """Every place looked, in order, as (how, path); a path of None means that place is not set."""
    env = os.environ.get(PROFILE_ENV)
    return [
        ("--profile", Path(cli_value) if cli_value else None),
        (f"${PROFILE_ENV}", Path(env) if env else None),
        ("user config folder", paths.user_profile_path()),
        ("IT-managed folder", paths.site_profile_path()),
        ("baked into this build", paths.baked_profile()),
    ]


def find_profile(cli_value: str | None = None) -> ProfileSource | None:
    """The profile to use, or None when there is none anywhere (then setup creates the user profile).

    ``--profile`` and ``$RECEPTIONIST_PROFILE`` are taken as given (a missing file is an error, said when it is
    loaded); the folders count only when the file is there."""
    for how, path in profile_candidates(cli_value):
        if path is None:
            continue
        if how.startswith(("--", "$")) or path.exists():
            return ProfileSource(path, how)
    return None


def no_profile_error() -> NoProfile:
    looked = ", ".join(str(p) for how, p in profile_candidates() if p is not None and not how.startswith("$"))
    return NoProfile(f"no location profile found (looked in {looked}, and --profile / ${PROFILE_ENV} are not set): "
                     "start `receptionist` to set one up in the window, or run `receptionist setup --name NAME "
                     "--time-zone ZONE`, or pass --profile FILE")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def describe_options() -> list[tuple[str, str, object, str]]:
    """(dotted name, type, default, help) for every option, for docs and ``doctor``."""
    rows = []
    for section, field in Profile.model_fields.items():
        model = field.annotation
        for name, opt in model.model_fields.items():  # type: ignore[union-attr]
            rows.append((f"{section}.{name}", getattr(opt.annotation, "__name__", str(opt.annotation)), opt.default,
                         opt.description or ""))
    return rows
