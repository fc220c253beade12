"""People at the desk: who picks themself when the desk opens (with their PIN, if they have one), who the audit log
names, the audit log itself, which owners read, and the list of people owners change (Settings → People and
``receptionist people add|remove``: ``with_person`` / ``without_person`` give the new list; the profile holding it
is written by the window's Settings or the command line, and ``people_changes`` says what changed for the audit)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from receptionist import events
from receptionist.config import Person
from receptionist.domain.people import AuditRecord, hash_pin, same_person, verify_pin
from receptionist.errors import UserError
from receptionist.services.context import DeskContext

ROLES = ("front-desk", "owner")


@dataclass(frozen=True)
class PersonChoice:
    """A person as the picker lists them (never their PIN's hash)."""

    name: str
    role: str
    has_pin: bool


def is_owner(ctx: DeskContext, name: str | None = None) -> bool:
    """Owners (and everyone, when the profile lists no people) read the audit log and the conversion report, and
    manage the desk's people."""
    members = ctx.roster.members
    if not members:
        return True
    who = ctx.actor(name)
    return any(p.name == who and p.role == "owner" for p in members)


class People:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def choices(self) -> list[PersonChoice]:
        return [PersonChoice(p.name, p.role, bool(p.pin_hash)) for p in self.ctx.roster.members]

    def current(self) -> str:
        return self.ctx.at_desk.name

    def must_pick(self) -> bool:
        """Whether the window asks who is at the desk (the profile lists people and this is not a single-user PC
        signed in by its login)."""
        people = self.ctx.profile.people
        return bool(self.ctx.roster.members) and not (people.os_login and self.os_login() is not None)

    def os_login(self) -> str | None:
        """This computer's login, when the profile says a single-user PC's login is its person (and, when people
        are listed, the login is one of them)."""
        if not self.ctx.profile.people.os_login:
            return None
        login = getpass.getuser()
        members = self.ctx.roster.members
        if not members:
            return login
        return next((p.name for p in members if same_person(p.name, login)), None)

    def pick(self, name: str, pin: str = "") -> str:
        """``name`` is at the desk from now on: every action that names nobody is theirs. A person with a PIN
        gives it; a wrong one changes nothing."""
        ctx = self.ctx
        canonical = ctx.actor(name)
        person = next((p for p in ctx.roster.members if p.name == canonical), None)
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

    # --- the list of people (owners) ------------------------------------------------------------------------------

    def _may_change(self, actor: str | None) -> None:
        if not self.is_owner(actor):
            raise UserError("only an owner can change the desk's people")

    def with_person(self, members: tuple[Person, ...], name: str, role: str = "front-desk", *, phone: str = "",
                    pin: str | None = None, actor: str | None = None) -> tuple[Person, ...]:
        """``members`` with ``name`` added, or changed when listed (a name compares without case): its role and
        phone, and a new PIN when ``pin`` is given ("" takes the PIN away; None keeps it). The PIN is kept as a
        salted hash only. Owners only; the list always keeps an owner."""
        self._may_change(actor)
        name = name.strip()
        if role not in ROLES:
            raise UserError(f"{role!r} is not a role: front-desk or owner")
        earlier = next((p for p in members if same_person(p.name, name)), None)
        pin_hash = earlier.pin_hash if earlier is not None else ""
        if pin is not None:
            try:
                pin_hash = hash_pin(pin) if pin else ""
            except ValueError as exc:
                raise UserError(str(exc)) from None
        try:
            person = Person(name=name, role=role, phone=phone.strip(), pin_hash=pin_hash)
        except ValidationError:
            raise UserError("a person's name is 1 to 80 characters") from None
        changed = tuple(person if p is earlier else p for p in members) if earlier is not None else (*members, person)
        return _keeps_an_owner(changed)

    def without_person(self, members: tuple[Person, ...], name: str, *,
                       actor: str | None = None) -> tuple[Person, ...]:
        """``members`` without ``name``. Owners only; the last owner stays while anyone else is listed."""
        self._may_change(actor)
        left = tuple(p for p in members if not same_person(p.name, name))
        if len(left) == len(members):
            raise UserError(f"{name} is not one of this desk's people")
        return _keeps_an_owner(left)


def _keeps_an_owner(members: tuple[Person, ...]) -> tuple[Person, ...]:
    if members and not any(p.role == "owner" for p in members):
        raise UserError("the desk's people need an owner: nobody else can change them or read the audit log")
    return members


def people_changes(before: tuple[Person, ...], after: tuple[Person, ...]) -> list[dict]:
    """What changed between two lists of people, per person, for the audit log: added, removed, a new role or
    phone, and "pin": "changed" (never the PIN or its hash)."""
    old = {p.name.casefold(): p for p in before}
    new = {p.name.casefold(): p for p in after}
    out: list[dict] = []
    for key, p in new.items():
        if key not in old:
            out.append({"person": p.name, "added": True, "role": p.role, "pin": bool(p.pin_hash)})
            continue
        was = old[key]
        change = {f: {"from": getattr(was, f), "to": getattr(p, f)} for f in ("name", "role", "phone")
                  if getattr(was, f) != getattr(p, f)}
        if was.pin_hash != p.pin_hash:
            change["pin"] = "changed" if p.pin_hash else "removed"
        if change:
            out.append({"person": p.name, **change})
    out += [{"person": p.name, "removed": True} for key, p in old.items() if key not in new]
    return out
