"""A profile edited by hand, outside Settings, is audited the next time the desk starts (any command that builds
the desk): each option changed from what to what, a PIN as "changed" only (the diff a Settings save records), by
the OS login or "outside the desk"; the desk's own writes of the profile are not outside edits."""

from __future__ import annotations

from receptionist.cli import main
from receptionist.config import Profile, last_seen_profile, write_profile
from receptionist.domain.people import hash_pin
from receptionist.store import Store
from receptionist.store.db import make_engine

PROFILE = """
[location]
id = "main-st"
name = "Main St Dental"

[sync]
interval_seconds = 30

[[people.members]]
name = "Ana Ruiz"
role = "owner"
pin_hash = "{pin}"
"""


def outside_rows(db_url):
    engine = make_engine(db_url)
    try:
        return Store(engine).audit.entries(action="settings.changed_outside")
    finally:
        engine.dispose()


def start(db_url, path, capsys):
    assert main(["status", "--json", "--db", db_url, "--profile", str(path)]) == 0
    capsys.readouterr()


def test_a_hand_edit_is_audited_once_with_each_option_from_and_to(db_url, tmp_path, capsys):
    path = tmp_path / "desk.toml"
    path.write_text(PROFILE.format(pin=hash_pin("1234")))
    start(db_url, path, capsys)  # the first start: nothing seen before here, nothing to name
    assert outside_rows(db_url) == [] and last_seen_profile(path) is not None
    path.write_text(PROFILE.format(pin=hash_pin("9999")).replace("interval_seconds = 30", "interval_seconds = 90")
                    .replace("Main St Dental", "Main Street Dental"))  # by hand, in a text editor
    start(db_url, path, capsys)
    [row] = outside_rows(db_url)
    assert row.actor == "outside the desk"  # no single-user login is set: nobody at the desk is named
    changes = {c["setting"]: c for c in row.detail["changes"]}
    assert changes["sync.interval_seconds"] == {"setting": "sync.interval_seconds", "from": 30, "to": 90}
    assert changes["location.name"]["from"] == "Main St Dental" and changes["location.name"]["to"] == \
        "Main Street Dental"
    assert row.detail["people"] == [{"person": "Ana Ruiz", "pin": "changed"}]
    assert "1234" not in str(row.detail) and "9999" not in str(row.detail) and "pbkdf" not in str(row.detail)
    start(db_url, path, capsys)  # seen now: not audited again
    assert len(outside_rows(db_url)) == 1


def test_the_desks_own_writes_are_not_outside_edits_and_the_login_is_named(db_url, tmp_path, capsys):
    path = tmp_path / "desk.toml"
    profile = Profile.from_dict({"location": {"id": "main-st", "name": "Main St Dental"},
                                 "people": {"os_login": True}})
    write_profile(profile, path)  # Settings, setup and the people commands write through here
    start(db_url, path, capsys)
    data = profile.model_dump()
    data["sync"]["interval_seconds"] = 45
    write_profile(Profile.from_dict(data), path)
    start(db_url, path, capsys)
    assert outside_rows(db_url) == []
    path.write_text(path.read_text().replace("interval_seconds = 45", "interval_seconds = 60"))
    start(db_url, path, capsys)
    [row] = outside_rows(db_url)
    import getpass

    assert row.actor == getpass.getuser()  # a single-user PC: its login
    assert row.detail["changes"] == [{"setting": "sync.interval_seconds", "from": 45, "to": 60}]
