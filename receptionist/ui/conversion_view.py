"""The Conversion tab (owners): the funnel as a bar chart — calls, proposals, confirmed, kept (marked attended),
then each drop-off named, no-shows and appointments nobody marked among them — and the calls per day beside the
kept ones; a click on a bar lists the calls behind it.

The chart is drawn with pyqtgraph (QtCharts would bring PySide6-Addons into every build). pyqtgraph and numpy are
imported when the tab is first opened, not when the window starts. Every read runs on the ``QueryRunner``: the
report (``desk.reports.conversion``, one SQL query) and the calls behind a bar.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from receptionist.domain.conversion import DROP_LABELS, DROP_OFFS, STAGES, ConversionReport, Funnel
from receptionist.domain.formatting import format_datetime
from receptionist.domain.models import CallRecord
from receptionist.services.bookings import Bookings
from receptionist.services.reports import Reports
from receptionist.ui.operations import QueryRunner, user_sentence

BARS = STAGES + DROP_OFFS
BAR_LABELS = {"calls": "Calls", "proposals": "Proposals", "confirmed": "Confirmed", "kept": "Kept", **DROP_LABELS}
STAGE_COLOR, DROP_COLOR, UNMARKED_COLOR = "#2563eb", "#f59e0b", "#94a3b8"


def tick_label(label: str) -> str:
    """A bar's label on two lines when it has several words ("Not a booking" → "Not a\nbooking")."""
    words = label.split()
    half = (len(words) + 1) // 2
    return " ".join(words[:half]) + ("\n" + " ".join(words[half:]) if len(words) > 1 else "")


