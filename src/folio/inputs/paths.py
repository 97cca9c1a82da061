"""The build reads only files inside the project: refuse links that lead out of it.

A symbolic link in ``data/``, ``manuscript/`` or ``templates/`` whose target
lies outside the project folder would let a chapter, a stylesheet or a data
file smuggle another file (``/etc/passwd``, a home folder) into an edition or
the manifest. The folders are checked once, before anything is read; links
that stay inside the project are fine.
"""

from __future__ import annotations

import os
from pathlib import Path

from folio.errors import Problems

#: The folders a build reads. (Images may sit anywhere inside the project; the
#: document stage resolves each one and refuses any that leaves it.)
INPUTS = ("data", "manuscript", "templates")


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


def _walk(root: Path, path: Path, problems: Problems, seen: set[str]) -> None:
    """Check ``path`` and, if it is a folder, everything in it (following links inside)."""
    if path.is_symlink() and not inside(root, path):
        problems.add(f"a link to '{os.readlink(path)}', outside the project: copy the file"
                     " into the project instead", path.relative_to(root).as_posix())
        return
    real = os.path.realpath(path)
    if not path.is_dir() or real in seen:
        return
    seen.add(real)
    for child in sorted(path.iterdir()):
        _walk(root, child, problems, seen)

