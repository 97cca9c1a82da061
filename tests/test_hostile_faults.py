"""Hostile input, round two (issue 15): faults of the disk and the inputs are located
messages, and nothing hangs.

Each case: the exact message, exit 1, no traceback, the last good editions byte for byte.
Unreadable files and a full disk are simulated in the build's own process (the suite
runs as root, whom permissions do not stop) by failing the open() of one path; a read-only
and a full disk are also real, on a small tmpfs, where the machine lets us mount one.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from helpers import APPENDED, PYTHON, REPO, Case, assert_refused, break_copy, outputs

#: Fail every open() of a path that ``sys.argv[2]`` names (a file, or a folder's contents)
#: in a mode starting with ``sys.argv[3]`` ('r' or 'w'), with the errno ``sys.argv[4]``.
FAULT = """
import builtins, errno, io, os, sys
target, wanted, code = os.path.realpath(sys.argv[2]), sys.argv[3], getattr(errno, sys.argv[4])
real_open = io.open
def faulty(file, mode="r", *args, **kwargs):
    path = os.path.realpath(os.fspath(file)) if isinstance(file, (str, bytes, os.PathLike)) else ""
    if (path == target or path.startswith(target + os.sep)) and mode.lstrip("x")[:1] == wanted:
        raise OSError(code, os.strerror(code), os.fspath(file))
    return real_open(file, mode, *args, **kwargs)
io.open = builtins.open = faulty
from folio.cli import main
sys.exit(main(["--project", sys.argv[1], "--quiet"]))
"""


def run_faulty(root: Path, path: str, mode: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-c", FAULT, str(root), str(root / path), mode, code],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def assert_fault_refused(root: Path, proc: subprocess.CompletedProcess, message: str,
                         before: dict[str, bytes]) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [message]
    assert outputs(root) == before
    assert not list((root / "build").rglob("*.tmp"))


@pytest.mark.parametrize("rel", ["manuscript/chapter2.md", "data/team.yaml",
                                 "templates/css/print.css"])
def test_an_unreadable_input_is_named(tiny, copy_built, rel):
    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter2.md", None, "\nAn edit.\n", ""))
    before = outputs(root)
    proc = run_faulty(root, rel, "r", "EACCES")
    assert_fault_refused(root, proc, f"{rel}: cannot be read: permission denied", before)


@pytest.mark.parametrize("edition", ["build/html", "build/tiny-report.epub"])
def test_a_full_disk_loses_no_edition(tiny, copy_built, edition):
    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter2.md", None, "\nAn edit.\n", ""))
    before = outputs(root)
    proc = run_faulty(root, "build", "w", "ENOSPC")
    assert proc.stderr.startswith("build/")
    assert_fault_refused(root, proc, proc.stderr.split(":")[0] + ": cannot write: no space left"
                         " on device (no edition was lost or half-written)", before)


def test_build_is_a_file(tiny, copy_built):
    root = copy_built(tiny)
    import shutil

    shutil.rmtree(root / "build")
    (root / "build").write_text("not a folder\n", "utf-8")
    proc = subprocess.run([PYTHON, "-m", "folio", "--project", str(root), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr == ("build: is a file, not a folder: move it away; the editions are"
                           " written into a folder of that name\n")
    assert (root / "build").read_text("utf-8") == "not a folder\n"


@pytest.fixture
def tmpfs(tmp_path):
    """A folder on a tmpfs of 16 MB, or a skip where the machine cannot mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def _on_disk(root: Path, disk: Path) -> dict[str, bytes]:
    """Move the built report's build/ onto ``disk`` (build becomes a link to it)."""
    subprocess.run(["cp", "-a", f"{root / 'build'}/.", str(disk)], check=True)
    subprocess.run(["rm", "-rf", str(root / "build")], check=True)
    (root / "build").symlink_to(disk)
    return outputs(root)


