"""The application icon (``resources/icons``): a PNG per size, painted from the same shapes as the SVG."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QIcon

from receptionist.paths import resource

SIZES = (16, 32, 48, 64, 128, 256)


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    icon = QIcon()
    for size in SIZES:
        path = resource("icons", f"receptionist-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon
