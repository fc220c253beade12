#!/usr/bin/env bash
# Set everything up on a fresh Debian/Ubuntu machine and run the whole test suite (Qt offscreen).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh python3-venv libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libglib2.0-0 \
  fonts-dejavu-core
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
