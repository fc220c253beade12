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

from receptionist.config import Profile, describe_options, find_profile, no_profile_error
from receptionist.errors import EnvironmentProblem, UserError, environment_problem
from receptionist.version import version

log = logging.getLogger("receptionist")

EXIT_USER_ERROR = 2


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="receptionist", description="Receptionist Console")
    _common(parser, top=True)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument("--demo", action="store_true",
                        help="demo mode: fresh database, sandbox calendars + Twilio, simulated calls")
    parser.add_argument("--demo-interval", default="20:40", metavar="LO:HI",
                        help="seconds between simulated calls in demo mode (default 20:40)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="close the window after SECONDS")
    parser.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window just before quitting")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("setup", help="write the user profile for a new location (the window's setup screen, "
                                     "from flags)")
    _common(p)
    p.add_argument("--name", required=True, help="business location name")
    p.add_argument("--time-zone", required=True, metavar="ZONE", help="IANA time zone, e.g. America/Chicago")
    p.add_argument("--open-hour", type=int, default=8, help="opening hour, local 24h (default 8)")
    p.add_argument("--close-hour", type=int, default=18, help="closing hour, local 24h (default 18)")
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
    p.add_argument("service_name", choices=["google", "outlook"], metavar="google|outlook")
    p.add_argument("--device-code", action="store_true", help="Outlook: sign in on another device with a code")
    p.add_argument("--no-browser", action="store_true", help="print the sign-in URL instead of opening a browser")
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
    from receptionist.commands import add_commands

    add_commands(sub, _common)
    from receptionist.cli_callbacks import add_owner_commands

    add_owner_commands(sub, _common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from receptionist import logs

    logs.configure(args.verbose)
    try:
        if args.command is None:
            return cmd_demo(args) if args.demo else cmd_gui(args)
        if args.command in COMMANDS:
            return COMMANDS[args.command](args)
        return cmd_action(args)
    except UserError as exc:
        return _user_error(exc)
    except OSError as exc:  # a full disk or a read-only drive met outside the database
        problem = environment_problem(exc, what="a file")
        if problem is None:
            raise
        return _user_error(problem)
    except KeyboardInterrupt:
        return 130


def _user_error(exc: UserError) -> int:
    log.info("stopped: %s", exc, extra={"to_screen": False})
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
    return App.build(profile, _db_url(args, profile), _secrets(profile), **kwargs)


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


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
    from receptionist.ui import main_window

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
        main_window.show_startup_problem(exc)
        return _user_error(exc)

    def ready(window) -> None:
        _log_shown(window)
        app.start_in_background()  # the receiver, the ingest worker, polling and sync, while the window paints

    try:
        return main_window.run_gui(app.desk, app.bus, quit_after=args.quit_after, screenshot=args.screenshot,
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
    profile = onboarding.new_profile(args.name, args.time_zone, open_hour=args.open_hour,
                                     close_hour=args.close_hour, location_id=args.location_id)
    onboarding.save_profile(profile, target)
    print(f"wrote {target} (location id {profile.location.id})")
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
    from receptionist.ui.main_window import run_gui

    lo, _, hi = args.demo_interval.partition(":")
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
                       quit_after=args.quit_after, screenshot=args.screenshot, installation=info)
    finally:
        session.stop()


def cmd_service(args) -> int:
    app = _build(args).start()
    log.info("service running: webhook %s, calendars %s", app.receiver.url, ", ".join(app.sync_engine.targets) or "none")
    for key, problem in app.problems.items():
        log.warning("%s: %s", key, problem)
    try:
        _wait_for_signal()
    finally:
        app.stop()
    return 0


def cmd_action(args) -> int:
    """``calls``, ``proposals``, ``appointments``, ``links``, ``calendars``: a person's action, from a script."""
    from receptionist.commands import run

    app = _build(args, with_receiver=False)
    try:
        return run(args, app.desk)
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
            badges = "  ".join(f"{link.calendar}: {link.state.label}" for link in a.links)
            print(f"  {format_datetime(a.start, zone)}  {a.caller_name or '?':<22} {a.service or '':<22} {badges}")
        for reason in _not_synced(app):
            print(f"  ! {reason}")
        return 0
    finally:
        app.stop()


def _not_synced(app) -> list[str]:
    """Why the desk is not fully in sync: one sentence per calendar problem and per link not Synced."""
    out = [f"{c.label}: {c.text}" for c in app.desk.health.calendars() if c.state not in ("ok", "unknown")]
    for a in app.desk.appointments.between(include_cancelled=True):
        for link in a.links:
            if link.state.value != "synced":
                label = app.desk.context.calendars.get(link.calendar, link.calendar)
                out.append(f"{a.caller_name or a.id} on {label}: {link.state.label}"
                           + (f" — {link.last_error}" if link.last_error else ""))
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
    if args.service_name == "google":
        from receptionist.providers.google_oauth import connect_google

        print(connect_google(profile.google, secrets, open_url=open_url))
    else:
        from receptionist.providers.microsoft_auth import connect_outlook

        account = connect_outlook(profile.outlook, secrets, device_code=args.device_code, open_url=open_url)
        print(f"Outlook connected as {account}")
    return 0


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
            secret = stack.provision(profile, _secrets(profile))
            print(f"# keyring provisioned; webhook secret {secret[:4]}… stored as ingest.webhook_secret",
                  file=sys.stderr)
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
    from receptionist.store.db import make_engine, schema_status

    profile = _profile(args)
    source = args.profile_source
    ok = True
    print(f"profile: {source.path} ({source.how}) — {profile.location.name}, {profile.location.time_zone}")
    if profile.location.id:
        print(f"location id: {profile.location.id}")
    else:
        print(f"location id: {profile.location.key} (derived from the name: add id = \"{profile.location.key}\" "
              "under [location] so renaming the location keeps its secrets and database)")
    store = _secrets(profile)
    writable = store.writable()
    ok &= writable
    print(f"keyring: {store.backend_name}, service {store.service_name} "
          f"({'writable' if writable else 'NOT writable: secrets cannot be stored'})")
    from receptionist import logs

    print(f"log file: {logs.log_file()}")
    engine = make_engine(_db_url(args, profile))
    try:
        current, head = schema_status(engine)
        print(f"database: {engine.url.render_as_string(hide_password=True)} schema {current or 'empty'} (head {head})")
        if current == head:
            from receptionist.store import Store

            for line in _reconciliation_lines(Store(engine), profile.location.zone):
                print(line)
    finally:
        engine.dispose()
    from receptionist.app import calendar_targets

    targets, problems = calendar_targets(profile, store)
    for target in targets:
        try:
            calendars = target.provider.list_calendars()  # one round trip per connection
            print(f"{target.key}: {calendars[0].name if calendars else 'no calendars'} — OK")
        except Exception as exc:  # report every failure, keep checking the rest
            ok = False
            print(f"{target.key}: FAILED — {exc}")
    for key, problem in problems.items():
        ok = False
        print(f"{key}: {problem}")
    from receptionist.ingest.platforms import ADAPTERS

    def has(key: str) -> bool:
        try:
            return bool(store.get(key))
        except UserError:
            return False

    marks = [f"{name} {'set' if has(a.secret_key) else 'not set'}" for name, a in ADAPTERS.items()]
    print(f"webhook signing secrets: {', '.join(marks)} (a platform without its secret is answered 503)")
    for name in ("vapi", "retell", "elevenlabs"):
        if getattr(profile, name).poll:
            key_ok = has(f"{name}.api_key")
            ok &= key_ok
            print(f"polling {name}: every {getattr(profile, name).interval_seconds:g} s, API key "
                  f"{'set' if key_ok else 'NOT set: receptionist secret set ' + name + '.api_key'}")
    if args.verbose:
        for name, kind, default, help_text in describe_options():
            print(f"  {name} ({kind}, default {default!r}): {help_text}")
    return 0 if ok else 1


def _reconciliation_lines(store, zone) -> list[str]:
    """What the last reconciliation of each calendar found (``doctor``)."""
    from receptionist.domain.formatting import format_datetime

    lines = []
    for key, h in sorted(store.health.all().items()):
        r = h.reconcile_report
        if not r:
            lines.append(f"{key}: not reconciled yet")
        elif "error" in r or "skipped" in r:
            lines.append(f"{key}: last reconciliation {r.get('at', '')}: {r.get('error') or r.get('skipped')}")
        else:
            when = format_datetime(h.reconciled_at, zone, with_zone=True) if h.reconciled_at else r.get("at")
            lines.append(f"{key}: reconciled {when}: {r['events_read']} events over {r['days']} days, "
                         f"{r['needs_person']} need a decision, {r['sample_checked']} re-read "
                         f"({r['sample_mismatched']} differed), {len(r['orphans'])} events of ours with no appointment")
    return lines


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
}
from receptionist.cli_callbacks import owner_commands  # noqa: E402 - it is handed _build and _profile, above

COMMANDS.update(owner_commands(_build, _profile))  # callbacks, people, audit

if __name__ == "__main__":
    sys.exit(main())
