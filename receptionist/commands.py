"""Every action a person takes in the window, as a command: ``calls``, ``proposals``, ``appointments``, ``links``,
``calendars``. Back-office PCs and scripts use them, and tests drive the product through them as a user would.

Each command prints a line a person can read, or with ``--json`` one JSON document; a ``UserError`` is one
sentence and exit code 2 (``receptionist.cli``). The work is done by the ``Desk``'s capabilities (``receptionist.services``), never here.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone

from receptionist.domain.call_queue import INTENT_MARKS, CallFilter, CallQuery, CallSort, plural, row_state
from receptionist.domain.formatting import format_datetime, format_elapsed, format_phone
from receptionist.domain.intake import LiveCallRecord
from receptionist.domain.models import AppointmentRecord, AppointmentStatus, CallRecord, ProposalRecord
from receptionist.cli_input import DAY_HELP, MOMENT_HELP, day_option, moment_option
from receptionist.errors import UserError
from receptionist.services import Desk
from receptionist.services.sync_decisions import link_json


def add_commands(sub, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the action commands on the CLI's subparsers (``common`` adds --profile/--db/-v)."""

    def parser(name: str, help_text: str, group=sub) -> argparse.ArgumentParser:
        p = group.add_parser(name, help=help_text)
        common(p)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--actor", default="cli", help="who is acting (recorded in the audit log)")
        return p

    calls = sub.add_parser("calls", help="the calls the AI agent took").add_subparsers(dest="action", required=True)
    p = parser("list", "calls with their booking proposals, newest first (the window's call list)", calls)
    p.add_argument("--filter", choices=[f.value for f in CallFilter], default=CallFilter.ALL.value,
                   help="which calls: needs-me (waiting for a person), bookings, changes (cancel/reschedule), "
                        "urgent, done (approved, rejected or sent to callbacks), all (default)")
    p.add_argument("--sort", choices=[s.value for s in CallSort], default=CallSort.NEWEST.value)
    p.add_argument("--search", default="", help="a name, or a number written any way: '(312) 555-0142'")
    p.add_argument("--limit", type=int, default=50, help="most calls listed (default 50)")
    p.add_argument("--after", type=int, metavar="CALL_ID", help="the calls that follow this one (the next page)")
    parser("live", "calls in progress and just ended, each caller matched against earlier calls (the call list's "
                   "live rows)",
           calls)
    p = parser("history", "a caller's earlier calls and appointments", calls)
    p.add_argument("number", help="written any way: '(312) 555-0142', 312.555.0142, +13125550142 (read in the "
                                  "location's country)")
    p.add_argument("--limit", type=int, default=20, help="most calls and appointments listed (default 20)")

    props = sub.add_parser("proposals", help="approve or reject an AI-proposed booking, or pass it to the callback "
                                             "desk").add_subparsers(dest="action", required=True)
    p = parser("approve", "book it as captured (after the same checks as the window)", props)
    p.add_argument("id", type=int)
    texting = p.add_mutually_exclusive_group()
    texting.add_argument("--text", metavar="BODY", help="the confirmation texted to the caller (default: the usual "
                                                         "one, unless the call says the caller prefers a phone call)")
    texting.add_argument("--no-text", action="store_true", help="do not text the caller")
    texting.add_argument("--send-text", action="store_true",
                         help="text the usual confirmation even if the call says the caller prefers a phone call")
    p = parser("reject", "reject it, saying why", props)
    p.add_argument("id", type=int)
    p.add_argument("--reason", required=True)
    p = parser("callback", "needs a callback: off the queue and onto the callback desk (receptionist callbacks list)",
               props)
    p.add_argument("id", type=int)
    p.add_argument("--note", default="", help="what whoever calls back should know")

    appts = sub.add_parser("appointments", help="list, reschedule, edit, cancel or mark appointments").add_subparsers(
        dest="action", required=True)
    p = parser("list", "appointments in a date range (default: today and the next 7 days)", appts)
    p.add_argument("--from", dest="start", metavar="DATE", help=f"first day, {DAY_HELP} (location's zone)")
    p.add_argument("--days", type=int, default=8, help="how many days (default 8)")
    p.add_argument("--include-cancelled", action="store_true")
    p = parser("show", "one appointment with every calendar's sync state", appts)
    p.add_argument("id")
    p = parser("book", "book an appointment at the desk (a caller on the phone, a walk-in); every calendar gets it",
               appts)
    p.add_argument("--caller", required=True, help="the caller's name")
    p.add_argument("--phone", help="callback number (texted when --notify)")
    p.add_argument("--service", required=True)
    p.add_argument("--start", required=True, metavar="WHEN",
                   help=f"start, {MOMENT_HELP}")
    p.add_argument("--minutes", type=int, help="length (default: the service's)")
    p.add_argument("--notes", default="")
    p.add_argument("--notify", action="store_true", help="text the caller the confirmation")
    p.add_argument("--resource", help="the chair or room it is to take (refused when that one is busy then)")
    p = parser("reschedule", "move an appointment; every calendar follows", appts)
    p.add_argument("id")
    p.add_argument("--start", required=True, metavar="WHEN",
                   help=f"new start, {MOMENT_HELP} (an offset may be given)")
    p.add_argument("--minutes", type=int, help="new length (default: unchanged)")
    p.add_argument("--notify", action="store_true", help="text the caller about the change")
    p.add_argument("--resource", help="the chair or room it is to take (refused when that one is busy then)")
    p.add_argument("--preview", action="store_true",
                   help="change nothing: say which calendars would be updated and which text would go")
    p = parser("edit", "change the booked service, length or notes", appts)
    p.add_argument("id")
    p.add_argument("--service")
    p.add_argument("--minutes", type=int)
    p.add_argument("--notes")
    p.add_argument("--notify", action="store_true", help="text the caller about the change")
    p = parser("cancel", "cancel: kept as cancelled, deleted from every calendar", appts)
    p.add_argument("id")
    p.add_argument("--reason", default="")
    p.add_argument("--notify", action="store_true", help="text the caller that it is cancelled")
    p = parser("mark", "once its time has come: the caller came (attended) or did not (no-show)", appts)
    p.add_argument("id")
    p.add_argument("attendance", choices=["attended", "no-show"])

    links = sub.add_parser("links", help="a calendar link's sync state and the decisions on it").add_subparsers(
        dest="action", required=True)
    p = parser("retry", "write a failed link again now", links)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("id", type=int, nargs="?")
    target.add_argument("--all-failed", action="store_true")
    p = parser("show", "ours and the calendar's version, field by field", links)
    p.add_argument("id", type=int)
    p = parser("keep-ours", "Drift/Conflict: the calendar gets our version again (re-created if deleted)", links)
    p.add_argument("id", type=int)
    p = parser("take-theirs", "Drift/Conflict: our appointment follows the calendar (cancelled if deleted)", links)
    p.add_argument("id", type=int)
    p.add_argument("--notify", action="store_true", help="text the caller about the change")

    cals = sub.add_parser("calendars", help="each calendar's health, reconciliation, the mass-deletion alert") \
        .add_subparsers(dest="action", required=True)
    parser("list", "every enabled calendar: state, last good read, last error, reconciliation", cals)
    parser("reconcile", "compare every calendar with our appointments now (a full read)", cals)
    p = parser("recreate-all", "mass-deletion alert: re-create every vanished event", cals)
    p.add_argument("calendar", help="e.g. outlook:default")
    p = parser("accept-deletions", "mass-deletion alert: accept the deletions (cancel those appointments)", cals)
    p.add_argument("calendar")


