#!/usr/bin/env bash
# Build Receptionist Console for one location on this machine (Debian/Ubuntu; on Windows/macOS run
# packaging/build.py with the venv's Python directly). Arguments go to packaging/build.py, e.g.
#   scripts/package.sh --profile lakeview.toml --out dist/
# The libraries Qt's xcb/wayland plugins link against are installed first, so the bundle carries them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh python3-venv libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 \
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 \
  libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0 libwayland-client0 libwayland-cursor0 libwayland-egl1 \
  fonts-dejavu-core
.venv/bin/python -c 'import PyInstaller, build' 2>/dev/null || .venv/bin/python -m pip install -q -e ".[packaging]"
exec .venv/bin/python packaging/build.py "$@"
