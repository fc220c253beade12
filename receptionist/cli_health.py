"""``receptionist health``: every connection against its error budget, and the alerts (``desk.watch``, the same
read as the window's Health tab and ``doctor``).

``health [--json]`` shows the picture and exits 1 naming the failed connections; ``health ack ID`` and
``health resolve ID`` decide an alert (audited, ``--actor``); ``health evaluate`` runs the alert job once (as the
sync leader does each minute); ``health audit`` runs the sample audit now (as the leader does daily).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from receptionist.domain.formatting import format_datetime
from receptionist.domain.runbook import entry
from receptionist.services import Desk, HealthReport

ACTIONS = ("show", "ack", "resolve", "evaluate", "audit")


def add_health_command(sub, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("health", help="each connection against its error budget, its alerts (ack, resolve), the "
                                      "sample audit")
    common(p)
    p.add_argument("action", nargs="?", default="show", choices=ACTIONS,
                   help="show (default), ack ID, resolve ID, evaluate (the alert job once), audit (the sample "
                        "audit now)")
    p.add_argument("id", nargs="?", type=int, help="the alert (ack, resolve)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--actor", default="cli", help="who acknowledges or resolves (recorded in the audit log)")


def health_command(build: Callable) -> Callable:
    """The runner ``cli.main`` dispatches ``health`` to; ``build(args, None, with_receiver=False)`` makes the App."""

    def run(args) -> int:
        from receptionist.errors import UserError

        if args.action in ("ack", "resolve") and args.id is None:
            raise UserError(f"health {args.action} needs the alert's number: receptionist health {args.action} ID")
        app = build(args, None, with_receiver=False)
        try:
            return _run(args, app.desk)
        finally:
            app.stop()

    return run


def _run(args, desk: Desk) -> int:
    watch = desk.watch
    if args.action in ("ack", "resolve"):
        alert = (watch.acknowledge if args.action == "ack" else watch.resolve)(args.id, args.actor)
        said = "acknowledged" if args.action == "ack" else "resolved"
        print(json.dumps({"id": alert.id, "state": said, "by": args.actor}) if args.json else
              f"alert {alert.id} {said}: {alert.text}")
        return 0
    if args.action == "evaluate":
        raised = watch.evaluate()
        print(json.dumps({"raised": [a.text for a in raised]}) if args.json else
              "\n".join(f"raised: {a.text}" for a in raised) or "no new alert")
        return 0
    if args.action == "audit":
        results = watch.sample_audit()
        print(json.dumps([{"calendar": r.calendar, "checked": r.checked, "mismatched": r.mismatched,
                           "error": r.error} for r in results], indent=2) if args.json else
              "\n".join(f"{r.calendar}: {r.sentence()}" for r in results) or "no connected calendar")
        return 1 if any(r.mismatched or r.error for r in results) else 0
    report = watch.report()
    print(json.dumps(report.as_json(), indent=2) if args.json else report_text(report, desk))
    return 1 if report.failed else 0


def report_text(report: HealthReport, desk: Desk) -> str:
    zone = desk.context.rules.zone
    lines = [f"objective: {report.objective}", report.escalation]
    for c in report.connections:
        lines.append(f"{c.label} [{c.key}]: {c.state.upper()} — {c.text}")
        lines += [f"    {name}: {value}" for name, value in c.facts]
        lines += [f"    what to do ({p}): {entry(p).title} — docs/RUNBOOK.md#{p}" for p in c.problems if entry(p)]
    for a in report.alerts:
        if a.open:
            lines.append(f"alert #{a.id} since {format_datetime(a.raised_at, zone)}: {a.text}"
                         + (f" (acknowledged by {a.acked_by})" if a.acked_by else ""))
    lines.append(f"health: FAILED: {', '.join(report.failed)}" if report.failed else "health: every connection OK")
    return "\n".join(lines)
