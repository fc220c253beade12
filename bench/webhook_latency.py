"""Webhook receiver: HTTP answer time and receipt → stored → announced latency over N signed calls."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "receptionist.providers.secrets.MemoryKeyring")

import requests  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.app import App  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.ingest.signing import SECRET_KEY  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist_sandbox.simulator import CallSimulator  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    secrets = memory_secret_store("bench")
    secrets.set(SECRET_KEY, "bench-secret")
    profile = Profile.from_dict({"ingest": {"port": 0}})
    app = App.build(profile, f"sqlite:///{folder}/bench.db", secrets)
    app.ingestor.start()
    app.receiver.start()
    announced = threading.Semaphore(0)
    app.bus.subscribe(lambda e: announced.release() if e.topic == events.CALL_RECEIVED else None)
    sim = CallSimulator(app.receiver.url, "bench-secret", seed=7)
    session = requests.Session()
    answer_ms = []
    for _ in range(args.calls):
        body = sim.make_payload()
        import json

        from receptionist.ingest.signing import signed_headers

        raw = json.dumps(body).encode()
        started = time.perf_counter()
        r = session.post(app.receiver.url, data=raw, headers=signed_headers("bench-secret", int(time.time()), raw))
        answer_ms.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 202, r.text
        announced.acquire(timeout=10)
    lat = app.ingestor.latencies_ms
    print(f"{args.calls} signed calls, SQLite WAL, 2-core machine")
    print(f"HTTP answer (202)            p50 {statistics.median(answer_ms):6.1f} ms  p95 {pct(answer_ms, 95):6.1f} ms"
          f"  max {max(answer_ms):6.1f} ms")
    print(f"receipt → stored + announced p50 {statistics.median(lat):6.1f} ms  p95 {pct(lat, 95):6.1f} ms"
          f"  max {max(lat):6.1f} ms")
    app.stop()


if __name__ == "__main__":
    main()