def run(args, desk: Desk) -> int:
    """Carry out one action command; returns the exit code."""
    handler = _HANDLERS[(args.command, args.action)]
    args.actor = desk.context.actor(args.actor)  # one of the profile's people, when it lists any
    result, text = handler(args, desk)
    if args.json:
        print(json.dumps(result, indent=2, default=_json_default))
    else:
        print(text)
    return 0


# --- handlers: (args, service) → (JSON-able result, text) ---------------------------------------------------------


def _calls_list(args, desk):
    query = CallQuery(CallFilter(args.filter), CallSort(args.sort), args.search)
    page = desk.bookings.call_page(query, after=args.after, limit=args.limit)
    zone, calls = desk.context.rules.zone, page.calls
    total = page.counts[query.filter]
    head = plural(len(calls), "call")
    if page.more or args.after is not None:
        head = f"{len(calls)} of {plural(total, 'call')} listed ({query.filter.label.lower()})"
        if page.more:
            head += f"; the next: --after {calls[-1].id}"
    lines = [head] + [f"  {_call_line(c, zone)}" for c in calls]
    return [call_json(c, zone) for c in calls], "\n".join(lines)


def _calls_live(args, desk):
    zone, country, now = desk.context.rules.zone, desk.context.rules.country, desk.context.clock()
    rows = [(c, desk.intake.live_caller_text(c)) for c in desk.intake.live_calls()]
    live = sum(1 for c, _ in rows if c.live)
    lines = [f"{plural(live, 'call')} in progress, {len(rows) - live} just ended" if rows else "no call in progress"]
    for c, note in rows:
        timing = f"started {format_datetime(c.started_at, zone)}" if c.started_at else "start not known"
        elapsed = format_elapsed(c.elapsed_seconds(now))
        if elapsed:
            timing += f", {elapsed} so far" if c.live else f", lasted {elapsed}"
        caller = format_phone(c.caller_id_number, country) or "Unknown number"
        lines.append(f"  {'●' if c.live else ' '} {caller:<16} {c.status} ({c.platform}), {timing}")
        lines.append(f"      {note or 'First call from this number'}")
        if c.transcript:
            speaker, said = c.transcript[-1]
            lines.append(f"      said last, {speaker}: {_one_line(said, 100)}")
    return [live_call_json(c, note, now) for c, note in rows], "\n".join(lines)


