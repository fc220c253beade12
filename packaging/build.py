#!/usr/bin/env python3
"""Build Receptionist Console for one business location: profile → PyInstaller one-folder bundle → archive.

    python packaging/build.py --profile LOCATION.toml --out DIR [--name NAME] [--icon FILE] [--sandbox]

Run it with the Python of a virtualenv that has the app and the ``packaging`` extra installed
(``pip install -e ".[packaging]"``), on the OS you build for (PyInstaller does not cross-compile):

- the location profile is checked, then baked in as ``receptionist/resources/baked-profile.toml`` (read through
  ``receptionist.paths.baked_profile()``: the last place the profile lookup looks, so a desk works with no
  ``--profile`` and an IT-managed or user profile still wins);
- a spec is generated in ``DIR/work/NAME.spec``: only the Qt plugins the console needs, no Qt translations, no
  QtQml/QtQuick/QtWebEngine/QtMultimedia/QtPdf, only the Calendar v3 discovery document of
  googleapiclient, and no ``receptionist_sandbox`` unless ``--sandbox`` (demo mode) is given;
- Linux: ``DIR/NAME/NAME`` and ``DIR/NAME-<version>-linux-<arch>.tar.gz`` (with a ``.desktop`` file);
  Windows: ``NAME.exe`` (windowed) and ``NAME-cli.exe`` (console, for the command line) in ``DIR/NAME/``, a zip,
  and ``DIR/NAME.iss`` filled from ``packaging/windows/receptionist.iss.in`` for Inno Setup;
  macOS: ``DIR/NAME.app`` with bundle id ``com.<vendor>.receptionist.<location-id>``, a zip, and
  ``packaging/macos/make-dmg.sh`` to make the dmg (after signing; see packaging/README.md).

The last line printed is the path of the built executable (the console one on Windows).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
DEFAULT_VENDOR = "receptionistconsole"

# Qt plugins kept, by folder under PySide6/Qt/plugins; everything else is dropped. PNG is built into QtGui.
QT_PLUGINS = {
    "platforms": {"linux": ["xcb", "offscreen", "wayland", "wayland-egl", "minimal"],
                  "win32": ["windows", "offscreen", "minimal"],
                  "darwin": ["cocoa", "offscreen", "minimal"]},
    "imageformats": ["ico", "svg"],
    "iconengines": ["svgicon"],
    "platformthemes": ["xdgdesktopportal"],  # no gtk3: it pulls GTK, cairo, pango (~15 MB) for no visible gain
    "platforminputcontexts": ["compose", "ibus"],
    "xcbglintegrations": ["xcb-egl", "xcb-glx"],
    "wayland-shell-integration": ["xdg-shell"],
    "wayland-graphics-integration-client": ["wayland-egl"],
    "wayland-decoration-client": ["bradient"],
    "styles": ["modernwindowsstyle", "windowsvistastyle", "macstyle"],
}
# Qt libraries no part of the console uses (pulled in by plugins or hooks otherwise).
QT_LIBS_DROPPED = ["Qt6Qml", "Qt6Quick", "Qt6WebEngine", "Qt6WebChannel", "Qt6WebSockets", "Qt6Multimedia",
                   "Qt6Pdf", "Qt6VirtualKeyboard", "Qt63D", "Qt6Charts", "Qt6DataVisualization",
                   "Qt6Positioning", "Qt6Sensors", "Qt6SerialPort", "Qt6Sql", "Qt6Test", "Qt6Designer",
                   "Qt6Help", "Qt6ShaderTools", "Qt6Quick3D", "Qt6Location", "Qt6Bluetooth", "Qt6Nfc",
                   "Qt6RemoteObjects", "Qt6Scxml", "Qt6SpatialAudio", "Qt6TextToSpeech", "Qt6HttpServer"]
# Python modules never needed in a bundle (PyInstaller would follow them from optional imports).
# QtNetwork stays (one console per location: QLocalServer); numpy, QtOpenGL and QtSvg stay for pyqtgraph (the
# owners' conversion chart).
EXCLUDED_MODULES = ["tkinter", "pydoc_data", "test", "pytest", "_pytest", "hypothesis", "pytestqt",
                    "IPython", "matplotlib", "PIL", "PySide6.QtQml", "PySide6.QtQuick",
                    "PySide6.QtWebEngineCore", "PySide6.QtMultimedia", "PySide6.QtCharts",
                    "PySide6.QtPdf", "PySide6.QtTest", "psycopg", "psycopg2"]
CALENDAR_DISCOVERY = "calendar.v3.json"


class BuildError(Exception):
    pass


# ------------------------------------------------------------------------------------------------ inputs
def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "location"


def read_profile(path: Path) -> dict:
    """Check the profile the way the app reads it and return what the build needs from it."""
    sys.path.insert(0, str(ROOT))
    from receptionist.config import Profile  # the app's own reader: a profile it refuses is never baked in
    from receptionist.errors import UserError

    try:
        profile = Profile.load(path)
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UserError, OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"location profile refused: {exc}") from exc
    name = profile.location.name
    location_id = getattr(profile.location, "id", "") or raw.get("location", {}).get("id") or slug(name)
    return {"name": name, "id": slug(str(location_id)), "text": path.read_text(encoding="utf-8")}


def app_version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"]["version"]


def target_platform() -> str:
    return {"win32": "win32", "darwin": "darwin"}.get(sys.platform, "linux")


# ------------------------------------------------------------------------------------------------ spec
SPEC_TEMPLATE = r'''# Generated by packaging/build.py for {display_name!r}: do not edit, build again.
import fnmatch
from PyInstaller.utils.hooks import collect_submodules, copy_metadata

ROOT = {root!r}
PLATFORM = {platform!r}
QT_PLUGINS = {qt_plugins!r}
QT_LIBS_DROPPED = {qt_libs_dropped!r}

hiddenimports = collect_submodules("receptionist") + [
    "keyring.backends.SecretService", "keyring.backends.Windows", "keyring.backends.macOS",
    "keyring.backends.kwallet", "keyring.backends.libsecret", "keyring.backends.chainer", "keyring.backends.fail",
    "keyring.backends.null", "sqlalchemy.dialects.sqlite", "logging.config",
]
if {sandbox!r}:
    hiddenimports += collect_submodules("receptionist_sandbox")

# resources/ and migrations/ sit at the top of the repository and go inside the package, as in the wheel
# (pyproject's package-dir): receptionist.paths finds them there.
datas = [
    (ROOT + "/resources", "receptionist/resources"),
    (ROOT + "/migrations/alembic.ini", "receptionist/migrations"),
    (ROOT + "/migrations/env.py", "receptionist/migrations"),
    (ROOT + "/migrations/script.py.mako", "receptionist/migrations"),
    (ROOT + "/migrations/versions/*.py", "receptionist/migrations/versions"),
    ({baked_profile!r}, "receptionist/resources"),
    ({calendar_discovery!r}, "googleapiclient/discovery_cache/documents"),
]
{icon_data}
for dist in ("receptionist-console", "google-api-python-client", "twilio", "keyring", "msal", "APScheduler"):
    try:
        datas += copy_metadata(dist)
    except Exception:  # not installed as a distribution (a plain checkout): --version falls back
        pass

a = Analysis(
    [ROOT + "/main.py"],
    pathex=[ROOT],
    binaries=[],
    datas=datas,
    hiddenimports=hiddenimports,
    excludes={excludes!r},
    noarchive=False,
)


def _qt_plugin_kept(dest):
    parts = dest.replace("\\", "/").split("/")
    if "plugins" not in parts or "PySide6" not in parts:
        return True
    i = parts.index("plugins")
    if len(parts) < i + 3:
        return True
    folder, filename = parts[i + 1], parts[-1]
    wanted = QT_PLUGINS.get(folder)
    if isinstance(wanted, dict):
        wanted = wanted.get(PLATFORM, [])
    if not wanted:
        return False
    stem = filename.split(".")[0]
    for prefix in ("libq", "q", "lib"):
        if stem.startswith(prefix) and stem[len(prefix):] in wanted:
            return True
    return stem in wanted


def _kept(entry):
    dest = entry[0].replace("\\", "/")
    name = dest.rsplit("/", 1)[-1]
    if "/discovery_cache/documents/" in "/" + dest and name != {calendar_name!r}:
        return False  # 110 MB of discovery documents; the app uses Calendar v3 only
    if "PySide6/Qt/translations/" in dest or "PySide6/translations/" in dest:
        return False  # the console's text is US English
    if any(lib in name or lib.replace("Qt6", "Qt", 1) + ".framework/" in dest for lib in QT_LIBS_DROPPED):
        return False  # Qt6Pdf.dll, libQt6Pdf.so.6, QtPdf.framework/...
    if not {sandbox!r} and (dest.startswith("receptionist_sandbox/") or "/receptionist_sandbox/" in dest):
        return False
    return _qt_plugin_kept(dest)


a.binaries = [entry for entry in a.binaries if _kept(entry)]
a.datas = [entry for entry in a.datas if _kept(entry)]

if PLATFORM == "linux":
    # The system libraries that only the dropped plugins needed (GTK, pango, cairo for the gtk3 theme, ...) are
    # still in the list: keep a top-level shared library only if something kept links against it (ldd's closure).
    import os.path
    from PyInstaller.depend.bindepend import get_imports

    def _system_lib(entry):
        dest = entry[0].replace("\\", "/")
        return "/" not in dest and dest.startswith("lib") and ".so" in dest and "libpython" not in dest

    needed = set()
    for dest, src, _kind in a.binaries:
        if not _system_lib((dest, src, _kind)):
            needed.update(os.path.basename(name) for name, _path in get_imports(src))
    a.binaries = [entry for entry in a.binaries if not _system_lib(entry) or entry[0] in needed]
if not {sandbox!r}:
    a.pure = [entry for entry in a.pure if not entry[0].startswith("receptionist_sandbox")]

pyz = PYZ(a.pure)

executables = []
if PLATFORM == "win32":
    # Windowed for the desk (no console window flashes up), console for the command line and scripts.
    executables.append(EXE(pyz, a.scripts, [], exclude_binaries=True, name={name!r}, console=False,
                           icon={icon!r}, version={version_file!r}, upx=False))
    executables.append(EXE(pyz, a.scripts, [], exclude_binaries=True, name={cli_name!r}, console=True,
                           icon={icon!r}, version={version_file!r}, upx=False))
else:
    executables.append(EXE(pyz, a.scripts, [], exclude_binaries=True, name={name!r}, console=True,
                           icon={icon!r}, upx=False, strip=False))

coll = COLLECT(*executables, a.binaries, a.datas, strip=False, upx=False, name={name!r})

if PLATFORM == "darwin":
    app = BUNDLE(
        coll,
        name={name!r} + ".app",
        icon={icon!r},
        bundle_identifier={bundle_id!r},
        version={version!r},
        info_plist={info_plist!r},
    )
'''


def write_spec(*, work: Path, name: str, display_name: str, profile: dict, icon: Path | None, sandbox: bool,
               bundle_id: str, version: str, plat: str) -> Path:
    import googleapiclient

    documents = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
    calendar = documents / CALENDAR_DISCOVERY
    if not calendar.is_file():
        raise BuildError(f"googleapiclient has no {CALENDAR_DISCOVERY} in {documents}")
    baked = work / "baked" / "baked-profile.toml"
    baked.parent.mkdir(parents=True, exist_ok=True)
    baked.write_text(profile["text"], encoding="utf-8")
    icon_data = ""
    if icon is not None:
        # Also inside the package, for the window icon (receptionist.paths.baked_icon()).
        icon_copy = work / "baked" / f"baked-icon{icon.suffix.lower()}"
        shutil.copyfile(icon, icon_copy)
        icon_data = f"datas.append(({str(icon_copy)!r}, 'receptionist/resources'))"
    version_file = None
    if plat == "win32":
        version_file = str(write_windows_version(work, name, display_name, version))
    spec = SPEC_TEMPLATE.format(
        root=str(ROOT), platform=plat, qt_plugins=QT_PLUGINS, qt_libs_dropped=QT_LIBS_DROPPED,
        sandbox=sandbox, baked_profile=str(baked), calendar_discovery=str(calendar), calendar_name=CALENDAR_DISCOVERY,
        icon_data=icon_data, excludes=EXCLUDED_MODULES + ([] if sandbox else ["receptionist_sandbox"]),
        name=name, cli_name=f"{name}-cli", icon=str(icon) if icon else None, version_file=version_file,
        bundle_id=bundle_id, version=version, display_name=display_name,
        info_plist=info_plist(display_name, bundle_id, version, profile),
    )
    path = work / f"{name}.spec"
    path.write_text(spec, encoding="utf-8")
    return path


def info_plist(display_name: str, bundle_id: str, version: str, profile: dict) -> dict:
    template = json.loads((PACKAGING / "macos" / "Info.plist.json").read_text(encoding="utf-8"))
    values = {"display_name": display_name, "bundle_id": bundle_id, "version": version,
              "location_name": profile["name"], "location_id": profile["id"]}
    return {key: value.format(**values) if isinstance(value, str) else value for key, value in template.items()}


def write_windows_version(work: Path, name: str, display_name: str, version: str) -> Path:
    numbers = [int(part) for part in re.findall(r"\d+", version)[:4]] + [0, 0, 0, 0]
    tup = tuple(numbers[:4])
    text = f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={tup}, prodvers={tup}, mask=0x3f, flags=0x0, OS=0x40004, fileType=0x1,
                    subtype=0x0, date=(0, 0)),
  kids=[StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'Receptionist Console'),
      StringStruct('FileDescription', {display_name!r}),
      StringStruct('FileVersion', {version!r}),
      StringStruct('InternalName', {name!r}),
      StringStruct('OriginalFilename', {name + '.exe'!r}),
      StringStruct('ProductName', {display_name!r}),
      StringStruct('ProductVersion', {version!r})])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])]
)
"""
    path = work / "version-info.txt"
    path.write_text(text, encoding="utf-8")
    return path


