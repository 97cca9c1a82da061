"""Run a build stage in a child process while this one does the others.

WeasyPrint holds the GIL for most of its layout, so a thread would not let the
HTML and EPUB stages run beside it; a child process does, on the other core.
:func:`spawn` forks the child as the build starts, before the stage's input
exists: the child loads the stage's modules (WeasyPrint, ~0.7 s) while this
process gathers the report, then receives its arguments through a pipe
(:meth:`Worker.send`). Only plain values travel, pickled, both ways; a
BuildError keeps its located problems, and a crash its traceback.

Forking a process that runs other threads can deadlock the child (a lock held
by a thread that does not exist there). So with other threads alive (``invoke
serve``), a stage goes to the fork server that :func:`use_fork_server` started:
a fresh single-threaded process that has loaded the modules once, and forks a
child per stage. Without one, or where ``os.fork`` does not exist, the stage
runs in this process, when its result is asked for.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback
from concurrent.futures import Future

from folio.errors import BuildError


class Worker:
    """A stage started by :func:`spawn`: :meth:`send` gives its arguments, :meth:`result`
    waits for its value. This base class runs the stage here, in ``result()``."""

    def __init__(self, fn):
        self.fn, self.args = fn, None

    def send(self, *args) -> None:
        """The stage's arguments."""
        self.args = args

    def result(self):
        """The stage's return value."""
        return self.fn(*self.args)

    def discard(self) -> None:
        """Give up on the stage (another one failed): no process may outlive the build."""


def can_fork() -> bool:
    """True when a child may be forked safely: fork exists and no other thread runs."""
    return hasattr(os, "fork") and threading.active_count() == 1


def spawn(fn, modules: list[str] | tuple[str, ...] = ()) -> Worker:
    """A worker that will run ``fn`` on the arguments :meth:`Worker.send` gives it.

    If a child may be forked safely, it is forked now, imports ``modules`` and waits for its
    arguments, so that the slow imports overlap this process's own work. Else the fork server
    runs it, if there is one (its modules are loaded already), or else this process.
    """
    if can_fork():
        return _spawn_child(fn, modules)
    if _SERVER:
        return _Served(fn)
    return Worker(fn)


def _outcome(data: bytes, died: str):
    """A child's pickled payload as a value or the exception it stands for; ``died`` says what
    happened when there is none (the child ended without sending it)."""
    if not data:
        raise RuntimeError(died)
    kind, value = pickle.loads(data)
    if kind == "error":
        raise BuildError(value)
    if kind == "crash":
        raise RuntimeError(f"a build stage failed in its child process:\n{value}")
    return value


def _run(call) -> bytes:
    """Run the stage in a child: its pickled payload for the parent (see :func:`_outcome`)."""
    try:
        payload = ("ok", call())
    except BuildError as exc:
        payload = ("error", exc.problems)
    except BaseException:  # noqa: BLE001 - reported by the parent, with its traceback
        payload = ("crash", traceback.format_exc())
    return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)


# -- a child forked here --------------------------------------------------------------------

#: This process's ends of the pipes to its live children. A child forked later closes them
#: at once: holding a sibling's request pipe open would keep the sibling from ever reading
#: its end (it waits for the parent to close it), and the build would hang.
_OURS: set[int] = set()


def _close(fd: int) -> None:
    _OURS.discard(fd)
    os.close(fd)


class _Forked(Worker):
    def __init__(self, pid: int, fd: int, request: int):
        self.pid, self.fd, self.request, self.reaped = pid, fd, request, False
        _OURS.update((fd, request))

    def send(self, *args) -> None:
        fd, self.request = self.request, None
        _OURS.discard(fd)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL))
        except BrokenPipeError:
            pass  # the child has ended already: result() tells how

    def result(self):
        # Read the whole pipe before waiting: a result larger than the pipe's buffer
        # would otherwise block the child and this process on each other.
        fd, self.fd = self.fd, None
        _OURS.discard(fd)
        data = _read_all(fd, self.discard)
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True  # nothing left to discard
        return _outcome(data, f"the child process of a build stage died (status {status})")

    def discard(self) -> None:
        if self.reaped:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for fd in (self.fd, self.request):
            if fd is not None:
                _close(fd)
        self.fd = self.request = None
        os.waitpid(self.pid, 0)
        self.reaped = True


def _spawn_child(fn, modules) -> Worker:
    read, write = os.pipe()
    request_read, request_write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the parent's code, nor runs its clean-up
        status = 0
        try:
            _die_with(parent)
            for fd in list(_OURS):  # the ends of the pipes to earlier children
                _close(fd)
            os.close(read)
            os.close(request_write)
            payload = _run(_request_then(fn, modules, request_read))
            with os.fdopen(write, "wb") as fh:
                fh.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    os.close(request_read)
    return _Forked(pid, read, request_write)


