"""A broken environment is one sentence saying what to do, exit code 2, and nothing already stored is lost."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3

import pytest
from sqlalchemy import event

from receptionist import errors
from receptionist.cli import main
from receptionist.services.context import location_rules
from receptionist.store.db import make_engine, upgrade
from receptionist.store.inbox import StorageUnavailable
from receptionist.store import Store
from tests.helpers.calls import store_payload
from tests.helpers.payloads import payload


def _one_sentence(err: str) -> str:
    """The one line the user reads (progress lines of the log may come before it, never a traceback)."""
    lines = [line for line in err.strip().splitlines() if not line[:4].isdigit()]  # log lines start with the date
    assert len(lines) == 1 and lines[0].startswith("receptionist: ") and "Traceback" not in err, err
    return lines[0]


def _desk_with_one_call(path, profile, clock) -> str:
    """A database holding one call; returns its id."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    call = store_payload(Store(engine), payload(), location_rules(profile), clock())
    engine.dispose()
    return call.id


def _call_ids(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM calls")]


def test_a_file_that_is_not_a_database(tmp_path, capsys):
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"Shopping list: milk, eggs\n" * 200)
    before = junk.read_bytes()
    assert main(["status", "--db", f"sqlite:///{junk}"]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert f"the database file {junk} is not a Receptionist Console database" in line and "--db" in line
    assert junk.read_bytes() == before  # not overwritten, not "repaired"


def test_a_malformed_database(tmp_path, capsys, profile, clock):
    path = tmp_path / "desk.db"
    _desk_with_one_call(path, profile, clock)
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2:] = b"\xab" * (len(data) - page * 2)  # every page after the schema's: garbage
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    capsys.readouterr()
    assert main(["status", "--db", f"sqlite:///{path}"]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert "is damaged (malformed)" in line and "backup" in line
    assert path.read_bytes() == before


def test_a_read_only_database_refuses_writes_and_keeps_what_it_holds(tmp_path, profile, clock):
    path = tmp_path / "desk.db"
    call_id = _desk_with_one_call(path, profile, clock)
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    upgrade(engine)  # at head already: opening read-only works
    store = Store(engine)
    with pytest.raises(StorageUnavailable) as raised:  # the door answers 503: the platform retries later
        store_payload(store, payload(call_id="second"), location_rules(profile), clock())
    engine.dispose()
    assert isinstance(raised.value.__cause__, errors.DatabaseReadOnly)
    assert "is read-only: give this user write permission" in str(raised.value.__cause__)
    assert _call_ids(path) == [call_id]


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX file modes")
def test_a_read_only_file_on_the_command_line(tmp_path, profile, clock):
    """chmod a-w on the file and its folder; as root (who ignores modes) the command runs as user nobody."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="ro-desk-"))
    try:
        path = folder / "desk.db"
        call_id = _desk_with_one_call(path, profile, clock)
        before = path.read_bytes()
        path.chmod(0o444)
        folder.chmod(0o555)
        env = {**os.environ, "RECEPTIONIST_LOG_DIR": str(folder / "log"), "HOME": str(folder)}
        as_user = {"user": 65534, "group": 65534} if os.geteuid() == 0 else {}
        try:
            done = subprocess.run([sys.executable, "-m", "receptionist", "status", "--db", f"sqlite:///{path}"],
                                  capture_output=True, text=True, env=env, timeout=60, cwd="/", **as_user)
        except PermissionError:  # this Python is not executable by nobody (e.g. under /root): ?mode=ro above
            pytest.skip("running as root and user nobody cannot start this Python")
        assert done.returncode == 2, done.stderr
        line = _one_sentence(done.stderr)
        assert f"the database file {path} is read-only: give this user write permission" in line
        assert path.read_bytes() == before and _call_ids(path) == [call_id]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_full_disk_says_so_and_loses_nothing(tmp_path, profile, clock):
    path = tmp_path / "desk.db"
    call_id = _desk_with_one_call(path, profile, clock)
    engine = make_engine(f"sqlite:///{path}")
    seen: list[errors.EnvironmentProblem] = []
    stop = errors.on_environment_problem(seen.append)

    @event.listens_for(engine, "connect")
    def _no_room_left(dbapi_conn, _record):  # the disk holds exactly what is there now
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    store = Store(engine)
    big = payload(message="x" * 2000)
    try:
        with pytest.raises(StorageUnavailable) as raised:  # the door answers 503: the platform retries later
            for i in range(50):  # until the file would have to grow
                body = dict(big, call_id=f"big-{i}", custom_fields={"pad": "x" * 100_000})
                store_payload(store, body, location_rules(profile), clock())
    finally:
        stop()
        engine.dispose()
    assert isinstance(raised.value.__cause__, errors.DiskFull)
    assert str(raised.value.__cause__) == "the disk is full: free space, nothing was lost"
    assert seen and isinstance(seen[0], errors.DiskFull)  # the window's banner hears of it
    ids = _call_ids(path)
    assert call_id in ids and len(ids) == len(set(ids))  # the earlier call is intact
    check = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


def test_full_disk_outside_the_database_is_a_sentence_too():
    import errno

    problem = errors.environment_problem(OSError(errno.ENOSPC, "No space left on device"), what="the log")
    assert isinstance(problem, errors.DiskFull) and str(problem).startswith(errors.DISK_FULL)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_postgresql_unreachable(capsys):
    port = _closed_port()
    assert main(["status", "--db", f"postgresql://desk:pw@127.0.0.1:{port}/receptionist"]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert f"cannot reach the database receptionist on 127.0.0.1:{port}" in line
    assert "check that the database server is running" in line and "pw" not in line


def test_a_profile_that_is_a_folder(tmp_path, capsys):
    folder = tmp_path / "profile.toml"
    folder.mkdir()
    assert main(["status", "--profile", str(folder)]) == 2
    assert "is a folder, not a file" in _one_sentence(capsys.readouterr().err)


def test_a_profile_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_bytes('[location]\nname = "Clínica Sonrisa"\n'.encode("latin-1"))
    assert main(["status", "--profile", str(path)]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert "is not UTF-8 text" in line and "save it again as UTF-8" in line


def test_not_an_environment_problem_stays_a_bug():
    assert errors.environment_problem(ValueError("boom")) is None
    assert errors.environment_problem(sqlite3.IntegrityError("UNIQUE constraint failed: calls.id")) is None


def test_environment_problems_are_user_errors_with_a_title():
    for kind in (errors.DiskFull, errors.DatabaseUnusable, errors.DatabaseReadOnly, errors.DatabaseUnreachable,
                 errors.KeyringUnavailable, errors.ProfileUnreadable):
        assert issubclass(kind, errors.UserError) and kind.title


def test_a_full_disk_on_the_command_line_exits_2_and_leaves_the_database_as_it_was(tmp_path, capsys):
    from sqlalchemy import Engine

    path = tmp_path / "fresh.db"
    sqlite3.connect(path).execute("CREATE TABLE kept (note TEXT)").connection.commit()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO kept VALUES ('written before the disk filled')")

    def no_room_left(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count={dbapi_conn.execute('PRAGMA page_count').fetchone()[0]}")

    event.listen(Engine, "connect", no_room_left)  # every engine the command makes
    try:
        assert main(["db", "upgrade", "--db", f"sqlite:///{path}"]) == 2
    finally:
        event.remove(Engine, "connect", no_room_left)
    assert _one_sentence(capsys.readouterr().err) == "receptionist: the disk is full: free space, nothing was lost"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [("written before the disk filled",)]
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'calls'").fetchall() == []  # all or nothing
    assert main(["db", "upgrade", "--db", f"sqlite:///{path}"]) == 0  # once there is room
