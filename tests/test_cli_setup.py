"""`receptionist setup` checks the OS keyring first, as the setup screen's first page does: without one it says what
to install or unlock and writes nothing (no profile, no generated secret)."""

from __future__ import annotations

import keyring
import keyring.core
import pytest

from receptionist.cli import main
from receptionist.config import Profile
from receptionist.providers.secrets import MemoryKeyring, location_secret_store


@pytest.fixture
def no_keyring(monkeypatch):
    previous = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core.init_backend()
    yield
    keyring.set_keyring(previous)


def test_setup_without_a_keyring_says_what_to_install_and_writes_nothing(tmp_path, capsys, no_keyring,
                                                                           monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    out = tmp_path / "profile.toml"
    code = main(["setup", "--name", "Lakeside Dental", "--time-zone", "America/New_York", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "nothing was written" in err and "gnome-keyring" in err and "KWallet" in err
    assert "run this command again" in err and "Check again" not in err


def test_setup_with_a_keyring_writes_the_profile_and_stores_the_secret(tmp_path, capsys):
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        out = tmp_path / "profile.toml"
        assert main(["setup", "--name", "Lakeside Dental", "--time-zone", "America/New_York", "--out",
                     str(out)]) == 0
        profile = Profile.load(out)
        assert location_secret_store(profile.location, backend).get("ingest.webhook_secret")
        assert "webhook signing secret stored in the keyring" in capsys.readouterr().out
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring():
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_setup_takes_weekly_hours_with_several_ranges_a_day_on_quarter_hours(tmp_path, capsys, memory_keyring):
    out = tmp_path / "profile.toml"
    assert main(["setup", "--name", "Lakeside Dental", "--time-zone", "America/New_York", "--out", str(out),
                 "--hours", "mon-thu=8am-12pm,1pm-5:30pm", "--hours", "fri=7:45-13:15",
                 "--hours", "sat=9am to noon", "--hours", "sun=closed"]) == 0
    profile = Profile.load(out)
    assert profile.availability.hours == {
        "mon": ["08:00-12:00", "13:00-17:30"], "tue": ["08:00-12:00", "13:00-17:30"],
        "wed": ["08:00-12:00", "13:00-17:30"], "thu": ["08:00-12:00", "13:00-17:30"], "fri": ["07:45-13:15"],
        "sat": ["09:00-12:00"], "sun": []}
    assert profile.availability.booking_rules(profile.location).hours.days[0] == ((480, 720), (780, 1050))
    said = capsys.readouterr().out
    assert "open Mon 8:00 AM–12:00 PM, 1:00 PM–5:30 PM; " in said and "Fri 7:45 AM–1:15 PM; Sat 9:00 AM–12:00 PM; " \
        "Sun closed" in said


def test_setup_without_hours_keeps_the_usual_week_and_says_it(tmp_path, capsys, memory_keyring):
    out = tmp_path / "profile.toml"
    assert main(["setup", "--name", "Corner Clinic", "--time-zone", "America/Chicago", "--out", str(out)]) == 0
    assert "open Mon 8:00 AM–6:00 PM; " in capsys.readouterr().out and Profile.load(out).availability.hours is None


@pytest.mark.parametrize(("hours", "sentence"), [
    (["mon=8:10am-5pm"], "'8:10am' is not on a quarter hour: use :00, :15, :30 or :45"),
    (["mon=8-5"], "'8-5' closes before it opens (a time without am or pm is 24-hour: write 8am-5pm or 8-17)"),
    (["mon=8am-12pm,11am-2pm"], "8:00 AM–12:00 PM and 11:00 AM–2:00 PM overlap"),
    (["mon-fri=9-17", "fri=9-12"], "Friday is given twice"),
    (["fri-mon=9-17"], "'fri-mon' runs backwards"),
    (["weekdays=9-17"], "'weekdays' is not a weekday"),
    (["mon 9-17"], "write the days, “=”, then the hours"),
    (["mon=9am"], "'9am' is not a range"),
    (["mon=13pm-2pm"], "with am or pm the hour is 1 to 12"),
    (["mon=midnight-9am"], None),  # fine: opens at the start of the day
])
def test_bad_hours_are_said_and_nothing_is_written(tmp_path, capsys, memory_keyring, hours, sentence):
    out = tmp_path / "profile.toml"
    args = ["setup", "--name", "Lakeside Dental", "--time-zone", "America/New_York", "--out", str(out)]
    code = main(args + [arg for spec in hours for arg in ("--hours", spec)])
    if sentence is None:
        assert code == 0 and Profile.load(out).availability.hours["mon"] == ["00:00-09:00"]
        return
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.startswith("receptionist: nothing was written: --hours ") and sentence in err, err
    assert memory_keyring._data == {}  # no secret generated either
