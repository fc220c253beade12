"""Secrets in the OS keyring, never in the database, logs or config files.

``KeyringSecretStore`` is the product's store.  ``MemoryKeyring`` is a keyring backend that keeps secrets in
process memory: tests select it with ``PYTHON_KEYRING_BACKEND=receptionist.providers.secrets.MemoryKeyring`` and
demo mode falls back to it when the machine has no usable keyring (demo secrets are throwaway).
"""

from __future__ import annotations

import logging

import keyring
import keyring.backend
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "receptionist-console"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-process keyring backend (tests, demo fallback)."""

    priority = 0.1  # never chosen automatically over a real backend

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
    """SecretStore on the ``keyring`` package. ``namespace`` separates locations/profiles sharing one machine."""

    def __init__(self, namespace: str = "default", backend: keyring.backend.KeyringBackend | None = None):
        self._service = f"{SERVICE}:{namespace}"
        self._backend = backend or keyring.get_keyring()

    @property
    def backend_name(self) -> str:
        return type(self._backend).__name__

    def get(self, key: str) -> str | None:
        return self._backend.get_password(self._service, key)

    def set(self, key: str, value: str) -> None:
        self._backend.set_password(self._service, key, value)

    def delete(self, key: str) -> None:
        try:
            self._backend.delete_password(self._service, key)
        except keyring.errors.PasswordDeleteError:
            pass

    def writable(self) -> bool:
        """Whether this backend accepts writes (no desktop session → the default backend refuses)."""
        probe = "__probe__"
        try:
            self._backend.set_password(self._service, probe, "1")
            self._backend.delete_password(self._service, probe)
        except (keyring.errors.KeyringError, RuntimeError) as exc:
            log.info("keyring backend %s is not writable: %s", self.backend_name, exc)
            return False
        return True


def memory_secret_store(namespace: str = "default") -> KeyringSecretStore:
    return KeyringSecretStore(namespace, backend=MemoryKeyring())
