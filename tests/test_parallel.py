"""The build's process pool: results, located errors and crashes come back; no worker
holds the build lock or outlives the build; the caller never waits for WeasyPrint's import."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from folio.errors import BuildError, Problem
from folio.pipeline.lock import LOCK
from folio.pipeline.workers import Pool, StageError
from helpers import PYTHON


@pytest.fixture(scope="module")
def pool():
    with Pool() as shared:
        yield shared


def fail():
    raise BuildError([Problem("PDF: no anchor #x", "templates/pdf/document.html", 3),
                      Problem("second problem")])


def crash():
    raise ZeroDivisionError("boom")


def echo(data):
    return os.getpid(), data


def modules() -> dict[str, object]:
    """What the worker has imported beyond the layout: no test module, no second pytest run."""
    main = sys.modules.get("__mp_main__")
    return {"weasyprint": "weasyprint" in sys.modules,
            "tests": sorted(m for m in sys.modules if m.startswith(("test_", "conftest", "helpers"))),
            "main": getattr(main, "__file__", None)}


def test_a_result_comes_from_a_worker_and_may_be_large(pool):
    pid, data = pool.submit(echo, b"x" * 5_000_000).result(timeout=120)
    assert pid != os.getpid() and data == b"x" * 5_000_000


def test_several_jobs_run_side_by_side_each_with_its_own_result(pool):
    futures = [pool.submit(echo, n) for n in range(8)]
    assert [f.result(timeout=120)[1] for f in futures] == list(range(8))


def test_a_build_error_keeps_its_located_problems(pool):
    with pytest.raises(BuildError) as info:
        pool.submit(fail).result(timeout=120)
    assert info.value.problems == [Problem("PDF: no anchor #x", "templates/pdf/document.html", 3),
                                   Problem("second problem")]
    assert str(info.value) == "templates/pdf/document.html:3: PDF: no anchor #x\nsecond problem"


def test_a_crash_in_a_worker_is_a_bug_with_its_traceback(pool):
    with pytest.raises(StageError, match=r"(?s)in crash\n.*ZeroDivisionError: boom"):
        pool.submit(crash).result(timeout=120)


def test_a_job_named_by_its_module_runs_where_the_layout_is_loaded(pool):
    found = pool.submit("test_parallel:modules").result(timeout=120)
    assert found["weasyprint"]  # the server imported it before forking the worker
    # The worker is no second pytest: it collected no test and ran no session. It imported
    # this module alone (and what it imports), to find the job by its name.
    assert set(found["tests"]) <= {"test_parallel", "conftest", "helpers"}
    assert found["main"] in (None, sys.modules["__main__"].__dict__.get("__file__"))


def test_with_other_threads_alive_jobs_still_run_in_workers(pool):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert threading.active_count() > 1
        assert pool.submit(os.getpid).result(timeout=120) != os.getpid()
    finally:
        stop.set()
        other.join()


#: Takes the build lock, then starts a pool (its server too): where do their fds lead?
LOCKED = """
import json, os, sys
from pathlib import Path
from folio.pipeline.lock import build_lock
from folio.pipeline.workers import Pool
from stage import fds

with build_lock(Path(sys.argv[1])), Pool() as pool:
    server, worker_fds, server_fds = pool.submit("stage:job").result()
    print(json.dumps([os.getpid(), fds(os.getpid()), server, worker_fds, server_fds]))
"""
#: The jobs of the scripts above and below: a module beside them (not the script itself,
#: which the workers do not import).
STAGE = """
import json, os, time
from pathlib import Path

def fds(pid):
    return [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
            if os.path.islink(f"/proc/{pid}/fd/{fd}")]

def job():
    return os.getppid(), fds(os.getpid()), fds(os.getppid())

def forever(path):
    Path(path).write_text(json.dumps([os.getpid(), os.getppid()]))
    time.sleep(3600)
"""


def script(tmp_path: Path, name: str, text: str) -> Path:
    """A script and, beside it, the module of its jobs."""
    (tmp_path / "stage.py").write_text(STAGE)
    path = tmp_path / name
    path.write_text(text)
    return path


def test_neither_a_worker_nor_its_server_holds_the_build_lock(tmp_path):
    locked = script(tmp_path, "locked.py", LOCKED)
    proc = subprocess.run([PYTHON, str(locked), str(tmp_path / "build")], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    pid, mine, server, worker_fds, server_fds = json.loads(proc.stdout)
    lock = str((tmp_path / "build" / LOCK).resolve())
    assert lock in mine  # the build's process holds it, while its pool started
    assert server != pid  # a worker is forked by the server, not by the build
    assert lock not in worker_fds and lock not in server_fds


def test_a_worker_that_dies_fails_its_job_naming_it_and_the_next_job_runs(pool):
    with pytest.raises(StageError, match="child process of a build stage died"):
        pool.submit(os._exit, 3).result(timeout=120)
    assert pool.submit(os.getpid).result(timeout=120) != os.getpid()


def test_a_discarded_pool_kills_its_running_jobs(tmp_path):
    fresh = Pool()
    job = fresh.submit(_sleep_after_writing_pid, str(tmp_path / "pid"))
    pid = _wait_for_pid(tmp_path / "pid")
    fresh.discard()
    with pytest.raises(StageError):
        job.result(timeout=120)
    _assert_ends(pid)
    assert fresh.submit(os.getpid).result(timeout=120) != os.getpid()  # usable again
    fresh.close()


def _sleep_after_writing_pid(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(3600)


def _wait_for_pid(path: Path) -> int:
    deadline = time.monotonic() + 120
    while not path.is_file() or not path.read_text():
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    return int(path.read_text())


#: A build's process with a pool: a job that runs for ever, a SIGKILL to itself. ``sys.argv[1]``
#: receives the worker's pid, the server's, and whether submit returned before the job ran.
#: No ``if __name__ == "__main__"``: the workers never run the script again.
KILLED = """
import json, os, signal, sys, time
from pathlib import Path
from folio.pipeline.workers import Pool

