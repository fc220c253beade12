"""Which profile a run uses, and ``location.id`` keying the keyring, the data folder and the database."""

from __future__ import annotations

import pytest

from receptionist import paths
from receptionist.cli import main
from receptionist.config import Profile, find_profile, slugify
from receptionist.errors import UserError
from receptionist.providers.secrets import MemoryKeyring, location_secret_store


def _write(path, name, location_id=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[location]\nid = "{location_id}"\nname = "{name}"\n', encoding="utf-8")
    return path


@pytest.fixture
def everywhere(tmp_path, monkeypatch, no_profile):
    """A profile in each place it is looked for."""
    made = {
        "cli": _write(tmp_path / "cli.toml", "From the flag"),
        "env": _write(tmp_path / "env.toml", "From the environment"),
        "user": _write(paths.user_profile_path(), "From the user folder"),
        "site": _write(paths.site_profile_path(), "From IT"),
        "baked": _write(tmp_path / "baked.toml", "Baked in"),
    }
    monkeypatch.setenv("RECEPTIONIST_PROFILE", str(made["env"]))
    monkeypatch.setattr(paths, "baked_profile", lambda: made["baked"])
    return made


def test_lookup_order(everywhere, monkeypatch):
    order = [("cli", "--profile"), ("env", "$RECEPTIONIST_PROFILE"), ("user", "user config folder"),
             ("site", "IT-managed folder"), ("baked", "baked into this build")]
    for place, how in order:
        cli = str(everywhere["cli"]) if place == "cli" else None
        found = find_profile(cli)
        assert (found.path, found.how) == (everywhere[place], how)
        if place == "env":
            monkeypatch.delenv("RECEPTIONIST_PROFILE")
        elif place not in ("cli",):
            everywhere[place].unlink()
    assert find_profile(None) is None


def test_doctor_says_which_profile_was_used(everywhere, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("RECEPTIONIST_PROFILE")
    main(["doctor", "--db", f"sqlite:///{tmp_path / 'd.db'}"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"profile: {everywhere['user']} (user config folder) — From the user folder")


def test_headless_commands_without_a_profile_say_how_to_make_one(no_profile, capsys):
    assert main(["status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("receptionist: no location profile found") and "receptionist setup --name" in err
    assert len(err.splitlines()) == 1


def test_setup_command_writes_the_user_profile_with_a_fresh_id(no_profile, capsys):
    assert main(["setup", "--name", "Lakeside Physio", "--time-zone", "America/Denver", "--hours",
                 "mon-sat=7am-6pm"]) == 0
    profile = Profile.load(paths.user_profile_path())
    assert profile.location.name == "Lakeside Physio" and profile.location.time_zone == "America/Denver"
    assert profile.availability.hours["mon"] == ["07:00-18:00"] and profile.location.id.startswith("lakeside-physio-")
    out = capsys.readouterr().out
    assert "/webhooks/v1/calls" in out
    secret = location_secret_store(profile.location).get("ingest.webhook_secret")
    assert secret and len(secret) >= 40 and secret not in paths.user_profile_path().read_text()
    assert main(["setup", "--name", "Other", "--time-zone", "UTC"]) == 2  # never silently replaced
    assert "already exists" in capsys.readouterr().err


def test_location_id_is_validated(tmp_path):
    with pytest.raises(UserError, match="location.id.*not a location id"):
        Profile.from_dict({"location": {"id": "Main Street!"}})
    assert Profile.from_dict({"location": {"id": "main-street-2"}}).location.key == "main-street-2"


def test_an_id_is_derived_deterministically_from_the_name_when_missing():
    assert slugify("Café Smile & Co.") == "cafe-smile-co"
    profile = Profile.from_dict({"location": {"name": "Demo Dental & Wellness"}})
    assert profile.location.id == "" and profile.location.key == "demo-dental-wellness"
    assert slugify("!!!") == "location"


def test_two_locations_on_one_pc_stay_apart(tmp_path, capsys):
    a = _write(tmp_path / "a.toml", "North Clinic", "north")
    b = _write(tmp_path / "b.toml", "South Clinic", "south")
    assert main(["db", "upgrade", "--profile", str(a)]) == 0
    assert main(["db", "upgrade", "--profile", str(b)]) == 0
    assert (paths.data_dir() / "north" / "receptionist.db").is_file()
    assert (paths.data_dir() / "south" / "receptionist.db").is_file()
    backend = MemoryKeyring()
    north = location_secret_store(Profile.load(a).location, backend)
    north.set("twilio.auth_token", "north-token")
    assert location_secret_store(Profile.load(b).location, backend).get("twilio.auth_token") is None


def test_renaming_a_location_changes_nothing_stored(tmp_path):
    backend = MemoryKeyring()
    before = Profile.from_dict({"location": {"id": "main-st", "name": "Main St Dental"}})
    location_secret_store(before.location, backend).set("twilio.auth_token", "tok")
    after = Profile.from_dict({"location": {"id": "main-st", "name": "Main Street Dental & Ortho"}})
    assert location_secret_store(after.location, backend).get("twilio.auth_token") == "tok"
    assert paths.default_db_url(before.location.key) == paths.default_db_url(after.location.key)


def test_a_profile_from_before_ids_keeps_its_secrets_and_database(tmp_path, capsys):
    backend = MemoryKeyring()
    backend.set_password("receptionist-console:Old Town Dental", "twilio.auth_token", "old-token")
    legacy = paths.legacy_db_path()
    assert main(["db", "upgrade", "--db", f"sqlite:///{legacy}"]) == 0
    old_bytes = legacy.read_bytes()
    profile_path = _write(tmp_path / "old.toml", "Old Town Dental")
    profile = Profile.load(profile_path)
    store = location_secret_store(profile.location, backend)
    assert store.service_name == "receptionist-console:old-town-dental"
    assert store.get("twilio.auth_token") == "old-token"  # found under the name, copied under the id
    assert backend.get_password("receptionist-console:old-town-dental", "twilio.auth_token") == "old-token"
    capsys.readouterr()
    assert main(["db", "status", "--profile", str(profile_path)]) == 0  # the moved database, at head
    moved = paths.data_dir() / "old-town-dental" / "receptionist.db"
    assert moved.is_file() and not legacy.exists() and moved.read_bytes()[:100] == old_bytes[:100]
    main(["doctor", "--profile", str(profile_path)])
    out = capsys.readouterr().out
    assert 'location id: old-town-dental (derived from the name: add id = "old-town-dental"' in out
