"""The owners' commands: ``callbacks`` (list, call, done, assign), ``people`` (list, add, remove), ``audit list``,
``report conversion``, ``caller export|forget``, ``texts list`` (an appointment's texts and their delivery).

Each takes ``--json`` and ``--actor`` (checked against the profile's people when it lists any, like every action
command), and works through the ``Desk``'s capabilities (``desk.callbacks``, ``desk.people``), as the window does.
Registered on the CLI's parser by ``add_owner_commands``; ``owner_commands`` gives ``cli.main`` their runners.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import json
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timezone

from receptionist.config import Profile, write_profile
from receptionist.domain.callbacks import CallbackCursor, CallbackOutcome, CallbackReason, CallbackRecord
from receptionist.domain.conversion import DROP_LABELS, DROP_OFFS, STAGES
from receptionist.domain.formatting import format_datetime
from receptionist.domain.people import AuditRecord
from receptionist.domain.texting import TextDelivery
from receptionist.cli_input import DAY_HELP, day_option
from receptionist.services import Desk
from receptionist.services.callbacks import tel_link
from receptionist.services.people import people_changes


def add_owner_commands(sub, common: Callable[[argparse.ArgumentParser], None]) -> None:
    def parser(name: str, help_text: str, group) -> argparse.ArgumentParser:
        p = group.add_parser(name, help=help_text)
        common(p)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--actor", default="cli", help="who is acting (one of the profile's people when it lists "
                                                     "any; recorded in the audit log)")
        return p

    cbs = sub.add_parser("callbacks", help="the calls that need a person: list, call back, record the outcome") \
        .add_subparsers(dest="action", required=True)
    p = parser("list", "open callbacks by due time (overdue first), the AI summary first", cbs)
    p.add_argument("--all", action="store_true", help="also the latest done ones")
    p.add_argument("--mine", action="store_true", help="only those assigned to the acting person")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--after", type=int, metavar="ID", help="the next page: after this callback (the last one listed)")
    p = parser("call", "ring the acting person's phone, then connect the caller (they see the business number)",
               cbs)
    p.add_argument("id", type=int)
    p = parser("done", "record what happened", cbs)
    p.add_argument("id", type=int)
    p.add_argument("--outcome", required=True, choices=[o.value for o in CallbackOutcome])
    p.add_argument("--appointment", metavar="ID", help="the appointment a booked callback made")
    p = parser("assign", "give a callback to a person (or to nobody)", cbs)
    p.add_argument("id", type=int)
    p.add_argument("person", nargs="?", help="a person of the profile; left out: nobody")

    people = sub.add_parser("people", help="the desk's people (front desk, owners) and their PINs") \
        .add_subparsers(dest="action", required=True)
    parser("list", "who can pick themself at the desk", people)
    p = parser("add", "add a person (or change one) in the profile; a PIN is read from stdin, never echoed", people)
    p.add_argument("name")
    p.add_argument("--role", choices=["front-desk", "owner"], default="front-desk")
    p.add_argument("--phone", default="", help="their own phone (E.164), rung first by Call back")
    p.add_argument("--pin", action="store_true", help="ask for a PIN (4-8 digits)")
    p = parser("remove", "remove a person from the profile", people)
    p.add_argument("name")

    audit = sub.add_parser("audit", help="who did what (owners)").add_subparsers(dest="action", required=True)
    p = parser("list", "the audit log, newest first", audit)
    p.add_argument("--person", help="only this person's actions")
    p.add_argument("--action", dest="what", metavar="ACTION", help="an action (callback.done) or its family "
                                                                   "(callback)")
    p.add_argument("--from", dest="start", metavar="DATE", help=f"first day, {DAY_HELP} (location's zone)")
    p.add_argument("--to", dest="end", metavar="DATE", help=f"last day, {DAY_HELP} (included)")
    p.add_argument("--limit", type=int, default=200)

    caller = sub.add_parser("caller", help="a caller's data: exported (JSON) or forgotten (owners)") \
        .add_subparsers(dest="action", required=True)
    p = parser("export", "everything the desk holds about a number, as JSON", caller)
    p.add_argument("number", help="written any way: (312) 555-0142, +13125550142")
    p.add_argument("--out", metavar="FILE", help="write the JSON here (default: print it)")
    p = parser("forget", "erase calls, transcripts and texts; appointments stay with the name replaced", caller)
    p.add_argument("number")
    p.add_argument("--yes", action="store_true", required=True, help="yes: this cannot be undone")

    texts = sub.add_parser("texts", help="the texts sent about an appointment and whether they were delivered") \
        .add_subparsers(dest="action", required=True)
    p = parser("list", "each text of an appointment (confirmation, change, cancellation, reminder) and how far it "
                       "got (Twilio's delivery status)", texts)
    p.add_argument("appointment", metavar="APPOINTMENT_ID")

    report = sub.add_parser("report", help="reports for owners").add_subparsers(dest="action", required=True)
    p = parser("conversion", "calls → proposals → confirmed → kept, and where the others went (per day, reason, "
                             "platform)", report)
    p.add_argument("--from", dest="start", metavar="DATE", help=f"first day, {DAY_HELP} (default: 30 days ago)")
    p.add_argument("--to", dest="end", metavar="DATE", help=f"last day, {DAY_HELP}, included (default: today)")
    p.add_argument("--csv", action="store_true", help="one CSV row per day, reason and platform, and the total")


def owner_commands(build: Callable, profile_of: Callable) -> dict[str, Callable]:
    """The runners ``cli.main`` dispatches to: ``build(args, profile, with_receiver=False)`` makes the App,
    ``profile_of(args)`` reads the profile the desk runs (and remembers where it is in ``args.profile_source``)."""

    def run(args) -> int:
        if args.command == "people" and args.action in ("add", "remove"):
            return _people_change(args, build, profile_of(args))
        app = build(args, None, with_receiver=False)
        try:
            desk = app.desk
            args.actor = desk.context.actor(args.actor)  # an unknown --actor is refused before anything is done
            result, text = _HANDLERS[(args.command, args.action)](args, desk)
            if getattr(args, "csv", False):
                text = conversion_csv(result)
            print(json.dumps(result, indent=2, default=_json_default) if args.json else text,
                  end="" if text.endswith("\n") and not args.json else "\n")
            return 0
        finally:
            app.stop()

    return {"callbacks": run, "people": run, "audit": run, "report": run, "caller": run, "texts": run}


# --- callbacks ------------------------------------------------------------------------------------------------------


def callback_json(c: CallbackRecord, now: datetime) -> dict:
    return {"id": c.id, "call_row_id": c.call_row_id, "reason": c.reason.value, "urgent": c.urgent,
            "who": c.summary.who, "wants": c.summary.wants, "ai_told_them": c.summary.told, "phone": c.number,
            "tel": tel_link(c.number), "note": c.note, "due_utc": c.due_at, "overdue": c.overdue(now),
            "assignee": c.assignee, "called_at": c.called_at, "called_by": c.called_by, "call_sid": c.call_sid,
            "outcome": c.outcome.value if c.outcome else None, "appointment_id": c.appointment_id,
            "done_at": c.done_at, "done_by": c.done_by}


def _callback_lines(c: CallbackRecord, desk: Desk, now: datetime) -> list[str]:
    zone = desk.context.rules.zone
    state = (f"done: {c.outcome.label}" + (f" by {c.done_by}" if c.done_by else "")) if not c.open else \
        (("OVERDUE, was due " if c.overdue(now) else "due ") + format_datetime(c.due_at, zone))
    lines = [f"#{c.id:<5} {'! ' if c.urgent else ''}{c.summary.who} — {c.reason.label}; {state}"
             + (f"; for {c.assignee}" if c.assignee else ""),
             f"       wants: {c.summary.wants}",
             f"       the AI told them: {c.summary.told}"]
    if c.note:
        said = "rejected because" if c.reason is CallbackReason.REJECTED else "from the desk"
        lines.append(f"       {said}: {c.note}")
    return lines


def _callbacks_list(args, desk: Desk):
    now = desk.context.clock()
    after = CallbackCursor.after(desk.callbacks.get(args.after)) if args.after is not None else None
    found = desk.callbacks.desk(include_done=args.all, mine=args.mine, limit=args.limit, after=after)
    lines = [f"{found.open} open callback(s), {found.overdue} overdue"]
    for c in found.callbacks:
        lines += _callback_lines(c, desk, now)
    if found.more:
        lines.append(f"more: receptionist callbacks list --after {found.callbacks[-1].id}")
    return {"open": found.open, "overdue": found.overdue, "callbacks": [callback_json(c, now) for c in found.callbacks],
            "next_after": found.callbacks[-1].id if found.more else None}, "\n".join(lines)


def _callbacks_call(args, desk: Desk):
    record, placed = desk.callbacks.call_back(args.id, actor=args.actor)
    out = callback_json(record, desk.context.clock())
    out["placed"] = {"sid": placed.sid, "status": placed.status, "rings_first": placed.to}
    return out, (f"calling {placed.to} now; when you answer, {record.summary.who} is dialled "
                 f"(call {placed.sid})")


def _callbacks_done(args, desk: Desk):
    record = desk.callbacks.done(args.id, args.outcome, args.appointment, actor=args.actor)
    return callback_json(record, desk.context.clock()), f"callback {record.id}: {record.outcome.label}"


def _callbacks_assign(args, desk: Desk):
    record = desk.callbacks.assign(args.id, args.person, actor=args.actor)
    return callback_json(record, desk.context.clock()), \
        f"callback {record.id}: {'for ' + record.assignee if record.assignee else 'for anyone'}"


# --- texts ----------------------------------------------------------------------------------------------------------


def delivery_json(d: TextDelivery, words: str) -> dict:
    return {"id": d.id, "kind": d.topic.removeprefix("sms."), "to": d.to, "body": d.body, "queued_utc": d.queued_at,
            "due_utc": d.due_at, "sent_utc": d.done_at if d.sid else None, "sid": d.sid or None, "state": d.state,
            "delivered": d.delivered, "error_code": d.error_code, "status_utc": d.status_at, "note": d.note,
            "words": words}


def _texts_list(args, desk: Desk):
    found = desk.texts.of_appointment(args.appointment)
    rows = [delivery_json(d, desk.texts.words(d)) for d in found]
    lines = [f"{r['kind']:<12} to {r['to']}: {r['words']}" for r in rows] or ["no texts for this appointment"]
    return {"appointment_id": args.appointment, "texts": rows}, "\n".join(lines)


# --- people and the audit log ---------------------------------------------------------------------------------------


def _people_list(args, desk: Desk):
    rows = [{"name": p.name, "role": p.role, "pin": p.has_pin} for p in desk.people.choices()]
    lines = [f"{r['name']} ({r['role']}{', PIN' if r['pin'] else ''})" for r in rows] or [
        "no people are listed: the audit log says 'staff' (receptionist people add NAME --role owner)"]
    return rows, "\n".join(lines)


def _people_change(args, build, profile: Profile) -> int:
    """Add/change or remove a person in the profile file the desk runs (owners; ``desk.people`` decides the new
    list), audited as a settings change."""
    app = build(args, profile, with_receiver=False)
    try:
        people = app.desk.people
        members = profile.people.members
        if args.action == "remove":
            changed_members = people.without_person(members, args.name, actor=args.actor)
        else:
            pin = None
            if args.pin:
                pin = getpass.getpass("PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
            changed_members = people.with_person(members, args.name, args.role, phone=args.phone, pin=pin,
                                                 actor=args.actor)
        detail = {"changes": people_changes(members, changed_members)}
        # the change is made by someone the desk knows (before it), then written down
        people.record_change("settings.people_changed", detail, actor=args.actor)
    finally:
        app.stop()
    changed = profile.model_copy(update={"people": profile.people.model_copy(update={"members": changed_members})})
    write_profile(changed, args.profile_source.path)
    print(json.dumps(detail) if args.json else f"{args.profile_source.path}: {detail}")
    return 0


def _day(value: str | None, desk: Desk, flag: str, *, after: bool = False) -> datetime | None:
    if not value:
        return None
    day = day_option(value, flag)
    if after:
        day = date.fromordinal(day.toordinal() + 1)
    return datetime.combine(day, time(0), desk.context.rules.zone).astimezone(timezone.utc)


def audit_json(e: AuditRecord) -> dict:
    return {"id": e.id, "at_utc": e.at, "person": e.actor, "action": e.action, "entity": e.entity,
            "entity_id": e.entity_id, "detail": e.detail}


def _audit_list(args, desk: Desk):
    rows = desk.people.audit_log(person=args.person, action=args.what, since=_day(args.start, desk, "--from"),
                                 until=_day(args.end, desk, "--to", after=True), limit=args.limit, actor=args.actor)
    zone = desk.context.rules.zone
    lines = [f"{format_datetime(e.at, zone)}  {e.actor:<16} {e.action:<24} {e.entity} {e.entity_id}" for e in rows]
    return [audit_json(e) for e in rows], "\n".join(lines) or "no audit entries match"


# --- a caller's data ---------------------------------------------------------------------------------------------------


def _caller_export(args, desk: Desk):
    if not args.out:
        data = desk.callers.export(args.number, actor=args.actor)
        return data, json.dumps(data, indent=2, default=_json_default)
    summary = desk.callers.export_to(args.number, args.out, actor=args.actor)
    return summary, (f"{summary['calls']} call(s), {summary['appointments']} appointment(s), {summary['texts']} "
                     f"text(s) written to {args.out}")


def _caller_forget(args, desk: Desk):
    done = desk.callers.forget(args.number, actor=args.actor)
    return done, (f"forgotten: {done['calls']} call(s) and {done['texts']} text(s) erased, {done['appointments']} "
                  "appointment(s) kept without the caller's name")


# --- the conversion report -----------------------------------------------------------------------------------------


def _date(value: str | None, flag: str) -> date | None:
    return day_option(value, flag) if value else None


def _report_conversion(args, desk: Desk):
    r = desk.reports.conversion(_date(args.start, "--from"), _date(args.end, "--to"), actor=args.actor)
    result = {"from": r.start.isoformat(), "to": r.end.isoformat(), "total": r.total.as_dict(),
              "by_day": {d.isoformat(): f.as_dict() for d, f in r.by_day.items()},
              "by_reason": {k: f.as_dict() for k, f in r.by_reason.items()},
              "by_platform": {k: f.as_dict() for k, f in r.by_platform.items()}}
    t = r.total
    lines = [f"{r.start:%m/%d/%Y}–{r.end:%m/%d/%Y}: {t.calls} call(s) → {t.proposals} proposal(s) → "
             f"{t.confirmed} confirmed → {t.kept} kept ({t.kept_rate:.0%})"]
    lines += [f"  lost: {DROP_LABELS[k]}: {getattr(t, k)}" for k in DROP_OFFS if getattr(t, k)]
    for title, groups in (("by reason", r.by_reason), ("by platform", r.by_platform)):
        lines.append(f"  {title}:")
        lines += [f"    {k:<12} {f.calls:>6} calls {f.proposals:>6} proposals {f.confirmed:>6} confirmed "
                  f"{f.kept:>6} kept" for k, f in groups.items()]
    return result, "\n".join(lines)


def conversion_csv(result: dict) -> str:
    """The report as CSV: a row for the total, then per day, reason and platform; the stages, then the drop-offs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "key", *STAGES, *DROP_OFFS])
    rows = [("total", "all", result["total"])]
    for group, name in (("day", "by_day"), ("reason", "by_reason"), ("platform", "by_platform")):
        rows += [(group, key, f) for key, f in result[name].items()]
    for group, key, f in rows:
        writer.writerow([group, key, *(f[k] for k in STAGES + DROP_OFFS)])
    return out.getvalue()


_HANDLERS = {
    ("callbacks", "list"): _callbacks_list,
    ("callbacks", "call"): _callbacks_call,
    ("callbacks", "done"): _callbacks_done,
    ("callbacks", "assign"): _callbacks_assign,
    ("people", "list"): _people_list,
    ("audit", "list"): _audit_list,
    ("report", "conversion"): _report_conversion,
    ("caller", "export"): _caller_export,
    ("caller", "forget"): _caller_forget,
    ("texts", "list"): _texts_list,
}


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")
