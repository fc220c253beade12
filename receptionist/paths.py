"""Where files live: the package's own resources and migrations, and the user's data.

Resources and migrations are inside the package (``receptionist/resources``, ``receptionist/migrations``) so a
wheel or a PyInstaller bundle carries them; they are found with ``importlib.resources``, never relative to a
checkout.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "receptionist-console"


def _package_dir(name: str) -> Path:
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


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'receptionist.db'}"
