"""Atomic writes: an output is either the last good one or the new complete one.

A file is written to a temporary name beside its target, flushed, then
renamed over it. A folder (the HTML edition) is written beside its target and
swapped in with two renames, so a failed or killed build never leaves a
half-written edition in place.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from folio.content.names import output_name


def write_file(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (an OSError names ``target``, not the
    temporary file)."""
    with _naming(target):
        return _write_file(target, data)


@contextlib.contextmanager
def _naming(target: Path):
    """Re-raise an OSError as one about ``target``: a full disk is met while writing a
    temporary file, but the edition it was to replace is what the message must name."""
    try:
        yield
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc


def _write_file(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # fixed mode: outputs must not depend on the umask
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_tree(target: Path, files: dict[str, bytes]) -> Path:
    """Replace the folder ``target`` with exactly ``files`` (relative path -> bytes)."""
    with _naming(target):
        return _write_tree(target, files)


def _write_tree(target: Path, files: dict[str, bytes]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for rel, data in sorted(files.items()):
            path = staging / output_name(rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.chmod(path, 0o644)
        for folder in sorted({p for p in staging.rglob("*") if p.is_dir()} | {staging}):
            os.chmod(folder, 0o755)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if old is not None:
                os.replace(old, target)  # put the last good edition back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


#: The earliest time a zip entry can carry: every entry gets it, so no build's clock shows.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def add_to_zip(zf: zipfile.ZipFile, name: str, data: bytes, stored: bool = False) -> None:
    """Add one entry with fixed time, mode and host system, so a zip's bytes depend only on
    its contents and order."""
    zf.writestr(_entry_info(output_name(name), stored), data, compresslevel=None if stored else ZIP_LEVEL)


#: Deflate level of every compressed zip entry.
ZIP_LEVEL = 9


def _entry_info(name: str, stored: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def zip_bytes(entries: Iterable[tuple[str, bytes]], stored: frozenset[str] | set[str] = frozenset()) -> bytes:
    """A zip of ``entries`` ((name, data) in order), each added by :func:`add_to_zip`; the
    entries named in ``stored`` are left uncompressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries:
            add_to_zip(zf, name, data, stored=name in stored)
    return out.getvalue()


#: Names the atomic writers give their temporary files and folders, beside their targets.
_TEMPORARY = re.compile(r"^\.(?P<target>.+?)\.(?:[^.]+\.tmp|(?P<old>old)\.\d+)$")


def sweep_debris(out: Path) -> list[str]:
    """Remove what a killed build left in ``out``: temporary files and folders beside the
    editions, and the pandoc cache's. A last good folder a kill left set aside (between
    the two renames of :func:`write_tree`) is put back if its place is empty.

    Call it only while holding the build lock: then no other build is writing here.
    Returns the names removed or restored, for tests.
    """
    swept: list[str] = []
    if not out.is_dir():
        return swept
    candidates = list(out.iterdir())
    cache = out / ".cache"
    if cache.is_dir():
        candidates += list(cache.rglob("*.tmp"))
    for path in sorted(candidates):
        match = _TEMPORARY.match(path.name)
        if path.parent == out and not match:
            continue
        if match and match["old"] and not (out / match["target"]).exists():
            os.replace(path, out / match["target"])
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        swept.append(path.relative_to(out).as_posix())
    return swept
