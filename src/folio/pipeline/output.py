"""Atomic writes: an output is either the last good one or the new complete one.

A file is written to a temporary name beside its target, flushed, then
renamed over it. A folder (the HTML edition) is written beside its target and
swapped in with two renames, so a failed or killed build never leaves a
half-written edition in place.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path

from folio.pipeline.workers import background


def write_file(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
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
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for rel, data in sorted(files.items()):
            path = staging / rel
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
    zf.writestr(_entry_info(name, stored), data, compresslevel=None if stored else ZIP_LEVEL)


#: Deflate level of every compressed zip entry.
ZIP_LEVEL = 9


def _entry_info(name: str, stored: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def deflate(data: bytes) -> bytes:
    """``data`` deflated as a zip entry holds it."""
    compressor = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def precompress(blobs: Iterable[bytes]) -> Future:
    """Deflate ``blobs`` in a thread (zlib lets go of the GIL while it works): a Future of
    {blob: deflated} for :func:`zip_bytes`. The EPUB's fonts, nine tenths of its compression
    time, are deflated so while the PDF is laid out, not after it."""
    return background(lambda: {blob: deflate(blob) for blob in blobs}, name="folio-deflate")


def zip_bytes(entries: Iterable[tuple[str, bytes]], stored: frozenset[str] | set[str] = frozenset(),
              deflated: Mapping[bytes, bytes] | None = None) -> bytes:
    """A zip of ``entries`` ((name, data) in order), byte for byte what :func:`add_to_zip`
    gives entry by entry; the entries named in ``stored`` are left uncompressed, and data
    found in ``deflated`` (:func:`precompress`) is not compressed again.

    zipfile itself cannot take data compressed ahead; hence this writer of the zip's records.
    """
    out, directory = io.BytesIO(), []
    deflated = deflated or {}
    for name, data in entries:
        info = _entry_info(name, name in stored)
        packed = data if name in stored else deflated.get(data) or deflate(data)
        info.CRC, info.file_size, info.compress_size = zlib.crc32(data), len(data), len(packed)
        info.header_offset = out.tell()
        out.write(info.FileHeader(zip64=False))
        out.write(packed)
        directory.append(info)
    start = out.tell()
    for info in directory:
        filename, flags = info.filename.encode("utf-8"), 0
        if not info.filename.isascii():
            flags = 0x800
        year, month, day, hour, minute, second = info.date_time
        dosdate, dostime = (year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2
        out.write(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", info.create_version,
                              info.create_system, info.extract_version, info.reserved, flags,
                              info.compress_type, dostime, dosdate, info.CRC, info.compress_size,
                              info.file_size, len(filename), 0, 0, 0, info.internal_attr,
                              info.external_attr, info.header_offset))
        out.write(filename)
    size = out.tell() - start
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(directory), len(directory),
                          size, start, 0))
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
