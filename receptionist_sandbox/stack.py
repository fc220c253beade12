"""All stand-ins together: start them, describe them as a profile, sign the console in, fill this week.

Used by demo mode, ``receptionist sandbox`` and the end-to-end tests.  Sign-in goes through the real flows (the
Google refresh token is a pre-authorised grant, like one a person made earlier; Outlook signs in with msal's
device-code flow, which the stand-in approves), so demo mode exercises the same code as a real installation.
"""

from __future__ import annotations

import logging
import secrets as _secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from receptionist.config import Profile
from receptionist.domain.ports import SecretStore
from receptionist.ingest.signing import SECRET_KEY
from receptionist_sandbox import caldav as caldav_sandbox
from receptionist_sandbox.caldav import RadicaleServer
from receptionist_sandbox.google import GoogleSandbox
from receptionist_sandbox.microsoft import MicrosoftSandbox
from receptionist_sandbox.twilio import TwilioSandbox
from receptionist_sandbox.voice_platforms import VoicePlatformsSandbox

log = logging.getLogger(__name__)

GOOGLE_ACCOUNT = "owner@demo.example"
FROM_NUMBER = "+13125550100"


@dataclass(frozen=True)
class SeedEvent:
    day: int  # 0 = Monday of the week
    start: time | None  # None = all day
    minutes: int
    title: str
    busy: bool = True


# The owner's Google calendar: personal blocks and the on-call rotation.
GOOGLE_WEEK = [
    SeedEvent(0, None, 0, "On call — Dr. Patel"),
    SeedEvent(0, time(12, 0), 60, "Lunch w/ Henry Schein rep"),
    SeedEvent(1, time(7, 30), 45, "Gym (personal)"),
    SeedEvent(1, None, 0, "On call — Dr. Okafor"),
    SeedEvent(2, time(15, 0), 90, "Kids' school pickup + dentist run"),
    SeedEvent(2, None, 0, "On call — Dr. Patel"),
    SeedEvent(3, time(9, 30), 60, "CE webinar: Implant restorations"),
    SeedEvent(3, None, 0, "On call — Dr. Kim"),
    SeedEvent(4, time(13, 0), 120, "Dr. Patel out — bank & accountant"),
    SeedEvent(4, None, 0, "On call — Dr. Okafor"),
    SeedEvent(5, time(10, 0), 60, "Tennis (personal)", busy=False),
]
# The front desk's Outlook calendar: meetings, a day the office is closed, an optional webinar.
OUTLOOK_WEEK = [
    SeedEvent(5, None, 0, "Office closed — CPR recertification"),
    SeedEvent(3, time(12, 0), 45, "Optional: sterilization webinar", busy=False),
    SeedEvent(0, time(8, 0), 15, "Morning huddle"),
    SeedEvent(1, time(8, 0), 15, "Morning huddle"),
    SeedEvent(1, time(14, 0), 60, "Insurance billing review"),
    SeedEvent(2, time(8, 0), 15, "Morning huddle"),
    SeedEvent(2, time(11, 0), 30, "Sterilization audit"),
    SeedEvent(3, time(8, 0), 15, "Morning huddle"),
    SeedEvent(3, time(16, 0), 60, "Staff meeting"),
    SeedEvent(4, time(8, 0), 15, "Morning huddle"),
    SeedEvent(4, time(10, 30), 45, "Vendor call — Patterson Dental"),
]


@dataclass(frozen=True)
class SeedSeries:
    """A weekly meeting that started ``weeks_before`` weeks before this week and runs ``count`` times; this
    week's occurrence was moved by a person (``moved_to``, same day, retitled), next week's was cancelled."""

    day: int
    start: time
    minutes: int
    title: str
    moved_to: time
    weeks_before: int = 4
    count: int = 10


GOOGLE_SERIES = SeedSeries(2, time(12, 30), 30, "Owners' check-in", moved_to=time(13, 30))
OUTLOOK_SERIES = SeedSeries(4, time(12, 0), 45, "Lunch & learn", moved_to=time(12, 30))


