"""The build reads only files inside the project: refuse links that lead out of it.

A symbolic link in ``data/``, ``manuscript/`` or ``templates/`` whose target
lies outside the project folder would let a chapter, a stylesheet or a data
file smuggle another file (``/etc/passwd``, a home folder) into an edition or
the manifest. The folders are checked once, before anything is read; links
that stay inside the project are fine. So are refused, by name: a link that
leads to itself (a loop), and anything that is neither a file nor a folder (a
named pipe would block the build forever on its first read; a device or a
socket is no source either), and a folder that cannot be listed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from folio.errors import Problems

#: The folders a build reads. (Images may sit anywhere inside the project; the
#: document stage resolves each one and refuses any that leaves it.)
INPUTS = ("data", "manuscript", "templates")


#: Files read as text: their line endings are normalised to LF before anything hashes,
#: converts or copies them, so a Windows checkout (core.autocrlf) gives the same editions.
TEXT_SUFFIXES = frozenset({".md", ".yaml", ".yml", ".html", ".xhtml", ".css", ".js", ".csl",
                           ".txt", ".svg", ".xml", ".json"})


def lf(data: bytes) -> bytes:
    """``data`` with CRLF and lone CR line endings made LF."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data


def read_input(path: Path) -> bytes:
    """A project file's bytes, line endings normalised if it is a text file."""
    return normalised(path, path.read_bytes())


def normalised(path: Path, data: bytes) -> bytes:
    """``data``, read from ``path``, as the build sees it: line endings normalised if
    ``path`` is a text file."""
    return lf(data) if path.suffix.lower() in TEXT_SUFFIXES else data


def inside(root: Path, path: Path) -> bool:
    """Whether ``path``, links followed, lies inside the folder ``root``."""
    return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))


def check_links(root: Path, folders=INPUTS) -> None:
    """Raise a BuildError naming every link under ``folders`` that leads out of ``root``."""
    root = Path(os.path.realpath(root))
    problems = Problems()
    seen: set[str] = set()
    for folder in folders:
        _walk(root, root / folder, problems, seen)
    problems.raise_if_any()


#: What a project may not hold, by the file type's test.
_SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def _walk(root: Path, path: Path, problems: Problems, seen: set[str]) -> None:
    """Check ``path`` and, if it is a folder, everything in it (following links inside)."""
    rel = path.relative_to(root).as_posix()
    if path.is_symlink() and not inside(root, path):
        problems.add(f"a link to '{os.readlink(path)}', outside the project: copy the file"
                     " into the project instead", rel)
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if path.is_symlink():
            problems.add(f"a link to '{os.readlink(path)}', which does not exist", rel)
        return
    except OSError as exc:  # ELOOP: a link that leads to itself
        problems.add(f"cannot be read: {_reason(exc)}", rel)
        return
    for test, kind in _SPECIAL:
        if test(mode):
            problems.add(f"{kind}, not a file: remove it from the project", rel)
            return
    real = os.path.realpath(path)
    if not stat.S_ISDIR(mode) or real in seen:
        return
    seen.add(real)
    try:
        children = sorted(path.iterdir())
    except OSError as exc:
        problems.add(f"cannot be read: {_reason(exc)}", rel)
        return
    for child in children:
        _walk(root, child, problems, seen)


def _reason(exc: OSError) -> str:
    """An OSError's reason in words, a loop named as such."""
    import errno

    if exc.errno == errno.ELOOP:
        return "a link that leads back to itself (a loop): remove it"
    return (exc.strerror or str(exc)).lower()

