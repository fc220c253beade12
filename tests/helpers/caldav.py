"""CalDAV in tests: a fresh calendar on the session's Radicale, a provider on it, and a *person* editing the same
calendar from another client (the ``caldav`` library itself, as Apple Calendar or Thunderbird would)."""

from __future__ import annotations

import uuid
from datetime import datetime

import icalendar
from caldav import DAVClient

from receptionist.config import CalDavSettings
from receptionist.providers.caldav_calendar import CalDavCalendarProvider, dav_client

USER = "desk"
PASSWORD = "app-specific-password"


def make_calendar(server_url: str, name: str = "Front desk", user: str = USER) -> str:
    """A new calendar on the server; its URL."""
    with DAVClient(server_url, username=user, password=PASSWORD) as client:
        return str(client.principal().make_calendar(name=name, cal_id=uuid.uuid4().hex[:12]).url)


def settings_for(server_url: str, calendar_url: str, **overrides) -> CalDavSettings:
    values = dict(enabled=True, url=server_url, username=USER, calendar_url=calendar_url,
                  calendar_name="Front desk", timeout_seconds=5.0)
    values.update(overrides)
    return CalDavSettings(**values)


def make_provider(server_url: str, calendar_url: str, *, via: str | None = None,
                  all_day_zone: str = "America/Chicago", memory=None) -> CalDavCalendarProvider:
    """The provider; ``via`` sends it through another URL (the fault proxy) for the same calendar; ``memory`` is
    where it keeps what it remembers (a store's ``provider_memory``, to build it anew as after a restart)."""
    if via:
        calendar_url = via.rstrip("/") + "/" + calendar_url.split("/", 3)[3]
    settings = settings_for(via or server_url, calendar_url)
    return CalDavCalendarProvider(settings, dav_client(settings, PASSWORD, calendar_url), all_day_zone=all_day_zone,
                                  memory=memory)


class Person:
    """Someone at the business using the same calendar from their own app."""

    def __init__(self, server_url: str, calendar_url: str, *, user: str = USER, password: str = PASSWORD):
        self.client = DAVClient(server_url, username=user, password=password)
        self.calendar = self.client.calendar(url=calendar_url)

    def add(self, title: str, start: datetime, end: datetime, *, busy: bool = True, description: str = "",
            rrule: dict | None = None, all_day: bool = False) -> str:
        event = icalendar.Event()
        event.add("uid", uuid.uuid4().hex + "@person")
        event.add("dtstamp", datetime.now().astimezone())
        event.add("summary", title)
        if all_day:
            event.add("dtstart", start.date())
            event.add("dtend", end.date())
        else:
            event.add("dtstart", start)
            event.add("dtend", end)
        if description:
            event.add("description", description)
        if not busy:
            event.add("transp", "TRANSPARENT")
        if rrule:
            event.add("rrule", rrule)
        cal = icalendar.Calendar()
        cal.add("prodid", "-//A person//EN")
        cal.add("version", "2.0")
        cal.add_component(event)
        cal.add_missing_timezones()
        saved = self.calendar.add_event(cal.to_ical().decode())
        return saved.url.path

    def _object(self, href: str):
        return self.calendar.event_by_url(self.client.url.join(href.partition("#")[0]))

    def edit(self, remote_id: str, *, title: str, start: datetime, end: datetime) -> None:
        """Edit an event, or move one occurrence of a series (an exception with its RECURRENCE-ID)."""
        obj = self._object(remote_id)
        obj.load()
        cal = icalendar.Calendar.from_ical(obj.data)
        occurrence = remote_id.partition("#")[2]
        master = next(c for c in cal.walk("VEVENT") if "RECURRENCE-ID" not in c)
        if occurrence:
            zone = master["DTSTART"].dt.tzinfo
            original = _moment(occurrence).astimezone(zone)
            exception = icalendar.Event()
            exception.add("uid", master["UID"])
            exception.add("dtstamp", datetime.now().astimezone())
            exception.add("recurrence-id", original)
            exception.add("summary", title)
            exception.add("dtstart", start.astimezone(zone))
            exception.add("dtend", end.astimezone(zone))
            cal.add_component(exception)
        else:
            for name in ("SUMMARY", "DTSTART", "DTEND", "DURATION"):
                master.pop(name, None)
            master.add("summary", title)
            master.add("dtstart", start)
            master.add("dtend", end)
            master["SEQUENCE"] = int(master.get("SEQUENCE", 0)) + 1
        obj.data = cal.to_ical().decode()
        obj.save()

    def delete(self, remote_id: str) -> None:
        """Delete an event, or cancel one occurrence of a series (EXDATE)."""
        obj = self._object(remote_id)
        occurrence = remote_id.partition("#")[2]
        if not occurrence:
            obj.delete()
            return
        obj.load()
        cal = icalendar.Calendar.from_ical(obj.data)
        master = next(c for c in cal.walk("VEVENT") if "RECURRENCE-ID" not in c)
        master.add("exdate", _moment(occurrence).astimezone(master["DTSTART"].dt.tzinfo))
        obj.data = cal.to_ical().decode()
        obj.save()


def _moment(occurrence: str) -> datetime:
    from datetime import timezone

    return datetime.strptime(occurrence, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
