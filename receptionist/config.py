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

import hashlib
import json
import os
import re
import secrets as _secrets
import tomllib
import unicodedata
from dataclasses import dataclass
import datetime as _dt
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from receptionist import paths
from receptionist.domain.on_call import Shift, calendar_key_parts, parse_shift_hours, weekday_numbers
from receptionist.domain.people import same_person
from receptionist.domain.schedule import WEEKDAYS, BookingRules, Closure, ResourceRule, ServiceRule, WeeklyHours
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
    sound_on_new_call: bool = Field(True, description="Play this computer's alert sound when a call that needs a "
                                    "person arrives (with its tray notification and taskbar alert).")

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


class CalDavSettings(_Section):
    enabled: bool = Field(False, description="Sync appointments with a CalDAV calendar (iCloud, Fastmail, Nextcloud).")
    url: str = Field("", description="CalDAV server URL as discovered at sign-in (the app password is in the keyring).")
    username: str = Field("", description="CalDAV user name (an Apple ID or e-mail address for iCloud and Fastmail).")
    calendar_url: str = Field("", description="URL of the calendar to write appointments to, picked at sign-in.")
    calendar_name: str = Field("", description="That calendar's name, as the server lists it.")
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


AI_PLATFORMS = ("vapi", "retell", "elevenlabs", "bland", "synthflow", "twilio", "generic")


class IngestSettings(_Section):
    platform: str = Field("generic", description="The AI phone platform that sends this desk its calls: vapi, "
                          "retell, elevenlabs, bland, synthflow, twilio or generic (setup shows its own address and "
                          "secret).")
    host: str = Field("127.0.0.1", description="Address the webhook receiver binds to.")
    port: int = Field(8765, ge=0, le=65535, description="Webhook receiver port (0 picks a free one).")
    # Ours (receptionist.ingest.signing); 5 minutes, the usual webhook tolerance (Stripe's SDKs, Retell's).
    replay_window_seconds: int = _replay_window(
        300, "Our generic payload (webhooks/v1/calls): one whose X-Receptionist-Timestamp is")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest webhook body accepted.")

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in AI_PLATFORMS:
            raise ValueError(f"{value!r} is not a platform this desk takes calls from: use one of "
                             f"{', '.join(AI_PLATFORMS)}")
        return value
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
    reconcile_sample: int = Field(10, ge=0, description="Synced events read back at each reconciliation "
                                  "(Google and Outlook: in one batch request, sent while the window is listed).")


class EventSettings(_Section):
    private: bool = Field(
        False, description="Write generic titles and no caller details to calendars (for clinics).")
    title_template: str = Field(
        "{service} — {caller}", description="Event title. Fields: {service} {caller} {phone} {account} {location}.")
    description_template: str = Field(
        "Caller: {caller}\nCallback: {phone}\nAccount: {account}\n\n{notes}",
        description="Event description; a line whose fields are all empty is left out.")
    private_title: str = Field("Patient appointment", description="Event title when events.private is on.")


_HOURS_HELP = ('Weekly hours: weekday (mon … sun) → local ranges, e.g. {mon = ["08:00-12:00", "13:00-17:00"], '
               'sun = []}; a weekday not named keeps the simple form (location.open_hour–close_hour, Mon–Sat).')


def _valid_hours(value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    if value is not None:
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}: use {', '.join(WEEKDAYS)}")
        WeeklyHours.of(value)  # raises ValueError naming the bad range
    return value


class ClosureSettings(_Section):
    """A day or days the location is closed (a holiday, a training day)."""

    name: str = Field("Holiday", min_length=1, max_length=80, description="What the caller is told, e.g. "
                      "'Christmas Day'.")
    date: _dt.date = Field(description="The (first) closed day.")
    until: _dt.date | None = Field(None, description="The last closed day, when it is more than one.")

    @model_validator(mode="after")
    def _in_order(self):
        if self.until is not None and self.until < self.date:
            raise ValueError(f"closure {self.name!r} ends ({self.until}) before it starts ({self.date})")
        return self


class ServiceSettings(_Section):
    """One bookable service; unset buffers and caps take the location's."""

    name: str = Field(min_length=1, max_length=200, description="As callers and the desk name it, e.g. 'Cleaning'.")
    duration_minutes: int = Field(ge=5, le=480, description="Its length.")
    buffer_before_minutes: int | None = Field(None, ge=0, le=240, description="Free time kept before it.")
    buffer_after_minutes: int | None = Field(None, ge=0, le=240, description="Free time kept after it.")
    max_per_day: int = Field(0, ge=0, description="At most this many a day (0: no cap of its own).")
    max_per_week: int = Field(0, ge=0, description="At most this many a week, Monday to Sunday (0: no cap).")
    resources: list[str] = Field(default_factory=list, description="Resources (by name) any one of which takes "
                                 "it; empty: the location as a whole.")


