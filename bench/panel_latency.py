"""Webhook → live call panel: time from the signed POST leaving the client to the call's row being in the
panel's model on the GUI thread (receiver → inbox → intake worker → SQLite → event bus → queued Qt signal → the
row read on the worker → model). ``--rate 20 --seconds 60`` is issue 7's load: 20 deliveries a second for a minute,
sent on a fixed schedule (an open loop: a slow answer does not slow the sender). ``--stages`` also prints where each
call's time went, stage by stage, and the garbage collector's pauses."""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "receptionist.providers.secrets.MemoryKeyring")

import requests  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.app import App  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.ingest.signing import SECRET_KEY, signed_headers  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist_sandbox.simulator import CallSimulator  # noqa: E402
from receptionist.ui.main_window import MainWindow  # noqa: E402


def pct(values: list[float], p: float) -> float:
    """The p-th percentile of sorted ``values`` (the nearest rank below, as the summary line has always used)."""
    return values[int(p / 100 * (len(values) - 1))]


class Stages:
    """``--stages``: each call's time at each stage, from wrappers this benchmark puts around the product's methods
    (its own process): the door entered (``Intake.receive``), the inbox row committed (``store_delivery``), the
    answer built, the mapper's batch committed (``InboxStore.apply``), the news handled on the GUI thread, the
    panel's read of the row done (``calls_by_id`` on the worker), the row in the model; and every pause of the
    garbage collector (which holds the GIL: every thread waits)."""

    NAMES = ("sent", "door", "stored", "answered", "mapped", "news", "read", "row")

    def __init__(self, app: App, window: MainWindow):
        self.at: dict[str, dict[str, float]] = collections.defaultdict(dict)
        self.by_inbox: dict[int, str] = {}
        self.by_row: dict[int, str] = {}
        self.gc_pauses: list[tuple[int, float]] = []
        self._gc_started = 0.0
        self._door = threading.local()
        intake, inbox, desk = app.ingestor, app.ingestor.inbox, app.desk
        receive, store_delivery, apply, calls_by_id = (intake.receive, inbox.store_delivery, inbox.apply,
                                                       desk.bookings.calls_by_id)

        def timed_receive(delivery, **kwargs):
            try:
                call_id = json.loads(delivery.body).get("call_id")
            except ValueError:
                call_id = None
            self._door.call_id = call_id
            self.mark(call_id, "door")
            answer = receive(delivery, **kwargs)
            self.mark(call_id, "answered")
            if answer.inbox_id is not None and call_id is not None:
                self.by_inbox[answer.inbox_id] = call_id
            return answer

        def timed_store_delivery(**kwargs):
            stored = store_delivery(**kwargs)
            self.mark(getattr(self._door, "call_id", None), "stored")
            return stored

        def timed_apply(outcomes, now, due):
            applied = apply(outcomes, now, due)
            for outcome in outcomes:
                self.mark(self.by_inbox.get(outcome.inbox_id), "mapped")
            return applied

        def timed_calls_by_id(ids):
            calls = calls_by_id(ids)
            for call_row_id in ids:
                self.mark(self.by_row.get(call_row_id), "read")
            return calls

        def news(topic: str, data: dict) -> None:
            if topic == events.CALL_RECEIVED:
                self.by_row[data.get("call_row_id")] = data.get("call_id")
                self.mark(data.get("call_id"), "news")

        intake.receive, inbox.store_delivery, inbox.apply = timed_receive, timed_store_delivery, timed_apply
        desk.bookings.calls_by_id = timed_calls_by_id
        window.bridge.event_received.connect(news)
        gc.callbacks.append(self._gc)

    def mark(self, call_id: str | None, stage: str) -> None:
        if call_id is not None:
            self.at[call_id].setdefault(stage, time.perf_counter())

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses.append((info["generation"], (time.perf_counter() - self._gc_started) * 1000))

    def report(self) -> None:
        print("stage → next stage (ms)            p50      p95      p99      max")
        for first, then in zip(self.NAMES, self.NAMES[1:]):
            spans = sorted((t[then] - t[first]) * 1000 for t in self.at.values() if first in t and then in t)
            if spans:
                print(f"  {first:>8} → {then:<8}            {pct(spans, 50):7.1f}  {pct(spans, 95):7.1f}  "
                      f"{pct(spans, 99):7.1f}  {spans[-1]:7.1f}")
        for generation in (0, 1, 2):
            pauses = [ms for g, ms in self.gc_pauses if g == generation]
            if pauses:
                print(f"  garbage collector, generation {generation}: {len(pauses)} pauses, max {max(pauses):.1f} ms, "
                      f"total {sum(pauses):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=5.0, help="deliveries per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    parser.add_argument("--stages", action="store_true", help="also print the time between stages, per call")
    args = parser.parse_args()
    args.calls = int(args.rate * args.seconds)
    args.gap = 1.0 / args.rate
    qapp = QApplication.instance() or QApplication([])
    secrets = memory_secret_store("bench")
    secrets.set(SECRET_KEY, "bench-secret")
    app = App.build(Profile.from_dict({"ingest": {"port": 0}}), f"sqlite:///{tempfile.mkdtemp()}/b.db", secrets)
    app.start(sync=False)
    window = MainWindow(app.desk, app.bus)
    window.resize(1440, 900)
    window.show()
    stages = Stages(app, window) if args.stages else None
    sent: dict[str, float] = {}
    latencies: list[float] = []
    model = window.call_panel.model

    def on_rows(_parent, first, last) -> None:
        now = time.perf_counter()
        for row in range(first, last + 1):
            call = model.call_at(row)
            if call is not None and call.call_id in sent:
                latencies.append((now - sent.pop(call.call_id)) * 1000)
                if stages is not None:
                    stages.mark(call.call_id, "row")
        if len(latencies) >= args.calls:
            qapp.quit()

    # the tray's notification of each call that needs a person (once per call), timed from the same POST
    sent_at: dict[str, float] = {}
    announced: dict[int, float] = {}
    real_announce = window.tray.announce

    def timed_announce(call_row_id: int, title: str, text: str) -> bool:
        announced.setdefault(call_row_id, time.perf_counter())
        return real_announce(call_row_id, title, text)

    window.tray.announce = timed_announce
    model.rowsInserted.connect(on_rows)
    model.modelReset.connect(lambda: on_rows(None, 0, model.rowCount() - 1))  # the first rows come as a reset
    sim = CallSimulator(app.receiver.url, "bench-secret", seed=3)

    bodies = [sim.make_payload() for _ in range(args.calls)]

    def post(body: dict, session: requests.Session) -> None:
        raw = json.dumps(body).encode()
        sent[body["call_id"]] = sent_at[body["call_id"]] = time.perf_counter()
        if stages is not None:
            stages.mark(body["call_id"], "sent")
        session.post(app.receiver.url, data=raw, headers=signed_headers("bench-secret", int(time.time()), raw))

    def post_all() -> None:
        sessions = [requests.Session() for _ in range(4)]
        start = time.perf_counter()
        threads = []
        for i, body in enumerate(bodies):  # open loop: each delivery leaves on its slot, answered or not
            delay = start + i * args.gap - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=post, args=(body, sessions[i % len(sessions)]), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()

    QTimer.singleShot(300, lambda: threading.Thread(target=post_all, daemon=True).start())
    QTimer.singleShot(int((args.calls * args.gap + 30) * 1000), qapp.quit)  # give up eventually
    qapp.exec()
    deadline = time.perf_counter() + 5  # the last calls' notifications land just after their rows
    while len(announced) < len(latencies) and time.perf_counter() < deadline:
        qapp.processEvents()
        time.sleep(0.01)
    rows = {c.id: c.call_id for c in model.rows()}
    notified = sorted((at - sent_at[rows[row_id]]) * 1000 for row_id, at in announced.items()
                      if rows.get(row_id) in sent_at)
    window.quit_desk(ask=False)
    app.stop()
    lat = sorted(latencies)
    print(f"{len(lat)}/{args.calls} calls at {args.rate:g}/s for {args.seconds:g} s, SQLite WAL, "
          f"Qt {os.environ['QT_QPA_PLATFORM']}")
    print(f"webhook POST → row in the call panel: p50 {statistics.median(lat):.1f} ms  "
          f"p95 {pct(lat, 95):.1f} ms  p99 {pct(lat, 99):.1f} ms  max {lat[-1]:.1f} ms")
    if notified:
        print(f"webhook POST → tray notification ({len(notified)} calls needing a person): "
              f"p50 {statistics.median(notified):.1f} ms  p95 {pct(notified, 95):.1f} ms  max {notified[-1]:.1f} ms")
    if stages is not None:
        stages.report()


if __name__ == "__main__":
    main()
