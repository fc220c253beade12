"""The log: stderr for the command line, and a rotating file in the platform's log folder (after Vorta's
``log.py``), so a windowed build that has no console keeps every line; the crash report attaches its tail."""

from __future__ import annotations

import logging
import logging.handlers
import sys
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
