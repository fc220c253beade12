"""keyring's own backend selection, in a fresh process without ``PYTHON_KEYRING_BACKEND`` (as on a desk):
the in-memory backend of the tests must never become the product's keyring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _desk_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "RECEPTIONIST_PROFILE")}
    env.update(PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "share"),
               RECEPTIONIST_DATA_DIR=str(tmp_path / "data"), RECEPTIONIST_LOG_DIR=str(tmp_path / "log"))
    return env


def _run(tmp_path, *args, stdin: str = "", env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "receptionist", *args], input=stdin, capture_output=True,
                          text=True, env=env or _desk_env(tmp_path), timeout=60)


def test_keyrings_own_selection_never_picks_the_memory_backend(tmp_path):
    code = ("import receptionist.providers.secrets, keyring; k = keyring.get_keyring(); "
            "print(type(k).__module__ + '.' + type(k).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_desk_env(tmp_path),
                         timeout=60).stdout.strip()
    assert "MemoryKeyring" not in out and out  # fail.Keyring here (no Secret Service)
    explicit = {**_desk_env(tmp_path), "PYTHON_KEYRING_BACKEND": "receptionist.providers.secrets.MemoryKeyring"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=explicit,
                         timeout=60).stdout.strip()
    assert out == "receptionist.providers.secrets.MemoryKeyring"  # only when asked for


def test_secret_set_without_a_usable_keyring_fails_with_a_sentence(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[location]\nid = "main-st"\nname = "Main St Dental"\n')
    done = _run(tmp_path, "secret", "set", "twilio.auth_token", "--profile", str(profile), stdin="s3cret\n")
    assert done.returncode == 2, done.stderr
    assert "stored" not in done.stdout
    err = done.stderr.strip()
    assert err.startswith("receptionist: the OS keyring is not available") and "Secret Service" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    doctor = _run(tmp_path, "doctor", "--profile", str(profile), "--db", f"sqlite:///{tmp_path / 'd.db'}")
    assert doctor.returncode == 1
    keyring_line = next(line for line in doctor.stdout.splitlines() if line.startswith("keyring:"))
    assert "MemoryKeyring" not in keyring_line and "NOT writable" in keyring_line
    assert "receptionist-console:main-st" in keyring_line
