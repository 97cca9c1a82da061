"""One build at a time per build folder, and a clean stop on SIGTERM.

The lock is ``fcntl.flock`` on ``build/.cache/build.lock``: the operating
system releases it when the holder exits, however it dies, so a lock is never
stale. The holder writes its pid into the file so the second build can name it;
the file is emptied again on release (and removed, with the folders made for it, when
the build wrote nothing: a first build that fails leaves no build/). The file sits in
``.cache`` because build/ itself holds only editions and the manifest.

The command line (folio.cli) turns SIGTERM into :class:`Terminated` (like Ctrl-C raises
KeyboardInterrupt), so the atomic writers remove their temporary files on the
way out; debris a SIGKILL left behind is swept when the next build takes the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import inspect
import os
from pathlib import Path

from folio.errors import BuildError, Terminated
from folio.pipeline.output import sweep_debris

LOCK = ".cache/build.lock"


@contextlib.contextmanager
def build_lock(out: Path, shown: str | None = None):
    """Hold the build lock of the folder ``out``; fail at once if another build holds it.
    ``shown`` is how the message names the lock file (default: its full path).

    A build that finds no ``out`` folder and writes nothing into it (it failed on bad
    input) leaves none behind: the lock file and the folders made for it are removed.
    """
    out = Path(out)
    path = out / LOCK
    made = [p for p in (out, path.parent) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, shown or path.as_posix())
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            sweep_debris(out)
            yield path
        finally:
            os.ftruncate(fd, 0)
            if made:
                _remove_if_unused(path, made)
    finally:
        os.close(fd)  # releases the flock


def _acquire(path: Path, shown: str) -> int:
    """Open and flock the lock file; the file must still be the one at ``path`` once locked
    (a finishing build may have removed it in between), else try again."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise BuildError(f"another build of this project is running (pid {holder});"
                             " wait for it to finish", shown) from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _remove_if_unused(path: Path, made: list[Path]) -> None:
    """Remove the lock file and the folders made for it, if nothing else was written there."""
    if sorted(p.name for p in path.parent.iterdir()) != [path.name]:
        return
    path.unlink()
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:  # something else is in it now
            return


def locked(build):
    """Decorate ``build(project_dir, ..., out_dir=None)`` to run under the lock of its
    output folder (``out_dir``, else ``project_dir/build``)."""
    signature = inspect.signature(build)

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        out_dir, project = bound.arguments.get("out_dir"), Path(bound.arguments["project_dir"])
        if not out_dir and not (project / "data").is_dir():
            return build(*args, **kwargs)  # not a project: let the build say so, writing nothing
        out = Path(out_dir).resolve() if out_dir else project.resolve() / "build"
        shown = out.relative_to(project.resolve()) if out.is_relative_to(project.resolve()) else out
        if out.exists() and not out.is_dir():
            raise BuildError("is a file, not a folder: move it away; the editions are"
                             " written into a folder of that name", shown.as_posix())
        try:
            with build_lock(out, (shown / LOCK).as_posix()):
                return build(*args, **kwargs)
        except OSError as exc:
            raise located(exc, project.resolve(), out) from None

    return wrapper


def located(exc: OSError, root: Path, out: Path) -> BuildError:
    """The BuildError of an OSError met reading the inputs or writing the build folder
    (a read-only or full disk, an unreadable file): its path, and what it means."""
    path = Path(exc.filename) if exc.filename else out
    if not path.is_absolute():
        path = root / path
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    reason = (exc.strerror or str(exc)).lower()
    if path.is_relative_to(out):
        return BuildError(f"cannot write: {reason} (no edition was lost or half-written)", rel)
    return BuildError(f"cannot be read: {reason}", rel)


# Terminated lived here before it moved to folio.errors; importers of it from here still work.
__all__ = ["LOCK", "Terminated", "build_lock", "locked"]