# Ctrl-C raises KeyboardInterrupt, as in a terminal, even when the tests were started by a
# background job of a shell, whose SIGINT is ignored and stays ignored in Python.
signal.signal(signal.SIGINT, signal.default_int_handler)
with open(sys.argv[1] + ".runs", "a") as runs:
    runs.write(f"{os.getpid()}\\n")
with Pool() as pool:  # as a build holds it: an error or Ctrl-C discards it
    start = time.perf_counter()
    future = pool.submit("stage:forever", sys.argv[1] + ".pids")
    took, ran = time.perf_counter() - start, future.running() or future.done()
    Path(sys.argv[1] + ".submit").write_text(json.dumps([took, ran, "weasyprint" in sys.modules]))
    while not Path(sys.argv[1] + ".pids").is_file():
        time.sleep(0.02)
    os.kill(os.getpid(), signal.SIGKILL if sys.argv[2] == "KILL" else signal.SIGINT)
    future.result()
"""


@pytest.mark.parametrize("how", ["KILL", "INT"])
def test_no_worker_outlives_the_build_s_process(tmp_path, how):
    killed = script(tmp_path, "build.py", KILLED)
    base = str(tmp_path / "out")
    proc = subprocess.run([PYTHON, str(killed), base, how], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == (-9 if how == "KILL" else -2), proc.stderr  # -2: Ctrl-C
    assert len(Path(base + ".runs").read_text().splitlines()) == 1  # the script ran once
    worker, server = json.loads(Path(base + ".pids").read_text())
    _assert_ends(worker)
    _assert_ends(server)
    took, ran, imported = json.loads(Path(base + ".submit").read_text())
    # submit() returned at once, before the server had imported WeasyPrint for the job; the
    # build's process never imported it.
    assert not ran and took < 0.5 and not imported


def test_a_worker_ignores_the_terminal_s_ctrl_c(pool, tmp_path):
    job = pool.submit(_sleep_after_writing_pid, str(tmp_path / "pid"))
    pid = _wait_for_pid(tmp_path / "pid")
    os.kill(pid, signal.SIGINT)  # as a terminal sends it to the whole process group
    time.sleep(0.5)
    assert _alive(pid) and not job.done()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(StageError):
        job.result(timeout=120)


def _assert_ends(pid: int) -> None:
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_job_run_once_ends_its_process_and_no_thread_fails(pool, monkeypatch):
    """``once`` (a book's combine): each job in a process of its own, which ends with it, and
    no thread of the executor fails as it shuts down (CPython 3.11 raced there when the
    shutdown did not wait: a TypeError in ``_adjust_process_count``, in most of 30 runs)."""
    from folio.pipeline.workers import once

    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    pids = {once("os:getpid").result(timeout=120) for _ in range(30)}
    assert len(pids) == 30 and os.getpid() not in pids  # a fresh process each time
    for pid in pids:
        _assert_ends(pid)
    time.sleep(0.5)  # the shutdown threads end after the processes
    assert failures == []


def test_a_temporary_directory_too_long_for_the_pools_socket_is_named(monkeypatch):
    # Under it, the fork server's socket (<temp>/pymp-XXXXXXXX/listener-XXXXXXXX) would pass
    # the 107 bytes a socket path holds: the build failed as "cannot write: AF_UNIX path too
    # long". A 75-byte one built (checked by hand with TMPDIR), a 95-byte one did not.
    import tempfile

    from folio.pipeline import workers

    fits = "/" + "t" * (workers.MAX_TEMP_PATH - 1)
    monkeypatch.setattr(tempfile, "tempdir", fits)
    workers._check_socket_room()
    monkeypatch.setattr(tempfile, "tempdir", fits + "t")
    with pytest.raises(BuildError) as caught:
        workers._check_socket_room()
    assert str(caught.value) == (
        "TMPDIR: the temporary directory's path is 76 bytes long, too long for the socket of the"
        " build's worker processes (at most 75): set TMPDIR to a shorter folder")


TORN = r"""
import os, struct, sys, threading
from folio.pipeline.workers import Pool
pool = Pool(preload=(), workers=1)
assert pool.submit(os.getpid).result() > 0
# What a worker killed halfway through sending a large result leaves in the results pipe: a
# message's header and the start of its body (this process holds the write end, as the build's
# does). The executor's thread reads the header and waits for the rest.
writer = pool._executor._result_queue._writer
os.write(writer.fileno(), struct.pack("!i", 5_000_000) + b"\x80" * 1000)
done = threading.Event()
threading.Thread(target=lambda: (pool.discard(), done.set()), daemon=True).start()
print("discarded" if done.wait(60) else "hung", flush=True)
os._exit(0 if done.is_set() else 3)
"""


def test_discarding_the_pool_does_not_wait_on_a_result_cut_in_half():
    # A CI run hung here: a build that failed discarded its pool while another job's PDF was
    # crossing the pipe; the executor's thread waited for the rest of it for good.
    proc = subprocess.run([PYTHON, "-c", TORN], capture_output=True, text=True, timeout=120,
                          check=False)
    assert (proc.returncode, proc.stdout.strip()) == (0, "discarded"), proc.stderr
