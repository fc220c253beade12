"""The window after File → Settings was applied to the running desk: it follows the new time zone (every view's
times, the header clock, the week, an open appointment dialog), its new name, and the calendars switched on or off
(a health pill each), then reads everything again. The desk's side is ``desk.settings`` (``app.LiveSettings``);
this is the window's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from receptionist.ui.header import HealthPill

if TYPE_CHECKING:
    from receptionist.ui.main_window import MainWindow

#: the header's pills that are not calendars
_OTHER_PILLS = ("calendars", "twilio", "webhook", "leader")


def take_settings(window: "MainWindow") -> None:
    """On the GUI thread, once the desk took the saved profile: zone, name and calendar pills, then a fresh read."""
    ctx = window.desk.context
    zone = ctx.rules.zone
    if zone != window.zone:
        # each view keeps the zone it shows times in (``.zone``); the models and panels under the window too; an
        # open dialog that shows times (``follow_zone``: an appointment, a reschedule) says them again at once
        for child in window.findChildren(QObject):
            if callable(getattr(child, "follow_zone", None)):
                child.follow_zone(zone)
            elif isinstance(getattr(child, "zone", None), ZoneInfo):
                child.zone = zone
        window.zone = zone
    name = ctx.profile.location.name
    window.setWindowTitle(f"{name} — Receptionist Console")
    label = window.findChild(QLabel, "locationName")
    if label is not None:
        label.setText(name)
    follow_calendars(window)
    window.refresh_all()


def follow_calendars(window: "MainWindow") -> None:
    """A pill for each calendar the desk syncs now, none for one switched off; the "No calendar connected" pill
    only while there is none."""
    wanted = dict(window.desk.context.calendars)
    pills = window.pills
    layout = pills["twilio"].parentWidget().layout()
    for key in [k for k in pills if k not in _OTHER_PILLS and k not in wanted]:
        pill = pills.pop(key)
        layout.removeWidget(pill)
        pill.deleteLater()
    for key, label in wanted.items():
        if key not in pills:
            pills[key] = HealthPill(label)
            pills[key].set_state("pending", f"{label}: reading its state…")
            layout.insertWidget(layout.indexOf(pills["twilio"]), pills[key])
    if wanted and "calendars" in pills:
        placeholder = pills.pop("calendars")
        layout.removeWidget(placeholder)
        placeholder.deleteLater()
    elif not wanted and "calendars" not in pills:
        pills["calendars"] = HealthPill("No calendar connected")
        pills["calendars"].set_state("off", "Appointments stay on this desk until a calendar is switched on and "
                                            "connected under File → Settings → Calendars.", "No calendar connected")
        layout.insertWidget(layout.indexOf(pills["twilio"]), pills["calendars"])


__all__ = ["follow_calendars", "take_settings"]
