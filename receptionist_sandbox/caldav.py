"""A real CalDAV server for the tests and the demo: Radicale on a free loopback port with a throwaway storage
folder, and a small fault proxy in front of it.

``RadicaleServer`` runs ``python -m radicale`` (no sign-in: any user name and password are taken) and waits until
its port answers; ``stop()`` ends that process (terminate, then kill) and removes the folder it made.

``FaultProxy`` forwards HTTP/1.1 requests to Radicale byte for byte, except those a ``FaultInjector`` rule
(``receptionist_sandbox.faults``) matches: ``Fault(status=..., retry_after=...)`` answers that status without
asking Radicale; ``Fault(drop_after_store=True)`` lets Radicale do the request and then closes the connection
without an answer (a write that landed whose answer was lost, as the client sees a dropped connection).

Two switches make Radicale look like other servers: ``without_sync_collection`` hides ``DAV:sync-token`` and
refuses the ``sync-collection`` REPORT (servers with only a ctag), and ``rewrite_hrefs`` stores every PUT of a new
event under a name of the server's own (``srv-<hash>.ics``) and does not say where. ``requests`` records every
(method, path) that reached the proxy.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from receptionist_sandbox.faults import FaultInjector, apply_delay

START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RadicaleServer:
    """``python -m radicale`` on loopback; ``url`` is its root, ``storage`` its folder."""

    def __init__(self, storage: Path | None = None):
        self._own_storage = storage is None
        self.storage = Path(storage or tempfile.mkdtemp(prefix="receptionist-radicale-"))
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> "RadicaleServer":
        self.port = free_port()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
             "--storage-filesystem-folder", str(self.storage / "collections"), "--auth-type", "none",
             "--logging-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Radicale did not start: {self._process.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Radicale did not answer on port {self.port} within {START_TIMEOUT:g} s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None
        if self._own_storage:
            shutil.rmtree(self.storage, ignore_errors=True)

    def forget_sync_tokens(self, collection_path: str) -> None:
        """Radicale forgets the sync tokens it gave out for a collection: the next REPORT with one is refused with
        ``DAV:valid-sync-token``, as a server does once a token is too old."""
        folder = self.storage / "collections" / "collection-root" / collection_path.strip("/")
        shutil.rmtree(folder / ".Radicale.cache" / "sync-token", ignore_errors=True)

    def __enter__(self) -> "RadicaleServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _read_request(stream) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    line = stream.readline(65537)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: list[tuple[str, str]] = []
    while True:
        raw = stream.readline(65537)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    return method, target, headers, stream.read(length) if length else b""


class FaultProxy:
    """A loopback HTTP proxy in front of ``upstream`` that answers ``faults`` (see the module docstring)."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.faults = FaultInjector()
        self.without_sync_collection = False
        self.rewrite_hrefs = False
        self.requests: list[tuple[str, str]] = []
        self._open: set[socket.socket] = set()
        self.port = 0
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> "FaultProxy":
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._open.add(self.connection)
                upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                try:
                    while proxy._one(self.rfile, self.wfile, upstream):
                        pass
                except OSError:  # the client went away, or stop() closed the connection
                    pass
                finally:
                    upstream.close()
                    proxy._open.discard(self.connection)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="caldav-fault-proxy", daemon=True)
        self._thread.start()
        return self

    def _one(self, rfile, wfile, upstream: http.client.HTTPConnection) -> bool:
        request = _read_request(rfile)
        if request is None:
            return False
        method, target, headers, body = request
        self.requests.append((method, urlsplit(target).path))
        if self.without_sync_collection and method == "REPORT" and b"sync-collection" in body:
            refusal = b'<?xml version="1.0"?><error xmlns="DAV:"><supported-report/></error>'
            wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: "
                        + str(len(refusal)).encode() + b"\r\n\r\n" + refusal)
            wfile.flush()
            return True
        if self.rewrite_hrefs and method == "PUT" and any(k.lower() == "if-none-match" for k, _ in headers):
            folder, name = target.rsplit("/", 1)
            target = f"{folder}/srv-{hashlib.sha256(name.encode()).hexdigest()[:16]}.ics"
        fault = self.faults.take(method, urlsplit(target).path)
        if fault is not None and not fault.drop_after_store:
            apply_delay(fault)
            extra = f"Retry-After: {fault.retry_after:g}\r\n" if fault.retry_after is not None else ""
            wfile.write(f"HTTP/1.1 {fault.status} Fault\r\n{extra}Content-Length: 0\r\n\r\n".encode("latin-1"))
            wfile.flush()
            return True
        upstream.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:  # uncompressed answers, so the proxy can read and change them
            if name.lower() not in ("content-length", "accept-encoding"):
                upstream.putheader(name, value)
        upstream.putheader("Content-Length", str(len(body)))
        upstream.endheaders(body)
        answer = upstream.getresponse()
        data = answer.read()
        if fault is not None:  # drop_after_store: Radicale did it; the client never hears
            return False
        if self.without_sync_collection and method == "PROPFIND":
            data = re.sub(rb"<sync-token>[^<]*</sync-token>", b"", data)
        lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
        lines += [f"{k}: {v}" for k, v in answer.getheaders()
                  if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        lines.append(f"Content-Length: {len(data)}")
        wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        wfile.flush()
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            for connection in list(self._open):
                connection.shutdown(socket.SHUT_RDWR)
            self._server.server_close()
            self._server = None


# ------------------------------------------------------------------------------------------------ the demo's calendar
# The hygienists' shared calendar, kept in Apple Calendar (iCloud) at a real clinic: served here by Radicale.
DEMO_USER = "frontdesk"
DEMO_PASSWORD = "demo-app-specific-password"
DEMO_CALENDAR = "Hygiene team"
# (day from Monday, start hour:minute or None for all day, minutes, title, busy)
DEMO_WEEK = [
    (0, (7, 45), 30, "Hygiene team stand-up", True),
    (1, (16, 0), 60, "Sealant training (Maria)", True),
    (2, None, 0, "Maria — vacation day", True),
    (3, (12, 30), 30, "Optional: new intraoral scanner demo", False),
]
DEMO_SERIES = ((4, 7, 30), 30, "Hygiene chart review")  # Fridays 7:30, this week's moved to 8:30, next cancelled


def make_calendar(server_url: str, user: str, password: str, name: str) -> str:
    """A new calendar for ``user`` on the server; its URL."""
    from caldav import DAVClient

    with DAVClient(server_url, username=user, password=password) as client:
        return str(client.principal().make_calendar(name=name).url)


def _event(uid: str, title: str, start, end, *, busy: bool = True, **extra):
    import icalendar

    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime(2026, 1, 1, tzinfo=timezone.utc))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", title)
    event.add("transp", "OPAQUE" if busy else "TRANSPARENT")
    for name, value in extra.items():
        event.add(name.replace("_", "-"), value)
    return event


