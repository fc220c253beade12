"""No secret, token or code reaches a log line or an output, at any level: a verbose (-v) sign-in to Google and
Outlook, an intake of a signed delivery and a sync cycle, run through the command line against the stand-ins,
and every line of the log file and of the terminal scanned for each secret the keyring holds (the tokens inside
the msal cache too) and for the authorization codes Google's stand-in issued."""

import json
from urllib.parse import quote

import pytest

from receptionist import logs
from receptionist.cli import main
from receptionist.providers.secrets import MemoryKeyring, location_secret_store
from tests.helpers.payloads import payload, signed

pytestmark = pytest.mark.e2e
KEYS = ("google.refresh_token", "google.client_secret", "outlook.token_cache", "twilio.auth_token",
        "ingest.webhook_secret")


def _browser_that_consents(url: str) -> bool:
    import requests

    requests.get(url, timeout=10)
    return True


def _secrets_held(store) -> set[str]:
    held = set()
    for key in KEYS:
        value = store.get(key)
        assert value, key
        held.add(value)
        if value.startswith("{"):  # the msal cache: its access and refresh tokens one by one
            for section in json.loads(value).values():
                if isinstance(section, dict):
                    held.update(item["secret"] for item in section.values() if isinstance(item, dict)
                                and len(item.get("secret") or "") >= 8)
    return held


def test_a_verbose_sign_in_intake_and_sync_log_no_secret(db_url, tmp_path, capsys, monkeypatch):
    from receptionist_sandbox.stack import SandboxStack

    backend = MemoryKeyring()
    monkeypatch.setattr("keyring.get_keyring", lambda: backend)
    monkeypatch.setattr("webbrowser.open", _browser_that_consents)
    with SandboxStack() as stack:
        stack.microsoft.device_code_interval = 0
        profile = stack.profile()
        path = tmp_path / "desk.toml"
        path.write_text(profile.to_toml())
        store = location_secret_store(profile.location)
        store.set("google.client_secret", stack.google.client_secret)
        store.set("twilio.auth_token", stack.twilio.auth_token)
        store.set("ingest.webhook_secret", "whsec-0123456789abcdef")
        common = ["--profile", str(path), "--db", db_url, "-v"]
        assert main(["connect", "google", *common]) == 0
        assert main(["connect", "outlook", "--device-code", *common]) == 0
        raw, headers = signed(payload(call_id="no-secrets-1"), "whsec-0123456789abcdef")
        (tmp_path / "body.json").write_bytes(raw)
        (tmp_path / "headers.json").write_text(json.dumps(headers))
        assert main(["ingest", str(tmp_path / "body.json"), "--platform", "generic", "--headers",
                     str(tmp_path / "headers.json"), *common]) == 0
        assert main(["sync", "--once", *common]) in (0, 1)
        # every authorization code the consent page handed out, as it is and as it travels in a URL
        codes = {form for code in stack.google._codes for form in (code, quote(code, safe=""))}
    out = capsys.readouterr()
    held = _secrets_held(store) | {headers[k] for k in headers if "signature" in k.lower()}
    assert codes and len(held) > len(KEYS)
    lines = logs.log_file().read_text(encoding="utf-8").splitlines() + out.out.splitlines() + out.err.splitlines()
    assert any("DEBUG" in line for line in lines)  # it was verbose
    leaks = [(line[:120], "…") for line in lines for secret in held | codes if secret in line]
    assert leaks == []


def test_sandbox_provision_prints_no_part_of_a_secret(tmp_path):
    """``sandbox --provision`` says it stored the secrets, and shows none of them, not even their first characters."""
    import os
    import signal
    import subprocess
    import sys

    keyring_file = tmp_path / "keyring.json"
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "tests.helpers.file_keyring.FileKeyring",
           "RECEPTIONIST_TEST_KEYRING": str(keyring_file)}
    with subprocess.Popen([sys.executable, "-m", "receptionist.cli", "sandbox", "--provision"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            for line in proc.stdout:
                if line.startswith("api_base") and "synthflow" in line:  # the profile's last section: provisioned
                    break
        finally:
            proc.send_signal(signal.SIGINT)
            err = proc.communicate(timeout=20)[1]
    assert proc.returncode in (0, 130), err[-2000:]  # 130: Ctrl-C came before the wait began
    stored = json.loads(keyring_file.read_text())
    webhook = next(v for k, v in stored.items() if k.endswith("\ningest.webhook_secret"))
    assert "keyring provisioned" in err
    values = [v for v in stored.values() if len(v) >= 8 and not v.startswith("receptionist-chunked:")]
    assert webhook[:4] not in err and not [v for v in values if v[:8] in err]
