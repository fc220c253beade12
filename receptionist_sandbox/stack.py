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
# The front desk's Outlook calendar: meetings.
OUTLOOK_WEEK = [
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


class SandboxStack:
    """Google Calendar, Microsoft identity + Graph, Twilio, and the AI voice platforms' REST APIs (Vapi, Retell,
    ElevenLabs, Synthflow) as stand-ins on loopback ports."""

    def __init__(self, *, time_zone: str = "America/Chicago"):
        self.time_zone = time_zone
        self.google = GoogleSandbox(default_time_zone=time_zone)
        self.microsoft = MicrosoftSandbox(device_code_interval=0)
        self.twilio = TwilioSandbox(numbers=[FROM_NUMBER])
        self.voice = VoicePlatformsSandbox()

    def start(self) -> "SandboxStack":
        self.google.start()
        self.microsoft.start()
        self.twilio.start()
        self.voice.start()
        return self

    def stop(self) -> None:
        for part in (self.voice, self.twilio, self.microsoft, self.google):
            part.stop()

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
        webhook_secret = webhook_secret or _secrets.token_urlsafe(32)
        secrets.set(SECRET_KEY, webhook_secret)
        for platform, key in self.voice.api_keys.items():  # what polling and Synthflow's read-back use
            secrets.set(f"{platform}.api_key", key)
        return webhook_secret

    def seed_week(self, now: datetime | None = None) -> int:
        """Fill the week containing ``now`` (in the location zone) and the next one with realistic events."""
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
        return count


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
    start, end = _bounds(e, monday, ZoneInfo(zone_name))
    return {
        "subject": e.title,
        "start": {"dateTime": start.replace(tzinfo=None).isoformat(), "timeZone": zone_name},
        "end": {"dateTime": end.replace(tzinfo=None).isoformat(), "timeZone": zone_name},
        "showAs": "busy" if e.busy else "free",
        "isAllDay": False,
    }