def write_inno_script(out: Path, *, name: str, display_name: str, version: str, profile: dict,
                      icon: Path | None, vendor: str) -> Path:
    template = (PACKAGING / "windows" / "receptionist.iss.in").read_text(encoding="utf-8")
    values = {
        "APP_ID": f"com.{vendor}.receptionist.{profile['id']}",
        "APP_NAME": display_name,
        "APP_VERSION": version,
        "NAME": name,
        "LOCATION_ID": profile["id"],
        "SOURCE_DIR": str(out / name),
        "OUTPUT_DIR": str(out),
        "SETUP_ICON_LINE": f"SetupIconFile={icon}" if icon and icon.suffix.lower() == ".ico" else "",
    }
    text = re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], template)
    path = out / f"{name}.iss"
    path.write_text(text, encoding="utf-8")
    return path


def write_desktop_file(folder: Path, name: str, display_name: str, icon: Path | None) -> None:
    lines = ["[Desktop Entry]", "Type=Application", f"Name={display_name}", f"Exec={name}",
             "Categories=Office;", "Terminal=false"]
    if icon is not None:
        lines.append(f"Icon=_internal/receptionist/resources/baked-icon{icon.suffix.lower()}")
    (folder / f"{name}.desktop").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------------------ archive
def make_archive(out: Path, name: str, version: str, plat: str) -> Path:
    arch = platform.machine().lower() or "unknown"
    label = {"win32": "windows", "darwin": "macos", "linux": "linux"}[plat]
    base = out / f"{name}-{version}-{label}-{arch}"
    if plat == "linux":
        archive = base.parent / f"{base.name}.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            tar.add(out / name, arcname=name)
        return archive
    if plat == "darwin" and shutil.which("ditto"):
        archive = base.parent / f"{base.name}.zip"  # ditto keeps the framework symlinks a signed .app needs
        subprocess.run(["ditto", "-c", "-k", "--keepParent", str(out / f"{name}.app"), str(archive)], check=True)
        return archive
    source = out / (f"{name}.app" if plat == "darwin" else name)
    return Path(shutil.make_archive(str(base), "zip", root_dir=out, base_dir=source.name))