class ResourceSettings(_Section):
    """A person, chair or room a service needs, with its own hours and, optionally, its own calendar."""

    name: str = Field(min_length=1, max_length=80, description="e.g. 'Dr. Lee', 'Chair 2'.")
    kind: str = Field("staff", pattern="^(staff|chair|room|equipment)$", description="staff, chair, room or "
                      "equipment.")
    hours: dict[str, list[str]] | None = Field(None, description="Its own weekly hours (as availability.hours); "
                                                "unset: the location's.")
    calendar: str = Field("", description="Calendar key whose busy time is this resource's only, e.g. "
                          "'google:dr.lee@example.com'; empty: none of its own.")

    @field_validator("hours")
    @classmethod
    def _hours(cls, value):
        return _valid_hours(value)

    @field_validator("calendar")
    @classmethod
    def _calendar_key(cls, value: str) -> str:
        if value and not re.match(r"^(google|outlook|caldav):.+", value):
            raise ValueError(f"{value!r} is not a calendar key: write 'google:<calendar id>' or "
                             "'outlook:<calendar id>'")
        return value


class OnCallSettings(_Section):
    """One entry of the on-call roster: who answers urgent callers out of hours, asked by the AI agent's
    ``who_is_on_call`` tool. The first entry covering a time answers (put one-off covers first)."""

    person: str = Field(min_length=1, max_length=80, description="Who is on call (a name of [people], or anyone).")
    phone: str = Field("", description="Their phone (E.164) the agent transfers to; empty: the person's phone in "
                       "[people].")
    hours: str = Field("00:00-24:00", description="Local hours of the shift, e.g. '18:00-08:00' (may run past "
                       "midnight; a shift belongs to the day it starts).")
    days: list[str] = Field(default_factory=list, description="Weekdays the shift starts on (mon … sun); empty: "
                            "every day.")
    first_day: _dt.date | None = Field(None, description="First day of this entry (e.g. the week of a rotation).")
    last_day: _dt.date | None = Field(None, description="Last day a shift of this entry starts (inclusive).")

    @field_validator("hours")
    @classmethod
    def _shift_hours(cls, value: str) -> str:
        parse_shift_hours(value)
        return value

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[str]) -> list[str]:
        weekday_numbers(value)
        return value

    @model_validator(mode="after")
    def _days_in_order(self):
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValueError(f"on-call entry for {self.person!r}: last_day is before first_day")
        return self


