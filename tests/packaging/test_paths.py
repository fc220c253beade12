"""receptionist.paths: the package's own files in a checkout and once installed; the baked profile only where a
per-location build put it."""

from pathlib import Path

from receptionist import paths


def test_no_baked_profile_in_a_checkout():
    assert paths.baked_profile() is None


def test_baked_profile_found_inside_the_resources(tmp_path, monkeypatch):
    (tmp_path / "resources").mkdir()
    baked = tmp_path / "resources" / "baked-profile.toml"
    baked.write_text('[location]\nname = "Lakeside Dental"\n', encoding="utf-8")
    monkeypatch.setattr(paths, "_package_dir", lambda name: tmp_path / name)

    assert paths.baked_profile() == baked


def test_baked_icon(tmp_path, monkeypatch):
    (tmp_path / "resources").mkdir()
    monkeypatch.setattr(paths, "_package_dir", lambda name: tmp_path / name)
    assert paths.baked_icon() is None
    icon = tmp_path / "resources" / "baked-icon.png"
    icon.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert paths.baked_icon() == icon


def test_a_checkout_uses_its_top_level_folders():
    root = Path(__file__).resolve().parents[2]
    assert paths.resource("style", "console.qss") == root / "resources" / "style" / "console.qss"
    assert paths.migrations_dir() == root / "migrations"
    assert paths.resource("style", "console.qss").is_file()
    assert (paths.migrations_dir() / "alembic.ini").is_file()


def test_installed_uses_the_copy_inside_the_package(tmp_path, monkeypatch):
    # site-packages: no pyproject.toml next to the package; another distribution's top-level resources/ is not ours
    monkeypatch.setattr(paths, "_PARENT", tmp_path)
    (tmp_path / "resources").mkdir()
    package = Path(paths.__file__).resolve().parent
    assert paths.resource("style", "console.qss") == package / "resources" / "style" / "console.qss"
    assert paths.migrations_dir() == package / "migrations"
