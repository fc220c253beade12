"""The version of this build, from the installed package's metadata (``pyproject.toml`` is the one source)."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "receptionist-console"


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a checkout on PYTHONPATH without `pip install -e .`
        return "0+unknown"
