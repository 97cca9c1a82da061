"""A build stage in a forked child: its result, its located errors, and its crashes come back."""

from __future__ import annotations

import os
import threading

import pytest

from folio import parallel
from folio.errors import BuildError, Problem


@pytest.fixture
def forking(monkeypatch):
    # The suite may run background threads (EPUBCheck); these stages are trivial, so a fork
    # is safe here whatever else runs.
    monkeypatch.setattr(threading, "active_count", lambda: 1)


def fail():
    raise BuildError([Problem("PDF: no anchor #x", "templates/pdf/document.html", 3),
                      Problem("second problem")])


def crash():
    raise ZeroDivisionError("boom")


def test_the_result_comes_from_a_child_and_may_exceed_a_pipe_buffer(forking):
    job = parallel.start(lambda n: (os.getpid(), b"x" * n), 5_000_000)
    pid, data = job.result()
    assert pid != os.getpid() and data == b"x" * 5_000_000


def test_a_build_error_keeps_its_located_problems(forking):
    with pytest.raises(BuildError) as info:
        parallel.start(fail).result()
    assert str(info.value) == "templates/pdf/document.html:3: PDF: no anchor #x\nsecond problem"


def test_a_crash_in_the_child_is_a_bug_with_its_traceback(forking):
    with pytest.raises(RuntimeError, match=r"(?s)ZeroDivisionError: boom"):
        parallel.start(crash).result()


def test_with_other_threads_alive_the_stage_runs_here():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not parallel.can_fork()
        assert parallel.start(os.getpid).result() == os.getpid()
    finally:
        stop.set()
        other.join()


def test_a_discarded_child_is_stopped_and_reaped(forking):
    job = parallel.start(threading.Event().wait)  # would wait for ever
    job.discard()
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)
