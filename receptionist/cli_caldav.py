"""``receptionist connect caldav``: sign a CalDAV account in (iCloud, Fastmail, Nextcloud, any CalDAV server).

The app-specific password is read from standard input (or a prompt on a terminal), never from an argument, and goes
to the OS keyring only; the server, the user name and the calendar picked go to the profile's ``[caldav]``
section, written back to the profile file the command read.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from receptionist.config import Profile, write_profile
from receptionist.domain.ports import SecretStore
from receptionist.errors import UserError
from receptionist.paths import user_profile_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="CalDAV: the server (a bare domain is looked up via /.well-known/caldav)")
    parser.add_argument("--username", help="CalDAV: the account's user name (Apple ID, e-mail address)")
    parser.add_argument("--calendar", metavar="NAME", help="CalDAV: which of the account's calendars to use")
    parser.add_argument("--list", action="store_true", help="CalDAV: list the account's calendars, change nothing")
    parser.add_argument("--json", action="store_true", help="CalDAV: machine-readable output")


def read_password(prompt: str = "App-specific password: ") -> str:
    """From a prompt on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def connect(args, profile: Profile, secrets: SecretStore, profile_path) -> int:
    from receptionist.providers.caldav_signin import connect_caldav, discover

    if not args.url or not args.username:
        raise UserError("connect caldav needs --url URL and --username NAME (the password is read from standard "
                        "input or a prompt)")
    password = read_password()
    if args.list:
        account = discover(profile.caldav, args.url, args.username, password)
        if args.json:
            print(json.dumps({"url": account.url, "calendars": [{"name": c.name, "url": c.id}
                                                                for c in account.calendars]}, indent=2))
        else:
            for cal in account.calendars:
                print(f"{cal.name}\t{cal.id}")
        return 0
    section, chosen = connect_caldav(profile.caldav, secrets, url=args.url, username=args.username,
                                     password=password, calendar=args.calendar)
    data = profile.model_dump()
    data["caldav"] = section.model_dump()
    path = write_profile(Profile.from_dict(data, source="connect caldav"), profile_path or user_profile_path())
    if args.json:
        print(json.dumps({"calendar": chosen.name, "calendar_url": chosen.id, "url": section.url,
                          "profile": str(path)}, indent=2))
    else:
        print(f"CalDAV connected: calendar {chosen.name!r} at {chosen.id} (profile {path})")
    return 0
