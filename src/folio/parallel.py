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


class _Forked(Job):
    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd

    def result(self):
        # Read the whole pipe before waiting: a result larger than the pipe's buffer
        # would otherwise block the child and this process on each other.
        with os.fdopen(self.fd, "rb") as fh:
            data = fh.read()
        _, status = os.waitpid(self.pid, 0)
        self.fd = None  # reaped: nothing left to discard
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
        if self.fd is None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(self.fd)
        os.waitpid(self.pid, 0)
        self.fd = None


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
        status = 0
        try:
            _die_with(parent)
            os.close(read)
            try:
                payload = ("ok", fn(*args))
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
    os.close(write)
    return _Forked(pid, read)


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
