"""``receptionist doctor``: what this desk needs, checked one by one, for a person or a monitoring tool.

Each check has a name, passes or fails, and says what it found in a sentence; ``--json`` gives the same as one
document (``ok``, ``failed``: the names of the failed checks, ``checks``, each failed one with its ``runbook``
entry). With a profile and a database it adds each calendar's and AI platform's health and the open alerts, the
same read as the Health tab (``desk.watch.report``). It runs without a profile too: then the
profile check fails with how to make one, and what can be checked without it still is. The exit code is 1 when
any check failed, and the last line names them. Logging goes to the log file only while it runs, so no log line
lands in the middle of the report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from receptionist.config import Profile, describe_options, find_profile, no_profile_error
from receptionist.errors import UserError, plain


@dataclass
class Check:
    name: str
    ok: bool | None  # None: information, not a pass or a fail
    text: str
    runbook: dict[str, str] | None = None  # a failure state → what to do (``domain/runbook.py``)


def cmd_doctor(args, *, db_url, secrets) -> int:
    """``db_url(args, profile)`` and ``secrets(profile)`` are the command line's own (``cli._db_url``,
    ``cli._secrets``)."""
    from receptionist import logs

    logs.configure(args.verbose, stderr=False)
    checks: list[Check] = []
    source = find_profile(args.profile)
    profile = Profile.load(source.path) if source is not None else None
    if profile is None:
        checks.append(Check("profile", False, str(no_profile_error())))
    else:
        loc = profile.location
        checks.append(Check("profile", True, f"{source.path} ({source.how}) — {loc.name}, {loc.time_zone}"))
        checks.append(Check("location id", None, loc.id or (
            f"{loc.key} (derived from the name: add id = \"{loc.key}\" under [location] so renaming the location "
            "keeps its secrets and database)")))
    store = secrets(profile or Profile())
    writable = store.writable()
    checks.append(Check("keyring", writable, f"{store.backend_name}, service {store.service_name} "
                                              f"({'writable' if writable else 'NOT writable: secrets cannot be stored'})"))
    checks.append(Check("log file", None, str(logs.log_file())))
    checks += _database(args, profile, db_url)
    if profile is not None:
        checks += _connections(profile, store)
    failed = [c.name for c in checks if c.ok is False]
    if args.json:
        out = {"ok": not failed, "failed": failed, "checks": [asdict(c) for c in checks]}
        if args.verbose:
            out["options"] = [{"name": n, "type": k, "default": d, "help": h} for n, k, d, h in describe_options()]
        print(json.dumps(out, indent=2, default=str))
        return 1 if failed else 0
    for c in checks:
        print(f"{c.name}: {c.text}")
        for state, steps in (c.runbook or {}).items() if c.ok is not True else ():
            print(f"  what to do ({state}, docs/RUNBOOK.md): {steps.splitlines()[0]}")
    if args.verbose:
        for name, kind, default, help_text in describe_options():
            print(f"  {name} ({kind}, default {default!r}): {help_text}")
    print(f"doctor: FAILED: {', '.join(failed)}" if failed else
          f"doctor: all {sum(c.ok is True for c in checks)} checks passed")
    return 1 if failed else 0


def _database(args, profile: Profile | None, db_url) -> list[Check]:
    from receptionist.store.db import make_engine, schema_status

    try:
        url = db_url(args, profile) if profile is not None or args.db else None
    except UserError as exc:
        return [Check("database", False, str(exc))]
    if url is None:
        return [Check("database", False, "not checked: without a profile, give --db URL (or a file path)")]
    try:
        engine = make_engine(url)
    except UserError as exc:
        return [Check("database", False, str(exc))]
    try:
        current, head = schema_status(engine)
        checks = [Check("database", True,
                        f"{engine.url.render_as_string(hide_password=True)} schema {current or 'empty'} (head {head})"
                        + ("" if current == head else "; upgraded at the next start, or by `receptionist db upgrade`"))]
        if current == head and profile is not None:
            from receptionist.store import Store

            store = Store(engine)
            checks += [Check(key, None, text) for key, text in _reconciliation_lines(store, profile.location.zone)]
            checks += _health(store, profile)
        return checks
    except UserError as exc:
        return [Check("database", False, str(exc))]
    finally:
        engine.dispose()


def _health(store, profile: Profile) -> list[Check]:
    """Each calendar's and platform's health, Twilio's texts and the webhook's last hour (unless off: doctor runs no
    receiver) and the open alerts: the Health tab's read (``desk.watch.report``)."""
    from datetime import datetime, timezone

    from receptionist import events
    from receptionist.app import enabled_calendars
    from receptionist.domain.runbook import entry
    from receptionist.services.context import DeskContext
    from receptionist.services.health import CalendarHealth
    from receptionist.services.on_call import OnCallDesk
    from receptionist.services.watch import ConnectionWatch

    ctx = DeskContext.of(store, profile, events.EventBus(), enabled_calendars(profile),
                         lambda: datetime.now(timezone.utc))
    report = ConnectionWatch(ctx, CalendarHealth(ctx), on_call=OnCallDesk(ctx)).report()
    checks = [Check(f"health {c.key}", c.state != "failed",
                    f"{c.state.upper()} — {c.text}" + "".join(f"; {name}: {value}" for name, value in c.facts),
                    {p: entry(p).text() for p in c.problems if entry(p)} or None)
              for c in report.connections if c.kind in ("calendar", "platform") or c.state != "off" or _door_busy(c)]
    checks += [Check(f"alert {a.id}", None, a.text + (f" (acknowledged by {a.acked_by})" if a.acked_by else ""),
                     {a.state: entry(a.state).text()} if entry(a.state) else None)
               for a in report.alerts if a.open]
    return checks


