"""``receptionist availability``: free times for a service, and ``availability check``: whether a time may be
booked and, when not, why (exit code 1 naming the reason). Both ask the desk's availability capability, which
decides by the same rule the AI agent is offered times by. ``receptionist on-call [--at TIME]``: who is on call,
as the agent's ``who_is_on_call`` tool answers (exit code 1 when nobody is); ``--refresh`` reads the on-call
calendar first, as the sync leader does every ``availability.on_call_refresh_minutes``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from receptionist.domain.formatting import format_datetime, format_phone, format_range
from receptionist.cli_input import DAY_HELP, MOMENT_HELP, day_option, moment_option
from receptionist.errors import UserError
from receptionist.services import Desk
from receptionist.services.availability import slot_json


def add_availability(sub, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("availability", help="free times for a service (the times the AI agent offers)")
    common(p)

    def options(parser: argparse.ArgumentParser, **default) -> None:
        # ``check``'s copies are SUPPRESSed, so an option given before ``check`` is not reset by it
        parser.add_argument("--service", **default,
                            help="a service of the profile (default: the location's default length)")
        parser.add_argument("--resource", **default, help="only this resource (a person, chair or room of the profile)")
        parser.add_argument("--appointment", **default, metavar="ID",
                            help="times this appointment can be moved to (its service and length; itself not busy)")
        parser.add_argument("--minutes", type=int, **default, help="another length than the service's")
        parser.add_argument("--json", action="store_true", **default, help="machine-readable output")

    options(p)
    p.add_argument("--from", dest="start", help=f"first day, {DAY_HELP} (default: today)")
    p.add_argument("--days", type=int, default=7, help="how many days (default 7)")
    actions = p.add_subparsers(dest="action")
    check = actions.add_parser("check", help="whether a time may be booked; exit code 1 and the reasons if not")
    common(check)
    options(check, default=argparse.SUPPRESS)
    check.add_argument("--start", required=True, help=f"{MOMENT_HELP} (or with an offset)")
    on_call = sub.add_parser("on-call", help="who is on call now or at a time ([[availability.on_call]])")
    common(on_call)
    on_call.add_argument("--at", help=f"{MOMENT_HELP} (default: now)")
    on_call.add_argument("--refresh", action="store_true", help="read the on-call calendar "
                         "(availability.on_call_calendar) now, before answering")
    on_call.add_argument("--json", action="store_true", help="machine-readable output")


def run(args, desk: Desk) -> int:
    zone = desk.context.rules.zone
    if args.command == "on-call":
        at = None
        if args.at:
            at = moment_option(args.at, zone, "--at")
        if args.refresh:
            read = desk.on_call.refresh()
            if read is None:
                raise UserError("--refresh: no on-call calendar is set (availability.on_call_calendar)")
            if read.error:
                raise UserError(f"the on-call calendar could not be read: {read.error}")
        answer = desk.on_call.who_is_on_call(at)
        text = answer.say + (f"\n  phone: {format_phone(answer.now.phone)}" if answer.now else "")
        _print(args, answer.as_json(zone), text)
        return 0 if answer.now is not None else 1
    if args.action == "check":
        start = moment_option(args.start, zone, "--start")
        result = desk.availability.check(start, args.service, args.resource, moving=args.appointment,
                                         minutes=args.minutes)
        data = {"start": start.astimezone(zone).isoformat(), "accepted": result.slot is not None,
                "slot": slot_json(result.slot, zone) if result.slot else None,
                "reasons": [{"code": r.code, "message": r.message} for r in result.reasons], "stale": result.stale}
        if result.slot is not None:
            text = f"free: {format_range(result.slot.start, result.slot.end, zone)}" + (
                f" ({result.slot.resource})" if result.slot.resource else "")
        else:
            text = f"refused: {format_datetime(start, zone)}: " + "; ".join(r.message for r in result.reasons)
        _print(args, data, text + (f"\n{result.stale}" if result.stale else ""))
        return 0 if result.slot is not None else 1
    first = day_option(args.start, "--from") if args.start else desk.context.clock().astimezone(zone).date()
    openings = desk.availability.free_slots(args.service, first, args.days, args.resource, moving=args.appointment,
                                            minutes=args.minutes)
    data = {"service": openings.service, "duration_minutes": openings.duration_minutes, "time_zone": zone.key,
            "appointment": args.appointment,
            "slots": [slot_json(s, zone) for s in openings.slots], "why_none": openings.why_none,
            "stale": openings.stale}
    lines = [f"{len(openings.slots)} free start(s) for {openings.service} "
             f"({openings.duration_minutes} min) from {first:%m/%d/%Y} for {args.days} day(s)"]
    lines += [f"  {format_range(s.start, s.end, zone)}" + (f" ({s.resource})" if s.resource else "")
              for s in openings.slots]
    if openings.why_none:
        lines.append(f"none: {openings.why_none}")
    if openings.stale:
        lines.append(openings.stale)
    _print(args, data, "\n".join(lines))
    return 0


def _print(args, data: dict, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)