def folder_stats(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


# ------------------------------------------------------------------------------------------------ main
def build(args: argparse.Namespace) -> Path:
    profile_path = Path(args.profile).resolve()
    out = Path(args.out).resolve()
    profile = read_profile(profile_path)
    plat = target_platform()
    name = args.name or f"receptionist-{profile['id']}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise BuildError(f"--name {name!r}: letters, digits, '.', '_' and '-' only (it names files)")
    display_name = f"Receptionist Console – {profile['name']}"
    icon = Path(args.icon).resolve() if args.icon else None
    if icon is not None and not icon.is_file():
        raise BuildError(f"--icon {icon} does not exist")
    version = app_version()
    vendor = slug(args.vendor).replace("-", "")
    bundle_id = f"com.{vendor}.receptionist.{profile['id']}"
    try:
        import PyInstaller.__main__  # noqa: F401
    except ImportError as exc:
        raise BuildError("PyInstaller is not installed in this Python: pip install -e \".[packaging]\"") from exc

    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    for stale in (out / name, out / f"{name}.app"):
        if stale.exists():
            shutil.rmtree(stale)
    spec = write_spec(work=work, name=name, display_name=display_name, profile=profile, icon=icon,
                      sandbox=args.sandbox, bundle_id=bundle_id, version=version, plat=plat)
    print(f"==> {display_name}: {spec}", flush=True)
    started = time.monotonic()
    # No --clean: PyInstaller's binary cache (~/.cache/pyinstaller) is reused by the next build; the work folder is
    # this build's own.
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", args.log_level,
               "--distpath", str(out), "--workpath", str(work / "pyinstaller"), str(spec)]
    result = subprocess.run(command, cwd=str(work))
    if result.returncode != 0:
        raise BuildError(f"PyInstaller failed (exit {result.returncode})")
    folder = out / name
    if plat == "linux":
        write_desktop_file(folder, name, display_name, icon)
    if plat == "win32":
        iss = write_inno_script(out, name=name, display_name=display_name, version=version, profile=profile,
                                icon=icon, vendor=vendor)
        print(f"==> Inno Setup script: {iss} (iscc {iss.name})")
    archive = None if args.no_archive else make_archive(out, name, version, plat)
    files, size = folder_stats(out / (f"{name}.app" if plat == "darwin" else name))
    print(f"==> built in {time.monotonic() - started:.0f} s: {files} files, {size / 1e6:.0f} MB"
          + (f"; archive {archive} ({archive.stat().st_size / 1e6:.0f} MB)" if archive else ""))
    if plat == "win32":
        return folder / f"{name}-cli.exe"
    if plat == "darwin":
        return out / f"{name}.app" / "Contents" / "MacOS" / name
    return folder / name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", required=True, metavar="LOCATION.toml", help="the location profile to bake in")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (bundle, archive, work files)")
    parser.add_argument("--name", help="name of the executable, folder and installer (default receptionist-<id>)")
    parser.add_argument("--icon", metavar="FILE", help="application icon (.ico on Windows, .icns on macOS, .png)")
    parser.add_argument("--sandbox", action=argparse.BooleanOptionalAction, default=False,
                        help="include receptionist_sandbox (demo mode); left out by default")
    parser.add_argument("--vendor", default=os.environ.get("RECEPTIONIST_VENDOR", DEFAULT_VENDOR),
                        help=f"vendor part of the macOS bundle id / Windows AppId (default {DEFAULT_VENDOR})")
    parser.add_argument("--no-archive", action="store_true", help="skip the tar.gz/zip")
    parser.add_argument("--log-level", default="WARN", help="PyInstaller's log level (default WARN)")
    args = parser.parse_args(argv)
    try:
        executable = build(args)
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    print(executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
