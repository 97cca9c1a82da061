"""A build stage in a child process: its result, its located errors, and its crashes come back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from folio.errors import BuildError, Problem
from folio.pipeline import workers as parallel


@pytest.fixture
def forking(monkeypatch):
    # The suite may run background threads (EPUBCheck); these stages are trivial, so a fork
    # is safe here whatever else runs.
    monkeypatch.setattr(threading, "active_count", lambda: 1)


def started(fn, *args):
    """A worker given its arguments at once."""
    worker = parallel.spawn(fn)
    worker.send(*args)
    return worker


def fail():
    raise BuildError([Problem("PDF: no anchor #x", "templates/pdf/document.html", 3),
                      Problem("second problem")])


def crash():
    raise ZeroDivisionError("boom")


def test_the_result_comes_from_a_child_and_may_exceed_a_pipe_buffer(forking):
    job = started(lambda n: (os.getpid(), b"x" * n), 5_000_000)
    pid, data = job.result()
    assert pid != os.getpid() and data == b"x" * 5_000_000


def test_a_build_error_keeps_its_located_problems(forking):
    with pytest.raises(BuildError) as info:
        started(fail).result()
    assert str(info.value) == "templates/pdf/document.html:3: PDF: no anchor #x\nsecond problem"


def test_a_crash_in_the_child_is_a_bug_with_its_traceback(forking):
    with pytest.raises(RuntimeError, match=r"(?s)ZeroDivisionError: boom"):
        started(crash).result()


def test_with_other_threads_alive_the_stage_runs_here():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not parallel.can_fork()
        assert started(os.getpid).result() == os.getpid()
    finally:
        stop.set()
        other.join()


def test_a_discarded_child_is_stopped_and_reaped(forking):
    job = started(threading.Event().wait)  # would wait for ever
    job.discard()
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)


def test_the_child_ends_when_its_parent_is_killed(tmp_path):
    # A middle process forks a stage that would run for ever, then is killed: the stage's
    # child must not outlive it (it would hold the build's files and lock).
    script = f"""
import os, sys, threading
from folio.pipeline import workers as parallel
job = parallel.spawn(threading.Event().wait)
job.send()
open({str(tmp_path / 'pid')!r}, "w").write(str(job.pid))
os.kill(os.getpid(), 9)
"""
    subprocess.run([sys.executable, "-c", script], timeout=60)
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_discarding_a_collected_stage_does_nothing(forking):
    job = started(os.getpid)
    assert job.result() != os.getpid()
    job.discard()  # e.g. a later stage failed after this one was collected


def test_a_spawned_worker_loads_its_modules_before_its_request_arrives(forking):
    # The module is loaded in the child only: this process never imports it.
    assert "tabnanny" not in sys.modules
    worker = parallel.spawn(_loaded_with_pid, ["tabnanny"])
    worker.send("tabnanny", b"x" * 5_000_000)  # larger than a pipe's buffer: must not block
    pid, loaded, size = worker.result()
    assert pid != os.getpid() and loaded and size == 5_000_000
    assert "tabnanny" not in sys.modules


def test_a_spawned_worker_sends_back_located_errors(forking):
    worker = parallel.spawn(fail)
    worker.send()
    with pytest.raises(BuildError, match=r"templates/pdf/document\.html:3"):
        worker.result()


def test_a_worker_discarded_before_its_request_is_stopped_and_reaped(forking):
    worker = parallel.spawn(os.getpid, ["tabnanny"])
    worker.discard()
    with pytest.raises(ChildProcessError):
        os.waitpid(worker.pid, os.WNOHANG)


def _loaded_with_pid(module, data):
    return os.getpid(), module in sys.modules, len(data)


def test_two_workers_forked_one_after_the_other_both_finish(forking):
    # The second child must not hold the first one's request pipe open: the first would wait
    # for ever for its end (a full build forks one worker per PDF edition).
    # The second one's result fills the pipe, so it cannot end (and let go of what it holds)
    # before this process reads it, after the first one's.
    first, second = parallel.spawn(_echo), parallel.spawn(_echo)
    first.send(b"1")
    second.send(b"2" * 5_000_000)
    previous = signal.signal(signal.SIGALRM, _hung)  # a hang fails the test, not the run
    signal.alarm(60)
    try:
        assert first.result() == b"1" and second.result() == b"2" * 5_000_000
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        first.discard()
        second.discard()


def _echo(data):
    return data


def _hung(signum, frame):
    raise TimeoutError("a worker never finished: it is waiting on a pipe a sibling holds open")


@pytest.fixture
def threads_and_fork_server(monkeypatch):
    """As in ``invoke serve``: other threads run, and a fork server has been started."""
    monkeypatch.setattr(parallel, "_SERVER", [])
    parallel.use_fork_server(["folio.editions.pdf.layout"])
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    yield
    stop.set()
    other.join()
    parallel.stop_fork_server()


def test_with_threads_alive_a_stage_runs_in_a_child_of_the_fork_server(threads_and_fork_server):
    assert not parallel.can_fork()
    pid, loaded, size = started(_loaded_with_pid, "weasyprint", b"x" * 5_000_000).result()
    assert pid != os.getpid() and loaded and size == 5_000_000


def test_the_fork_server_s_children_send_back_errors_and_crashes(threads_and_fork_server):
    with pytest.raises(BuildError) as info:
        started(fail).result()
    assert str(info.value) == "templates/pdf/document.html:3: PDF: no anchor #x\nsecond problem"
    with pytest.raises(RuntimeError, match=r"(?s)ZeroDivisionError: boom"):
        started(crash).result()


def test_a_discarded_stage_of_the_fork_server_is_stopped(threads_and_fork_server):
    worker = started(time.sleep, 3600)
    pid = worker.pid
    worker.discard()
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_if_the_fork_server_has_died_a_stage_runs_here(threads_and_fork_server):
    process, _ = parallel._SERVER
    process.kill()
    process.wait()
    assert started(os.getpid).result() == os.getpid()
