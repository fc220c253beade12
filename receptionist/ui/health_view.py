"""The Health tab: each connection (every calendar, each AI platform, Twilio, the webhook) with its state, its
numbers against the error budget and what to do in the state it is in; below, the alerts, acknowledged and
resolved here (audited, through the ``OperationRunner``), never in a modal box.

The report is ``desk.watch.report()``, read on the ``QueryRunner`` when the tab opens, on health news while it is
shown, and once a minute whatever is shown. An alert raised by the sync leader is announced at the desk within
seconds: one tray notification and a taskbar alert per alert, once. This desk's own leader publishes
HEALTH_CHANGED; another desk's (or a command's) write reaches this one as CHANGED_ELSEWHERE (``store/changes.py``).
Then only the alerts are read (``desk.watch.alerts``, one small query: a busy desk's report costs half a second),
new ones are announced, and the whole report is read again when the tab is shown and the alerts changed (on
HEALTH_CHANGED a shown tab reads the whole report at once).
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from receptionist import events
from receptionist.domain.formatting import format_datetime
from receptionist.domain.reliability import AlertRecord
from receptionist.domain.runbook import entry
from receptionist.services import Connection, HealthReport
from receptionist.services.watch import ConnectionWatch
from receptionist.ui.operations import OperationRunner, QueryRunner, user_sentence

MARK = {"ok": "✓ OK", "warning": "▲ Needs a look", "failed": "✕ Failing", "off": "— Off"}
COLOR = {"ok": "#15803d", "warning": "#b45309", "failed": "#b91c1c", "off": "#64748b"}
log = logging.getLogger(__name__)

POLL_MS = 60_000


class HealthView(QWidget):
    """Attributes: ``report`` (the last one read), ``tree`` (connections, their facts as children), ``runbook``
    (what to do for the selected connection), ``alerts`` (the alert table), ``notified`` (alert ids announced)."""

    def __init__(self, watch: ConnectionWatch, zone: ZoneInfo, operations: OperationRunner,
                 runner: QueryRunner | None = None, announce=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.watch, self.zone, self.operations = watch, zone, operations
        self.runner = runner or QueryRunner(self)
        self.announce = announce  # (title, text) → None: the tray's notification
        self.report: HealthReport | None = None
        self.notified: set[int] = set()
        self.headline = QLabel("Reading each connection's health…")
        self.headline.setObjectName("muted")
        self.headline.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.refresh_button)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Connection", "State", "What it says"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.setAccessibleName("Connections")
        self.runbook = QTextBrowser()
        self.runbook.setAccessibleName("What to do")
        self.runbook.setPlaceholderText("Pick a connection to see what to do about it.")
        self.alerts = QTableWidget(0, 3)
        self.alerts.setHorizontalHeaderLabels(["Since", "Alert", "Status"])
        self.alerts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.alerts.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.alerts.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.alerts.verticalHeader().hide()
        self.alerts.setWordWrap(False)
        self.alerts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.alerts.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.alerts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.alerts.setAccessibleName("Alerts")
        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.setToolTip("Someone is on it: no text goes to the owners")
        self.resolve_button = QPushButton("Resolve")
        self.escalation = QLabel()
        self.escalation.setObjectName("muted")
        self.escalation.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("<b>Alerts</b>"))
        buttons.addStretch(1)
        buttons.addWidget(self.ack_button)
        buttons.addWidget(self.resolve_button)
        alerts_box = QWidget()
        alerts_lay = QVBoxLayout(alerts_box)
        alerts_lay.setContentsMargins(0, 0, 0, 0)
        alerts_lay.addLayout(buttons)
        alerts_lay.addWidget(self.alerts, 1)
        alerts_lay.addWidget(self.escalation)
        # small minimums: the tab shares the window's lower pane, which must fit a 1366×768 screen
        self.runbook.setMinimumHeight(40)
        self.alerts.setMinimumHeight(50)
        side = QSplitter(Qt.Orientation.Vertical)  # what to do, above the alerts
        side.addWidget(self.runbook)
        side.addWidget(alerts_box)
        split = QSplitter(Qt.Orientation.Horizontal)  # the connections get the tab's whole height
        split.addWidget(self.tree)
        split.addWidget(side)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        self.refresh_button.clicked.connect(self.refresh)
        self.tree.currentItemChanged.connect(lambda item, _old: self._show_runbook(item))
        self.alerts.itemSelectionChanged.connect(self._enable_buttons)
        self.ack_button.clicked.connect(lambda: self._decide("ack"))
        self.resolve_button.clicked.connect(lambda: self._decide("resolve"))
        self._enable_buttons()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(POLL_MS)

    # --- reading ----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.runner.run("health-view", self.watch.report, self.show_report,
                        lambda exc: self.headline.setText(f"Could not read the health: {user_sentence(exc)}"))

    def on_event(self, topic: str, _data: dict) -> None:
        if topic == events.HEALTH_CHANGED and self.isVisible():
            self.refresh()
        elif topic in (events.HEALTH_CHANGED, events.CHANGED_ELSEWHERE):
            self.runner.run("health-alerts", self.watch.alerts, self._alerts_read,
                            lambda exc: log.warning("could not read the alerts: %s", user_sentence(exc)))

    def _alerts_read(self, alerts: list[AlertRecord]) -> None:
        self._announce_new(alerts)
        if self.isVisible() and (self.report is None or alerts != self.report.alerts):
            self.refresh()

    def show_report(self, report: HealthReport) -> None:
        self.report = report
        failed = report.failed
        self.headline.setText(f"Objective: {report.objective}. "
                              + (f"Failing: {', '.join(c.label for c in report.connections if c.key in failed)}."
                                 if failed else "Every connection is working."))
        self.escalation.setText(report.escalation)
        current = self.tree.currentItem()
        keep = current.data(0, Qt.ItemDataRole.UserRole) if current is not None else None
        self.tree.clear()
        for c in report.connections:
            item = QTreeWidgetItem([c.label, MARK[c.state], c.text])
            item.setData(0, Qt.ItemDataRole.UserRole, c.key)
            item.setForeground(1, _brush(COLOR[c.state]))
            item.setToolTip(2, c.text)
            for name, value in c.facts:
                child = QTreeWidgetItem([name, "", value])
                child.setData(0, Qt.ItemDataRole.UserRole, c.key)
                child.setToolTip(2, value)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setExpanded(c.state in ("failed", "warning"))
            if c.key == keep:
                self.tree.setCurrentItem(item)
        self._show_alerts(report.alerts)
        self._announce_new(report.alerts)
        if self.tree.currentItem() is None:
            self._show_runbook(None)

    def connection(self, key: str) -> Connection | None:
        return next((c for c in self.report.connections if c.key == key), None) if self.report else None

    def _show_runbook(self, item: QTreeWidgetItem | None) -> None:
        c = self.connection(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None
        if c is None:
            self.runbook.clear()
            return
        if not c.problems:
            self.runbook.setPlainText(f"{c.label}: nothing to do. {c.text}")
            return
        parts = []
        for problem in c.problems:
            e = entry(problem)
            if e is not None:
                steps = "".join(f"<li>{_html(step)}</li>" for step in e.steps)
                parts.append(f"<h3>{_html(e.title)}</h3><ol>{steps}</ol>"
                             f"<p style='color:#64748b'>Runbook: {problem} (docs/RUNBOOK.md)</p>")
        self.runbook.setHtml(f"<p><b>{_html(c.label)}</b>: {_html(c.text)}</p>" + "".join(parts))

    # --- alerts -----------------------------------------------------------------------------------------------------

    def _show_alerts(self, alerts: list[AlertRecord]) -> None:
        selected = self.selected_alert()
        keep = selected.id if selected else None
        shown = [a for a in alerts if a.open] + [a for a in alerts if not a.open][:20]
        self.alerts.setRowCount(len(shown))
        for row, a in enumerate(shown):
            status = ("Open" if a.acked_at is None else f"Acknowledged by {a.acked_by}") if a.open else \
                f"Resolved by {a.resolved_by}"
            if a.open and a.texted_at is not None:
                status += "; texted to the owners" if not a.text_error else f"; the text failed: {a.text_error}"
            cells = (format_datetime(a.raised_at, self.zone), a.text, status)
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, a)
                cell.setToolTip(text)
                self.alerts.setItem(row, col, cell)
            if a.id == keep:
                self.alerts.selectRow(row)
        self._enable_buttons()

    def selected_alert(self) -> AlertRecord | None:
        rows = self.alerts.selectionModel().selectedRows()
        if not rows:
            return None
        return self.alerts.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _enable_buttons(self) -> None:
        a = self.selected_alert()
        self.ack_button.setEnabled(a is not None and a.open and a.acked_at is None)
        self.resolve_button.setEnabled(a is not None and a.open)

    def _decide(self, action: str) -> None:
        a = self.selected_alert()
        if a is None:
            return
        watch = self.watch
        write = (lambda: watch.acknowledge(a.id)) if action == "ack" else (lambda: watch.resolve(a.id))
        button = self.ack_button if action == "ack" else self.resolve_button
        doing = "Acknowledging the alert…" if action == "ack" else "Resolving the alert…"
        self.operations.run(button.text(), write, success=lambda _done: self.refresh(), trigger=button,
                            progress=doing)

    def _announce_new(self, alerts: list[AlertRecord]) -> None:
        """One notification per alert, the first time this window sees it open and unacknowledged."""
        fresh = [a for a in alerts if a.open and a.acked_at is None and a.id not in self.notified]
        self.notified.update(a.id for a in alerts)
        for a in fresh:
            if self.announce is not None:
                self.announce("Connection alert", a.text)
            QApplication.alert(self.window())


def _brush(color: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def install_health(window) -> None:
    """The main window's Health tab (issue 20), read when opened and once a minute for the alerts."""
    def announce(title: str, text: str) -> None:
        if window.tray.available:
            window.tray.tray.showMessage(title, text, window.tray.tray.MessageIcon.Warning, 10000)

    window.health_view = HealthView(window.desk.watch, window.zone, window.operations, runner=window.runner,
                                    announce=announce)
    window.lower_tabs.addTab(window.health_view, "Health")
    window.bridge.event_received.connect(window.health_view.on_event)
    window.lower_tabs.currentChanged.connect(
        lambda i: window.health_view.refresh() if window.lower_tabs.widget(i) is window.health_view else None)
    QTimer.singleShot(0, window.health_view.refresh)  # the alerts already open are announced once too


__all__ = ["HealthView", "install_health"]