def test_a_really_full_disk_loses_no_edition(tiny, copy_built, tmpfs):
    root = copy_built(tiny)
    before = _on_disk(root, tmpfs)
    filler = tmpfs / "filler"
    with open(filler, "wb") as fh:  # fill the disk...
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    # ...but for 512 KB: the lock and the cache are written, the HTML edition (3 MB) is not
    os.truncate(filler, filler.stat().st_size - 512 * 1024)
    break_copy(root, Case("manuscript/chapter2.md", None, "\nAn edit.\n", ""))
    proc = subprocess.run([PYTHON, "-m", "folio", "--project", str(root), "--quiet", "html"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    filler.unlink()
    assert_fault_refused(root, proc, "build/html: cannot write: no space left on device"
                         " (no edition was lost or half-written)", before)


def test_a_read_only_build_folder(tiny, copy_built, tmpfs):
    root = copy_built(tiny)
    before = _on_disk(root, tmpfs)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    break_copy(root, Case("manuscript/chapter2.md", None, "\nAn edit.\n", ""))
    proc = subprocess.run([PYTHON, "-m", "folio", "--project", str(root), "--quiet"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert_fault_refused(root, proc, "build/.cache/build.lock: cannot write: read-only file"
                         " system (no edition was lost or half-written)", before)


def _run_with_epoch(root: Path, value: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": value}
    return subprocess.run([PYTHON, "-m", "folio", "--project", str(root), "--quiet"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("value, message", [
    ("yesterday", "SOURCE_DATE_EPOCH: 'yesterday' is not a whole number of seconds since 1970"
                  " (the shell's date +%s gives one)"),
    ("-5", "SOURCE_DATE_EPOCH: '-5' is not a whole number of seconds since 1970"
           " (the shell's date +%s gives one)"),
    ("1.5e9", "SOURCE_DATE_EPOCH: '1.5e9' is not a whole number of seconds since 1970"
              " (the shell's date +%s gives one)"),
    ("\u0661\u0662", "SOURCE_DATE_EPOCH: '\u0661\u0662' is not a whole number of seconds"
                     " since 1970 (the shell's date +%s gives one)"),
    ("99999999999999999", "SOURCE_DATE_EPOCH: 99999999999999999 is out of range: give a time"
                          " from 1980-01-01 to 9999-12-31 (315532800 to 253402300799)"),
    ("100", "SOURCE_DATE_EPOCH: 100 is out of range: give a time from 1980-01-01 to"
            " 9999-12-31 (315532800 to 253402300799)"),
])
def test_source_date_epoch_out_of_range_or_garbage(tiny, copy_built, value, message):
    root = copy_built(tiny)
    before = outputs(root)
    proc = _run_with_epoch(root, value)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [message]
    assert outputs(root) == before


CASES = {
    "1,000 nested block quotes": Case(
        "manuscript/chapter2.md", None, "\n" + "> " * 1000 + "deep\n",
        f"manuscript/chapter2.md:{APPENDED}: block quotes nested 1000 deep; at most 20"),
    "300 nested raw divs": Case(
        "manuscript/chapter2.md", None, "\n" + "<div>" * 300 + "deep" + "</div>" * 300 + "\n",
        "manuscript/chapter2.md: HTML elements nested more than 100 deep"),
    "a NUL byte in a data file": Case(
        "data/team.yaml", "      - name: Priya Raghunathan\n", "      - name: Priya\x00\n",
        "data/team.yaml:11: the character U+0000 is not allowed in text"),
    "contents naming a link loop": Case(
        "data/contents.yaml", "chapter2.md", "loop/chapter2.md",
        "manuscript/loop: cannot be read: a link that leads back to itself (a loop): remove it"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_fault_of_the_inputs_is_one_located_line(tiny, copy_built, name):
    root = copy_built(tiny)
    if name == "contents naming a link loop":
        (root / "manuscript/loop").symlink_to("loop")
    break_copy(root, CASES[name])
    assert_refused(root, [CASES[name].message])


def test_a_chapter_that_is_one_long_line_ends_within_30_s(tiny, copy_built):
    root = copy_built(tiny)
    words = " ".join(["alpha", "beta", "gamma", "words", "of", "the", "report"] * 30_000)
    break_copy(root, Case("manuscript/chapter2.md", None, "\n" + words[:960_000] + "\n", ""))
    started = time.monotonic()
    assert_refused(root, [f"manuscript/chapter2.md:{APPENDED}: this line is 960,000 characters"
                          " long; a line may hold at most 20,000: break the paragraph into"
                          " several"])
    assert time.monotonic() - started < 30


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def _device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # another /dev/null
    except PermissionError:
        pytest.skip("mknod needs root")


@pytest.mark.parametrize("make, kind, rel", [
    (_fifo, "a named pipe", "manuscript/pipe.md"), (_fifo, "a named pipe", "data/pipe.yaml"),
    (_socket, "a socket", "templates/css/sock.css"), (_device, "a device", "manuscript/dev.md"),
])
def test_a_pipe_device_or_socket_is_refused_by_name_without_hanging(tiny, copy_built, make,
                                                                   kind, rel):
    root = copy_built(tiny)
    make(root / rel)
    started = time.monotonic()
    assert_refused(root, [f"{rel}: {kind}, not a file: remove it from the project"])
    assert time.monotonic() - started < 30
