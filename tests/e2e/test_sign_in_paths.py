"""Any successful sign-in, by any path, puts its calendar back in service at once: ``receptionist connect`` run
in another command while the desk runs, and a new Google sign-in stored in the keyring. The desk and the command
share one OS keyring (the in-memory backend) and one database, as on a real machine."""

from datetime import datetime, timezone

import pytest

from receptionist.app import App
from receptionist.cli import main
from receptionist.domain.models import SyncState
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from tests.e2e.test_two_way import approve, links
from tests.helpers.fakes import FakeClock

pytestmark = pytest.mark.e2e
G, O = "google:primary", "outlook:default"


def _browser_that_consents(url: str) -> bool:
    import requests

    requests.get(url, timeout=10)
    return True


@pytest.fixture
def desk(stack, db_url, tmp_path, monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr("keyring.get_keyring", lambda: backend)
    monkeypatch.setattr("webbrowser.open", _browser_that_consents)
    stack.google.faults.clear()
    stack.microsoft.faults.clear()
    profile = stack.profile()
    path = tmp_path / "desk.toml"
    path.write_text(profile.to_toml())
    secrets = location_secret_store(profile.location)
    stack.provision(profile, secrets)
    app = App.build(profile, db_url, secrets, with_receiver=False, clock=FakeClock(datetime.now(timezone.utc)))
    yield app, str(path), secrets
    app.stop()


def gate(app, key):
    return app.store.health.of(key).gate


def test_connect_outlook_from_the_command_line_reopens_the_running_desks_calendar(stack, desk, db_url, capsys):
    app, path, _ = desk
    first = approve(app, 20)
    assert app.scheduler.run_once().ok
    stack.microsoft.revoke_refresh_tokens()
    stack.microsoft.expire_access_tokens()
    second = approve(app, 21)
    app.scheduler.run_once()
    assert gate(app, O) == "reconnect" and links(app, second.id)[O].state is SyncState.RECONNECT
    assert main(["connect", "outlook", "--device-code", "--profile", path, "--db", db_url]) == 0
    assert f"{O} is back in service" in capsys.readouterr().out
    assert gate(app, O) == "open"  # every desk's pill, at once
    report = app.scheduler.run_once()  # the same minute: no 5-minute probe to wait for
    assert links(app, second.id)[O].state is SyncState.SYNCED, links(app, second.id)[O].last_error
    assert report.ok and links(app, first.id)[O].state is SyncState.SYNCED


def test_a_new_google_sign_in_stored_in_the_keyring_is_used_at_the_next_cycle(stack, desk):
    app, _, secrets = desk
    old = secrets.get("google.refresh_token")
    for token in stack.google.refresh_tokens():
        stack.google.revoke_refresh_token(token)
    appt = approve(app, 22)
    app.scheduler.run_once()
    assert gate(app, G) == "reconnect" and links(app, appt.id)[G].state is SyncState.RECONNECT
    # one sentence, one piece of advice; Google's own answer (a tuple with a dict in it) goes to the log only
    assert app.store.health.of(G).pause_reason == ("Google Calendar refused the stored sign-in: sign in again "
                                                   "(Reconnect… in the window, or `receptionist connect google`)")
    stack.provision(app.profile, secrets)  # a person signed in again elsewhere: a new grant in the keyring
    assert secrets.get("google.refresh_token") != old
    app.scheduler.run_once()
    assert gate(app, G) == "open" and links(app, appt.id)[G].state is SyncState.SYNCED, links(app, appt.id)[G].last_error