def _calls_history(args, desk):
    found = desk.callers.file(args.number, args.limit)
    zone, history, shown_number = desk.context.rules.zone, found.history, format_phone(found.number, desk.context.rules.country)
    lines = [f"{shown_number} ({found.number}): "
             f"{found.note or 'first call from this number: no earlier calls or appointments'}"]
    if history.names:
        lines.append(f"  known as {', '.join(history.names)}")
    if found.calls:
        shown = f" (the latest {len(found.calls)})" if history.earlier_calls > len(found.calls) else ""
        lines.append(f"  {plural(history.earlier_calls, 'call')}{shown}:")
        lines += [f"    {_call_line(c, zone, phone=False)}" for c in found.calls]
    if found.appointments:
        cancelled = sum(1 for a in found.appointments if a.status is AppointmentStatus.CANCELLED)
        lines.append(f"  {plural(history.appointments, 'appointment')}" + (f", {cancelled} cancelled" if cancelled else "")
                     + ":")
        lines += [f"    {_describe(a, desk)}" for a in found.appointments]
    result = {"number": found.number, "phone": shown_number, "returning": history.returning,
              "note": found.note, "names": list(history.names),
              "counts": {"calls": history.earlier_calls, "appointments": history.appointments},
              "last_call_utc": history.last_call_at, "last_visit_utc": history.last_visit,
              "next_visit_utc": history.next_visit, "calls": [call_json(c, zone) for c in found.calls],
              "appointments": [appointment_json(a, desk) for a in found.appointments]}
    return result, "\n".join(lines)


def _proposals_approve(args, desk):
    proposal = desk.bookings.proposal(args.id)
    notify = False if args.no_text else True if (args.send_text or args.text is not None) else None
    appt = desk.bookings.approve(proposal.id, proposal.version, actor=args.actor, text=args.text, notify=notify)
    return appointment_json(appt, desk), f"approved: {_describe(appt, desk)}"


