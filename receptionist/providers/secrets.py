"""Secrets in the OS keyring, never in the database, logs or config files: every value read or stored here is
handed to ``logs.keep_out``, whose filter blanks it in every log line.

``KeyringSecretStore`` is the product's store; ``location_secret_store(location)`` is the one for a location
(keyring service ``receptionist-console:<location id>``, so renaming a location orphans nothing).

``MemoryKeyring`` is a keyring backend that keeps secrets in process memory.  keyring votes among *every* imported
``KeyringBackend`` subclass, so its priority is negative: on a machine without a usable keyring, keyring's
``fail.Keyring`` (priority 0) still wins and a write fails loudly instead of vanishing with the process.  Only an
explicit choice picks it: tests set ``PYTHON_KEYRING_BACKEND=receptionist.providers.secrets.MemoryKeyring``, and
demo mode builds ``memory_secret_store()`` (demo secrets are throwaway).
"""

from __future__ import annotations

import logging
import secrets

import keyring
import keyring.backend
import keyring.errors

from receptionist import logs
from receptionist.errors import KeyringUnavailable, UserError

log = logging.getLogger(__name__)

SERVICE = "receptionist-console"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-process keyring backend, only ever chosen explicitly (tests, demo mode)."""

    priority = -1  # below fail.Keyring (0): never the product's keyring by keyring's own selection

    def __init__(self) -> None:
        super().__init__()
        self._data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._data[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


class KeyringSecretStore:
    """SecretStore on the ``keyring`` package. ``namespace`` separates locations/profiles sharing one machine.

    Long values are split: Windows Credential Manager holds at most 2,560 bytes per entry, and an msal token cache
    is ~4 KB. A long value is written as parts ``key#<generation>.<i>`` first and then a manifest under ``key``,
    and the previous generation's parts are removed last, so a reader never sees a half-written value.
    """

    CHUNK = 1000  # characters per entry: 2,000 bytes in Windows' UTF-16, under its 2,560-byte limit
    _MANIFEST = "receptionist-chunked:v1:"

    def __init__(self, namespace: str = "default", backend: keyring.backend.KeyringBackend | None = None, *,
                 legacy_namespaces: tuple[str, ...] = ()):
        self._service = f"{SERVICE}:{namespace}"
        self._legacy = tuple(f"{SERVICE}:{n}" for n in legacy_namespaces if f"{SERVICE}:{n}" != self._service)
        self._backend = backend or keyring.get_keyring()

    @property
    def service_name(self) -> str:
        return self._service

    @property
    def backend_name(self) -> str:
        kind = type(self._backend)
        return f"{kind.__module__}.{kind.__qualname__}"

    def _call(self, method: str, *args, service: str | None = None):
        """A backend call; a machine without a usable keyring becomes a UserError that says what to do."""
        try:
            return getattr(self._backend, method)(service or self._service, *args)
        except keyring.errors.PasswordDeleteError:
            raise
        except keyring.errors.KeyringError as exc:
            detail = "" if isinstance(exc, keyring.errors.NoKeyringError) else f" ({exc})"
            raise KeyringUnavailable(
                f"the OS keyring is not available on this computer{detail}, so no secret can be read or stored: "
                "on Windows and macOS it is built in; on Linux start a Secret Service (GNOME Keyring or KWallet) "
                "in the desktop session and unlock it, then try again"
            ) from exc

    def _manifest(self, raw: str | None) -> tuple[str, int] | None:
        if raw is None or not raw.startswith(self._MANIFEST):
            return None
        generation, _, count = raw[len(self._MANIFEST):].partition(":")
        return generation, int(count)

    def get(self, key: str) -> str | None:
        value = self._get(key, self._service)
        logs.keep_out(value)
        for legacy in self._legacy if value is None else ():
            value = self._get(key, legacy)
            if value is not None:  # a profile from before location ids: copy it under the id, keep the original
                log.info("secret %s found under the old keyring service %s; copied to %s", key, legacy,
                         self._service)
                self.set(key, value)
                break
        return value

    def _get(self, key: str, service: str) -> str | None:
        raw = self._call("get_password", key, service=service)
        manifest = self._manifest(raw)
        if manifest is None:
            return raw
        generation, count = manifest
        parts = [self._call("get_password", f"{key}#{generation}.{i}", service=service) for i in range(count)]
        if any(part is None for part in parts):
            log.warning("secret %s is incomplete in the keyring (%d parts expected); treating it as missing", key,
                        count)
            return None
        return "".join(parts)  # type: ignore[arg-type]

    def set(self, key: str, value: str) -> None:
        logs.keep_out(value)
        previous = self._manifest(self._call("get_password", key))
        if len(value) <= self.CHUNK:
            self._call("set_password", key, value)
        else:
            generation = secrets.token_hex(4)
            parts = [value[i:i + self.CHUNK] for i in range(0, len(value), self.CHUNK)]
            for i, part in enumerate(parts):
                self._call("set_password", f"{key}#{generation}.{i}", part)
            self._call("set_password", key, f"{self._MANIFEST}{generation}:{len(parts)}")
        if previous is not None:
            self._delete_parts(key, *previous)

    def delete(self, key: str) -> None:
        previous = self._manifest(self._call("get_password", key))
        self._delete_quietly(key)
        if previous is not None:
            self._delete_parts(key, *previous)

    def _delete_parts(self, key: str, generation: str, count: int) -> None:
        for i in range(count):
            self._delete_quietly(f"{key}#{generation}.{i}")

    def _delete_quietly(self, name: str) -> None:
        try:
            self._call("delete_password", name)
        except keyring.errors.PasswordDeleteError:
            pass

    def writable(self) -> bool:
        """Whether this backend accepts writes (no desktop session → the default backend refuses)."""
        probe = "__probe__"
        try:
            self._call("set_password", probe, "1")
            self._call("delete_password", probe)
        except (UserError, keyring.errors.KeyringError, RuntimeError) as exc:
            log.info("keyring backend %s is not writable: %s", self.backend_name, exc)
            return False
        return True


def location_secret_store(location, backend: keyring.backend.KeyringBackend | None = None) -> KeyringSecretStore:
    """The secrets of one location (a ``config.LocationSettings``): service ``receptionist-console:<id>``.

    A profile written before locations had ids keeps its secrets under the location's name; they are read from
    there (and copied under the id) until the profile gets a ``location.id``."""
    legacy = () if location.id else (location.name,)
    return KeyringSecretStore(location.key, backend, legacy_namespaces=legacy)


def memory_secret_store(namespace: str = "default") -> KeyringSecretStore:
    return KeyringSecretStore(namespace, backend=MemoryKeyring())
