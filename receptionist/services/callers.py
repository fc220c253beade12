"""Callers: a number as a person writes it, what the desk knows of whoever calls from it, and that caller's data
exported or forgotten."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from receptionist import events
from receptionist.domain.formatting import format_date
from receptionist.domain.intake import CallerHistory
from receptionist.domain.models import AppointmentRecord, CallRecord
from receptionist.domain.payload import normalise_phone
from receptionist.errors import UserError
from receptionist.services.context import DeskContext
from receptionist.services.people import is_owner


@dataclass(frozen=True)
class CallerFile:
    """A caller's number (E.164), its history, the window's sentence on it, and its latest calls (list rows,
    newest first) and appointments (cancelled too, the latest start first)."""

    number: str
    history: CallerHistory
    note: str | None
    calls: list[CallRecord]
    appointments: list[AppointmentRecord]


class Callers:
    def __init__(self, ctx: DeskContext):
        self.ctx = ctx

    def number(self, written: str) -> str:
        """A number as a person writes it — (312) 555-0142, 312.555.0142, +1 312 555 0142 — in E.164, read in the
        location's country as every number the desk takes is; a ``UserError`` saying why it is not one."""
        if not written.strip():
            raise UserError("give a phone number, e.g. (312) 555-0142")
        number, problem = normalise_phone(written, self.ctx.rules.country)
        if problem is not None:
            raise UserError(problem.message)
        return number

    def history(self, number: str | None, before_call_row_id: int | None = None) -> CallerHistory | None:
        """Earlier calls and appointments of the caller's number (E.164), or None without a number."""
        if not number:
            return None
        return self.ctx.store.inbox.caller_history(number, self.ctx.clock(), before_call_row_id)

    def returning_text(self, number: str | None, before_call_row_id: int | None = None) -> str | None:
        """"Returning caller, last visit 10/14/2026" (or None for a first-time caller)."""
        return self._returning_text(self.history(number, before_call_row_id))

    def _returning_text(self, history: CallerHistory | None) -> str | None:
        if history is None or not history.returning:
            return None
        zone = self.ctx.rules.zone
        parts = ["Returning caller"]
        if history.last_visit is not None:
            parts.append(f"last visit {format_date(history.last_visit, zone)}")
        elif history.last_call_at is not None:
            parts.append(f"called before on {format_date(history.last_call_at, zone)}")
        if history.next_visit is not None:
            parts.append(f"next visit {format_date(history.next_visit, zone)}")
        return ", ".join(parts)

    def file(self, written_number: str, limit: int = 20) -> CallerFile:
        """What the desk knows about a number written any way (``calls history``): the history and the sentence
        the window shows, and the latest ``limit`` calls and appointments themselves."""
        number = self.number(written_number)
        history = self.history(number)
        store = self.ctx.store
        return CallerFile(number, history, self._returning_text(history), store.calls.from_number(number, limit),
                          store.appointments.for_number(number, limit))

    # --- a caller's data: theirs to ask for, or to have forgotten (owners) ------------------------------------------

    def _owner(self, actor: str | None, what: str) -> str:
        who = self.ctx.actor(actor)
        if not is_owner(self.ctx, who):
            raise UserError(f"{what} a caller's data is for owners: ask an owner of the desk")
        return who

    def export(self, written_number: str, actor: str | None = None) -> dict:
        """Everything the desk holds about a number (calls with transcripts, appointments, callbacks, texts), as
        JSON-able data; audited."""
        who = self._owner(actor, "exporting")
        return self.ctx.store.caller_data.export(self.number(written_number), who, self.ctx.clock())

    def export_to(self, written_number: str, path: str | Path, actor: str | None = None) -> dict:
        """``export`` written to a JSON file; what it holds, counted (calls, appointments, texts)."""
        data = self.export(written_number, actor)
        try:
            Path(path).write_text(json.dumps(data, indent=2, default=_iso), encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror}") from None
        return {"number": data["number"], "calls": len(data["calls"]), "appointments": len(data["appointments"]),
                "texts": len(data["texts_sent"]) + len(data["texts_received"]), "file": str(path)}

    def forget(self, written_number: str, actor: str | None = None) -> dict[str, int]:
        """Erase a caller: calls, transcripts and texts go; appointments stay with the name replaced, and the
        calendars get that version; audited. Returns how many calls, appointments and texts were touched."""
        ctx = self.ctx
        who = self._owner(actor, "forgetting")
        done = ctx.store.caller_data.forget(self.number(written_number), who, ctx.clock())
        ctx.bus.publish(events.PROPOSAL_DECIDED, status="forgotten")  # the call list reads again
        ctx.bus.publish(events.APPOINTMENT_CHANGED)
        ctx.bus.publish(events.CALLBACK_CHANGED)
        ctx.wake_sync()
        return done


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")
