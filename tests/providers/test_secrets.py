"""Secrets in the keyring, including values longer than one Windows Credential Manager entry."""

import keyring.errors
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.providers.secrets import KeyringSecretStore, MemoryKeyring


class WindowsSizedKeyring(MemoryKeyring):
    """Refuses entries over 2,560 bytes of UTF-16, like Windows Credential Manager (CRED_MAX_CREDENTIAL_BLOB_SIZE)."""

    def set_password(self, service, username, password):
        if len(password.encode("utf-16-le")) > 2560:
            raise keyring.errors.PasswordSetError("The stub received bad data.")
        super().set_password(service, username, password)


def test_short_values_are_one_entry():
    backend = MemoryKeyring()
    store = KeyringSecretStore("x", backend=backend)
    store.set("google.refresh_token", "1//abc")
    assert store.get("google.refresh_token") == "1//abc"
    assert list(backend._data) == [("receptionist-console:x", "google.refresh_token")]


def test_a_token_cache_bigger_than_a_windows_entry_round_trips():
    backend = WindowsSizedKeyring()
    store = KeyringSecretStore("x", backend=backend)
    cache = '{"AccessToken": {"k": "' + "e" * 3900 + '"}}'
    store.set("outlook.token_cache", cache)
    assert store.get("outlook.token_cache") == cache
    # rewriting with a shorter value leaves no stale parts behind
    store.set("outlook.token_cache", "{}")
    assert store.get("outlook.token_cache") == "{}"
    assert list(backend._data) == [("receptionist-console:x", "outlook.token_cache")]
    store.set("outlook.token_cache", cache)
    store.delete("outlook.token_cache")
    assert backend._data == {} and store.get("outlook.token_cache") is None


def test_a_missing_part_reads_as_missing_not_as_garbage():
    backend = MemoryKeyring()
    store = KeyringSecretStore("x", backend=backend)
    store.set("k", "v" * 2500)
    part = next(name for (_, name) in backend._data if name.startswith("k#"))
    backend.delete_password("receptionist-console:x", part)
    assert store.get("k") is None


@settings(max_examples=50)
@given(st.text(max_size=5000), st.text(max_size=5000))
def test_any_value_round_trips_and_overwrites_cleanly(first, second):
    backend = MemoryKeyring()
    store = KeyringSecretStore("x", backend=backend)
    store.set("k", first)
    store.set("k", second)
    assert store.get("k") == second
    assert len(backend._data) == (1 if len(second) <= store.CHUNK else 1 + -(-len(second) // store.CHUNK))


def test_namespaces_are_separate():
    backend = MemoryKeyring()
    a, b = KeyringSecretStore("a", backend=backend), KeyringSecretStore("b", backend=backend)
    a.set("k", "1")
    assert b.get("k") is None and a.get("k") == "1"


def test_no_keyring_on_this_machine_is_a_user_error_not_a_crash():
    import keyring.backends.fail

    from receptionist.errors import UserError

    store = KeyringSecretStore("x", backend=keyring.backends.fail.Keyring())
    with pytest.raises(UserError, match="OS keyring is not available.*Secret Service"):
        store.get("google.refresh_token")
    with pytest.raises(UserError):
        store.set("k", "v")
    assert store.writable() is False


def test_without_a_keyring_the_console_still_runs_and_says_why_calendars_are_off(tmp_path, capsys, monkeypatch):
    import keyring.backends.fail

    from receptionist.cli import main

    monkeypatch.setattr("keyring.get_keyring", lambda: keyring.backends.fail.Keyring())
    profile = tmp_path / "p.toml"
    profile.write_text("[google]\nenabled = true\nclient_id = 'x'\n")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["status", "--profile", str(profile), "--db", db]) == 0
    capsys.readouterr()
    assert main(["sync", "--once", "--profile", str(profile), "--db", db]) == 1
    import json

    assert "OS keyring is not available" in json.loads(capsys.readouterr().out)["not_connected"]["google:primary"]


def test_without_a_keyring_the_app_builds_and_refuses_calls_with_a_reason(tmp_path, monkeypatch):
    import keyring.backends.fail
    import requests

    from receptionist.app import App
    from receptionist.config import Profile
    from receptionist.providers.secrets import KeyringSecretStore

    app = App.build(Profile.from_dict({"ingest": {"port": 0}}), f"sqlite:///{tmp_path / 'x.db'}",
                    KeyringSecretStore("x", backend=keyring.backends.fail.Keyring()))
    app.start(sync=False)
    try:
        assert "OS keyring is not available" in app.problems["webhook"]
        r = requests.post(app.receiver.url, data=b"{}", timeout=5)
        assert r.status_code == 503 and "secret is not configured" in r.json()["error"]
    finally:
        app.stop()
