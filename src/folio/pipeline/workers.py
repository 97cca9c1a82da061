"""The build's process pool: WeasyPrint's layout runs in other processes, beside the HTML.

WeasyPrint holds the GIL for most of its layout, so a thread would not let the
HTML and EPUB stages run beside it; a process does, on the other core. The pool
is the standard library's: a :class:`concurrent.futures.ProcessPoolExecutor` on
a ``forkserver`` context whose server has imported WeasyPrint's layout module
(:data:`LAYOUT_MODULES`) once. Each worker is forked from that server, not from
the build, so it holds none of the build's threads' locks and none of its
files (the build lock above all), whatever threads the build runs.

API (the pipeline and ``invoke serve`` use nothing else)::

    pool = Pool()                  # nothing starts yet
    pool.warm()                    # start the server only (it imports WeasyPrint): no worker
    future = pool.submit("folio.editions.pdf.layout:lay_out", request)
    futures = [pool.submit(fn, *args) for args in jobs]   # as many jobs as you like
    future.result()                # the value, or the job's error raised here
    pool.discard()                 # a build failed or was interrupted: kill the workers
    pool.close()                   # wait for the workers to end (``with Pool() as pool``)

- ``submit`` never blocks: the server may still be importing WeasyPrint (~0.7 s,
  while pandoc converts the chapters); the job waits for it, the caller does not.
- No worker starts before the first ``submit``, which the build makes once every
  input is loaded and valid: a build that fails at load has only the server to
  end (by SIGKILL, at exit), never a worker half-started. A worker that is
  starting when the pool is discarded would be forked by the server after the
  build let go of the queues it is to read: it would print a traceback on the
  build's stderr. So :meth:`Pool.discard` kills the server too when a start is
  under way (its next use starts another), and waits for the executor's own
  thread to end, so that none is left closing its pipes as the interpreter exits
  (CPython 3.11 races there: gh-125451, fixed in 3.12).
- A job is a function of an importable module, or ``"module:function"``,
  imported in the worker only (so the build never imports WeasyPrint); arguments
  and results are pickled. Not a function of the caller's script: the workers do
  not run the script again (multiprocessing would, by its path, in every worker:
  an unguarded script calling ``folio.build`` would build again there).
  A :class:`~folio.errors.BuildError` comes back with its located problems;
  any other exception comes back as a :class:`StageError` that holds the
  worker's traceback; a worker that dies (killed, out of memory) fails its
  jobs with a :class:`StageError` naming that, and the next ``submit`` starts
  fresh workers.
- No worker outlives the build's process: each one ends when that process ends,
  however it ends (even by SIGKILL), and ignores the terminal's Ctrl-C, which
  the build handles (it discards the pool).

:func:`background` runs a function in a thread and gives a Future of its value.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.machinery
import os
import select
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from folio.errors import BuildError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

#: What the server imports before it forks any worker: WeasyPrint and the layout code.
LAYOUT_MODULES = ("folio.editions.pdf.layout",)

Job = Callable[..., Any] | str


class StageError(RuntimeError):
    """A job failed in a worker for a reason other than bad input: a bug, or a dead worker."""


class Pool:
    """A process pool for layout jobs; see the module's docstring for how to use it."""

    def __init__(self, preload: tuple[str, ...] = LAYOUT_MODULES, workers: int | None = None):
        self.preload = preload
        self.workers = workers or os.cpu_count() or 1
        self._lock = threading.Condition()
        self._executor: ProcessPoolExecutor | None = None
        self._pending = 0
        """Jobs not yet handed to the executor (whose ``submit`` may be starting a worker)."""

    def warm(self) -> Future:
        """Start the fork server, which imports :attr:`preload`, and no worker (none starts
        before the first job); returns a Future done when the server is started (not ready)."""
        return background(_start_server, self.preload, name="folio-pool-warm")

    def submit(self, job: Job, *args: Any) -> Future:
        """Run ``job(*args)`` in a worker; a Future of its value, returned at once."""
        outer: Future = Future()
        with self._lock:
            executor = self._executor
            if executor is None or getattr(executor, "_broken", False):
                executor = self._executor = _executor(self.preload, self.workers)
            self._pending += 1
        # From a thread: the executor starts a worker inside its submit(), which waits for
        # the server's imports.
        background(self._hand_over, executor, outer, job, args, name="folio-pool-submit")
        return outer

    def _hand_over(self, executor: ProcessPoolExecutor, outer: Future, job: Job,
                   args: tuple[Any, ...]) -> None:
        """Give a job to the executor, unless the pool was discarded meanwhile."""
        try:
            with self._lock:
                discarded = self._executor is not executor
            if outer.cancelled():
                return
            if discarded:
                outer.set_exception(StageError("the pool was discarded before the job started"))
                return
            try:
                inner = executor.submit(_run, job, args)
            except BaseException as exc:  # noqa: BLE001 - given to the caller by result()
                outer.set_exception(_failure(exc))
                return
            inner.add_done_callback(lambda done: _forward(done, outer))
        finally:
            with self._lock:
                self._pending -= 1
                self._lock.notify_all()

    def discard(self) -> None:
        """Kill the workers (their jobs fail); the next :meth:`submit` starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
            if executor is None:
                return
            if self._pending:
                # A worker may be on its way (the server importing, or forking it): killed,
                # the server forks nothing more, and the start fails at once. Its next use
                # starts another server.
                _kill_server()
                self._lock.wait_for(lambda: not self._pending)
        # Python 3.14 has executor.kill_workers() for this; 3.11 keeps them here.
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.kill()
        _unblock(executor)
        # Waited for (the workers are dead: it takes milliseconds): no executor thread may
        # still be closing its pipes when the interpreter exits.
        executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Let the workers finish what they run, then end them."""
        with self._lock:
            self._lock.wait_for(lambda: not self._pending)
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


