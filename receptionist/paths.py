"""Where files live: the repository's resources/migrations (dev and installed-from-source) and user data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "receptionist-console"


def project_root() -> Path:
    """The folder holding ``resources/`` and ``migrations/`` (a PyInstaller bundle unpacks them to _MEIPASS)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def resource(*parts: str) -> Path:
    return project_root().joinpath("resources", *parts)


def migrations_dir() -> Path:
    return project_root() / "migrations"


def data_dir() -> Path:
    override = os.environ.get("RECEPTIONIST_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'receptionist.db'}"
