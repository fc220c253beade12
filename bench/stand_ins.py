"""The Google and Graph stand-ins in a child process, for the benchmarks that compare the product with a bare client.

In the benchmark's own process the stand-ins' answers (rendering 1,000 events a page, a TLS handshake per Graph
request) would compete with the client for the GIL, as no real calendar does, and turn the load of the machine into
noise in both the product's time and the baseline's. Here they answer from a child process: the parent gets the
profile pointed at them and the secrets of their sign-ins, and asks the child to seed events and to say which
requests it answered.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import Counter

from receptionist.config import Profile
from receptionist.providers.microsoft_auth import CACHE_KEY as OUTLOOK_CACHE_KEY
from receptionist.providers.secrets import memory_secret_store

SECRET_KEYS = ("google.client_secret", "google.refresh_token", OUTLOOK_CACHE_KEY)
_SIGN_IN = ("/token", "oauth2", "openid", "devicecode", ".well-known")


def _serve(conn, time_zone: str) -> None:
    """Runs in the child: the sandbox stack, signed in; answers the parent's commands over ``conn``."""
    logging.basicConfig(level=logging.WARNING)
    from receptionist_sandbox.stack import GOOGLE_ACCOUNT, SandboxStack

    with SandboxStack(time_zone=time_zone) as stack:
        profile = stack.profile(ingest_port=0)
        secrets = memory_secret_store("stand-ins")
        stack.provision(profile, secrets)
        conn.send((profile.model_dump(mode="json"), {key: secrets.get(key) for key in SECRET_KEYS}))
        logs = {"google": stack.google.requests, "outlook": stack.microsoft.requests}
        marks = {name: len(log) for name, log in logs.items()}
        while True:
            command, *args = conn.recv()
            if command == "stop":
                conn.send(None)
                return
            if command == "requests":  # the API requests answered since the last ask, by calendar
                out = {}
                for name, log in logs.items():
                    new, marks[name] = log[marks[name]:], len(log)
                    out[name] = [(m, p) for m, p in new if not any(part in p for part in _SIGN_IN)]
                conn.send(out)
            elif command == "seed":  # (calendar, [body]) → how many
                name, bodies = args
                for body in bodies:
                    if name == "google":
                        stack.google.seed_event(GOOGLE_ACCOUNT, "primary", body)
                    else:
                        stack.microsoft.seed_event(None, body)
                conn.send(len(bodies))


class StandIns:
    """The child process; ``profile`` points at its stand-ins and ``secrets`` holds their sign-ins."""

    def __init__(self, time_zone: str = "America/Chicago"):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, time_zone), daemon=True)
        self.process.start()
        data, values = self.conn.recv()
        self.profile = Profile.from_dict(data, source="stand-ins")
        self.secrets = memory_secret_store("bench")
        for key, value in values.items():
            if value is not None:
                self.secrets.set(key, value)

    def ask(self, *command):
        self.conn.send(command)
        return self.conn.recv()

    def requests(self) -> dict[str, list[tuple[str, str]]]:
        """The API requests each stand-in answered since the last call (sign-in requests left out)."""
        return self.ask("requests")

    def counts(self) -> Counter:
        return Counter({name: len(log) for name, log in self.requests().items()})

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(30)

    def __enter__(self) -> "StandIns":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