class SandboxStack:
    """Google Calendar, Microsoft identity + Graph, Twilio, and the AI voice platforms' REST APIs (Vapi, Retell,
    ElevenLabs, Synthflow) as stand-ins on loopback ports; with ``caldav``, a real CalDAV server (Radicale) too."""

    def __init__(self, *, time_zone: str = "America/Chicago", caldav: bool = False):
        self.time_zone = time_zone
        # a real CalDAV server (Radicale), for the demo and the CalDAV end-to-end tests
        self.radicale = RadicaleServer() if caldav else None
        self.caldav_calendar = ""
        self.google = GoogleSandbox(default_time_zone=time_zone)
        self.microsoft = MicrosoftSandbox(device_code_interval=0)
        self.twilio = TwilioSandbox(numbers=[FROM_NUMBER])
        self.voice = VoicePlatformsSandbox()

    def start(self) -> "SandboxStack":
        self.google.start()
        self.microsoft.start()
        self.twilio.start()
        self.voice.start()
        if self.radicale is not None:
            self.radicale.start()
            self.caldav_calendar = caldav_sandbox.make_calendar(self.radicale.url, caldav_sandbox.DEMO_USER,
                                                                caldav_sandbox.DEMO_PASSWORD,
                                                                caldav_sandbox.DEMO_CALENDAR)
        return self

    def stop(self) -> None:
        for part in (self.voice, self.twilio, self.microsoft, self.google):
            part.stop()
        if self.radicale is not None:
            self.radicale.stop()

    def __enter__(self) -> "SandboxStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def profile(self, base: Profile | None = None, *, ingest_port: int | None = None) -> Profile:
        """``base`` with every endpoint pointed at the stand-ins (and the integrations switched on)."""
        data = (base or Profile()).model_dump()
        data["google"].update(enabled=True, api_endpoint=self.google.api_endpoint, token_uri=self.google.token_uri,
                              auth_uri=self.google.auth_uri, client_id=self.google.client_id, calendar_id="primary")
        data["outlook"].update(enabled=True, graph_endpoint=self.microsoft.graph_endpoint,
                               authority=self.microsoft.authority, client_id=self.microsoft.client_id,
                               ca_bundle=str(self.microsoft.cert_path), calendar_id="")
        data["twilio"].update(enabled=True, api_base=self.twilio.url, account_sid=self.twilio.account_sid,
                              from_number=FROM_NUMBER)
        for platform in ("vapi", "retell", "elevenlabs", "synthflow"):  # polling stays off unless the base says so
            data[platform]["api_base"] = self.voice.api_base(platform)
        if self.radicale is not None:
            data["caldav"].update(enabled=True, url=self.radicale.url, username=caldav_sandbox.DEMO_USER,
                                  calendar_url=self.caldav_calendar, calendar_name=caldav_sandbox.DEMO_CALENDAR)
        if ingest_port is not None:
            data["ingest"]["port"] = ingest_port
        return Profile.from_dict(data, source="sandbox profile")

    def provision(self, profile: Profile, secrets: SecretStore, *, webhook_secret: str | None = None) -> str:
        """Put what a signed-in installation keeps in the keyring into ``secrets``; returns the webhook secret."""
        from receptionist.providers.microsoft_auth import connect_outlook

        secrets.set("google.client_secret", self.google.client_secret)
        secrets.set("google.refresh_token", self.google.issue_refresh_token(GOOGLE_ACCOUNT))
        connect_outlook(profile.outlook, secrets, device_code=True, on_prompt=lambda _msg: None, timeout=30)
        secrets.set("twilio.auth_token", self.twilio.auth_token)
        if self.radicale is not None:
            secrets.set("caldav.password", caldav_sandbox.DEMO_PASSWORD)
        webhook_secret = webhook_secret or _secrets.token_urlsafe(32)
        secrets.set(SECRET_KEY, webhook_secret)
        for platform, key in self.voice.api_keys.items():  # what polling and Synthflow's read-back use
            secrets.set(f"{platform}.api_key", key)
        return webhook_secret

    def seed_week(self, now: datetime | None = None) -> int:
        """Fill the week containing ``now`` (in the location zone) and the next one with realistic events, and a
        weekly meeting on each calendar with one moved and one cancelled occurrence; returns how many events
        (a series counting once) were made."""
        zone = ZoneInfo(self.time_zone)
        today = (now or datetime.now(timezone.utc)).astimezone(zone).date()
        monday = today - timedelta(days=today.weekday())
        count = 0
        for week in (0, 7):
            for e in GOOGLE_WEEK:
                self.google.seed_event(GOOGLE_ACCOUNT, "primary", _google_body(e, monday + timedelta(days=week), zone))
                count += 1
            for e in OUTLOOK_WEEK:
                self.microsoft.seed_event(None, _graph_body(e, monday + timedelta(days=week), self.time_zone))
                count += 1
        self._seed_google_series(GOOGLE_SERIES, monday, zone)
        self._seed_outlook_series(OUTLOOK_SERIES, monday, zone)
        if self.radicale is not None:
            count += caldav_sandbox.seed_week(self.radicale.url, self.caldav_calendar, caldav_sandbox.DEMO_USER,
                                              caldav_sandbox.DEMO_PASSWORD, monday, zone)
        return count + 2

    def _seed_google_series(self, s: SeedSeries, monday: date, zone: ZoneInfo) -> None:
        first = datetime.combine(monday + timedelta(days=s.day - 7 * s.weeks_before), s.start, zone)
        master = self.google.seed_event(GOOGLE_ACCOUNT, "primary", {
            "summary": s.title,
            "start": {"dateTime": first.replace(tzinfo=None).isoformat(), "timeZone": zone.key},
            "end": {"dateTime": (first + timedelta(minutes=s.minutes)).replace(tzinfo=None).isoformat(),
                    "timeZone": zone.key},
            "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={s.count}"]})
        this_week, next_week = _occurrence(first, s.weeks_before), _occurrence(first, s.weeks_before + 1)
        moved = datetime.combine(this_week.date(), s.moved_to, zone)
        self.google.edit_event(GOOGLE_ACCOUNT, "primary", self.google.instance_id(master["id"], this_week), {
            "summary": f"{s.title} (moved)",
            "start": {"dateTime": moved.replace(tzinfo=None).isoformat(), "timeZone": zone.key},
            "end": {"dateTime": (moved + timedelta(minutes=s.minutes)).replace(tzinfo=None).isoformat(),
                    "timeZone": zone.key}})
        self.google.remove_event(GOOGLE_ACCOUNT, "primary", self.google.instance_id(master["id"], next_week))

    def _seed_outlook_series(self, s: SeedSeries, monday: date, zone: ZoneInfo) -> None:
        first = datetime.combine(monday + timedelta(days=s.day - 7 * s.weeks_before), s.start, zone)
        weekday = first.strftime("%A").lower()
        master = self.microsoft.seed_event(None, {
            "subject": s.title,
            "start": {"dateTime": first.replace(tzinfo=None).isoformat(), "timeZone": zone.key},
            "end": {"dateTime": (first + timedelta(minutes=s.minutes)).replace(tzinfo=None).isoformat(),
                    "timeZone": zone.key},
            "showAs": "busy",
            "recurrence": {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [weekday]},
                           "range": {"type": "numbered", "startDate": first.date().isoformat(),
                                     "numberOfOccurrences": s.count}}})
        this_week, next_week = _occurrence(first, s.weeks_before), _occurrence(first, s.weeks_before + 1)
        moved = datetime.combine(this_week.date(), s.moved_to, zone)
        self.microsoft.edit_event(None, self.microsoft.occurrence_id(master["id"], this_week), {
            "subject": f"{s.title} (moved)",
            "start": {"dateTime": moved.replace(tzinfo=None).isoformat(), "timeZone": zone.key},
            "end": {"dateTime": (moved + timedelta(minutes=s.minutes)).replace(tzinfo=None).isoformat(),
                    "timeZone": zone.key}})
        self.microsoft.remove_event(None, self.microsoft.occurrence_id(master["id"], next_week))