def _proposals_reject(args, desk):
    proposal = desk.bookings.proposal(args.id)
    record = desk.bookings.reject(proposal.id, proposal.version, args.reason, actor=args.actor)
    return proposal_json(record), f"rejected proposal {record.id}: {record.reject_reason}"


def _proposals_callback(args, desk):
    proposal = desk.bookings.proposal(args.id)
    record = desk.callbacks.from_call(proposal.id, proposal.version, args.note, actor=args.actor)
    return proposal_json(record), f"proposal {record.id} sent to the callback desk (receptionist callbacks list)"


def _appointments_list(args, desk):
    zone = desk.context.rules.zone
    first = day_option(args.start, "--from") if args.start else desk.context.clock().astimezone(zone).date()
    start = datetime.combine(first, time(0), zone).astimezone(timezone.utc)
    end = datetime.combine(first + timedelta(days=args.days), time(0), zone).astimezone(timezone.utc)
    appts = desk.appointments.between(start, end, include_cancelled=args.include_cancelled)
    lines = [f"{len(appts)} appointment(s) from {first:%m/%d/%Y} for {args.days} day(s)"]
    lines += [f"  {_describe(a, desk)}" for a in appts]
    return [appointment_json(a, desk) for a in appts], "\n".join(lines)


def _appointments_show(args, desk):
    appt = desk.appointments.get(args.id)
    lines = [_describe(appt, desk)]
    for link in appt.links:
        lines.append(f"  link {link.id} {desk.context.calendars.get(link.calendar, link.calendar)}: {link.state.label}"
                     + (f" — {link.last_error}" if link.last_error else ""))
    return appointment_json(appt, desk), "\n".join(lines)


def _appointments_book(args, desk):
    start = moment_option(args.start, desk.context.rules.zone, "--start")
    appt = desk.appointments.book(args.caller, args.phone, args.service, start, args.minutes, args.notes,
                                  notify=args.notify, actor=args.actor, resource=args.resource)
    return appointment_json(appt, desk), f"booked: {_describe(appt, desk)}"


def _appointments_reschedule(args, desk):
    start = moment_option(args.start, desk.context.rules.zone, "--start")
    if args.preview:
        plan = desk.appointments.move_plan(args.id, start, args.minutes, resource=args.resource)
        said = [plan.refused and f"refused: {plan.refused}", plan.calendars, plan.texting(args.notify)]
        if plan.resource != plan.resource_before:
            said.insert(0, f"{plan.resource_before or 'no resource'} → {plan.resource or 'no resource'}")
        return {"id": plan.appointment_id, "start_utc": plan.start, "end_utc": plan.end,
                "resource_before": plan.resource_before, "resource": plan.resource, "refused": plan.refused,
                "calendars_updated": list(plan.updated), "calendars_waiting": list(plan.waiting),
                "text": plan.texting(args.notify), "text_possible": plan.no_text is None,
                "text_advice": plan.advice}, \
            "\n".join(s for s in said if s)
    appt = desk.appointments.reschedule(args.id, start, args.minutes, notify=args.notify, actor=args.actor,
                                        resource=args.resource)
    return appointment_json(appt, desk), f"rescheduled: {_describe(appt, desk)}"


def _appointments_edit(args, desk):
    if args.service is None and args.minutes is None and args.notes is None:
        raise UserError("say what to change: --service, --minutes or --notes")
    appt = desk.appointments.edit(args.id, service=args.service, duration_minutes=args.minutes, notes=args.notes,
                                    notify=args.notify, actor=args.actor)
    return appointment_json(appt, desk), f"changed: {_describe(appt, desk)}"


def _appointments_cancel(args, desk):
    appt = desk.appointments.cancel(args.id, args.reason, notify=args.notify, actor=args.actor)
    return appointment_json(appt, desk), f"cancelled: {_describe(appt, desk)}"


