"""QueryRunner: reads run on a worker, results land on the GUI thread, superseded results are dropped."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from receptionist.ui.operations import QueryRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot):
    runner = QueryRunner(max_threads=1)
    yield runner
    runner.wait_for_done()


def test_the_read_runs_on_a_worker_and_the_result_lands_on_the_gui_thread(qtbot, runner):
    gui = QThread.currentThread()
    read_on, got = [], []

    def read():
        read_on.append(QThread.currentThread())
        return [1, 2, 3]

    runner.run("week", read, lambda rows: got.append((rows, QThread.currentThread())))
    qtbot.waitUntil(lambda: bool(got), timeout=2000)
    assert read_on[0] is not gui
    assert got == [([1, 2, 3], gui)]
    assert not runner.busy


def test_a_newer_request_for_the_same_view_drops_the_older_result(qtbot, runner):
    gate, started = threading.Event(), threading.Event()
    got = []

    def slow_old_week():
        started.set()
        gate.wait(5)
        return "old"

    first = runner.run("week", slow_old_week, got.append)
    assert started.wait(2)
    second = runner.run("week", lambda: "new", got.append)
    assert not runner.is_current("week", first) and runner.is_current("week", second)
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=2000)
    assert got == ["new"]


def test_a_superseded_read_that_has_not_started_is_skipped(qtbot, runner):
    gate, started = threading.Event(), threading.Event()
    reads, got = [], []

    def blocker():
        started.set()
        gate.wait(5)
        return "calls"

    runner.run("calls", blocker, got.append)  # holds the only worker
    assert started.wait(2)
    runner.run("week", lambda: reads.append("stale") or "stale", got.append)
    runner.run("week", lambda: reads.append("fresh") or "fresh", got.append)
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=2000)
    assert reads == ["fresh"]  # the queued stale read never touched the database
    assert got == ["calls", "fresh"]  # another view's request is not superseded


def test_an_exception_in_the_read_goes_to_the_failure_callback_on_the_gui_thread(qtbot, runner):
    gui = QThread.currentThread()
    failures, got = [], []

    def broken():
        raise LookupError("database is locked")

    runner.run("week", broken, got.append, lambda exc: failures.append((exc, QThread.currentThread())))
    qtbot.waitUntil(lambda: bool(failures), timeout=2000)
    (exc, thread), = failures
    assert isinstance(exc, LookupError) and str(exc) == "database is locked"
    assert thread is gui and got == []


def test_without_a_failure_callback_the_exception_reaches_the_excepthook(qtbot, runner, monkeypatch):
    hooked = []
    monkeypatch.setattr("sys.excepthook", lambda kind, exc, tb: hooked.append(exc))
    runner.run("week", lambda: 1 / 0, lambda _: None)
    qtbot.waitUntil(lambda: bool(hooked), timeout=2000)
    assert isinstance(hooked[0], ZeroDivisionError)
