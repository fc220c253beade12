#!/usr/bin/env bash
# Set everything up on a fresh Debian/Ubuntu machine and start Receptionist Console in demo mode.
# Extra arguments go to `receptionist --demo` (e.g. --demo-interval 5:10).
set -euo pipefail
cd "$(dirname "$0")/.."
# Qt's xcb platform plugin needs these on a desktop; xvfb for machines without a screen.
debs=(python3-venv libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libglib2.0-0
      libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
      libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0 fonts-dejavu-core)
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then debs+=(xvfb xauth); fi
scripts/bootstrap.sh "${debs[@]}"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  mkdir -p screenshots
  echo "==> no screen here: running the demo on a virtual screen (Xvfb) for 60 s; screenshot → screenshots/demo.png"
  exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/receptionist --demo --quit-after 60 \
    --screenshot screenshots/demo.png "$@"
fi
exec .venv/bin/receptionist --demo "$@"
