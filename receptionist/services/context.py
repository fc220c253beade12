"""What every capability of the desk shares: one immutable context, built once by ``App.assemble``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from receptionist import events
from receptionist.config import Profile
from receptionist.domain.bookings import EventTemplate
from receptionist.domain.models import BusyBlock
from receptionist.domain.people import same_person
from receptionist.domain.payload import LocationRules
from receptionist.errors import UserError
from receptionist.store import Store
from receptionist.sync.engine import event_template

if TYPE_CHECKING:
    from receptionist.domain.ports import Dialer, SecretStore


_KEEP = object()  # ``adopt``: this part stays as it is


def location_rules(profile: Profile) -> LocationRules:
    loc = profile.location
    return LocationRules(zone=loc.zone, country=loc.country, default_duration_minutes=loc.default_duration_minutes,
                         booking=profile.availability.booking_rules(loc))


class AtDesk:
    """Who is at this desk now: the actor of every action that names none (the window's person picker sets it;
    "staff" until someone picks, when the profile lists no people)."""

    def __init__(self, name: str = "staff"):
        self._name = name
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        with self._lock:
            return self._name

    def set(self, name: str) -> None:
        with self._lock:
            self._name = name


class Roster:
    """The desk's people as the running desk knows them: the profile's at start, then each saved in Settings →
    People (``desk.settings.apply``), so a person added there can pick themself without a restart."""

    def __init__(self, members: tuple = ()):
        self._members = tuple(members)
        self._lock = threading.Lock()

    @property
    def members(self) -> tuple:
        with self._lock:
            return self._members

    def set(self, members) -> None:  # noqa: ANN001 - config.Person records
        with self._lock:
            self._members = tuple(members)


@dataclass(frozen=True)
class DeskContext:
    """The desk's store, profile and wiring. ``calendars`` maps each enabled calendar's link key to its label
    (connected or not: a booking is owed to every enabled calendar); ``problems`` is a read-only view of why an
    enabled integration is unusable (calendar keys, "twilio", "webhook"), kept current by the App."""

    store: Store
    profile: Profile
    bus: events.EventBus
    calendars: Mapping[str, str]
    clock: Callable[[], datetime]
    wake_sync: Callable[[], None] = lambda: None
    sms_enabled: bool = False
    problems: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    secrets: "SecretStore | None" = None  # the location's keyring entries, for File → Settings…
    # the calendars' busy time read now (``SyncEngine.busy_now``): the last re-check before a booking is written
    # (start, end, titled=False): ``titled`` reads the events themselves, to name what a free/busy query found
    busy_now: Callable[..., tuple[list[BusyBlock], list[str]]] | None = None
    dialer: "Dialer | None" = None  # Twilio Voice: the owner's Call back
    at_desk: AtDesk = field(default_factory=AtDesk)
    rules: LocationRules = field(init=False)
    template: EventTemplate = field(init=False)
    roster: Roster = field(init=False)  # the people (``profile.people.members``, kept current by Settings)

    def __post_init__(self):
        object.__setattr__(self, "rules", location_rules(self.profile))
        object.__setattr__(self, "template", event_template(self.profile))
        object.__setattr__(self, "roster", Roster(self.profile.people.members))

    def adopt(self, profile: Profile, *, sms_enabled: bool | None = None, dialer: "Dialer | None | object" = _KEEP
              ) -> None:
        """File → Settings saved: the running desk's profile and what is drawn from it (the zone, hours, services,
        country, event template, the people and their phones) are replaced at once, and Twilio's texts and Call back
        dialer when Twilio was rebuilt (``dialer``: the new one, or None when Twilio is off or unusable). The one
        change a context takes; every capability reads them per call, so the next one uses the new rules."""
        object.__setattr__(self, "profile", profile)
        object.__setattr__(self, "rules", location_rules(profile))
        object.__setattr__(self, "template", event_template(profile))
        self.roster.set(profile.people.members)
        if sms_enabled is not None:
            object.__setattr__(self, "sms_enabled", sms_enabled)
        if dialer is not _KEEP:
            object.__setattr__(self, "dialer", dialer)

    @classmethod
    def of(cls, store: Store, profile: Profile, bus: events.EventBus, calendars: Mapping[str, str],
           clock: Callable[[], datetime], *, problems: dict[str, str] | None = None, **wiring) -> "DeskContext":
        # A dict is kept as given (read-only here): Settings adds or drops a calendar in it while the desk runs.
        live = calendars if isinstance(calendars, dict) else dict(calendars)
        return cls(store, profile, bus, MappingProxyType(live), clock,
                   problems=MappingProxyType(problems if problems is not None else {}), **wiring)

    def actor(self, given: str | None = None) -> str:
        """Who acts: ``given`` (the command line's ``--actor``), else the person at the desk, checked against the
        profile's people when it lists any (their spelling of the name is what the audit log records)."""
        name = (given if given is not None else self.at_desk.name).strip()
        members = self.roster.members
        if not members:
            return name or "staff"
        for person in members:
            if same_person(person.name, name):
                return person.name
        raise UserError(f"{name or 'nobody'!r} is not one of this desk's people ({', '.join(p.name for p in members)}):"
                        " pick yourself, or pass --actor with your name")

    def label(self, calendar: str) -> str:
        return self.calendars.get(calendar, calendar)
