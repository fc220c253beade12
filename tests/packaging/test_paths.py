"""receptionist.paths: the baked profile is found only where a per-location build put it."""

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