def _occurrence(first: datetime, weeks: int) -> datetime:
    """The start of a weekly series' occurrence ``weeks`` after ``first``, at the same wall-clock time."""
    return (first.replace(tzinfo=None) + timedelta(weeks=weeks)).replace(tzinfo=first.tzinfo)


def _bounds(e: SeedEvent, monday: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    day = monday + timedelta(days=e.day)
    start = datetime.combine(day, e.start or time(0), zone)
    return start, start + timedelta(minutes=e.minutes)


def _google_body(e: SeedEvent, monday: date, zone: ZoneInfo) -> dict:
    body: dict = {"summary": e.title, "transparency": "opaque" if e.busy else "transparent"}
    if e.start is None:
        day = monday + timedelta(days=e.day)
        body.update(start={"date": day.isoformat()}, end={"date": (day + timedelta(days=1)).isoformat()},
                    transparency="transparent")  # an on-call day does not block the schedule
    else:
        start, end = _bounds(e, monday, zone)
        body.update(start={"dateTime": start.isoformat(), "timeZone": zone.key},
                    end={"dateTime": end.isoformat(), "timeZone": zone.key})
    return body


def _graph_body(e: SeedEvent, monday: date, zone_name: str) -> dict:
    if e.start is None:
        day = monday + timedelta(days=e.day)
        return {
            "subject": e.title,
            "start": {"dateTime": f"{day.isoformat()}T00:00:00", "timeZone": zone_name},
            "end": {"dateTime": f"{(day + timedelta(days=1)).isoformat()}T00:00:00", "timeZone": zone_name},
            "showAs": "busy" if e.busy else "free",
            "isAllDay": True,
        }
    start, end = _bounds(e, monday, ZoneInfo(zone_name))
    return {
        "subject": e.title,
        "start": {"dateTime": start.replace(tzinfo=None).isoformat(), "timeZone": zone_name},
        "end": {"dateTime": end.replace(tzinfo=None).isoformat(), "timeZone": zone_name},
        "showAs": "busy" if e.busy else "free",
        "isAllDay": False,
    }