class AvailabilitySettings(_Section):
    """When bookings may start: offered to the AI agent and checked at the desk by the same rule."""

    hours: dict[str, list[str]] | None = Field(None, description=_HOURS_HELP)
    closures: list[ClosureSettings] = Field(default_factory=list, description="Closed days: [[availability."
                                            "closures]] name, date, until.")
    slot_step_minutes: int = Field(15, ge=5, le=240, description="Offered starts are this many minutes apart, "
                                   "counted from each opening.")
    min_notice_minutes: int = Field(0, ge=0, le=43_200, description="No booking starts sooner than this after "
                                    "now.")
    horizon_days: int = Field(60, ge=0, le=730, description="No booking starts further ahead than this many days "
                              "(0: no limit; busy time is read sync.window_days_ahead ahead).")
    buffer_before_minutes: int = Field(0, ge=0, le=240, description="Free time kept before each booking.")
    buffer_after_minutes: int = Field(0, ge=0, le=240, description="Free time kept after each booking.")
    max_per_day: int = Field(0, ge=0, description="Bookings a day at most, all services (0: no cap).")
    max_per_week: int = Field(0, ge=0, description="Bookings a week at most, Monday to Sunday (0: no cap).")
    hold_minutes: int = Field(5, ge=1, le=60, description="A slot offered to a caller is held this long for "
                              "that call.")
    stale_after_minutes: int = Field(30, ge=1, description="Busy time last read longer ago than this is said "
                                     "to be out of date in the agent's answers.")
    services: list[ServiceSettings] = Field(default_factory=list, description="[[availability.services]] name, "
                                            "duration_minutes, buffers, caps, resources.")
    resources: list[ResourceSettings] = Field(default_factory=list, description="[[availability.resources]] "
                                              "name, kind, hours, calendar.")
    on_call: list[OnCallSettings] = Field(default_factory=list, description="[[availability.on_call]] person, "
                                          "phone, hours, days, first_day, last_day: who is on call.")
    on_call_calendar: str = Field("", description="The shared on-call calendar, on a connected account: "
                                  "'google:<calendar id>', 'outlook:<calendar id>' or 'caldav:<collection URL>'; "
                                  "each event names the person on call (title), with their phone in the "
                                  "description or in [people]. Set, it answers instead of [[availability.on_call]].")
    on_call_refresh_minutes: int = Field(10, ge=1, le=1440, description="The sync leader reads the on-call "
                                         "calendar this often, and at once when it becomes the leader or the calendar is changed.")

    @field_validator("on_call_calendar")
    @classmethod
    def _on_call_calendar(cls, value: str) -> str:
        value = value.strip()
        if value:
            calendar_key_parts(value)
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value):
        return _valid_hours(value)

    @model_validator(mode="after")
    def _names_known(self):
        for what, names in (("service", [s.name for s in self.services]), ("resource",
                                                                          [r.name for r in self.resources])):
            keys = [" ".join(n.lower().split()) for n in names]
            for name, key in zip(names, keys):
                if keys.count(key) > 1:
                    raise ValueError(f"two {what}s are named {name!r}")
        known = {" ".join(r.name.lower().split()) for r in self.resources}
        for service in self.services:
            for name in service.resources:
                if " ".join(name.lower().split()) not in known:
                    raise ValueError(f"service {service.name!r} needs resource {name!r}, which is not among "
                                     f"[[availability.resources]] ({', '.join(r.name for r in self.resources) or 'none'})")
        return self

    def booking_rules(self, location: "LocationSettings") -> BookingRules:
        """The pure rules: ``hours`` over the simple form (``location.open_hour``–``close_hour``, Mon–Sat)."""
        simple = WeeklyHours.simple(location.open_hour, location.close_hour)
        hours = WeeklyHours.of(self.hours, simple) if self.hours is not None else simple
        before, after = self.buffer_before_minutes, self.buffer_after_minutes
        return BookingRules(
            zone=location.zone, hours=hours,
            closures=tuple(Closure(c.date, c.until or c.date, c.name) for c in self.closures),
            step_minutes=self.slot_step_minutes, min_notice_minutes=self.min_notice_minutes,
            horizon_days=self.horizon_days, buffer_before=before, buffer_after=after,
            max_per_day=self.max_per_day, max_per_week=self.max_per_week,
            default_duration_minutes=location.default_duration_minutes,
            services=tuple(ServiceRule(
                s.name, s.duration_minutes,
                before if s.buffer_before_minutes is None else s.buffer_before_minutes,
                after if s.buffer_after_minutes is None else s.buffer_after_minutes,
                s.max_per_day, s.max_per_week, tuple(s.resources)) for s in self.services),
            resources=tuple(ResourceRule(r.name, r.kind, WeeklyHours.of(r.hours, hours) if r.hours is not None
                                         else None, r.calendar or None) for r in self.resources),
        )


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


class HealthSettings(_Section):
    write_objective: float = Field(0.995, gt=0.5, lt=1.0, description="The write error budget's objective: this "
                                   "share of writes must be Synced within health.write_within_minutes.")
    write_within_minutes: float = Field(5.0, gt=0, description="How soon a change must be Synced to count as good.")
    sms_objective: float = Field(0.98, gt=0.5, lt=1.0, description="The texts' error budget: this share of texts "
                                 "must be sent and not reported undelivered or failed by Twilio.")
    sms_after_minutes: float = Field(15.0, gt=0, description="An alert nobody acknowledged is texted to the owners' "
                                     "phones (people with role owner) after this long.")
    google_testing_mode: bool = Field(False, description="The Google sign-in app is in Testing status: its sign-ins "
                                      "end after 7 days (the health view forecasts it).")
    sample_size: int = Field(20, ge=0, description="Synced events per calendar read back by the daily sample "
                                                   "audit.")