def _request_then(fn, modules, request_fd: int):
    """In the child: import ``modules`` while reading the request (a request larger than the
    pipe's buffer would otherwise hold the parent in send() until they had loaded), then run."""
    def run():
        received = []
        reader = threading.Thread(target=lambda: received.append(_read_all(request_fd)))
        reader.start()
        for module in modules:
            importlib.import_module(module)
        reader.join()
        if not received or not received[0]:  # the parent gave up before sending anything
            os._exit(0)
        return fn(*pickle.loads(received[0]))
    return run


def _read_all(fd: int, stop=None) -> bytes:
    """Everything until the other end closes. Interrupted (Ctrl-C), call ``stop``: the child
    writing must not outlive the build."""
    try:
        with os.fdopen(fd, "rb") as fh:
            return fh.read()
    except BaseException:
        if stop is not None:
            stop()
        raise


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


# -- the fork server, for a process that runs threads ---------------------------------------

#: The fork server, once :func:`use_fork_server` has started it: its process and our socket.
_SERVER: list = []
_SERVER_LOCK = threading.Lock()
_HEAD = struct.Struct("<Q")  # a request's size
_PID = struct.Struct("<q")  # the first thing a child of the server sends


def use_fork_server(modules: list[str] | tuple[str, ...]) -> None:
    """From now on, while this process runs other threads, run stages in children of a fork
    server: a fresh interpreter (not a fork of this process, so it holds none of its threads'
    locks) that loads ``modules`` once, then forks a child per stage. ``invoke serve`` starts
    one, so that each rebuild lays out its PDFs beside the HTML without loading WeasyPrint
    again. The server loads its modules in the background, and ends with this process."""
    if _SERVER or not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        return
    ours, theirs = socket.socketpair()
    code = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
            "from folio.pipeline.workers import _serve_forks; _serve_forks(int(sys.argv[2]), sys.argv[3:])")
    process = subprocess.Popen([sys.executable, "-c", code, json.dumps(sys.path),
                                str(theirs.fileno()), *modules], pass_fds=[theirs.fileno()])
    theirs.close()
    _SERVER.extend((process, ours))


def stop_fork_server() -> None:
    """End the fork server (closing its socket is its signal to leave)."""
    if _SERVER:
        process, ours = _SERVER
        _SERVER.clear()
        ours.close()
        process.wait()


def _serve_forks(fd: int, modules: list[str]) -> None:
    """The fork server's loop: for each request (its size, with the pipe for the answer, then
    the pickled stage), fork a child that sends its pid, then the stage's payload."""
    sock = socket.socket(fileno=fd)
    for module in modules:
        importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children need no reaping
    while True:
        head, fds, _, _ = socket.recv_fds(sock, _HEAD.size, 1)
        if not head:
            return  # the serving process has gone
        head += _exactly(sock.recv, _HEAD.size - len(head))
        body = _exactly(sock.recv, _HEAD.unpack(head)[0])
        if os.fork() == 0:
            sock.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            with os.fdopen(fds[0], "wb") as fh:
                fh.write(_PID.pack(os.getpid()))
                fh.flush()
                fh.write(_run(lambda: _call(pickle.loads(body))))
            os._exit(0)
        os.close(fds[0])


def _call(stage):
    fn, args = stage
    return fn(*args)


def _exactly(read, size: int) -> bytes:
    """``size`` bytes from ``read(n)`` (a socket's recv, a pipe's os.read), however they come."""
    chunks = []
    while size > 0:
        chunk = read(min(size, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed before sending all it had to")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class _Served(Worker):
    """A stage run by a child of the fork server; here if the server has gone."""

    def __init__(self, fn):
        super().__init__(fn)
        self.fd = self.pid = None

    def send(self, *args) -> None:
        self.args = args
        body = pickle.dumps((self.fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        read, write = os.pipe()
        try:
            with _SERVER_LOCK:
                sock = _SERVER[1]
                socket.send_fds(sock, [_HEAD.pack(len(body))], [write])
                sock.sendall(body)
        except (OSError, IndexError):  # the server has gone: the stage runs here
            os.close(read)
            return
        finally:
            os.close(write)
        self.fd = read
        try:
            self.pid = _PID.unpack(_exactly(lambda n: os.read(read, n), _PID.size))[0]
        except EOFError:
            raise RuntimeError("the fork server did not start the build stage") from None

    def result(self):
        if self.fd is None:
            return super().result()
        fd, self.fd = self.fd, None
        return _outcome(_read_all(fd, self._kill), "the child process of a build stage died")

    def discard(self) -> None:
        self._kill()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _kill(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pid = None


def background(fn, *args, name: str) -> Future:
    """Run ``fn(*args)`` in a daemon thread, for work that lets go of the GIL (imports while
    pandoc runs, zlib, pdfium); its ``result()`` waits for the value or raises its error."""
    future: Future = Future()

    def run():
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - raised again by result()
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def preload(modules: list[str]) -> Future:
    """Import ``modules`` in a thread while this one waits on other processes (pandoc).
    Spawn the workers first: :func:`spawn` forks only while no other thread runs."""
    return background(lambda: [importlib.import_module(m) for m in modules], name="folio-preload")
