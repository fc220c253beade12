"""Where files live: the package's own resources and migrations, and the user's data.

Resources and migrations sit at the top of the repository (``resources/``, ``migrations/``) and go inside the
package as ``receptionist/resources`` and ``receptionist/migrations`` (pyproject's ``package-dir``;
``packaging/build.py`` does the same for a PyInstaller bundle). An installed wheel or a bundle finds them there
with ``importlib.resources``; a checkout (run from the sources, or the editable install of
``scripts/bootstrap.sh``) uses its top-level folders.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "receptionist-console"


#: the folder holding the ``receptionist`` package: a checkout's root, or site-packages, or a bundle's _internal
_PARENT = Path(__file__).resolve().parent.parent


def _package_dir(name: str) -> Path:
    # A checkout: setuptools' editable finder maps receptionist.<name> to the top-level folder for imports only,
    # not for importlib.resources.files("receptionist"), so the folder is taken from the source tree itself.
    # Looked at first: a receptionist/<name>/ left over in a checkout (old __pycache__) must not win.
    if (_PARENT / "pyproject.toml").is_file() and (_PARENT / name).is_dir():
        return _PARENT / name
    # Alembic and Qt want real paths; wheels and one-folder bundles are unpacked on disk, so as_file is a no-op.
    traversable = resources.files("receptionist").joinpath(name)
    return Path(str(traversable))


def resource(*parts: str) -> Path:
    return _package_dir("resources").joinpath(*parts)


def migrations_dir() -> Path:
    return _package_dir("migrations")


BAKED_PROFILE = "baked-profile.toml"


def baked_profile() -> Path | None:
    """The location profile baked into a per-location build (``packaging/build.py`` writes it as
    ``receptionist/resources/baked-profile.toml``); ``None`` in a checkout or a plain wheel. The last place the
    profile lookup looks."""
    path = resource(BAKED_PROFILE)
    return path if path.is_file() else None


def baked_icon() -> Path | None:
    """The location's icon baked into a per-location build (``build.py --icon``: ``resources/baked-icon.<ext>``),
    for the window icon; ``None`` when the build has none."""
    for suffix in (".png", ".svg", ".ico", ".icns"):
        path = resource(f"baked-icon{suffix}")
        if path.is_file():
            return path
    return None


def data_dir() -> Path:
    override = os.environ.get("RECEPTIONIST_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


DB_FILE = "receptionist.db"
PROFILE_FILE = "profile.toml"
LOG_FILE = "receptionist.log"


def location_dir(location_id: str) -> Path:
    """``<data>/<location id>``: one folder per location, so several locations on one PC stay apart."""
    path = data_dir() / location_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def legacy_db_path() -> Path:
    """Where every location's database was before locations had ids (one shared file)."""
    return data_dir() / DB_FILE


def default_db_url(location_id: str | None = None) -> str:
    if location_id is None:
        return f"sqlite:///{legacy_db_path()}"
    return f"sqlite:///{location_dir(location_id) / DB_FILE}"


def user_profile_path() -> Path:
    """The profile setup and Settings write: ``<user config folder>/profile.toml``."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / PROFILE_FILE


def site_profile_path() -> Path:
    """A profile IT places for every user of the machine (e.g. /etc/xdg/…, C:\\ProgramData\\…)."""
    return Path(platformdirs.site_config_dir(APP_NAME, appauthor=False)) / PROFILE_FILE


def log_dir() -> Path:
    override = os.environ.get("RECEPTIONIST_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def adopt_legacy_db(location_id: str) -> Path | None:
    """Move the one shared database of a build before location ids into ``<data>/<id>/`` (with its -wal/-shm
    files), once, for a profile whose id is derived from its name; returns the new path when it moved.

    Renames within one folder tree are atomic per file and keep every byte, so nothing stored is lost."""
    old, new = legacy_db_path(), data_dir() / location_id / DB_FILE
    if not old.is_file() or new.exists():
        return None
    new.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", ""):  # the main file last: until it moves, the old place is still complete
        companion = old.with_name(old.name + suffix)
        if companion.exists():
            os.replace(companion, new.with_name(new.name + suffix))
    return new
