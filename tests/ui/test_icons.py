"""The window icon: a per-location build's baked icon when there is one, else the console's own."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPixmap

from receptionist import paths
from receptionist.ui import icons

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def fresh_icon():
    icons.app_icon.cache_clear()
    yield
    icons.app_icon.cache_clear()


def test_a_location_build_shows_its_baked_icon(qtbot, tmp_path, monkeypatch):
    (tmp_path / "resources").mkdir()
    baked = QPixmap(32, 32)
    baked.fill(QColor("#ff0000"))
    assert baked.save(str(tmp_path / "resources" / "baked-icon.png"))
    monkeypatch.setattr(paths, "_package_dir", lambda name: tmp_path / name)

    shown = icons.app_icon().pixmap(32, 32).toImage()
    assert QColor(shown.pixel(16, 16)) == QColor("#ff0000")


def test_without_a_baked_icon_the_window_shows_the_consoles(qtbot):
    assert paths.baked_icon() is None
    icon = icons.app_icon()
    assert not icon.isNull()
    assert len(icon.availableSizes()) == len(icons.SIZES)
