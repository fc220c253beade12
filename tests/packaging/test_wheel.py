"""The wheel as an installer gets it: built from the tracked sources, installed (not editable) into a fresh
virtualenv, and run from outside the checkout: ``db upgrade``, ``status --json`` and the demo. The top-level
``resources/`` and ``migrations/`` must be inside it as ``receptionist/resources`` and ``receptionist/migrations``
(pyproject's package-dir), and the installed app must use those copies.

Slow (about 1–2 minutes: the fresh venv installs every dependency): marked ``packaging``, deselected by default,
run by its own step in ``.ci/run`` (``pytest -m packaging``).
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import venv
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from receptionist.store.tables import Base

ROOT = Path(__file__).resolve().parents[2]
# The newest migration of the tree under test: what a fresh database is upgraded to.
HEAD = max(re.findall(r"^revision = .(\w+).$", "".join(
    p.read_text(encoding="utf-8") for p in (ROOT / "migrations" / "versions").glob("*.py")), re.M))
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

MUST_CARRY = [
    "receptionist/resources/icons/receptionist.svg",
    "receptionist/resources/icons/receptionist-16.png",
    "receptionist/resources/icons/receptionist-256.png",
    "receptionist/resources/profiles/example.toml",
    "receptionist/resources/schema/booking-payload-v1.json",
    "receptionist/resources/schema/booking-payload-v2.json",
    "receptionist/resources/style/console.qss",
    "receptionist/migrations/alembic.ini",
    "receptionist/migrations/env.py",
    "receptionist/migrations/script.py.mako",
    "receptionist/migrations/versions/0001_initial_schema.py",
    "receptionist_sandbox/__init__.py",
    "receptionist_sandbox/demo.py",
    "receptionist_sandbox/stack.py",
]


def _tracked(*paths: str) -> list[str]:
    return subprocess.run(["git", "ls-files", *paths], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.split()


def _tracked_copy(dest: Path) -> Path:
    """The sources as git has them (no build/, egg-info or caches of this checkout leak into the wheel)."""
    files = _tracked("pyproject.toml", "README.md", "receptionist", "receptionist_sandbox", "migrations", "resources")
    assert files, "git ls-files found nothing"
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = _tracked_copy(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)], check=True,
                   capture_output=True, text=True)
    wheels = list(out.glob("receptionist_console-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv (no system site-packages, nothing of the checkout) with the wheel installed."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                   check=True, capture_output=True, text=True)
    return home


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "RECEPTIONIST_DB", "VIRTUAL_ENV"}}
    env.update(QT_QPA_PLATFORM="offscreen", RECEPTIONIST_DATA_DIR=str(tmp / "data"), HOME=str(tmp / "home"),
               XDG_CONFIG_HOME=str(tmp / "home" / ".config"), XDG_DATA_HOME=str(tmp / "home" / ".local" / "share"),
               # keyring's in-memory backend of the product (no Secret Service on CI)
               PYTHON_KEYRING_BACKEND="receptionist.providers.secrets.MemoryKeyring")
    return env


def _run(home: Path, tmp: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    exe = home / ("Scripts/receptionist.exe" if os.name == "nt" else "bin/receptionist")
    return subprocess.run([str(exe), *args], cwd=tmp, env=_env(tmp), capture_output=True, text=True,
                          timeout=timeout)


def test_wheel_carries_resources_migrations_and_sandbox(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
    missing = [name for name in MUST_CARRY if name not in names]
    assert not missing, f"the wheel lacks {missing}"
    # Every file of the top-level folders, at its place inside the package (a new migration or icon included).
    top_level = _tracked("migrations", "resources")
    assert any(name.startswith("migrations/versions/") for name in top_level)
    packaged = {f"receptionist/{name}" for name in top_level}
    assert not packaged - names, f"the wheel lacks {sorted(packaged - names)}"
    assert not any(name.startswith(("migrations/", "resources/")) for name in names), "top-level copies in the wheel"
    assert sum(name.startswith("receptionist/migrations/versions/") for name in names) == len(
        list((ROOT / "migrations" / "versions").glob("*.py")))
    assert not any(name.startswith(("tests/", "bench/", "packaging/")) for name in names)
    assert not any("__pycache__" in name for name in names)
    requires = [r.split(";")[0].replace(" ", "") for r in metadata.get_all("Requires-Dist")]
    base = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert any(r.startswith("PySide6-Essentials") and "<6.12" in r for r in requires)
    assert not any(r.lower().startswith(("pyside6-addons", "pyside6>", "pyside6=", "pyside6<")) for r in base)
    assert any(r.startswith("truststore") for r in base)


def test_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    python = installed / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    probe = subprocess.run(
        [str(python), "-c", "import receptionist, receptionist_sandbox, receptionist.paths as p; "
                            "print(receptionist.__file__); print(p.resource('profiles', 'example.toml')); "
                            "print(p.migrations_dir())"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, check=True)
    where, profile, migrations = (Path(line).resolve() for line in probe.stdout.splitlines())
    package = where.parent
    assert package.is_relative_to(installed.resolve()) and not package.is_relative_to(ROOT)
    assert profile == package / "resources" / "profiles" / "example.toml" and profile.is_file()
    assert migrations == package / "migrations" and (migrations / "alembic.ini").is_file()
    # Qt Addons are not installed, and nothing needs them.
    addons = subprocess.run([str(python), "-m", "pip", "show", "PySide6-Addons"], capture_output=True, text=True)
    assert addons.returncode != 0


DESK_PROFILE = """
[location]
name = "Wheel Test Dental"
time_zone = "America/Denver"

[ingest]
port = 0
"""


def test_db_upgrade_then_status_json(installed, tmp_path):
    """Run from a temporary folder with the wheel's own migrations: a new SQLite file gets every table."""
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    profile = tmp_path / "desk.toml"
    profile.write_text(DESK_PROFILE, encoding="utf-8")

    upgraded = _run(installed, tmp_path, "db", "upgrade", "--db", db)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "→" in upgraded.stdout and HEAD in upgraded.stdout
    with closing(sqlite3.connect(tmp_path / "desk.db")) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert set(Base.metadata.tables) <= tables, f"missing tables: {set(Base.metadata.tables) - tables}"
    assert version == [(HEAD,)]

    again = _run(installed, tmp_path, "db", "status", "--db", db)
    assert again.returncode == 0, again.stderr
    assert HEAD in again.stdout

    status = _run(installed, tmp_path, "status", "--json", "--profile", str(profile), "--db", db)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["location"] == "Wheel Test Dental" and report["time_zone"] == "America/Denver"
    assert report["appointments"] == [] and report["calendars"] == {}  # none enabled in this profile


def test_demo_runs_and_quits(installed, tmp_path):
    shot = tmp_path / "demo.png"

    demo = _run(installed, tmp_path, "--demo", "--demo-interval", "1:2", "--quit-after", "5", "--screenshot",
                str(shot), timeout=180)

    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Traceback" not in demo.stderr
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
