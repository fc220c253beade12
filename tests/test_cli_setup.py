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
