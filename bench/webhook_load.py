"""Webhook intake under load, with 200 idle connections held open the whole time.

Phase 1 (open loop): ``--rate`` signed deliveries per second for ``--seconds`` (default 20/s for 60 s), each sent at
its scheduled time from a small pool of senders, so a slow answer does not hide later ones. Measured per delivery:
the HTTP answer time, and receipt → stored in the database → announced on the event bus (what the call panel waits
for before it shows the call).

Phase 2 (closed loop): ``--senders`` clients post as fast as they can for ``--burst-seconds``: the sustained rate
of deliveries answered *and* stored.

``--platform`` picks the payload (``generic`` v1, or ``vapi``, ``retell``, ``elevenlabs``, ``bland``, ``twilio``,
``mix`` for all of them in turn), each signed as that platform signs (``receptionist_sandbox.voice_platforms``).

    .venv/bin/python bench/webhook_load.py                 # 20/s for 60 s, then a 10 s burst
    .venv/bin/python bench/webhook_load.py --seconds 10    # shorter
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "receptionist.providers.secrets.MemoryKeyring")

import requests  # noqa: E402

from receptionist import events  # noqa: E402
from receptionist.app import App  # noqa: E402
from receptionist.config import Profile  # noqa: E402
from receptionist.ingest.platforms import ADAPTERS  # noqa: E402
from receptionist.providers.secrets import memory_secret_store  # noqa: E402
from receptionist_sandbox.simulator import CallSimulator  # noqa: E402
from receptionist_sandbox.voice_platforms import PlatformCall, render, sign  # noqa: E402

PLATFORMS = ["generic", "vapi", "retell", "elevenlabs", "bland", "twilio"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Load:
    def __init__(self, app: App, platforms: list[str], secrets: dict[str, str], seed: int = 7):
        self.app = app
        self.platforms = itertools.cycle(platforms)
        self.secrets = secrets
        self.sim = CallSimulator("http://unused", "x", seed=seed)
        self.lock = threading.Lock()
        self.sent_at: dict[str, float] = {}
        self.stored_ms: list[float] = []
        self.answer_ms: list[float] = []
        self.statuses: dict[int, int] = {}
        self.stored = threading.Semaphore(0)
        self.local = threading.local()
        app.bus.subscribe(self._on_event)

    def _on_event(self, event: events.Event) -> None:
        if event.topic != events.CALL_RECEIVED:
            return
        now = time.perf_counter()
        with self.lock:
            started = self.sent_at.pop(event.data.get("call_id"), None)
            if started is not None:
                self.stored_ms.append((now - started) * 1000)
        self.stored.release()

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
            self.local.session.trust_env = False
        return self.local.session

    def make(self) -> tuple[str, str, bytes, dict]:
        with self.lock:
            platform = next(self.platforms)
            v1 = self.sim.make_payload()
        rx = self.app.receiver
        if platform == "generic":
            url = rx.url
            call_id = v1["call_id"]
            body, extra = json.dumps(v1).encode(), {}
        else:
            url = rx.url_for(platform)
            call = PlatformCall.from_v1(platform, v1)
            call_id = call.call_id
            body, extra = render(call)
        headers = sign(platform, self.secrets[platform], body, url=url, call_id=call_id, form=extra.get("form"))
        return call_id, url, body, headers

    def send_one(self) -> None:
        call_id, url, body, headers = self.make()
        started = time.perf_counter()
        with self.lock:
            self.sent_at[call_id] = started
        try:
            r = self._session().post(url, data=body, headers=headers, timeout=30)
            status = r.status_code
        except requests.RequestException:
            status = -1
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.answer_ms.append(elapsed)
            self.statuses[status] = self.statuses.get(status, 0) + 1


class IdleCrowd:
    """``n`` connections held open for the whole run: half idle (nothing sent), half slow (a request line, then a
    header line every few seconds, never finished). The receiver closes idle ones after ``channel_timeout``; the
    crowd reconnects them, as scanners and stalled clients do, so ``n`` stay open throughout."""

    def __init__(self, port: int, n: int):
        self.port, self.n = port, n
        self.sockets: list[socket.socket] = [self._open(i) for i in range(n)]
        self.reopened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, daemon=True)
        self._thread.start()

    def _open(self, i: int) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if i % 2:
            s.sendall(b"POST /webhooks/v1/calls HTTP/1.1\r\nHost: desk\r\n")
        s.setblocking(False)
        return s

    def _closed(self, s: socket.socket) -> bool:
        try:
            return s.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _keep(self) -> None:
        while not self._stop.wait(3.0):
            for i, s in enumerate(self.sockets):
                if self._closed(s):
                    s.close()
                    self.sockets[i] = self._open(i)
                    self.reopened += 1
                elif i % 2:
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        pass

    def open_now(self) -> int:
        return sum(not self._closed(s) for s in self.sockets)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self.sockets:
            s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="deliveries per second in phase 1")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of phase 1")
    parser.add_argument("--burst-seconds", type=float, default=10.0, help="length of phase 2 (0 skips it)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent clients in phase 2")
    parser.add_argument("--idle", type=int, default=200, help="idle/slow connections held open throughout")
    parser.add_argument("--platform", default="generic", choices=PLATFORMS + ["mix"])
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    import logging

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" on every burst
    folder = tempfile.mkdtemp(prefix="receptionist-bench-")
    db_url = args.db or f"sqlite:///{folder}/bench.db"
    store = memory_secret_store("bench")
    secrets = {p: f"bench-{p}-secret" for p in PLATFORMS}
    for p in PLATFORMS:
        store.set(ADAPTERS[p].secret_key, secrets[p])
    profile = Profile.from_dict({"ingest": {"port": 0}})
    app = App.build(profile, db_url, store)
    app.ingestor.start()
    app.receiver.start()
    port = int(app.receiver.base_url.rsplit(":", 1)[1])
    platforms = PLATFORMS if args.platform == "mix" else [args.platform]
    load = Load(app, platforms, secrets)
    idle = IdleCrowd(port, args.idle)
    print(f"receiver {app.receiver.base_url}, {idle.open_now()} idle/slow connections held open, database {db_url}")
    print(f"platform(s): {', '.join(platforms)}; waitress threads {profile.ingest.threads}, connection_limit "
          f"{profile.ingest.connection_limit}; {os.cpu_count()} CPU(s)")

    # phase 1: open loop at --rate
    total = int(args.rate * args.seconds)
    interval = 1.0 / args.rate
    pool = ThreadPoolExecutor(max_workers=16)
    t0 = time.perf_counter()
    for i in range(total):
        wait = t0 + i * interval - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        pool.submit(load.send_one)
    pool.shutdown(wait=True)
    sent_for = time.perf_counter() - t0
    deadline = time.monotonic() + 30
    while len(load.stored_ms) < sum(n for s, n in load.statuses.items() if 200 <= s < 300) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    ok = sum(n for s, n in load.statuses.items() if 200 <= s < 300)
    print(f"\nphase 1: {total} deliveries at {args.rate:g}/s over {sent_for:.1f} s — answers {dict(load.statuses)}")
    print(f"  HTTP answer                  p50 {statistics.median(load.answer_ms):7.1f} ms   p99 "
          f"{pct(load.answer_ms, 99):7.1f} ms   max {max(load.answer_ms):7.1f} ms")
    if load.stored_ms:
        print(f"  webhook → stored, announced  p50 {statistics.median(load.stored_ms):7.1f} ms   p99 "
              f"{pct(load.stored_ms, 99):7.1f} ms   max {max(load.stored_ms):7.1f} ms   ({len(load.stored_ms)}/{ok})")

    # phase 2: closed loop, as fast as the senders go
    if args.burst_seconds > 0:
        before = len(load.stored_ms)
        load.answer_ms.clear()
        load.statuses.clear()
        stop = time.perf_counter() + args.burst_seconds

        def sender() -> None:
            while time.perf_counter() < stop:
                load.send_one()

        threads = [threading.Thread(target=sender) for _ in range(args.senders)]
        t1 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        answered = time.perf_counter() - t1
        ok2 = sum(n for s, n in load.statuses.items() if 200 <= s < 300)
        deadline = time.monotonic() + 60
        while len(load.stored_ms) - before < ok2 and time.monotonic() < deadline:
            time.sleep(0.05)
        drained = time.perf_counter() - t1
        stored = len(load.stored_ms) - before
        print(f"\nphase 2: {args.senders} senders for {args.burst_seconds:g} s — answers {dict(load.statuses)}")
        print(f"  answered {ok2 / answered:7.1f} deliveries/s; stored {stored / drained:7.1f} calls/s "
              f"({stored} stored in {drained:.1f} s, the worker writing in batches of {profile.ingest.batch_size})")
        print(f"  HTTP answer p50 {statistics.median(load.answer_ms):.1f} ms, p99 {pct(load.answer_ms, 99):.1f} ms")

    print(f"\nidle/slow connections open at the end: {idle.open_now()}/{args.idle} (re-opened {idle.reopened} that "
          f"channel_timeout {profile.ingest.channel_timeout_seconds} s had closed)")
    idle.close()
    print(f"inbox: {app.store.inbox.counts()}")
    app.stop()


if __name__ == "__main__":
    main()
