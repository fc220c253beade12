"""Webhook → live call panel: time from the signed POST leaving the client to the call's row being in the
panel's model on the GUI thread (receiver → inbox → intake worker → SQLite → event bus → queued Qt signal → the
row read on the worker → model). ``--rate 20 --seconds 60`` is issue 7's load: 20 deliveries a second for a minute,
sent on a fixed schedule (an open loop: a slow answer does not slow the sender)."""

from __future__ import annotations

import argparse
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

from receptionist.app import App  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.ingest.signing import SECRET_KEY, signed_headers  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist_sandbox.simulator import CallSimulator  # noqa: E402
from receptionist.ui.main_window import MainWindow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=5.0, help="deliveries per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    args = parser.parse_args()
    args.calls = int(args.rate * args.seconds)
    args.gap = 1.0 / args.rate
    qapp = QApplication.instance() or QApplication([])
    secrets = memory_secret_store("bench")
    secrets.set(SECRET_KEY, "bench-secret")
    app = App.build(Profile.from_dict({"ingest": {"port": 0}}), f"sqlite:///{tempfile.mkdtemp()}/b.db", secrets)
    app.start(sync=False)
    window = MainWindow(app.service, app.bus)
    window.resize(1440, 900)
    window.show()
    sent: dict[str, float] = {}
    latencies: list[float] = []
    model = window.call_panel.model

    def on_rows(_parent, first, last) -> None:
        now = time.perf_counter()
        for row in range(first, last + 1):
            call = model.call_at(row)
            if call is not None and call.call_id in sent:
                latencies.append((now - sent.pop(call.call_id)) * 1000)
        if len(latencies) >= args.calls:
            qapp.quit()

    model.rowsInserted.connect(on_rows)
    model.modelReset.connect(lambda: on_rows(None, 0, model.rowCount() - 1))  # the first rows come as a reset
    sim = CallSimulator(app.receiver.url, "bench-secret", seed=3)

    bodies = [sim.make_payload() for _ in range(args.calls)]

    def post(body: dict, session: requests.Session) -> None:
        raw = json.dumps(body).encode()
        sent[body["call_id"]] = time.perf_counter()
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
    window.close()
    app.stop()
    lat = sorted(latencies)
    print(f"{len(lat)}/{args.calls} calls at {args.rate:g}/s for {args.seconds:g} s, SQLite WAL, "
          f"Qt {os.environ['QT_QPA_PLATFORM']}")
    print(f"webhook POST → row in the call panel: p50 {statistics.median(lat):.1f} ms  "
          f"p95 {lat[int(0.95 * (len(lat) - 1))]:.1f} ms  p99 {lat[int(0.99 * (len(lat) - 1))]:.1f} ms  "
          f"max {lat[-1]:.1f} ms")


if __name__ == "__main__":
    main()