def _door_busy(connection) -> bool:  # noqa: ANN001 - services.watch.Connection
    """The webhook had deliveries or refusals in the last hour (counted in the database by whichever desk listens),
    though no receiver runs here."""
    hour = connection.numbers.get("last_hour", {}) if connection.key == "webhook" else {}
    return any(hour.get(k) for k in ("accepted", "refused", "quarantined"))


def _connections(profile: Profile, store) -> list[Check]:
    from receptionist.app import calendar_targets
    from receptionist.ingest.platforms import ADAPTERS

    checks = []
    targets, problems = calendar_targets(profile, store)
    for target in targets:
        try:
            calendars = target.provider.list_calendars()  # one round trip per connection
            checks.append(Check(target.key, True, f"{calendars[0].name if calendars else 'no calendars'} — OK"))
        except Exception as exc:  # report every failure, keep checking the rest
            checks.append(Check(target.key, False, f"FAILED — {plain(exc)}"))
    for key, problem in problems.items():
        checks.append(Check(key, False, problem))

    def has(key: str) -> bool:
        try:
            return bool(store.get(key))
        except UserError:
            return False

    marks = [f"{name} {'set' if has(a.secret_key) else 'not set'}" for name, a in ADAPTERS.items()]
    checks.append(Check("webhook signing secrets", None,
                        f"{', '.join(marks)} (a platform without its secret is answered 503)"))
    for name in ("vapi", "retell", "elevenlabs"):
        if getattr(profile, name).poll:
            key_ok = has(f"{name}.api_key")
            checks.append(Check(f"polling {name}", key_ok,
                                f"every {getattr(profile, name).interval_seconds:g} s, API key "
                                f"{'set' if key_ok else 'NOT set: receptionist secret set ' + name + '.api_key'}"))
    return checks


def _reconciliation_lines(store, zone) -> list[tuple[str, str]]:
    """What the last reconciliation of each calendar found."""
    from receptionist.domain.formatting import format_datetime

    lines = []
    for key, h in sorted(store.health.all().items()):
        r = h.reconcile_report
        if not r:
            lines.append((key, "not reconciled yet"))
        elif "error" in r or "skipped" in r:
            lines.append((key, f"last reconciliation {r.get('at', '')}: {r.get('error') or r.get('skipped')}"))
        else:
            when = format_datetime(h.reconciled_at, zone, with_zone=True) if h.reconciled_at else r.get("at")
            lines.append((key, f"reconciled {when}: {r['events_read']} events over {r['days']} days, "
                               f"{r['needs_person']} need a decision, {r['sample_checked']} re-read "
                               f"({r['sample_mismatched']} differed), {len(r['orphans'])} events of ours with no "
                               "appointment"))
    return lines
