"""Make docs/screenshot.png: the demo after a few calls, one approved (badges Synced), one waiting for review.

Run on a real (virtual) screen the size of a desk PC, the window maximised:
    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python docs/make_screenshot.py
It drives the window as a person would: select a clean call, click Approve, then open a call that needs fixing.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QTimer  # noqa: E402

from receptionist.config import Profile  # noqa: E402
from receptionist_sandbox.demo import BANNER, DemoSession  # noqa: E402
from receptionist.domain.models import ProposalStatus, Severity  # noqa: E402
from receptionist.ui.launch import run_gui  # noqa: E402

OUT = Path(__file__).resolve().parent / "screenshot.png"


def main() -> int:
    session = DemoSession(Profile(), interval=(1.5, 2.5), first_call_after=0.5)
    app = session.start()

    def pending():
        return [c for c in app.desk.bookings.calls() if c.proposal and c.proposal.status is ProposalStatus.PENDING]

    def approve_clean(window) -> None:
        window.call_panel.show_new()  # the calls held behind the "new calls" bar are listed
        for call in pending():
            if not any(i.severity is Severity.ERROR or "overlaps" in i.message for i in call.issues):
                QTimer.singleShot(300, lambda c=call: window.call_panel.select_call(c.id))
                QTimer.singleShot(700, lambda: window.call_panel.detail.approve_button.click())
                QTimer.singleShot(1400, lambda: confirm(window))  # the confirmation text, sent as it is
                return

    def confirm(window) -> None:
        dialog = window.call_panel.detail.approve_dialog
        if dialog is not None:
            dialog.accept()

    def open_one_to_fix(window) -> None:
        session.simulator.stop()
        waiting = pending()
        flawed = [c for c in waiting if any(i.severity is Severity.ERROR for i in c.issues)]
        target = (flawed or waiting or app.desk.bookings.calls())[0]
        window.call_panel.show_new()
        QTimer.singleShot(300, lambda: window.call_panel.select_call(target.id))

    def show_booked_week(window) -> None:  # the merged view is most telling where our bookings are
        booked = app.desk.appointments.between()
        if booked:
            from receptionist.ui.week_layout import week_start

            window.calendar.show_week(week_start(booked[0].start.astimezone(app.profile.location.zone).date()))

    def shoot(window) -> None:
        window.grab().save(str(OUT))
        print(f"saved {OUT}")
        window.close()

    def on_ready(window) -> None:
        window.showMaximized()
        session.start_calls()
        QTimer.singleShot(7000, lambda: approve_clean(window))
        QTimer.singleShot(9000, lambda: approve_clean(window))
        QTimer.singleShot(12000, lambda: open_one_to_fix(window))
        QTimer.singleShot(12500, lambda: show_booked_week(window))
        QTimer.singleShot(14000, lambda: shoot(window))

    try:
        return run_gui(app.desk, app.bus, demo_banner=BANNER, on_ready=on_ready)
    finally:
        session.stop()


if __name__ == "__main__":
    sys.exit(main())