def _appointments_mark(args, desk):
    appt = desk.appointments.mark_attendance(args.id, args.attendance, actor=args.actor)
    return appointment_json(appt, desk), f"marked {args.attendance}: {_describe(appt, desk)}"


def _links_retry(args, desk):
    n = desk.sync.retry_all_failed(actor=args.actor) if args.all_failed else desk.sync.retry(args.id, actor=args.actor)
    return {"retried": n}, f"{n} link(s) will be written again at the next sync cycle"


def _links_show(args, desk):
    d = desk.sync.discrepancy(args.id)
    lines = [f"link {d.link.id}: {d.calendar_label} — {d.link.state.label}"
             + (f" ({d.link.last_error})" if d.link.last_error else "")]
    for name, ours, theirs, differs in d.rows:
        mark = "≠" if differs else "="
        lines.append(f"  {mark} {name:<12} ours: {_one_line(ours):<40} theirs: {_one_line(theirs)}")
    result = {"link": link_json(d.link), "calendar": d.link.calendar, "deleted": d.deleted,
              "fields": [{"field": n, "ours": o, "theirs": t, "differs": x} for n, o, t, x in d.rows]}
    return result, "\n".join(lines)


def _links_keep_ours(args, desk):
    link = desk.sync.keep_ours(args.id, actor=args.actor)
    return link_json(link), f"link {link.id}: our version goes to the calendar at the next sync cycle"


def _links_take_theirs(args, desk):
    appt = desk.sync.take_theirs(args.id, notify=args.notify, actor=args.actor)
    return appointment_json(appt, desk), f"took the calendar's version: {_describe(appt, desk)}"


def _calendars_list(args, desk):
    rows = desk.health.calendars()
    result = desk.health.status()["calendars"]
    lines = [f"{c.label} ({c.key}): {c.state} — {c.text}" for c in rows] or ["no calendar is enabled"]
    return result, "\n".join(lines)


def _calendars_reconcile(args, desk):
    found = desk.health.reconcile_now()
    lines = []
    for key, r in found.items():
        if "error" in r or "skipped" in r:
            lines.append(f"{key}: {r.get('error') or r.get('skipped')}")
        else:
            lines.append(f"{key}: {r['events_read']} events read, {r['needs_person']} need a decision, "
                         f"{r['sample_checked']} re-read ({r['sample_mismatched']} differed), "
                         f"{len(r['orphans'])} events of ours with no appointment")
    return found, "\n".join(lines) or "no calendar is connected"


def _calendars_resolve(recreate: bool):
    def handler(args, desk):
        n = desk.sync.resolve_mass_deletion(args.calendar, recreate=recreate, actor=args.actor)
        verb = "will be re-created" if recreate else "were cancelled"
        return {"calendar": args.calendar, "count": n}, f"{n} appointment(s) {verb}"
    return handler


_HANDLERS = {
    ("calls", "list"): _calls_list,
    ("calls", "live"): _calls_live,
    ("calls", "history"): _calls_history,
    ("proposals", "approve"): _proposals_approve,
    ("proposals", "reject"): _proposals_reject,
    ("proposals", "callback"): _proposals_callback,
    ("appointments", "list"): _appointments_list,
    ("appointments", "show"): _appointments_show,
    ("appointments", "book"): _appointments_book,
    ("appointments", "reschedule"): _appointments_reschedule,
    ("appointments", "edit"): _appointments_edit,
    ("appointments", "cancel"): _appointments_cancel,
    ("appointments", "mark"): _appointments_mark,
    ("links", "retry"): _links_retry,
    ("links", "show"): _links_show,
    ("links", "keep-ours"): _links_keep_ours,
    ("links", "take-theirs"): _links_take_theirs,
    ("calendars", "list"): _calendars_list,
    ("calendars", "reconcile"): _calendars_reconcile,
    ("calendars", "recreate-all"): _calendars_resolve(True),
    ("calendars", "accept-deletions"): _calendars_resolve(False),
}
ACTION_COMMANDS = sorted({command for command, _ in _HANDLERS})


