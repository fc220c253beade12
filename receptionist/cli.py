"""Command line: ``receptionist`` (the console), ``--demo``, ``setup``, ``service``, ``status``, ``sync --once``,
``connect``, ``sandbox``, ``secret``, ``db upgrade``, ``doctor``, ``quarantine``, ``ingest``, ``poll --once``, and
every action a person takes in the window (``receptionist.commands``: calls, proposals, appointments, links,
calendars).

Every command takes ``--profile FILE``, ``--db URL`` and ``-v``, before or after the command's name.  The profile
is found by ``config.find_profile`` (``--profile``, ``$RECEPTIONIST_PROFILE``, the user's config folder, an
IT-managed folder, the build's baked profile); without one the window opens the setup screen and the other
commands say how to make one.  ``--db`` defaults to ``$RECEPTIONIST_DB``, else SQLite in the location's data folder.
A ``UserError`` (an ``EnvironmentProblem`` included) prints one sentence and exits 2; anything else is a bug and
shows its traceback.  Every run logs to a rotating file in the platform's log folder as well.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from receptionist import cli_caldav
from receptionist.config import Profile, find_profile, no_profile_error
from receptionist.errors import EnvironmentProblem, UserError, environment_problem
from receptionist.version import version

log = logging.getLogger("receptionist")

EXIT_USER_ERROR = 2
STOP_DRAIN_SECONDS = 20.0  # a clean stop of the service maps the deliveries it accepted for up to this long


def _common(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    # A subcommand's copy must not overwrite what was given before the subcommand's name (argparse lets a
    # subparser's defaults win), so only the top-level parser has defaults; the copies are SUPPRESSed.
    default = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument("--profile", metavar="FILE", **default,
                        help="location profile (TOML); default: $RECEPTIONIST_PROFILE, the user's, the "
                             "machine's, or the build's profile")
    parser.add_argument("--db", metavar="URL", **default,
                        help="database URL (default $RECEPTIONIST_DB or the location's SQLite file)")
    parser.add_argument("-v", "--verbose", action="store_true", **default, help="log debug detail")


class _ArgumentError(Exception):
    """The command line cannot be read: ``main`` says why in one line first, then how it is used."""

    def __init__(self, message: str, usage: str):
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    """argparse, but its error reaches ``main`` (which puts the reason first, and answers ``--json`` in JSON)
    instead of printing the usage lines before the one that matters and exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise _ArgumentError(f"{self.prog.removeprefix('receptionist ')}: {message}", self.format_usage())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="receptionist", description="Receptionist Console")
    _common(parser, top=True)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument("--demo", action="store_true",
                        help="demo mode: fresh database, sandbox calendars + Twilio, simulated calls")
    parser.add_argument("--demo-interval", metavar="LO:HI",
                        help="with --demo: seconds between simulated calls (default 20:40)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="close the window after SECONDS")
    parser.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window just before quitting")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("setup", help="write the user profile for a new location (the window's setup screen, "
                                     "from flags)")
    _common(p)
    p.add_argument("--name", required=True, help="business location name")
    p.add_argument("--time-zone", required=True, metavar="ZONE", help="IANA time zone, e.g. America/Chicago")
    p.add_argument("--hours", action="append", metavar="DAYS=RANGES",
                   help="opening hours, repeatable, on quarter hours, e.g. mon-fri=8am-12pm,1pm-5:30pm sat=9:00-13:00 "
                        "sun=closed; a day not named is closed (default: Mon-Sat 8am-6pm)")
    p.add_argument("--id", dest="location_id", help="location id (default: generated from the name)")
    p.add_argument("--out", metavar="FILE", help="write here instead of the user profile")
    p.add_argument("--force", action="store_true", help="replace an existing profile")
    p = sub.add_parser("service", help="run webhook ingest and calendar sync without a window")
    _common(p)
    p = sub.add_parser("status", help="appointments and their per-calendar sync state")
    _common(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("sync", help="run calendar sync")
    _common(p)
    p.add_argument("--once", action="store_true", required=True, help="one cycle, exit non-zero if anything failed")
    p = sub.add_parser("connect", help="sign in to a calendar account (tokens go to the OS keyring only)")
    _common(p)
    p.add_argument("service_name", choices=["google", "outlook", "caldav"], metavar="google|outlook|caldav")
    p.add_argument("--device-code", action="store_true", help="Outlook: sign in on another device with a code")
    p.add_argument("--no-browser", action="store_true", help="print the sign-in URL instead of opening a browser")
    cli_caldav.add_arguments(p)
    p = sub.add_parser("sandbox", help="start the local stand-ins and print their endpoints as a profile")
    _common(p)
    p.add_argument("--write-profile", metavar="FILE", help="also write the profile to FILE")
    p.add_argument("--provision", action="store_true",
                   help="also sign this machine's keyring in to the stand-ins (for a build pointed at them)")
    p = sub.add_parser("secret", help="store a secret in the OS keyring (read from stdin, never echoed)")
    _common(p)
    p.add_argument("action", choices=["set", "delete"])
    p.add_argument("key", help="e.g. google.client_secret, twilio.auth_token, ingest.webhook_secret")
    p = sub.add_parser("db", help="database maintenance")
    _common(p)
    p.add_argument("action", choices=["upgrade", "status"])
    p = sub.add_parser("doctor", help="check the profile, database, keyring and connections")
    _common(p)
    p.add_argument("--json", action="store_true", help="machine-readable output (works without a profile too)")
    p = sub.add_parser("quarantine", help="deliveries that could not be mapped: list, replay or discard them")
    _common(p)
    p.add_argument("action", choices=["list", "replay", "discard"])
    p.add_argument("id", nargs="?", type=int, help="the delivery (replay, discard)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--actor", default="cli", help="who is acting (recorded in the audit log)")
    p = sub.add_parser("ingest", help="take a saved delivery (as the platform sent it) through the intake")
    _common(p)
    p.add_argument("file", metavar="FILE", help="the body as the platform sent it (JSON, or form-encoded: Twilio)")
    p.add_argument("--platform", required=True, help="vapi, retell, elevenlabs, twilio, bland, synthflow, generic")
    p.add_argument("--headers", metavar="FILE",
                   help="the delivery's headers (JSON object, or 'Name: value' lines); the signature is then checked")
    p.add_argument("--url", default="file://operator", help="the URL it was posted to (Twilio signs the URL)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("poll", help="fetch finished calls from the platforms' APIs once (vapi.poll = true ...)")
    _common(p)
    p.add_argument("--once", action="store_true", required=True, help="one poll of every source, then exit")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    from receptionist.cli_setup import add_setup_commands
    from receptionist.commands import add_commands

    add_setup_commands(sub, _common)
    add_commands(sub, _common)
    from receptionist.cli_availability import add_availability

    add_availability(sub, _common)
    from receptionist.cli_callbacks import add_owner_commands

    add_owner_commands(sub, _common)
    from receptionist.cli_health import add_health_command

    add_health_command(sub, _common)  # issue 20: the health view's picture, alerts, the sample audit
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
        if args.demo_interval is not None and not (args.demo and args.command is None):
            raise _ArgumentError("--demo-interval only applies to demo mode: add --demo (and no command)",
                                 "usage: receptionist --demo [--demo-interval LO:HI]\n")
    except _ArgumentError as exc:
        if "--json" in argv:
            print(json.dumps({"error": str(exc), "exit_code": EXIT_USER_ERROR}))
        else:
            print(f"receptionist: {exc}\n{exc.usage.rstrip()}\n(receptionist --help lists every command)",
                  file=sys.stderr)
        return EXIT_USER_ERROR
    from receptionist import logs

    logs.configure(args.verbose)
    try:
        if args.command is None:
            return cmd_demo(args) if args.demo else cmd_gui(args)
        if args.command in COMMANDS:
            return COMMANDS[args.command](args)
        return cmd_action(args)
    except UserError as exc:
        return _user_error(exc, as_json=getattr(args, "json", False))
    except OSError as exc:  # a full disk or a read-only drive met outside the database
        problem = environment_problem(exc, what="a file")
        if problem is None:
            raise
        return _user_error(problem, as_json=getattr(args, "json", False))
    except KeyboardInterrupt:
        return 130


def _user_error(exc: UserError, *, as_json: bool = False) -> int:
    """One sentence and exit 2; with ``--json``, that sentence as a JSON document on stdout."""
    log.info("stopped: %s", exc, extra={"to_screen": False})
    if as_json:
        print(json.dumps({"error": str(exc), "exit_code": EXIT_USER_ERROR}))
    else:
        print(f"receptionist: {exc}", file=sys.stderr)
    return EXIT_USER_ERROR


# --- helpers ------------------------------------------------------------------------------------------------------


def _profile(args, *, required: bool = True) -> Profile:
    """The profile ``find_profile`` picks (remembered in ``args.profile_source``); without one, a UserError saying
    how to make one, or the embedded defaults when ``required`` is False."""
    source = find_profile(args.profile)
    args.profile_source = source
    if source is None:
        if required:
            raise no_profile_error()
        return Profile()
    return Profile.load(source.path)


def _secrets(profile: Profile):
    from receptionist.providers.secrets import location_secret_store

    return location_secret_store(profile.location)


def _db_url(args, profile: Profile | None = None) -> str:
    import os

    from receptionist.store.db import DB_ENV, resolve_db_url

    if args.db or os.environ.get(DB_ENV):
        return resolve_db_url(args.db)
    if profile is None:
        profile = _profile(args)
    if not profile.location.id:  # a profile from before location ids: its database moves into its folder, once
        from receptionist.paths import adopt_legacy_db

        moved = adopt_legacy_db(profile.location.key)
        if moved is not None:
            log.info("moved the shared database into this location's folder: %s", moved)
    return resolve_db_url(None, profile.location.key)


def _build(args, profile: Profile | None = None, **kwargs):
    from receptionist.app import App

    profile = profile or _profile(args)
    app = App.build(profile, _db_url(args, profile), _secrets(profile), **kwargs)
    source = getattr(args, "profile_source", None)
    if source is not None and source.path is not None:  # a profile edited by hand since this desk last saw it
        from receptionist.config import last_seen_profile, remember_profile

        app.desk.settings.audit_outside_edits(last_seen_profile(source.path),
                                            app.desk.people.os_login() or "outside the desk")
        remember_profile(profile, source.path)
    return app


def _wait_for_signal() -> str:
    """Wait for Ctrl-C or SIGTERM; returns the signal's name."""
    stop = threading.Event()
    got: list[str] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _frame: (got.append(signal.Signals(number).name), stop.set()))
    while not stop.wait(0.5):
        pass
    return got[0] if got else "a signal"


# --- commands -----------------------------------------------------------------------------------------------------


def _sandbox(module: str):
    """A module of the sandbox package (stand-ins, simulator, demo), which a location build may leave out.

    The one place the product reaches the sandbox, by name at run time, so nothing else can import it."""
    import importlib

    try:
        return importlib.import_module(f"receptionist_sandbox.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("receptionist_sandbox"):
            raise UserError("demo mode and the sandbox are not part of this build "
                            "(install the receptionist_sandbox package)") from None
        raise


def cmd_gui(args) -> int:
    """The console. Without a profile anywhere, the setup screen first (it writes the user profile)."""
    from receptionist.desktop import missing_system_library

    problem = missing_system_library()  # before Qt, which would abort with its own bare message
    if problem is not None:
        return _user_error(problem)
    from receptionist.ui import launch

    try:
        source = find_profile(args.profile)
        if source is None:
            from receptionist.ui.setup import run_setup

            written = run_setup()
            if written is None:
                print("receptionist: setup was cancelled; nothing was written", file=sys.stderr)
                return 0
        profile = _profile(args)
        db_url = _db_url(args, profile)
        app = _build(args, profile)
    except UserError as exc:  # the window is the only place a windowed build can say it
        launch.show_startup_problem(exc)
        return _user_error(exc)

    def ready(window) -> None:
        _log_shown(window)
        app.start_in_background()  # the receiver, the ingest worker, polling and sync, while the window paints

    try:
        return launch.run_gui(app.desk, app.bus, quit_after=args.quit_after, screenshot=args.screenshot,
                                   installation=_installation(args, profile, db_url), on_ready=ready)
    finally:
        app.stop()


def _log_shown(_window) -> None:
    """The line ``bench/startup.py`` times: the window is on screen and its event loop runs."""
    import resource

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    log.info("window shown; peak RSS %.0f MB", rss_mb)


def _installation(args, profile: Profile, db_url: str):
    from receptionist.onboarding import Installation
    from receptionist.store.db import describe_database

    database = describe_database(db_url).removeprefix("the ").removeprefix("database file ")
    return Installation.describe(profile, getattr(args, "profile_source", None), database,
                                 _secrets(profile).service_name)


def cmd_setup(args) -> int:
    from receptionist import onboarding
    from receptionist.paths import user_profile_path

    target = Path(args.out) if args.out else user_profile_path()
    if target.exists() and not args.force:
        raise UserError(f"a profile already exists at {target}: edit it in the window (File → Settings…), or "
                        "pass --force to replace it")
    from receptionist.domain.week_text import parse_week, week_sentence

    try:
        hours = parse_week(args.hours) if args.hours else None
    except ValueError as exc:
        raise UserError(f"nothing was written: {exc}") from None
    profile = onboarding.new_profile(args.name, args.time_zone, location_id=args.location_id,
                                     availability={"hours": hours})
    # the keyring first, as the setup screen's first page: nothing is written or generated without one
    problem = onboarding.keyring_problem(_secrets(profile), again="run this command again")
    if problem is not None:
        raise UserError(f"nothing was written: {problem}")
    onboarding.save_profile(profile, target)
    print(f"wrote {target} (location id {profile.location.id})")
    print(f"open {week_sentence(profile.availability.booking_rules(profile.location).hours)}")
    try:
        onboarding.ensure_webhook_secret(_secrets(profile))
        print(f"webhook signing secret stored in the keyring; point the AI platform at "
              f"{onboarding.webhook_url(profile)}")
    except EnvironmentProblem as exc:
        print(f"receptionist: the profile is written, but {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def cmd_demo(args) -> int:
    """A fresh demo: sandbox stand-ins, seeded calendars, signed-in accounts, simulated calls, the console."""
    demo = _sandbox("demo")
    from receptionist.desktop import missing_system_library

    problem = missing_system_library()
    if problem is not None:
        return _user_error(problem)
    from receptionist.ui.launch import run_gui

    lo, _, hi = (args.demo_interval or "20:40").partition(":")
    session = demo.DemoSession(_profile(args, required=False), db_url=args.db, interval=(float(lo), float(hi or lo)))
    try:
        app = session.start()

        def on_ready(_window) -> None:
            log.info("window shown %.2f s after start", time.monotonic() - session.started)
            session.start_calls()

        from receptionist.onboarding import Installation
        from receptionist.store.db import describe_database

        info = Installation.describe(app.profile, None, describe_database(app.store.engine.url).removeprefix("the "),
                                     "none: demo secrets are kept in memory only")
        return run_gui(app.desk, app.bus, demo_banner=demo.BANNER, on_ready=on_ready,
                       quit_after=args.quit_after, screenshot=args.screenshot, installation=info,
                       settings_target=session.profile_path)
    finally:
        session.stop()


def cmd_service(args) -> int:
    app = _build(args).start()
    log.info("service running: webhook %s, calendars %s", app.receiver.url, ", ".join(app.sync_engine.targets) or "none")
    log.info("the AI agent's tools (check_availability, book_appointment): %s", ", ".join(
        app.receiver.tools_url_for(p) for p in ("vapi", "retell")))
    for key, problem in app.problems.items():
        log.warning("%s: %s", key, problem)
    stopping = False
    try:
        log.info("service stopping (%s): no new deliveries; mapping those accepted", _wait_for_signal())
        stopping = True
    finally:
        app.stop(drain_seconds=STOP_DRAIN_SECONDS if stopping else 0.0)
    log.info("service stopped")
    return 0


def cmd_action(args) -> int:
    """``calls``, ``proposals``, ``appointments``, ``links``, ``calendars``: a person's action, from a script."""
    from receptionist.cli_availability import run as run_availability
    from receptionist.commands import run

    app = _build(args, with_receiver=False)
    try:
        return (run_availability if args.command in ("availability", "on-call") else run)(args, app.desk)
    finally:
        app.stop()


def cmd_status(args) -> int:
    app = _build(args, with_receiver=False)
    try:
        status = app.desk.health.status()
        if args.json:
            print(json.dumps(status, indent=2))
            return 0
        from receptionist.domain.formatting import format_datetime

        zone = app.profile.location.zone
        print(f"{status['location']} ({status['time_zone']}) — {len(status['appointments'])} appointment(s)")
        for c in app.desk.health.calendars():
            print(f"  {c.label} ({c.key}): {c.state} — {c.text}")
        for a in app.desk.appointments.between():
            badges = "  ".join([f"{link.calendar}: {link.state.label}" for link in a.links] + [
                f"{key}: not queued" for key in app.desk.context.calendars if key not in {k.calendar for k in a.links}])
            print(f"  {format_datetime(a.start, zone)}  {a.caller_name or '?':<22} {a.service or '':<22} {badges}")
        for reason in _not_synced(app):
            print(f"  ! {reason}")
        return 0
    finally:
        app.stop()


def _not_synced(app) -> list[str]:
    """Why the desk is not fully in sync: one sentence per calendar problem, per link not Synced and per enabled
    calendar an appointment has no link to yet."""
    from receptionist.services.health import not_queued

    out = [f"{c.label}: {c.text}" for c in app.desk.health.calendars() if c.state not in ("ok", "unknown")]
    for a in app.desk.appointments.between(include_cancelled=True):
        for link in a.links:
            if link.state.value != "synced":
                label = app.desk.context.calendars.get(link.calendar, link.calendar)
                why = link.last_error or ("waiting for the sync leader (a running console or `receptionist "
                                          "service`)" if link.state.value == "pending" else "")
                out.append(f"{a.caller_name or a.id} on {label}: {link.state.label}" + (f" — {why}" if why else ""))
        if a.status.value == "confirmed":
            have = {link.calendar for link in a.links}
            out += [f"{a.caller_name or a.id}: {not_queued(label)}"
                    for key, label in app.desk.context.calendars.items() if key not in have]
    return out


def cmd_sync(args) -> int:
    """One cycle as the leader. Exit 0 only when every link is Synced and every calendar was read."""
    app = _build(args, with_receiver=False)
    try:
        report = app.scheduler.run_once()
        why = _not_synced(app)
        print(json.dumps({"pushed": report.pushed, "failed": report.failed, "waiting": report.waiting,
                          "needs_person": report.needs_person, "pulled": report.pulled,
                          "pull_errors": report.pull_errors, "messages_sent": report.messages_sent,
                          "message_errors": report.message_errors, "not_connected": app.problems,
                          "not_synced": why}, indent=2))
        return 0 if report.ok and not app.problems and not why else 1
    finally:
        app.stop()


def cmd_connect(args) -> int:
    profile = _profile(args)
    secrets = _secrets(profile)
    open_url = print if args.no_browser else _open_browser
    if args.service_name == "caldav":
        return cli_caldav.connect(args, profile, secrets, args.profile_source.path if args.profile_source else None)
    if args.service_name == "google":
        from receptionist.providers.google_oauth import connect_google

        print(connect_google(profile.google, secrets, open_url=open_url))
    else:
        from receptionist.providers.microsoft_auth import connect_outlook

        account = connect_outlook(profile.outlook, secrets, device_code=args.device_code, open_url=open_url)
        print(f"Outlook connected as {account}")
    _reopen_calendar(args, profile, args.service_name)
    return 0


def _reopen_calendar(args, profile: Profile, kind: str) -> None:
    """After a sign-in: the calendar's gate in the database reopens at once, so every desk shows it connected and
    the sync leader writes at its next cycle (which also picks the new sign-in up), not after its 5-minute probe."""
    from datetime import datetime, timezone

    from receptionist.app import enabled_calendars
    from receptionist.store import Store
    from receptionist.store.db import make_engine, upgrade

    engine = make_engine(_db_url(args, profile))
    try:
        upgrade(engine)
        store = Store(engine)
        for key in enabled_calendars(profile):
            if key.startswith(f"{kind}:"):
                waiting = store.health.reopen(key, datetime.now(timezone.utc))
                print(f"{key} is back in service" + (f"; {waiting} appointment(s) will be written" if waiting else ""))
    finally:
        engine.dispose()


def _open_browser(url: str) -> None:
    import webbrowser

    if not webbrowser.open(url):
        print(f"Open this address in a browser to sign in:\n{url}")


def cmd_sandbox(args) -> int:
    base = _profile(args, required=False)
    stack = _sandbox("stack").SandboxStack(time_zone=base.location.time_zone).start()
    try:
        profile = stack.profile(base)
        stack.seed_week()
        text = profile.to_toml()
        if args.write_profile:
            Path(args.write_profile).write_text(text, encoding="utf-8")
        if args.provision:
            stack.provision(profile, _secrets(profile))
            print("# keyring provisioned: the stand-ins' sign-ins, and a webhook secret stored as "
                  "ingest.webhook_secret", file=sys.stderr)
        print(text, flush=True)
        print(f"# Google {stack.google.url}  Microsoft {stack.microsoft.url}  Twilio {stack.twilio.url}; "
              "Ctrl-C stops", file=sys.stderr, flush=True)
        _wait_for_signal()
    finally:
        stack.stop()
    return 0


def cmd_secret(args) -> int:
    secrets = _secrets(_profile(args))
    if args.action == "delete":
        secrets.delete(args.key)
        return 0
    value = getpass.getpass(f"{args.key}: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if not value:
        raise UserError("empty secret; nothing stored")
    secrets.set(args.key, value)
    print(f"stored {args.key} in the keyring")
    return 0


def cmd_db(args) -> int:
    from receptionist.store.db import make_engine, schema_status, upgrade

    engine = make_engine(_db_url(args))
    try:
        if args.action == "status":
            current, head = schema_status(engine)
            print(f"database schema {current or 'empty'}; this version's head {head}")
            return 0 if current == head else 1
        before, head = upgrade(engine)
        print(f"database schema {before or 'empty'} → {head}" if before != head else f"already at {head}")
        return 0
    finally:
        engine.dispose()


def cmd_doctor(args) -> int:
    from receptionist.cli_doctor import cmd_doctor as doctor

    return doctor(args, db_url=_db_url, secrets=_secrets)


def _read_headers(path: str) -> dict[str, str]:
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items()}
    headers = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    if not headers:
        raise UserError(f"{path}: no headers found (a JSON object, or 'Name: value' lines)")
    return headers


def cmd_quarantine(args) -> int:
    app = _build(args, with_receiver=False)
    try:
        desk = app.desk
        if args.action == "list":
            rows = [r.summary() for r in desk.intake.quarantined()]
            if args.json:
                print(json.dumps(rows, indent=2))
            elif not rows:
                print("quarantine is empty")
            for r in rows if not args.json else ():
                print(f"#{r['id']:<5} {r['received_at'][:19]}  {r['platform']:<10} {r['reason']}")
            return 0
        if args.id is None:
            raise UserError(f"quarantine {args.action} needs the delivery id (see: receptionist quarantine list)")
        if args.action == "replay":
            record = desk.intake.replay(args.id, actor=args.actor)
            out = record.summary()
            if record.call_row_id is not None:
                out["call_row_id"] = record.call_row_id
            print(json.dumps(out, indent=2) if args.json else
                  f"delivery {args.id}: {record.state.value}" + (f" ({record.reason})" if record.reason else ""))
            return 0 if record.state.value == "done" else 1
        desk.intake.discard(args.id, actor=args.actor)
        print(json.dumps({"id": args.id, "state": "discarded"}) if args.json else f"delivery {args.id} discarded")
        return 0
    finally:
        app.stop()


def cmd_ingest(args) -> int:
    try:
        body = Path(args.file).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
    headers = _read_headers(args.headers) if args.headers else None
    app = _build(args, with_receiver=False)
    try:
        answer, record = app.desk.intake.ingest_file(args.platform, body, headers, url=args.url)
        out = {"http_status": answer.status, "duplicate": answer.duplicate, "answer": answer.json()}
        if record is not None:
            out.update(inbox_id=record.id, state=record.state.value, reason=record.reason,
                       call_row_id=record.call_row_id)
        else:
            out["refused"] = answer.reason
        if args.json:
            print(json.dumps(out, indent=2))
        elif record is None:
            print(f"refused ({answer.status}): {answer.reason}")
        else:
            print(f"delivery {record.id}: {record.state.value}" + (" (already received)" if answer.duplicate else "")
                  + (f" — {record.reason}" if record.reason else "")
                  + (f" — call #{record.call_row_id}" if record.call_row_id else ""))
        return 0 if record is not None and record.state.value == "done" else 1
    finally:
        app.stop()


def cmd_poll(args) -> int:
    from receptionist.ingest.polling import sources_for

    app = _build(args, with_receiver=False)
    try:
        sources = sources_for(app.profile, app.secrets.get, app.ingestor, app.desk.context.clock)
        if not sources:
            raise UserError("no polling source is switched on (set vapi.poll, retell.poll or elevenlabs.poll "
                            "to true in the profile)")
        reports = [s.poll_once().as_dict() for s in sources]
        app.ingestor.drain()
        if args.json:
            print(json.dumps(reports, indent=2))
        for r in reports if not args.json else ():
            print(f"{r['source']}: {r['stored']} new, {r['duplicates']} known, {r['skipped']} in progress"
                  + (f" — {'; '.join(r['errors'])}" if r["errors"] else ""))
        return 0 if all(not r["errors"] for r in reports) else 1
    finally:
        app.stop()


COMMANDS = {
    "setup": cmd_setup,
    "service": cmd_service,
    "status": cmd_status,
    "sync": cmd_sync,
    "connect": cmd_connect,
    "sandbox": cmd_sandbox,
    "secret": cmd_secret,
    "db": cmd_db,
    "doctor": cmd_doctor,
    "quarantine": cmd_quarantine,
    "ingest": cmd_ingest,
    "poll": cmd_poll,
    "test-call": lambda args: _test_call(args),
}
from receptionist.cli_callbacks import owner_commands  # noqa: E402 - it is handed _build and _profile, above

COMMANDS.update(owner_commands(_build, _profile))  # callbacks, people, audit
from receptionist.cli_health import health_command  # noqa: E402

COMMANDS["health"] = health_command(_build)


def _test_call(args) -> int:
    from receptionist.cli_setup import cmd_test_call

    profile = _profile(args)
    return cmd_test_call(args, profile, _secrets(profile))

if __name__ == "__main__":
    sys.exit(main())