class Profile(_Section):
    """A location profile: everything an installer sets for one business location."""

    location: LocationSettings = Field(default_factory=LocationSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    outlook: OutlookSettings = Field(default_factory=OutlookSettings)
    caldav: CalDavSettings = Field(default_factory=CalDavSettings)
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
    availability: AvailabilitySettings = Field(default_factory=AvailabilitySettings)
    health: HealthSettings = Field(default_factory=HealthSettings)

    @model_validator(mode="after")
    def _opening_hours(self):
        loc = self.location
        if self.availability.hours is None and loc.close_hour <= loc.open_hour:
            raise ValueError(f"location.close_hour ({loc.close_hour}) must be after location.open_hour "
                             f"({loc.open_hour})")
        for entry in self.availability.on_call:
            if not entry.phone and not self._phone_of(entry.person):
                raise ValueError(f"availability.on_call: {entry.person!r} has no phone: give the entry a phone, or "
                                 "the person one in [people]")
        self._on_call_calendar_usable()
        return self

    def _on_call_calendar_usable(self) -> None:
        av = self.availability
        if not av.on_call_calendar:
            return
        kind = calendar_key_parts(av.on_call_calendar)[0]
        if not getattr(self, kind).enabled:
            raise ValueError(f"availability.on_call_calendar {av.on_call_calendar!r} is on {kind}, which is not "
                             f"switched on: set {kind}.enabled = true (the on-call calendar is read with that "
                             "account's sign-in), or name a calendar of a connected account")
        if av.on_call_refresh_minutes >= av.stale_after_minutes:
            raise ValueError(f"availability.on_call_refresh_minutes ({av.on_call_refresh_minutes}) must be less than "
                             f"availability.stale_after_minutes ({av.stale_after_minutes}), or every answer would say "
                             "the on-call calendar is out of date")

    def on_call_phone(self, name: str) -> str:
        """The phone of a person an on-call calendar event names: theirs in [people], else a rota entry's."""
        return self._phone_of(name) or next((e.phone for e in self.availability.on_call
                                             if e.phone and same_person(e.person, name)), "")

    def _phone_of(self, name: str) -> str:
        return next((p.phone for p in self.people.members if same_person(p.name, name)), "")

    def on_call_roster(self) -> tuple[Shift, ...]:
        """``[[availability.on_call]]`` as the pure roster, each with its phone (the entry's, else the person's)."""
        return tuple(Shift(e.person, e.phone or self._phone_of(e.person), *parse_shift_hours(e.hours),
                           weekday_numbers(e.days), e.first_day, e.last_day) for e in self.availability.on_call)

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
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" if err["loc"] else err["msg"]
                for err in exc.errors(include_url=False)
            )
            raise UserError(f"{source}: {problems}") from exc

    def to_toml(self) -> str:
        """Serialise as TOML (all sections, all options) — used by ``receptionist sandbox`` to print a profile."""
        lines: list[str] = []
        for section, model in self.model_dump().items():
            lines.append(f"[{section}]")
            for key, value in model.items():
                if value is not None:  # TOML has no null: an unset option is left out
                    lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines)


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
    remember_profile(profile, path)
    return path


def _seen_path(path: str | Path) -> Path:
    key = hashlib.sha256(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:16]
    return paths.data_dir() / "profiles-seen" / f"{key}.json"


def remember_profile(profile: Profile, path: str | Path) -> None:
    """Keep what this desk last saw of the profile at ``path`` (in the data folder, one file per profile path):
    written with every profile the desk writes and taken at each start, so a change made to the file outside the
    desk (by hand) can be named (``DeskSettings.audit_outside_edits``). A snapshot that cannot be written only
    means the next start compares with an older one."""
    seen = _seen_path(path)
    try:
        seen.parent.mkdir(parents=True, exist_ok=True)
        tmp = seen.with_name(f".{seen.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(profile.model_dump(mode="json")), encoding="utf-8")
        os.replace(tmp, seen)
    except OSError:
        pass


def last_seen_profile(path: str | Path) -> Profile | None:
    """The profile at ``path`` as this desk last saw it, or None (never seen here, or the snapshot is unreadable)."""
    try:
        return Profile.from_dict(json.loads(_seen_path(path).read_text(encoding="utf-8")), source="snapshot")
    except (OSError, ValueError, UserError):
        return None


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
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table (hours, a service, a closure)
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def describe_options() -> list[tuple[str, str, object, str]]:
    """(dotted name, type, default, help) for every option, for docs and ``doctor``."""
    rows = []
    for section, field in Profile.model_fields.items():
        model = field.annotation
        for name, opt in model.model_fields.items():  # type: ignore[union-attr]
            rows.append((f"{section}.{name}", getattr(opt.annotation, "__name__", str(opt.annotation)),
                         opt.get_default(call_default_factory=True), opt.description or ""))
    return rows