def _unblock(executor: ProcessPoolExecutor) -> None:
    """Free the executor's own thread if a killed worker left it reading half a result.

    A worker killed while it sends a large result (a PDF: megabytes, written in several
    pieces; a message of at most 4 KB is one atomic write) leaves the thread that reads
    results blocked in the middle of that message for good: this process holds the pipe's
    write end too, so no end of file comes, and shutting the executor down would wait for
    that thread forever (a build that failed hung instead of saying why). Bytes written into
    the pipe end the message; the thread finds it broken and ends, as it does when it sees
    a worker die. CPython 3.11's internals (``_executor_manager_thread``, ``_result_queue``);
    nothing is written unless the thread is still alive once the workers are dead."""
    thread = getattr(executor, "_executor_manager_thread", None)
    writer = getattr(getattr(executor, "_result_queue", None), "_writer", None)
    if thread is None or writer is None:
        return
    thread.join(0.2)  # the usual case: it saw the workers die and ended
    if not thread.is_alive():
        return
    try:
        fd = writer.fileno()
        os.set_blocking(fd, False)
    except (OSError, ValueError):  # closed already
        return
    filler = bytes(1 << 16)
    deadline = time.monotonic() + 30  # the pipe moves a GB a second or more: ample
    while thread.is_alive() and time.monotonic() < deadline:
        try:
            os.write(fd, filler)
        except BlockingIOError:  # the pipe is full: let the thread read it
            thread.join(0.001)
        except OSError:
            return


def once(job: Job, *args: Any) -> Future:
    """Run ``job(*args)`` in a process of its own, forked by the pool's server (start a
    :class:`Pool` first), which ends with the job: for a job that needs much memory once
    (a book's PDF combined), which a long-lived worker would keep."""
    executor = _executor(LAYOUT_MODULES, 1)
    future = executor.submit(_run, job, args)
    # Shut down once the job is done, waiting for the executor's own thread: with
    # ``wait=False`` (or ``max_tasks_per_child=1``) that thread could still be replacing
    # the worker when shutdown cleared its process table, a TypeError on CPython 3.11
    # (``len(self._processes)`` in ``_adjust_process_count``). From a thread: the callback
    # runs on the executor's thread, which cannot wait for itself.
    future.add_done_callback(lambda _: background(executor.shutdown, True, name="folio-once-end"))
    return future


def _executor(preload: tuple[str, ...], workers: int) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor whose workers are forked by a server that imported ``preload``."""
    from concurrent.futures import ProcessPoolExecutor

    context = _context(preload)
    _main_not_rerun()
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_starts,
                               initargs=(os.getpid(),))


def _context(preload: tuple[str, ...]) -> Any:
    """The ``forkserver`` context (``spawn`` where there is none), its server set to import
    ``preload`` and to be stopped when this process exits."""
    # Imported here: a no-op build, which starts no pool, does not pay for multiprocessing.
    import multiprocessing

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        _check_socket_room()
        context.set_forkserver_preload(list(preload))
        _stop_server_at_exit()
    return context


#: The longest temporary directory the fork server's socket fits under: a socket's path holds
#: 107 bytes (Linux's ``sun_path``, less its NUL), and multiprocessing puts the socket at
#: ``<temp>/pymp-XXXXXXXX/listener-XXXXXXXX``.
MAX_TEMP_PATH = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def _check_socket_room() -> None:
    """Refuse, in one line, a temporary directory whose path leaves the fork server's socket
    no room (it failed as "cannot write: AF_UNIX path too long", which names no cause)."""
    import tempfile

    temp = os.fsencode(tempfile.gettempdir())
    if len(temp) > MAX_TEMP_PATH:
        raise BuildError(f"the temporary directory's path is {len(temp)} bytes long, too long for"
                         f" the socket of the build's worker processes (at most {MAX_TEMP_PATH}):"
                         " set TMPDIR to a shorter folder", "TMPDIR")


def _start_server(preload: tuple[str, ...]) -> None:
    """Start the fork server (and the resource tracker) if it is not running: it imports
    ``preload`` in its own process while this one goes on."""
    if _context(preload).get_start_method() == "forkserver":
        from multiprocessing import forkserver

        # Not documented, but the function every forkserver start calls first: it starts
        # the server and returns without waiting for its imports.
        forkserver.ensure_running()


def _main_not_rerun() -> None:
    """Make the workers skip the caller's script: multiprocessing imports ``__main__`` again
    in each worker by its path, unless its spec names it ``__main__`` (as ``python -m``'s
    does); a script run by its path has no spec, and gets that one."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and hasattr(main, "__file__"):
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)


