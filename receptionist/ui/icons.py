"""The application icon: the location's own icon when a per-location build baked one in (``build.py --icon``,
found by :func:`receptionist.paths.baked_icon`), else the console's (``resources/icons``: a PNG per size, painted
from the same shapes as the SVG)."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QIcon

from receptionist.paths import baked_icon, resource

SIZES = (16, 32, 48, 64, 128, 256)


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    baked = baked_icon()
    if baked is not None:
        icon = QIcon(str(baked))
        if not icon.isNull():
            return icon
    icon = QIcon()
    for size in SIZES:
        path = resource("icons", f"receptionist-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon
