"""Run a WSGI app on a port in a background thread: the webhook receiver and every sandbox stand-in.

The webhook receiver runs on waitress (``ProductionServer``); the stand-ins on Werkzeug's threaded server
(``ServedApp``). Each app is a plain WSGI app built on ``werkzeug.Request`` / ``Response`` and
``werkzeug.routing.Map``.  ``tls=True`` serves HTTPS with a self-signed certificate made at
start-up (msal refuses an ``http://`` authority); ``cert_path`` is the PEM a client must trust.
"""

from __future__ import annotations

import datetime as dt
import errno
import ipaddress
import logging
import os
import socket
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger(__name__)


def make_self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for ``host`` (and localhost) into ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Receptionist sandbox")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _QuietHandler(WSGIRequestHandler):
    """No access-log line per request (errors are still logged): the demo's terminal stays readable.

    TCP_NODELAY: the server writes headers and body separately; with Nagle + delayed ACK that adds ~10 ms to
    every loopback request."""

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_request(self, code="-", size="-") -> None:  # noqa: ANN001 - base-class signature
        log.debug("%s %s %s", self.command, self.path, code)


class ServedApp:
    """A WSGI app listening on ``host:port`` (port 0 = a free one) in a daemon thread.

    Attributes:
        url: ``http(s)://host:port`` once started.
        cert_path: the self-signed certificate to trust when ``tls`` is on.
    """

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False, name: str = "sandbox"):
        self.app = app
        self.host = host
        self.port = port
        self.tls = tls
        self.name = name
        self.cert_path: Path | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> "ServedApp":
        ssl_context = None
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"receptionist-{self.name}-tls-")
            cert, key = make_self_signed_cert(Path(self._tmp.name), self.host)
            self.cert_path = cert
            ssl_context = (str(cert), str(key))
        try:
            self._server = make_server(self.host, self.port, self.app, threaded=True, ssl_context=ssl_context,
                                       request_handler=_QuietHandler)
        except SystemExit as exc:  # werkzeug prints "Address already in use" and exits; we want an exception
            raise OSError(errno.EADDRINUSE, f"address {self.host}:{self.port} already in use") from exc
        self._server.daemon_threads = True
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-http", daemon=True
        )
        self._thread.start()
        log.info("%s listening on %s", self.name, self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "ServedApp":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


#: How long waitress's loop waits in select() for news. waitress takes it as a whole number of seconds (0.2 became
#: 0: a loop that never waited, holding the GIL half the time and slowing every other thread of the desk); stop()
#: wakes the loop through waitress's trigger at once, so this does not delay stopping.
LOOP_TIMEOUT_SECONDS = 1


def _bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (the first address the host resolves to), closed again if it cannot bind.

    Bound before waitress sees it: waitress binds inside its server's constructor, after it has made its trigger
    pipe and started its worker threads, and a failed bind (a taken port) leaves all of those open for good."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":  # a restarted desk rebinds its port at once; on Windows it would share a taken port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


class ProductionServer:
    """A WSGI app on waitress (a production WSGI server: a bounded thread pool, request size limits, slow-client
    buffering) in a background thread. The product's webhook receiver runs on this; the stand-ins keep Werkzeug's
    server because msal needs TLS from them, which waitress leaves to a reverse proxy.

    Attributes:
        url: ``http://host:port`` once started (port 0 picks a free one).
    """

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, threads: int = 4, name: str = "server",
                 max_request_body_size: int = 1_048_576, connection_limit: int = 1000, channel_timeout: int = 30):
        self.app, self.host, self.port, self.threads, self.name = app, host, port, threads, name
        self.max_request_body_size = max_request_body_size
        # waitress stops accepting at connection_limit (default 100): idle sockets held open by scanners or
        # stalled clients would otherwise lock valid deliveries out.
        self.connection_limit, self.channel_timeout = connection_limit, channel_timeout
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ProductionServer":
        from waitress.server import create_server

        sock = _bound_socket(self.host, self.port)
        try:
            # waitress logs a full traceback for an app exception on its "waitress" logger; ours logs its own.
            self._server = create_server(self.app, sockets=[sock], threads=self.threads,
                                         ident="receptionist", clear_untrusted_proxy_headers=True,
                                         max_request_body_size=self.max_request_body_size,
                                         channel_timeout=self.channel_timeout,
                                         connection_limit=self.connection_limit,
                                         asyncore_loop_timeout=LOOP_TIMEOUT_SECONDS)
        except BaseException:
            sock.close()
            raise
        self.port = self._server.effective_port
        self._thread = threading.Thread(target=self._server.run, name=f"{self.name}-http", daemon=True)
        self._thread.start()
        log.info("%s listening on %s", self.name, self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return

        def close_all() -> None:  # runs on the server's own loop thread: closing sockets under select() is unsafe
            from waitress.wasyncore import dispatcher

            for channel in list(server._map.values()):
                own_close = type(channel).handle_close is not dispatcher.handle_close  # HTTP channels flush first
                (channel.handle_close if own_close else channel.close)()

        try:
            server.trigger.pull_trigger(close_all)
        except OSError as exc:  # the loop's wake-up pipe is gone already: close from here, the loop then ends
            log.warning("%s: could not wake its loop to close (%s); closing its connections from this thread",
                        self.name, exc)
            close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        server.task_dispatcher.shutdown()