_AT_EXIT = threading.Lock()
_REGISTERED: list[bool] = []


def _stop_server_at_exit() -> None:
    """Reap the fork server when this process exits: its CPU time (WeasyPrint's import and
    every layout, in its children) then counts in this process's, as a benchmark reads it."""
    with _AT_EXIT:
        if not _REGISTERED:
            atexit.register(_stop_server)
            _REGISTERED.append(True)


def _stop_server() -> None:
    pid = _kill_server()
    if pid is not None:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _kill_server() -> int | None:
    """SIGKILL the fork server, if there is one (it may still be importing: do not wait for
    that); its pid. Not reaped: multiprocessing reaps it when it starts the next one."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pid


def _worker_starts(parent: int) -> None:
    """In a worker, first: end with the build's process, and leave Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        watched: int | None = os.pidfd_open(parent)
    except ProcessLookupError:  # the build ended before this worker started
        os._exit(1)
    except (AttributeError, OSError):  # not Linux >= 5.3: poll instead
        watched = None
    threading.Thread(target=_die_with, args=(parent, watched), name="folio-watch-parent",
                     daemon=True).start()


def _die_with(parent: int, watched: int | None) -> None:
    """Wait until the build's process ends, then end this one at once (its jobs are lost)."""
    if watched is not None:
        select.select([watched], [], [])
    else:
        while _alive(parent):
            threading.Event().wait(0.5)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run(job: Job, args: tuple[Any, ...]) -> Any:
    """A job, as a worker runs it, in a temporary folder of its own (:func:`_scratch`): a bug
    comes back with the worker's traceback."""
    try:
        with _scratch():
            return _resolve(job)(*args)
    except BuildError:
        raise
    except Exception as exc:
        raise StageError(f"a build stage failed in its child process:\n"
                          f"{traceback.format_exc()}") from exc


@contextlib.contextmanager
def _scratch() -> Iterator[None]:
    """Point :mod:`tempfile` at a new folder for the job, and delete it when the job ends.

    WeasyPrint copies the document's @font-face fonts into a ``weasyprint-*`` folder of the
    temporary directory (2.5 MB for the bundled faces) and deletes it only when its
    ``FontConfiguration`` is collected, which a worker's reference cycles postpone past its
    ``os._exit``: every PDF build left one or two behind, thousands for a day of
    ``invoke serve --all``. A worker runs one job at a time, so the switch is its own."""
    outer = tempfile.tempdir
    folder = tempfile.mkdtemp(prefix="folio-job-")
    tempfile.tempdir = folder
    try:
        yield
    finally:
        tempfile.tempdir = outer
        shutil.rmtree(folder, ignore_errors=True)


def _resolve(job: Job) -> Callable[..., Any]:
    if callable(job):
        return job
    module, _, name = job.partition(":")
    return getattr(importlib.import_module(module), name)


def _forward(inner: Future, outer: Future) -> None:
    """Copy a worker's outcome to the Future the caller holds."""
    exc = inner.exception() if not inner.cancelled() else StageError("the job was cancelled")
    if not outer.set_running_or_notify_cancel():  # the caller cancelled it
        return
    if exc is None:
        outer.set_result(inner.result())
    else:
        outer.set_exception(_failure(exc))


def _failure(exc: BaseException) -> BaseException:
    """What the caller sees of a failure: bad input and bugs as they are, a dead worker named."""
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, BrokenProcessPool):
        return StageError(f"the child process of a build stage died ({exc})")
    return exc


def background(fn: Callable[..., Any], *args: Any, name: str) -> Future:
    """Run ``fn(*args)`` in a daemon thread, for work that lets go of the GIL (imports while
    pandoc runs, zlib, pdfium); its ``result()`` waits for the value or raises its error."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - raised again by result()
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def preload(modules: list[str]) -> Future:
    """Import ``modules`` in a thread while this one waits on other processes (pandoc)."""
    return background(lambda: [importlib.import_module(m) for m in modules], name="folio-preload")
