"""Run one stage in a forked child process while this one does the others.

WeasyPrint holds the GIL for most of its layout, so a thread would not let the
HTML and EPUB stages run beside it; a forked child does, on the second core,
and shares everything already loaded (WeasyPrint itself, the gathered report)
without pickling it. Only the result travels back, pickled through a pipe; a
BuildError keeps its located problems.

Forking a process that runs other threads can deadlock the child (a lock held
by a thread that does not exist there), so with other threads alive, or where
``os.fork`` does not exist, the stage runs in this process instead, when its
result is asked for.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import pickle
import signal
import threading
import traceback

from .errors import BuildError


class Job:
    """A stage started by :func:`start`; ``result()`` waits for it."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def result(self):
        """The stage's return value (runs it now: no child was forked)."""
        return self.fn(*self.args)

    def discard(self) -> None:
        """Give up on the stage (another stage failed): nothing to stop here."""


#: This process's ends of the pipes to its live children. A child forked later closes them
#: at once: holding a sibling's request pipe open would keep the sibling from ever reading
#: its end (it waits for the parent to close it), and the build would hang.
_OURS: set[int] = set()


def _close(fd: int) -> None:
    _OURS.discard(fd)
    os.close(fd)


class _Forked(Job):
    def __init__(self, pid: int, fd: int):
        self.pid, self.fd, self.reaped = pid, fd, False
        _OURS.add(fd)

    def result(self):
        # Read the whole pipe before waiting: a result larger than the pipe's buffer
        # would otherwise block the child and this process on each other.
        fd, self.fd = self.fd, None
        _OURS.discard(fd)
        try:
            with os.fdopen(fd, "rb") as fh:
                data = fh.read()
        except BaseException:  # interrupted (Ctrl-C): the child must not outlive the build
            self.discard()
            raise
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True  # nothing left to discard
        if not data:
            raise RuntimeError(f"the child process of a build stage died (status {status})")
        kind, value = pickle.loads(data)
        if kind == "error":
            raise BuildError(value)
        if kind == "crash":
            raise RuntimeError(f"a build stage failed in its child process:\n{value}")
        return value

    def discard(self) -> None:
        """Stop the child and reap it, so that no process outlives a failed build."""
        if self.reaped:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.fd is not None:
            _close(self.fd)
            self.fd = None
        os.waitpid(self.pid, 0)
        self.reaped = True


def can_fork() -> bool:
    """True when a child may be forked safely: fork exists and no other thread runs."""
    return hasattr(os, "fork") and threading.active_count() == 1


def start(fn, *args) -> Job:
    """Start ``fn(*args)`` in a forked child if that is safe, else defer it to ``result()``."""
    if not can_fork():
        return Job(fn, args)
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: run, send the outcome, and leave without any clean-up of the parent's
        def run():
            os.close(read)
            return fn(*args)
        _child(parent, write, run)
    os.close(write)
    return _Forked(pid, read)


class Worker(Job):
    """A stage started by :func:`spawn` before its input exists: :meth:`send` gives it."""

    def __init__(self, fn):
        self.fn, self.args = fn, None

    def send(self, *args) -> None:
        """The stage's arguments: it runs when its result is asked for (no child was forked)."""
        self.args = args


class _ForkedWorker(_Forked, Worker):
    def __init__(self, pid: int, fd: int, request: int):
        super().__init__(pid, fd)
        self.request = request
        _OURS.add(request)

    def send(self, *args) -> None:
        fd, self.request = self.request, None
        _OURS.discard(fd)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL))
        except BrokenPipeError:
            pass  # the child has ended already: result() tells how

    def discard(self) -> None:
        if self.request is not None:
            _close(self.request)
            self.request = None
        super().discard()


def spawn(fn, modules: list[str] | tuple[str, ...] = ()) -> Worker:
    """Fork a child now that imports ``modules`` and then waits for :meth:`Worker.send`'s
    arguments to run ``fn`` on, so that the slow imports overlap this process's own work.

    As :func:`start`, it forks only when that is safe; else ``fn`` runs here, in ``result()``.
    """
    if not can_fork():
        return Worker(fn)
    read, write = os.pipe()
    request_read, request_write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        def run():
            os.close(read)
            os.close(request_write)
            # The request is read while the modules load: a request larger than the pipe's
            # buffer would otherwise hold the parent in send() until they had.
            received = []
            reader = threading.Thread(target=lambda: received.append(_read_all(request_read)))
            reader.start()
            for module in modules:
                importlib.import_module(module)
            reader.join()
            if not received[0]:  # the parent gave up before sending anything
                os._exit(0)
            return fn(*pickle.loads(received[0]))
        _child(parent, write, run)
    os.close(write)
    os.close(request_read)
    return _ForkedWorker(pid, read, request_write)


def _read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _child(parent: int, write: int, run) -> None:
    """In a forked child: ``run()``, send its outcome through ``write``, and leave (never
    returning into the parent's code, nor running its clean-up)."""
    status = 0
    try:
        _die_with(parent)
        for fd in list(_OURS):  # a sibling's, or an earlier job's: not this child's to hold
            _close(fd)
        try:
            payload = ("ok", run())
        except BuildError as exc:
            payload = ("error", exc.problems)
        except BaseException:  # noqa: BLE001 - reported by the parent, with its traceback
            payload = ("crash", traceback.format_exc())
        with os.fdopen(write, "wb") as fh:
            fh.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:  # noqa: BLE001
        status = 1
    finally:
        os._exit(status)


def _die_with(parent: int) -> None:
    """Make this child end when its parent does (a killed build must leave no process behind,
    holding its files or its lock). Linux only; elsewhere the child ends with its stage."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def preload(modules: list[str]) -> threading.Thread:
    """Import ``modules`` in a thread while this one waits on other processes (pandoc);
    ``join()`` it before :func:`start`, which forks only when no other thread runs."""
    thread = threading.Thread(target=lambda: [importlib.import_module(m) for m in modules],
                              name="folio-preload", daemon=True)
    thread.start()
    return thread
