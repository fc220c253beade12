"""The main window (header with health pills; calls on the left; week calendar and sync table on the right).

The window is built from a ``Desk`` and an event bus only: it keeps the desk and hands each view the capabilities
it uses. Every read that grows with the data runs on the ``QueryRunner``'s workers and every write on the
``OperationRunner``'s (the GUI thread never waits on the database or the network); the views refresh from the bus
(through :class:`EventBridge`), debounced, never by poking each other. A test builds it on the real capabilities
with fake adapters.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QSystemTrayIcon,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from receptionist import errors, events
from receptionist.domain.formatting import format_date, format_time
from receptionist.domain.intent import needs_person
from receptionist.domain.models import AppointmentRecord, CallRecord
from receptionist.errors import UserError
from receptionist.paths import log_dir
from receptionist.events import EventBus
from receptionist.services import Desk, Discrepancy, HealthSnapshot
from receptionist.ui import icons, theme
from receptionist.ui.alerts import AlertBar
from receptionist.ui.header import PILL_STATE, PROBLEM_STATES, STATE_WORD, HealthPill
from receptionist.ui.live_window import take_settings
from receptionist.ui.appointment_dialog import (
    AppointmentDialog,
    CancelAppointmentDialog,
    RescheduleDialog,
    appointment_menu,
)
from receptionist.ui.bridge import EventBridge, Throttle
from receptionist.ui.operations import OperationRunner, QueryRunner, user_sentence
from receptionist.ui.calendar_view import WeekCalendarView
from receptionist.ui.move_confirm import ProposedMove
from receptionist.ui.intake_views import QuarantinePanel
from receptionist.ui.call_panel import CallPanel
from receptionist.ui.callbacks_view import CallbacksView
from receptionist.ui.booking_dialog import install_booking
from receptionist.ui.caller_data import open_caller_data
from receptionist.ui.conversion_view import install_conversion
from receptionist.ui.people_views import install_people
from receptionist.ui.health_view import install_health
from receptionist.ui.discrepancy_dialog import DiscrepancyDialog
from receptionist.ui.sync_panel import SyncPanel
from receptionist.ui.shell import (
    DeskTray,
    EnterPresses,
    WindowPlacement,
    bring_forward,
    call_actions,
    call_notice,
    quit_question,
)

if TYPE_CHECKING:
    from receptionist.onboarding import Installation

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Attributes:
        call_panel, calendar, sync_panel: the three views.
        bridge: the EventBridge the views refresh from.
        pills: health pill per integration key (calendar keys, "twilio", "webhook", "leader").
        environment_banner: a problem of this computer (disk full, database read-only, ...), until it is fixed.
    """

    #: (title, sentence) of an EnvironmentProblem reported from any thread (``errors.on_environment_problem``)
    environment_problem_reported = Signal(str, str)

    def __init__(self, desk: Desk, bus: EventBus, *, demo_banner: str | None = None,
                 installation: "Installation | None" = None, settings_target: Path | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.installation = installation
        self.settings_target = settings_target  # where Settings writes: the demo's own profile in demo mode
        self.desk = desk
        self.profile = desk.context.profile
        self.zone = self.profile.location.zone
        # ends with the application's display name, so Qt does not append it a second time
        self.setWindowTitle(f"{self.profile.location.name} — Receptionist Console")
        self.setMinimumSize(1000, 600)
        self.setStyleSheet(theme.load_stylesheet())
        ctx = desk.context
        # One worker pool for every read that grows with the data (calls, week, appointments, health), one for the
        # writes: the GUI thread only lays out what lands.
        self.runner = QueryRunner(self)
        self.operations = OperationRunner(self)

        labels = dict(ctx.calendars)
        calendars = list(labels.items())

        central = QWidget()
        central.setObjectName("central")
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_header(labels, demo_banner))
        self.demo_label = QLabel(demo_banner or "")
        self.demo_label.setObjectName("demoBanner")
        self.demo_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_label.setVisible(bool(demo_banner))
        root.addWidget(self.demo_label)
        self.environment_banner = QLabel()
        self.environment_banner.setObjectName("environmentBanner")
        self.environment_banner.setWordWrap(True)
        self.environment_banner.setStyleSheet("QLabel#environmentBanner { background: #fee2e2; color: #991b1b; "
                                              "border-bottom: 1px solid #fca5a5; padding: 6px 12px; "
                                              "font-weight: 600; }")
        self.environment_banner.setVisible(False)
        root.addWidget(self.environment_banner)
        self.alert_bar = AlertBar(desk.health, desk.sync, ctx.calendars, self.operations)
        root.addWidget(self.alert_bar)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(10, 10, 10, 6)
        self.call_panel = CallPanel(desk.bookings, desk.checks, ctx.rules.zone, ctx.clock,
                                    runner=self.runner, operations=self.operations, callbacks=desk.callbacks)
        self.call_panel.calls_counted.connect(lambda _n: self._update_counts())
        self.call_panel.setMinimumWidth(470)
        self.calendar = WeekCalendarView(desk.appointments, ctx.rules.zone, ctx.clock, labels, runner=self.runner,
                                         on_call=desk.on_call)
        self.calendar.setMinimumHeight(260)  # the whole window (status bar too) fits 768 px with a taskbar
        self.sync_panel = SyncPanel(desk.appointments, desk.sync, ctx.rules.zone, calendars, runner=self.runner,
                                    operations=self.operations, clock=ctx.clock)
        self.sync_panel.setMinimumHeight(170)

        self.quarantine_panel = QuarantinePanel(desk.intake, ctx.rules.zone, runner=self.runner,
                                                operations=self.operations)
        self.lower_tabs = QTabWidget()
        self.lower_tabs.setObjectName("lowerTabs")
        self.lower_tabs.setAccessibleName("Sync, quarantine, callbacks and reports")
        self.lower_tabs.addTab(self.sync_panel, "Sync")
        self.lower_tabs.addTab(self.quarantine_panel, "Quarantine")
        self.quarantine_panel.count_changed.connect(self._quarantine_count)
        self.callbacks_view = CallbacksView(desk.callbacks, ctx.rules.zone, ctx.clock, ctx.rules.country,
                                            runner=self.runner, operations=self.operations)  # issue 19: owners
        self.lower_tabs.addTab(self.callbacks_view, "Callbacks")
        self.callbacks_view.title_changed.connect(
            lambda title: self.lower_tabs.setTabText(self.lower_tabs.indexOf(self.callbacks_view), title))

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self._card(self.calendar))
        right.addWidget(self._card(self.lower_tabs))
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setChildrenCollapsible(False)
        right.setSizes([520, 300])
        right.setMinimumWidth(640)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self._card(self.call_panel))
        main.addWidget(right)
        main.setStretchFactor(0, 2)
        main.setStretchFactor(1, 3)
        main.setChildrenCollapsible(False)
        main.setSizes([560, 860])
        self.splitters = (main, right)
        self.placement = WindowPlacement(self.profile.location.id or self.profile.location.name)
        self.tray = DeskTray(self, icons.app_icon(), chime=lambda: self.profile.location.sound_on_new_call)
        self.tray.show_requested.connect(lambda: bring_forward(self))
        self.tray.quit_requested.connect(lambda: (bring_forward(self), self.quit_desk()))  # asks in the window
        self.call_panel.calls_counted.connect(self.tray.set_waiting)
        self.call_panel.detail.action_requested.connect(
            lambda appt_id, kind: self.open_action(appt_id, kind, self.call_panel.detail.resolve_by_action(kind)))
        self.call_panel.detail.stay_requested.connect(self.call_panel.select_call)
        self.call_panel.detail.caller_data_requested.connect(lambda number, name: open_caller_data(self, number, name))
        self.quit_box: QMessageBox | None = None
        self.enter_presses = EnterPresses(self)
        QApplication.instance().installEventFilter(self.enter_presses)
        self._quitting = False
        body_layout.addWidget(main, 1)
        root.addWidget(body, 1)
        self.setCentralWidget(central)

        self._build_menus()
        install_people(self, desk.people)  # issue 19: who is at the desk, the audit log
        install_conversion(self)  # issue 19: calls → kept appointments
        install_booking(self)  # issue 16: a click on free time (or N) books there
        self.environment_problem_reported.connect(self.show_environment_problem)
        self._stop_listening = errors.on_environment_problem(
            lambda problem: self.environment_problem_reported.emit(problem.title, str(problem)))

        self.status = QStatusBar()
        self.status_counts = QLabel()
        self.status.addPermanentWidget(self.status_counts)
        self.setStatusBar(self.status)

        # news → debounced refreshes
        self.bridge = EventBridge(bus, self)
        self.bridge.event_received.connect(self._on_event)
        self.bridge.event_received.connect(self.callbacks_view.on_event)
        install_health(self)  # issue 20: each connection's health, its alerts, what to do
        self.call_panel.list_view.setFocus()  # the desk starts on the calls, not on the header's first pill
        self._refresh_calls = Throttle(self.refresh_calls, parent=self)
        self._refresh_sync = Throttle(self.refresh_sync, parent=self)
        # A sync cycle announces every link it writes: the week (read and laid out again, then drawn) and the health
        # snapshot follow at most once a second while that lasts, so the window's own reads leave the GUI thread
        # its share of the interpreter (the first news still shows at once).
        self._refresh_calendar = Throttle(self.calendar.refresh, 1000, parent=self)
        self._refresh_health = Throttle(self.refresh_health, 1000, parent=self)
        self._refresh_live = Throttle(self.call_panel.refresh_live, parent=self)
        self._refresh_quarantine = Throttle(self.quarantine_panel.refresh, parent=self)
        self.calendar.appointment_clicked.connect(self.sync_panel.select_appointment)
        self.calendar.appointment_context_menu_requested.connect(self.show_appointment_menu)
        self.calendar.appointment_activated.connect(self.open_appointment)
        self.calendar.appointment_move_requested.connect(  # a drop or a resize: the move is confirmed first
            lambda appointment_id, start, minutes, resource: self.open_action(
                appointment_id, "reschedule", proposed=ProposedMove(start, minutes, resource)))
        self.sync_panel.appointment_activated.connect(self.open_appointment)
        self.sync_panel.decision_requested.connect(self.open_discrepancy)
        self.sync_panel.context_menu_requested.connect(self.show_appointment_menu)
        self.alert_bar.reported.connect(lambda text: self.status.showMessage(text, 10000))
        self.operations.progressed.connect(self._show_progress)
        self.appointment_dialog: AppointmentDialog | None = None
        self.action_dialog: RescheduleDialog | CancelAppointmentDialog | None = None
        self.discrepancy_dialog: DiscrepancyDialog | None = None
        self.appointment_menu = None
        self.caller_data_dialog = None
        self._sync_problems = 0
        self._progress = ""  # what the status bar says the running writes do

        self._minute = QTimer(self)
        self._minute.setInterval(60_000)
        self._minute.timeout.connect(self.tick)
        self._minute.start()

        self.refresh_all()
        QTimer.singleShot(0, lambda: self.calendar.scroll_to_hour(max(0, self.profile.location.open_hour - 1)))

    # --- menus, dialogs and environment problems -----------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        # The platform's Preferences key (⌘, on macOS); Linux and Windows have none, so Ctrl+, as most apps do.
        self.settings_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
                                          or [QKeySequence("Ctrl+,")])
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        # Ctrl+Q everywhere (the platform's Quit keys are Ctrl+Q on Linux only), asking first with calls waiting
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
        quit_action.setShortcuts(keys + [QKeySequence("Ctrl+Q")] if QKeySequence("Ctrl+Q") not in keys else keys)
        quit_action.triggered.connect(lambda: self.quit_desk())
        file_menu.addAction(quit_action)
        self.addAction(quit_action)
        self._build_call_menu()
        help_menu = self.menuBar().addMenu("&Help")
        self.log_folder_action = QAction("Open &log folder", self)
        self.log_folder_action.triggered.connect(self.open_log_folder)
        help_menu.addAction(self.log_folder_action)
        self.about_action = QAction("&About Receptionist Console", self)
        self.about_action.triggered.connect(self.open_about)
        help_menu.addAction(self.about_action)

    def _build_call_menu(self) -> None:
        """The keyboard's way through the queue: each shortcut in the Call menu (and its button's tooltip)."""
        (self.approve_action, self.reject_action, self.callback_action, self.list_action,
         self.sync_action) = call_actions(self, self.menuBar().addMenu("&Call"), self.call_panel.detail,
                                          self.call_panel.list_view, self.sync_now)

    def sync_now(self) -> None:
        """F5: a sync cycle now (on the desk holding the sync lease), and the views read again."""
        self.status.showMessage(self.desk.health.sync_now(), 8000)
        self.refresh_all()

    def quit_desk(self, ask: bool = True) -> None:
        """Ctrl+Q / the tray's Quit: with calls waiting, asks first (quitting stops the webhook receiver)."""
        waiting = self.call_panel.pending
        if not ask or not waiting:
            self._quitting = True
            self.close()
            return
        if self.quit_box is not None:
            self.quit_box.close()
        box = self.quit_box = quit_question(waiting, self)
        box.finished.connect(lambda _r: self.quit_desk(ask=False)
                             if box.buttonRole(box.clickedButton()) is QMessageBox.ButtonRole.DestructiveRole else None)
        box.open()

    def _announce(self, calls: list[CallRecord]) -> None:
        """A new call that needs a person: the tray's message and the taskbar alert (once per call)."""
        for call in calls:
            if needs_person(call):
                self.tray.announce(call.id, *call_notice(call, self.zone))

    def settings_dialog(self):
        from receptionist.ui.settings import SettingsDialog

        dialog = SettingsDialog(self.profile, self.desk.context.secrets, target=self.settings_target,
                                people=self.desk.people, intake=self.desk.intake, parent=self)
        # test calls sent through the desk's own receiver leave its call list once Settings closes
        dialog.finished.connect(lambda _result: dialog.test_calls_here and self.operations.run(
            "Test call not removed", self.desk.intake.remove_test_calls, progress="Removing the test call…",
            success=lambda ids: [self.call_panel.model.remove(i) for i in ids]))
        return dialog

    def open_settings(self) -> None:
        dialog = self.settings_dialog()
        if dialog.exec() and dialog.written is not None:
            self.apply_settings(dialog.profile, [key for key, edit in dialog.secret_edits.items() if edit.text()])

    def apply_settings(self, profile, secrets=()) -> None:  # noqa: ANN001 - a config.Profile, keyring keys stored
        """Take a saved profile into the running desk (on a worker) and say what applied now and what waits."""
        self.profile = profile
        self.setWindowTitle(f"{profile.location.name} — Receptionist Console")
        def applied(done) -> None:  # noqa: ANN001 - services.settings.Applied
            take_settings(self)  # the zone, the name and the calendar pills, then a fresh read
            self.status.showMessage(f"Settings saved. {done.sentence()}", 30000)

        self.operations.run("Settings not applied", lambda: self.desk.settings.apply(profile, secrets=secrets), success=applied,
                            progress="Applying the new settings…")

    def open_log_folder(self) -> bool:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        if not opened:  # no file manager on this computer: say where it is
            self.status.showMessage(f"The log folder is {folder} (no file manager opened it)")
        return opened

    def about_dialog(self):
        from receptionist.onboarding import Installation
        from receptionist.ui.about import AboutDialog

        info = self.installation or Installation.describe(self.profile, None, "(not known)", "(not known)")
        return AboutDialog(info, self.profile.location.name, parent=self)

    def open_about(self) -> None:
        self.about_dialog().exec()

    def show_environment_problem(self, title: str, sentence: str) -> None:
        """A problem of this computer, not a bug: a banner that stays until the console is restarted."""
        self.environment_banner.setText(f"⚠ {title} — {sentence}")
        self.environment_banner.setToolTip("This is a problem on this computer, not in the console: fix it as the "
                                           "message says; nothing stored was lost.")
        self.environment_banner.setVisible(True)

    # --- layout helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _card(widget: QWidget) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        lay = QVBoxLayout(card)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.addWidget(widget)
        return card

    def _build_header(self, labels: dict[str, str], demo_banner: str | None) -> QWidget:
        header = QFrame()
        header.setObjectName("header")
        lay = QHBoxLayout(header)
        lay.setContentsMargins(16, 10, 16, 10)
        lay.setSpacing(10)
        name = QLabel(self.profile.location.name)
        name.setObjectName("locationName")
        self.clock_label = QLabel()
        self.clock_label.setObjectName("headerClock")
        lay.addWidget(name)
        lay.addWidget(self.clock_label)
        lay.addStretch(1)

        self.pills: dict[str, HealthPill] = {}
        for key, label in labels.items():
            self.pills[key] = HealthPill(label)
        if not labels:  # a first start: say how to connect, rather than showing nothing
            self.pills["calendars"] = HealthPill("No calendar connected")
            self.pills["calendars"].set_state(
                "off", "Appointments stay on this desk until a calendar is connected: set google.enabled or "
                       "outlook.enabled in the location profile, then run `receptionist connect google` or "
                       "`receptionist connect outlook`, or run `receptionist connect caldav` (see the README).",
                "No calendar connected")
        self.pills["twilio"] = HealthPill("Twilio SMS")
        self.pills["webhook"] = HealthPill("Webhook")
        self.pills["leader"] = HealthPill("Sync leader")
        for pill in self.pills.values():
            lay.addWidget(pill)
        return header

    # --- refreshing -----------------------------------------------------------------------------------------------

    def _on_event(self, topic: str, data: dict) -> None:
        if topic == events.LIVE_CALL_CHANGED:
            self._refresh_live.trigger()
        elif topic == events.QUARANTINE_CHANGED:
            self._refresh_quarantine.trigger()
            self._refresh_health.trigger()  # the webhook pill counts the quarantine
            self._refresh_calls.trigger()  # a replayed delivery may have become a call
        if topic == events.CALL_RECEIVED:
            self.call_panel.calls_changed([data.get("call_row_id")])  # that one call, inserted at the top
            self.status.showMessage("New call received", 8000)
            if data.get("call_row_id") is not None:
                bookings, ids = self.desk.bookings, [data["call_row_id"]]
                self.runner.run(f"announce-{ids[0]}", lambda: bookings.calls_by_id(ids), self._announce)
        elif topic == events.PROPOSAL_DECIDED:
            self._refresh_calls.trigger()
        elif topic in (events.APPOINTMENT_CHANGED, events.LINK_CHANGED):
            if data.get("appointment_id"):  # one row changed: update it in place
                self.sync_panel.appointments_changed([data["appointment_id"]])
                self._reload_dialog()
            else:  # many changed at once (Retry all failed, a mass-deletion answer): read the window again
                self._refresh_sync.trigger()
            self._refresh_health.trigger()  # the counts of links needing attention
            self._refresh_calendar.trigger()
        elif topic == events.CALENDAR_REFRESHED:
            self._refresh_calendar.trigger()
        elif topic == events.HEALTH_CHANGED:
            self._refresh_health.trigger()
        elif topic == events.MESSAGE_SENT:
            self.status.showMessage("SMS confirmation sent", 8000)
        elif topic == events.CHANGED_ELSEWHERE:  # another desk or a command wrote: read what is shown again
            for refresh in (self._refresh_calls, self._refresh_sync, self._refresh_calendar, self._refresh_quarantine):
                refresh.trigger()

    def refresh_all(self) -> None:
        self.refresh_calls()
        self.refresh_sync()  # with the health pills and alerts
        self.calendar.refresh()
        self.tick()

    def refresh_calls(self) -> None:
        self.call_panel.refresh()  # the counts follow when the list lands (calls_counted)

    def refresh_sync(self) -> None:
        self.sync_panel.refresh()
        self.refresh_health()  # the link counts (sync problems) and the alerts come with the health snapshot
        self._reload_dialog()

    def _reload_dialog(self) -> None:
        if self.appointment_dialog is not None and self.appointment_dialog.isVisible():
            self.appointment_dialog.reload()

    def _update_counts(self) -> None:
        pending = self.call_panel.pending
        problems = self._sync_problems
        self.status_counts.setText(f"{pending} call{'s' if pending != 1 else ''} to review   ·   "
                                   f"{problems} sync problem{'s' if problems != 1 else ''}")

    def _quarantine_count(self, count: int) -> None:
        self.lower_tabs.setTabText(1, f"Quarantine ({count})" if count else "Quarantine")

    def refresh_health(self) -> None:
        """Read the health snapshot on the worker; the pills, alerts and counts follow when it lands."""
        self.runner.run("health", self.desk.health.snapshot, self.show_health)

    def show_health(self, snapshot: HealthSnapshot) -> None:
        statuses = snapshot.calendars
        calendars = {c.key: c for c in statuses}
        # counted in SQL per calendar and state (desk.health.calendars), not by walking the table's rows
        self._sync_problems = sum(c.counts.get(state, 0) for c in statuses for state in PROBLEM_STATES)
        self._update_counts()
        self.alert_bar.show_statuses(statuses)
        for key, pill in self.pills.items():
            if key == "calendars":
                continue  # the placeholder while no calendar is switched on (ui/live_window.py)
            if key == "webhook":
                self._webhook_pill(pill, snapshot.webhook)
            elif key == "leader":
                leader = snapshot.leader
                pill.set_state("ok" if leader else "off",
                               "This desk runs the calendar sync." if leader else
                               "Another desk holds the sync lease (or the first sync cycle has not run yet); "
                               "this desk shows what it writes.",
                               "Sync leader" if leader else "Not sync leader")
            elif key == "twilio":
                state, text = snapshot.messaging
                pill.set_state(state, text, "Twilio SMS off" if state == "off" else None)
            elif key in calendars:
                c = calendars[key]
                tip = c.text
                if c.health.last_pull_at is not None:
                    tip += f"\nLast good read: {self._when(c.health.last_pull_at)}"
                if c.health.last_error and c.state != "error":
                    tip += f"\nEarlier error ({self._when(c.health.last_error_at)}): {c.health.last_error}"
                report = c.health.reconcile_report or {}
                if report and "error" not in report and "skipped" not in report:
                    tip += (f"\nReconciled {self._when(c.health.reconciled_at)}: {report.get('events_read', 0)} "
                            f"events read, {report.get('needs_person', 0)} need a decision, "
                            f"{len(report.get('orphans', []))} unknown events of ours")
                word = STATE_WORD.get(c.state, c.state)
                if c.state == "throttled" and c.health.paused_until is not None:
                    word = f"paused until {format_time(c.health.paused_until, self.zone)}"
                pill.set_state(PILL_STATE.get(c.state, "error"), tip,
                               None if c.state == "ok" else f"{c.label}: {word}")

    # --- an appointment's dialogs ---------------------------------------------------------------------------------

    def open_appointment(self, appointment_id: str) -> None:
        """The appointment's detail (double-click / Enter in the table, Open… in a context menu), once its record is
        read on the worker."""
        appointments = self.desk.appointments
        self.runner.run("open appointment", lambda: appointments.get(appointment_id), self._show_appointment,
                        self._unreadable)

    def _show_appointment(self, appt: AppointmentRecord) -> None:
        if self.appointment_dialog is not None:
            self.appointment_dialog.close()
        ctx = self.desk.context
        dialog = AppointmentDialog(self.desk.appointments, appt, zone=ctx.rules.zone, calendars=ctx.calendars,
                                   sms_enabled=ctx.sms_enabled, operations=self.operations, queries=self.runner,
                                   availability=self.desk.availability, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.compare_requested.connect(lambda link_id: self.open_discrepancy(link_id, dialog))
        dialog.caller_data_requested.connect(lambda number, name: open_caller_data(self, number, name, dialog.reload))
        dialog.destroyed.connect(lambda *_: self._forget("appointment_dialog", dialog))
        self.appointment_dialog = dialog
        dialog.open()

    def open_action(self, appointment_id: str, kind: str,
                    then: Callable[[AppointmentRecord], None] | None = None,
                    proposed: ProposedMove | None = None) -> None:
        """Reschedule… / Cancel… straight from a context menu or a cancel/reschedule call, without the detail
        dialog (once the record is read); ``then`` gets the saved appointment; ``proposed``: the time (length,
        resource) proposed for a reschedule (a booking dropped or resized in the calendar)."""
        appointments = self.desk.appointments
        self.runner.run("open action", lambda: appointments.get(appointment_id),
                        lambda appt: self._show_action(appt, kind, then, proposed), self._unreadable)

    def _show_action(self, appt: AppointmentRecord, kind: str,
                     then: Callable[[AppointmentRecord], None] | None = None,
                     proposed: ProposedMove | None = None) -> None:
        cls = RescheduleDialog if kind == "reschedule" else CancelAppointmentDialog
        ctx = self.desk.context
        extra = dict(availability=self.desk.availability, queries=self.runner, proposed=proposed) \
            if kind == "reschedule" else {}
        dialog = cls(self.desk.appointments, appt, ctx.rules.zone, ctx.sms_enabled, self.operations, parent=self,
                     **extra)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda saved: self.status.showMessage(
            f"{saved.caller_name or 'Appointment'}: {'cancelled' if kind == 'cancel' else 'moved'}; the calendars "
            "follow at the next sync.", 8000))
        if then is not None:
            dialog.saved.connect(then)
        dialog.destroyed.connect(lambda *_: self._forget("action_dialog", dialog))
        self.action_dialog = dialog
        dialog.open()

    def open_discrepancy(self, link_id: int, parent: QWidget | None = None) -> None:
        """Ours vs theirs for a Drift/Conflict link, with Keep ours / Take theirs (once both versions are read)."""
        sync = self.desk.sync
        self.runner.run("open discrepancy", lambda: sync.discrepancy(link_id),
                        lambda d: self._show_discrepancy(d, parent), self._unreadable)

    def _show_discrepancy(self, d: Discrepancy, parent: QWidget | None) -> None:
        dialog = DiscrepancyDialog(self.desk.sync, d, sms_enabled=self.desk.context.sms_enabled,
                                   operations=self.operations, parent=parent or self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.decided.connect(lambda which: self.status.showMessage(
            "Kept our version: the calendar gets it at the next sync." if which == "ours" else
            "Took the calendar's version: our appointment and the other calendars follow.", 8000))
        dialog.destroyed.connect(lambda *_: self._forget("discrepancy_dialog", dialog))
        self.discrepancy_dialog = dialog
        dialog.open()

    def show_appointment_menu(self, appointment_id: str, at: QPoint) -> None:
        """Open… / Reschedule… / Cancel… for a right-click on an appointment (week view or table), once the record is
        read (a cancelled appointment offers Open… only)."""
        appointments = self.desk.appointments

        def read() -> AppointmentRecord | None:
            try:
                return appointments.get(appointment_id)
            except UserError:  # gone meanwhile: the menu still offers Open…, which says so
                return None

        self.runner.run("appointment menu", read, lambda appt: self._show_menu(appointment_id, appt, at))

    def _show_menu(self, appointment_id: str, appt: AppointmentRecord | None, at: QPoint) -> None:
        menu = appointment_menu(self, appt, open_=lambda: self.open_appointment(appointment_id),
                                reschedule=lambda: self.open_action(appointment_id, "reschedule"),
                                cancel=lambda: self.open_action(appointment_id, "cancel"),
                                mark=lambda value: self.operations.run(
                                    f"Mark {value.label.lower()}",
                                    lambda: self.desk.appointments.mark_attendance(appointment_id, value),
                                    failure=lambda text: self.status.showMessage(text, 8000)),
                                markable=appt is not None and self.desk.appointments.markable(appt))
        if self.appointment_menu is not None:
            self.appointment_menu.deleteLater()
        self.appointment_menu = menu
        menu.popup(at)

    def _unreadable(self, exc: Exception) -> None:
        """A record a dialog was to open on could not be read: a UserError says why in the status bar."""
        if not isinstance(exc, UserError):
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self.status.showMessage(user_sentence(exc), 8000)

    def _show_progress(self, text: str) -> None:
        """What the running writes do, in the status bar until they are done."""
        if text:
            self.status.showMessage(text)
        elif self.status.currentMessage() == self._progress:  # still saying "Saving…": done now
            self.status.clearMessage()
        self._progress = text

    def _forget(self, name: str, dialog) -> None:
        if getattr(self, name, None) is dialog:
            setattr(self, name, None)

    def _webhook_pill(self, pill: HealthPill, status: tuple[str, str]) -> None:
        state, tip = status
        pill.set_state(state, tip, "Webhook off" if state == "off" else None)
        if state == "ok":
            self.status.setToolTip(tip)

    def _when(self, instant: datetime | None) -> str:
        if instant is None:
            return "never"
        return f"{format_date(instant, self.zone)} {format_time(instant, self.zone)}"

    def named_splitters(self) -> dict:
        main, right = self.splitters
        return {"main": main, "right": right, "calls": self.call_panel.splitter}

    def tick(self) -> None:
        """Every minute: the header clock and the calendar's now line."""
        now = self.desk.context.clock().astimezone(self.zone)
        self.clock_label.setText(f"{now:%a} {format_date(now, self.zone)} · {format_time(now, self.zone)} "
                                 f"{now.tzname()}")
        self.calendar.tick()
        self.sync_panel.model.time_passed()  # "⚠ Not marked" once an appointment's time has come

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._quitting and self.tray.available and self.pills["webhook"].state in ("ok", "pending"):
            # the receiver keeps taking the AI platform's calls: the desk stays in the tray (Quit ends it)
            event.ignore()
            self.hide()
            self.tray.tray.showMessage("Receptionist Console is still running",
                                       "Calls keep arriving; the tray icon shows how many wait. Quit from its menu.",
                                       QSystemTrayIcon.MessageIcon.Information, 5000)
            return
        self.placement.save(self, self.named_splitters())
        QApplication.instance().removeEventFilter(self.enter_presses)
        self.tray.tray.hide()
        self._stop_listening()
        self.bridge.close()
        self._minute.stop()
        self.runner.wait_for_done(5000)  # no read or write may outlive the window (the store closes next)
        self.operations.wait_for_done(5000)
        super().closeEvent(event)


__all__ = ["MainWindow", "PROBLEM_STATES"]
