"""People at the desk: who picks themself when the desk opens (with their PIN, if they have one), who the audit log
names, and the audit log itself, which owners read."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

from receptionist import events
from receptionist.domain.people import AuditRecord, same_person, verify_pin
from receptionist.errors import UserError
from receptionist.services.context import DeskContext


@dataclass(frozen=True)
class PersonChoice:
    """A person as the picker lists them (never their PIN's hash)."""

    name: str
    role: str
    has_pin: bool


def is_owner(ctx: DeskContext, name: str | None = None) -> bool:
    """Owners (and everyone, when the profile lists no people) read the audit log and the conversion report."""
    members = ctx.profile.people.members
    if not members:
        return True
    who = ctx.actor(name)
    return any(p.name == who and p.role == "owner" for p in members)


class People:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def choices(self) -> list[PersonChoice]:
        return [PersonChoice(p.name, p.role, bool(p.pin_hash)) for p in self.ctx.profile.people.members]

    def current(self) -> str:
        return self.ctx.at_desk.name

    def must_pick(self) -> bool:
        """Whether the window asks who is at the desk (the profile lists people and this is not a single-user PC
        signed in by its login)."""
        people = self.ctx.profile.people
        return bool(people.members) and not (people.os_login and self.os_login() is not None)

    def os_login(self) -> str | None:
        """This computer's login, when the profile says a single-user PC's login is its person (and, when people
        are listed, the login is one of them)."""
        if not self.ctx.profile.people.os_login:
            return None
        login = getpass.getuser()
        members = self.ctx.profile.people.members
        if not members:
            return login
        return next((p.name for p in members if same_person(p.name, login)), None)

    def pick(self, name: str, pin: str = "") -> str:
        """``name`` is at the desk from now on: every action that names nobody is theirs. A person with a PIN
        gives it; a wrong one changes nothing."""
        ctx = self.ctx
        canonical = ctx.actor(name)
        person = next((p for p in ctx.profile.people.members if p.name == canonical), None)
        if person is not None and person.pin_hash and not verify_pin(pin, person.pin_hash):
            raise UserError(f"that is not {canonical}'s PIN")
        ctx.at_desk.set(canonical)
        ctx.store.audit.record(ctx.clock(), canonical, "person.picked", "person", canonical, {})
        ctx.bus.publish(events.PERSON_CHANGED, name=canonical)
        return canonical

    def is_owner(self, name: str | None = None) -> bool:
        return is_owner(self.ctx, name)

    def audit_log(self, *, person: str | None = None, action: str | None = None, since: datetime | None = None,
                  until: datetime | None = None, limit: int = 500, actor: str | None = None) -> list[AuditRecord]:
        """The audit log, newest first, filtered by person, action (or its family: "callback") and [since, until);
        owners only."""
        if not self.is_owner(actor):
            raise UserError("the audit log is for owners: ask an owner of the desk")
        return self.ctx.store.audit.entries(actor=person or None, action=action or None, since=since, until=until,
                                            limit=limit)

    def audit_actors(self) -> list[str]:
        return self.ctx.store.audit.actors()

    def record_change(self, what: str, detail: dict, actor: str | None = None) -> None:
        """A change of the desk's settings made outside the window (``receptionist people ...``), audited."""
        ctx = self.ctx
        ctx.store.audit.record(ctx.clock(), ctx.actor(actor), what, "settings", "people", detail)
