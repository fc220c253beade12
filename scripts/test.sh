#!/usr/bin/env bash
# Set everything up on a fresh Debian/Ubuntu machine and run the whole test suite (Qt offscreen).
# Extra arguments go to pytest. The tests run on every core (pytest-xdist; RECEPTIONIST_TEST_WORKERS=0 runs them in
# this one process); each worker starts its own PostgreSQL cluster and Radicale server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh python3-venv libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libglib2.0-0 \
  fonts-dejavu-core
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest -n "${RECEPTIONIST_TEST_WORKERS:-auto}" --dist worksteal "$@"