def seed_week(server_url: str, calendar_url: str, user: str, password: str, monday: date, zone: ZoneInfo) -> int:
    """This week and the next on the calendar, and the weekly series with one moved and one cancelled occurrence
    (times in the location's zone, with its VTIMEZONE); how many events were made (the series counting once)."""
    import icalendar
    from caldav import DAVClient

    def put(name: str, *events) -> None:
        cal = icalendar.Calendar()
        cal.add("prodid", "-//Receptionist sandbox//EN")
        cal.add("version", "2.0")
        for event in events:
            cal.add_component(event)
        cal.add_missing_timezones()
        client.request(urljoin(calendar_url, f"{name}.ics"), "PUT", cal.to_ical().decode(),
                       {"Content-Type": "text/calendar"})

    count = 0
    with DAVClient(server_url, username=user, password=password) as client:
        for week in (0, 7):
            for n, (day, at, minutes, title, busy) in enumerate(DEMO_WEEK):
                first = monday + timedelta(days=day + week)
                if at is None:
                    start, end = first, first + timedelta(days=1)
                else:
                    start = datetime.combine(first, dtime(*at), zone)
                    end = start + timedelta(minutes=minutes)
                put(f"seed-{week}-{n}", _event(f"seed-{week}-{n}", title, start, end, busy=busy))
                count += 1
        (day, hour, minute), minutes, title = DEMO_SERIES
        first = datetime.combine(monday + timedelta(days=day - 28), dtime(hour, minute), zone)
        this_week = datetime.combine(monday + timedelta(days=day), dtime(hour, minute), zone)
        next_week = datetime.combine(this_week.date() + timedelta(days=7), dtime(hour, minute), zone)
        moved = this_week.replace(hour=hour + 1)
        put("seed-series",
            _event("seed-series", title, first, first + timedelta(minutes=minutes),
                   rrule={"freq": "weekly", "count": 10}, exdate=next_week),
            _event("seed-series", f"{title} (moved)", moved, moved + timedelta(minutes=minutes),
                   recurrence_id=this_week))
    return count + 1
