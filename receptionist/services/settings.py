"""File → Settings applied to the running desk: what changed takes effect at once where the desk's parts can re-read
it, and the rest is said to wait for the next start (``Applied``). The work is the composition root's (``App`` knows
the receiver, the sync engine and how calendars are built); this capability hands the window a way to ask for it.

Every save is audited before it is applied: who changed which setting from what to what (``profile_changes``), a
secret (a keyring entry, or an option holding one) as "changed" only, and the desk's people per person
(``people_changes``, also taken into the running desk's ``Roster`` so a person added can pick themself at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from receptionist.config import Profile
from receptionist.services.context import DeskContext
from receptionist.services.people import people_changes

#: how the name of an option (or keyring entry) holding a secret ends: its values never reach the audit log
SECRET_ENDINGS = ("secret", "token", "password", "api_key", "pin_hash", "private_key")


@dataclass(frozen=True)
class Applied:
    """What a saved profile changed on the running desk: ``live`` took effect now, ``at_restart`` waits for the
    next start (each a sentence for the status bar)."""

    live: tuple[str, ...] = ()
    at_restart: tuple[str, ...] = ()

    def sentence(self) -> str:
        said = " ".join(self.live + self.at_restart)
        return said or "Nothing the desk uses changed."


def is_secret(setting: str) -> bool:
    return setting.lower().endswith(SECRET_ENDINGS)


def profile_changes(before: Profile, after: Profile, secrets: Iterable[str] = ()) -> list[dict]:
    """Each option that differs as {"setting": "part.option", "from", "to"}; an option holding a secret, and each
    keyring entry in ``secrets`` (stored anew), as {"setting", "changed": True}. The people are ``people_changes``'."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    out: list[dict] = []
    for part, values in new.items():
        for name, value in values.items():
            setting = f"{part}.{name}"
            if setting == "people.members" or old.get(part, {}).get(name) == value:
                continue
            out.append({"setting": setting, "changed": True} if is_secret(setting) else
                       {"setting": setting, "from": old.get(part, {}).get(name), "to": value})
    out += [{"setting": key, "changed": True} for key in sorted(set(secrets))]
    return out


class DeskSettings:
    """``apply(profile)``: take a saved profile into the running desk (blocks: a receiver rebinding, calendars
    re-read from the keyring; the window runs it on a worker), audited first."""

    def __init__(self, ctx: DeskContext, reconfigure: Callable[[Profile], Applied] | None = None):
        self.ctx = ctx
        self._reconfigure = reconfigure
        self._current = ctx.profile  # what the desk runs: the start's profile, then each applied

    def audit_outside_edits(self, seen: Profile | None, actor: str) -> bool:
        """At the desk's start: the profile it runs differs from ``seen`` (what it last saw of the file,
        ``config.last_seen_profile``), so the file was edited outside Settings (by hand): audited as
        "settings.changed_outside" by ``actor`` (the OS login), each option from what to what, secrets as
        "changed" only, and the people per person (the diffs a Settings save records). True if it was."""
        if seen is None:  # never seen here: nothing to compare with
            return False
        changes = profile_changes(seen, self._current)
        people = people_changes(seen.people.members, self._current.people.members)
        if not (changes or people):
            return False
        self.ctx.store.audit.record(self.ctx.clock(), actor, "settings.changed_outside", "settings", "profile",
                                    {"changes": changes, "people": people,
                                     "note": "the profile file was changed outside Settings"})
        return True

    def apply(self, profile: Profile, *, secrets: Iterable[str] = (), actor: str | None = None) -> Applied:
        """``secrets``: the keyring entries the save stored anew (named in the audit, never their values)."""
        ctx = self.ctx
        changes = profile_changes(self._current, profile, secrets)
        people = people_changes(self._current.people.members, profile.people.members)
        if changes or people:
            who, now = ctx.actor(actor), ctx.clock()
            if changes:
                ctx.store.audit.record(now, who, "settings.changed", "settings", "profile", {"changes": changes})
            if people:
                ctx.store.audit.record(now, who, "settings.people_changed", "settings", "people",
                                       {"changes": people})
        self._current = profile
        if self._reconfigure is None:  # a desk without the App's parts (a test desk, the command line)
            ctx.roster.set(profile.people.members)  # the people still apply at once (the App's adopt does it)
            return Applied(at_restart=("The new settings apply when the console starts again.",))
        return self._reconfigure(profile)


__all__ = ["Applied", "DeskSettings", "profile_changes"]