# --- JSON shapes --------------------------------------------------------------------------------------------------


def appointment_json(a: AppointmentRecord, desk: Desk) -> dict:
    zone = desk.context.rules.zone
    return {"id": a.id, "status": a.status.value, "caller": a.caller_name, "phone": a.callback_number,
            "service": a.service, "resource": a.resource, "start_utc": a.start, "end_utc": a.end,
            "start_local": a.start.astimezone(zone),
            "minutes": a.duration_minutes, "notes": a.notes, "cancel_reason": a.cancel_reason,
            "caller_confirmed_at": a.caller_confirmed_at,
            "attendance": a.attendance.value if a.attendance else None, "attendance_by": a.attendance_by,
            "sync": {link.calendar: link_json(link) for link in a.links}}


def proposal_json(p: ProposalRecord) -> dict:
    return {"id": p.id, "status": p.status.value, "caller": p.caller_name, "phone": p.callback_number,
            "service": p.service, "start_utc": p.start, "minutes": p.duration_minutes, "notes": p.notes,
            "appointment_id": p.appointment_id, "decided_by": p.decided_by, "reject_reason": p.reject_reason,
            "issues": [i.to_dict() for i in p.issues], "version": p.version}


def call_json(c: CallRecord, zone) -> dict:
    return {"id": c.id, "platform": c.platform, "call_id": c.call_id, "received_at": c.received_at,
            "caller": c.caller_name, "phone": c.callback_number, "phone_as_said": c.callback_number_raw,
            "service": c.service, "requested_start_utc": c.requested_start, "summary": c.summary,
            "intent": c.intent.value, "state": row_state(c).text,
            "issues": [i.to_dict() for i in c.issues],
            "proposal": proposal_json(c.proposal) if c.proposal else None}


def live_call_json(c: LiveCallRecord, note: str | None, now: datetime) -> dict:
    return {"platform": c.platform, "call_id": c.call_id, "caller_id": c.caller_id_number, "status": c.status,
            "live": c.live, "started_at": c.started_at, "updated_at": c.updated_at, "ended_at": c.ended_at,
            "elapsed_seconds": c.elapsed_seconds(now), "said_last": c.transcript[-1][1] if c.transcript else None,
            "transcript": [{"speaker": speaker, "text": said} for speaker, said in c.transcript],
            "returning": note is not None, "caller_note": note}


def _call_line(c: CallRecord, zone, phone: bool = True) -> str:
    p = c.proposal
    number = f"{format_phone(c.callback_number) or c.callback_number_raw or '':<16} " if phone else ""
    return (f"{format_datetime(c.received_at, zone)}  {c.caller_name or '?':<22} {number}{c.service or '':<20} "
            f"{INTENT_MARKS[c.intent][1]:<10} {row_state(c).text} (call {c.id}, proposal {p.id if p else '-'})")


def _describe(a: AppointmentRecord, desk: Desk) -> str:
    zone = desk.context.rules.zone
    states = ", ".join(f"{desk.context.calendars.get(link.calendar, link.calendar)} {link.state.label}"
                       for link in a.links)
    cancelled = " [cancelled]" if a.status.value == "cancelled" else f" [{a.attendance.label}]" if a.attendance else ""
    return (f"{format_datetime(a.start, zone)} ({a.duration_minutes} min) {a.caller_name or '?'} — "
            f"{a.service or '?'}{f' ({a.resource})' if a.resource else ''}{cancelled}  [{a.id}]"
            + (f"  {states}" if states else ""))


def _one_line(text: str, width: int = 40) -> str:
    text = " ⏎ ".join(line for line in (text or "").splitlines() if line.strip())
    return text if len(text) <= width else text[:width - 1] + "…"


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


__all__ = ["ACTION_COMMANDS", "add_commands", "run"]
