"""A throwaway PostgreSQL server for the tests that check multi-desk correctness.

``RECEPTIONIST_TEST_PG_URL`` points at an existing server; otherwise, where Debian's PostgreSQL is installed, a
cluster is made in a temporary folder and started on a free loopback port (as the ``postgres`` user when running
as root, since initdb refuses root). Without either, those tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for version in ("17", "16", "15", "14"):
        candidate = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if candidate.exists():
            return str(candidate)
    return None


@contextmanager
def postgres_server():
    """Yield a SQLAlchemy URL of an empty database, or None (with the reason) if none can be had."""
    url = os.environ.get("RECEPTIONIST_TEST_PG_URL")
    if url:
        yield url, None
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        yield None, "no PostgreSQL here (set RECEPTIONIST_TEST_PG_URL or install postgresql)"
        return
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            yield None, "running as root without runuser"
            return
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="receptionist-pg-"))
    os.chmod(folder, 0o777)
    data = folder / "data"
    port = _free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
                        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        yield None, f"could not start PostgreSQL: {exc} {detail.decode(errors='replace')[:300]}"
        shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", None
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