class ConversionView(QWidget):
    """Attributes: ``report`` (the last one read), ``funnel`` (the group on the chart), ``bars`` (its items)."""

    def __init__(self, reports: Reports, bookings: Bookings, zone: ZoneInfo, runner: QueryRunner | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph as pg

        self.reports, self.bookings, self.zone = reports, bookings, zone
        self.runner = runner or QueryRunner(self)
        self.report: ConversionReport | None = None
        self.funnel = Funnel()
        first, last = reports.default_range()
        self.start = QDateEdit(QDate(first.year, first.month, first.day))
        self.end = QDateEdit(QDate(last.year, last.month, last.day))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MM/dd/yyyy")
        self.group = QComboBox()  # All, or one reason / platform
        self.show_button = QPushButton("Show")
        bar = QHBoxLayout()
        for label, widget in (("From", self.start), ("To", self.end), ("Calls", self.group)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.show_button)
        bar.addStretch(1)
        self.headline = QLabel()
        self.headline.setObjectName("muted")
        pg.setConfigOptions(antialias=True, background="w", foreground="#334155")
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        # two lines under a bar (its label's words split in the middle): twelve labels fit the chart at 1366 px
        self.plot.getAxis("bottom").setTicks([[(i, tick_label(BAR_LABELS[k])) for i, k in enumerate(BARS)]])
        self.plot.getAxis("bottom").setHeight(44)
        self.bars = pg.BarGraphItem(x=list(range(len(BARS))), height=[0] * len(BARS), width=0.7,
                                    brushes=[STAGE_COLOR] * len(STAGES) + [
                                        UNMARKED_COLOR if k == "not_marked" else DROP_COLOR for k in DROP_OFFS])
        self.plot.addItem(self.bars)
        self.daily = pg.PlotWidget()
        self.daily.setMenuEnabled(False)
        self.daily.setMouseEnabled(x=False, y=False)
        self.daily.addLegend(offset=(10, 5))
        self.calls_curve = self.daily.plot([], [], pen=pg.mkPen(STAGE_COLOR, width=2), name="Calls")
        self.kept_curve = self.daily.plot([], [], pen=pg.mkPen("#16a34a", width=2), name="Kept")
        self.behind_label = QLabel("Click a bar to list the calls behind it.")
        self.behind = QListWidget()
        charts = QSplitter()
        charts.addWidget(self.plot)
        charts.addWidget(self.daily)
        charts.setStretchFactor(0, 3)  # the funnel's twelve bars get the room; the days' lines need less
        charts.setStretchFactor(1, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.headline)
        lay.addWidget(charts, 3)
        lay.addWidget(self.behind_label)
        lay.addWidget(self.behind, 1)
        self.show_button.clicked.connect(self.refresh)
        self.group.activated.connect(lambda _i: self._draw())
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.refresh()

    def period(self) -> tuple[date, date]:
        return self.start.date().toPython(), self.end.date().toPython()

    def refresh(self) -> None:
        start, end = self.period()
        reports = self.reports
        self.runner.run("conversion", lambda: reports.conversion(start, end), self._show, self._refused)

    def _refused(self, exc: Exception) -> None:
        self.headline.setText(user_sentence(exc))

    def _show(self, report: ConversionReport) -> None:
        self.report = report
        current = self.group.currentText()
        self.group.clear()
        self.group.addItems(["All", *(f"reason: {k}" for k in report.by_reason),
                             *(f"platform: {k}" for k in report.by_platform)])
        self.group.setCurrentText(current or "All")
        self._draw()

    def _group(self) -> tuple[str | None, str | None]:
        kind, _, key = self.group.currentText().partition(": ")
        return (key, None) if kind == "reason" else (None, key) if kind == "platform" else (None, None)

    def _draw(self) -> None:
        r = self.report
        if r is None:
            return
        reason, platform = self._group()
        self.funnel = r.by_reason.get(reason, Funnel()) if reason else \
            r.by_platform.get(platform, Funnel()) if platform else r.total
        f = self.funnel
        self.bars.setOpts(height=[getattr(f, k) for k in BARS])
        self.headline.setText(f"{f.calls} call(s) → {f.proposals} proposal(s) → {f.confirmed} confirmed → "
                              f"{f.kept} kept ({f.kept_rate:.0%}), {r.start:%m/%d/%Y}–{r.end:%m/%d/%Y}. Kept means "
                              f"marked attended: {f.no_show} no-show(s), {f.not_marked} not marked yet.")
        days = list(r.by_day)
        xs = [d.toordinal() - days[0].toordinal() for d in days]
        self.calls_curve.setData(xs, [r.by_day[d].calls for d in days])
        self.kept_curve.setData(xs, [r.by_day[d].kept for d in days])
        step = max(1, len(days) // 6)
        self.daily.getAxis("bottom").setTicks([[(x, f"{d:%m/%d}") for x, d in zip(xs, days)][::step]])

    def _clicked(self, event) -> None:
        point = self.plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        index = round(point.x())
        if 0 <= index < len(BARS) and 0 <= point.y() <= max(1, getattr(self.funnel, BARS[index])):
            self.open_bar(BARS[index])

    def open_bar(self, stage: str) -> None:
        """List the calls behind one bar (read on the worker)."""
        start, end = self.period()
        reason, platform = self._group()
        reports, bookings = self.reports, self.bookings
        self.behind_label.setText(f"{BAR_LABELS[stage]}: reading the calls…")

        def read() -> list[CallRecord]:
            return bookings.calls_by_id(reports.calls_behind(start, end, stage, reason=reason, platform=platform))

        self.runner.run("conversion.calls", read, lambda calls: self._list_calls(stage, calls), self._refused)

    def _list_calls(self, stage: str, calls: list[CallRecord]) -> None:
        self.behind_label.setText(f"{BAR_LABELS[stage]}: {len(calls)} call(s)")
        self.behind.clear()
        for c in calls:
            self.behind.addItem(f"{format_datetime(c.received_at, self.zone)}  {c.caller_name or 'Unknown caller'}"
                                f"  ({c.platform}, {c.intent.label})  call #{c.id}")


def install_conversion(window) -> None:
    """The main window's Conversion tab, built when it is first opened (pyqtgraph is imported then)."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    window.conversion_view = None
    window.lower_tabs.addTab(holder, "Conversion")

    def opened(index: int) -> None:
        if window.lower_tabs.widget(index) is holder and window.conversion_view is None:
            desk = window.desk
            window.conversion_view = ConversionView(desk.reports, desk.bookings, window.zone, runner=window.runner)
            layout.addWidget(window.conversion_view)

    window.lower_tabs.currentChanged.connect(opened)


__all__ = ["ConversionView", "install_conversion"]
