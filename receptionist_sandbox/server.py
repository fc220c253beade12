"""What every stand-in shares: its lifecycle on a loopback port (``ServedApp`` from ``receptionist.serving``)."""

from __future__ import annotations

import socket
from pathlib import Path

from werkzeug.wrappers import Request, Response

from receptionist.serving import ServedApp
from receptionist_sandbox.faults import CloseConnection


class StandIn:
    """Lifecycle shared by the stand-ins: a WSGI ``__call__`` served by ``ServedApp``. Subclasses set
    ``stand_in_name`` and ``stand_in_tls`` and call nothing else."""

    stand_in_name = "sandbox"
    stand_in_tls = False
    _served: ServedApp | None = None

    def __call__(self, environ, start_response):
        """WSGI entry: a stand-in implements ``_dispatch(request) -> Response``."""
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except CloseConnection:
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
            # Werkzeug's handler takes a ConnectionError as the client gone and writes nothing more
            raise ConnectionAbortedError("the stand-in closed this connection (fault)") from None
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:  # pragma: no cover - every stand-in overrides it
        raise NotImplementedError

    def start(self, host: str = "127.0.0.1", port: int = 0):
        self._served = ServedApp(self, host=host, port=port, tls=self.stand_in_tls, name=self.stand_in_name).start()
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
            self._served = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._served is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._served.url

    @property
    def cert_path(self) -> Path | None:
        """The self-signed certificate a client must trust (TLS stand-ins only)."""
        return self._served.cert_path if self._served else None
