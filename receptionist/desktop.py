"""What the window needs from this computer before Qt starts: Qt itself only says "no Qt platform plugin could be
initialized" and aborts the process, so a missing system library is named here, with the command that installs it,
while a sentence can still be printed."""

from __future__ import annotations

import ctypes.util
import os
import sys

from receptionist.errors import EnvironmentProblem


class MissingSystemLibrary(EnvironmentProblem):
    title = "A system library is missing"


#: Qt's xcb platform plugin (X11, and XWayland) loads these beyond what a desktop always has; the package that
#: carries each on Debian/Ubuntu and on Fedora/RHEL.
XCB_LIBRARIES = {"xcb-cursor": ("libxcb-cursor0", "xcb-util-cursor")}


def _uses_xcb() -> bool:
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen == "xcb"
    return not os.environ.get("WAYLAND_DISPLAY")  # Qt prefers Wayland in a Wayland session


def missing_system_library() -> MissingSystemLibrary | None:
    """The problem a window would die of here (a Linux desktop without a library Qt's xcb plugin loads), or None."""
    if not sys.platform.startswith("linux") or not _uses_xcb():
        return None
    for library, (debian, fedora) in XCB_LIBRARIES.items():
        if ctypes.util.find_library(library) is None:
            return MissingSystemLibrary(
                f"the window cannot start: the system library lib{library} is not installed (Qt needs it to draw "
                f"on this desktop). Install it with `sudo apt install {debian}` (Debian, Ubuntu) or "
                f"`sudo dnf install {fedora}` (Fedora, RHEL), then start Receptionist Console again")
    return None
