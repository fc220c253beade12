"""The log: stderr for the command line, and a rotating file in the platform's log folder (after Vorta's
``log.py``), so a windowed build that has no console keeps every line; the crash report attaches its tail."""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

from receptionist import paths

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 5
_NOISY = ("googleapiclient.discovery_cache", "apscheduler", "urllib3", "msal", "alembic")


class _Stderr(logging.StreamHandler):
    """stderr as it is when a record is written (tests and redirections swap ``sys.stderr``)."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(lambda record: getattr(record, "to_screen", True))

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001
        pass


# --- secrets never reach a log line ---------------------------------------------------------------------------------
# One filter on every handler ``configure`` adds: each value the keyring hands out or stores (the secret store
# reports them through ``keep_out``; an msal token cache's tokens too), and whatever follows the names OAuth gives
# its codes and tokens (``code=``, ``access_token``, ``Bearer``, ...), is replaced by ``[redacted]`` in the message
# and in the traceback, at every level, whoever logged it (our code, http.server, urllib3, msal).
REDACTED = "[redacted]"
_MIN_SECRET = 6  # shorter values would blank ordinary words
_known: set[str] = set()
_known_lock = threading.Lock()
_TOKEN_NAMES = (r"code|access_token|refresh_token|id_token|client_secret|device_code|client_assertion|password|"
                r"api_key|auth_token|webhook_secret|secret|token|signature|x-[a-z-]*signature")
_PATTERNS = (
    re.compile(rf"(?i)(?<![\w-])((?:{_TOKEN_NAMES})[\"']?\s*[=:]\s*[\"']?)([^\s&\"',;}}\]]{{4,}})"),
    re.compile(r"(?i)(\b(?:Bearer|Basic)\s+)([A-Za-z0-9\-._~+/]{8,}=*)"),
)


def _cache_secrets(value: str) -> list[str]:
    """The token strings inside an msal token cache (JSON: every ``secret`` field)."""
    if not value.startswith("{"):
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "secret" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def keep_out(value: str | None) -> None:
    """Never let ``value`` (a secret the keyring holds) reach a log line."""
    if not value or len(value) < _MIN_SECRET:
        return
    with _known_lock:
        _known.add(value)
        _known.update(v for v in _cache_secrets(value) if len(v) >= _MIN_SECRET)


def redact(text: str) -> str:
    """``text`` with every known secret and every OAuth code or token in it replaced."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED if m.group(2) != REDACTED else m.group(0), text)
    return text


class RedactSecrets(logging.Filter):
    """The filter every handler of ours carries (see above)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


#: ``log.info(..., extra=FILE_ONLY)``: for the file, not the screen (the sentence is printed there already)
FILE_ONLY = {"to_screen": False}


def log_file() -> Path:
    return paths.log_dir() / paths.LOG_FILE


def configure(verbose: bool = False, *, stderr: bool = True) -> Path | None:
    """Send log records to stderr and to the rotating file; returns the file, or None if it cannot be written.

    Safe to call again (tests call ``main()`` many times): the handlers it added before are replaced."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_receptionist", False)]:
        root.removeHandler(handler)
        handler.close()
    level = logging.DEBUG if verbose else logging.INFO
    root.setLevel(level)
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    if stderr and sys.stderr is not None:  # a windowed build on Windows has no stderr
        handlers.append(_Stderr())
    path: Path | None = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                             encoding="utf-8", delay=False))
    except OSError as exc:
        print(f"receptionist: cannot write the log file {path} ({exc.strerror or exc}); logging to the screen only",
              file=sys.stderr)
        path = None
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactSecrets())
        handler._receptionist = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def tail(lines: int = 200, path: Path | None = None) -> str:
    """The last ``lines`` lines of the log file ("" if there is none), for a crash report."""
    path = path or log_file()
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_receptionist", False):
            handler.flush()
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
