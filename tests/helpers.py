"""Helpers the test modules share: fixture projects, running folio and invoke, editing a copy.

Test modules import these from here (never from each other); conftest.py holds the fixtures.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PYTHON = sys.executable
INVOKE = str(Path(PYTHON).with_name("invoke"))
#: Files a build writes, as opposed to its pandoc cache.
CACHE = ".cache"
#: Chromium without its background traffic, as `invoke check` runs it (folio.check.axe).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CHROMIUM = "/usr/bin/chromium"


#: True when pytest selects the fast lane (``-m "not slow"``): set by conftest.py.
FAST_LANE = False


def examples(full: int) -> int:
    """How many examples a Hypothesis test draws: ``full`` in the whole suite, a fifth (at
    least 5) in the fast lane, whose explicit ``@example`` cases run in both."""
    return max(5, full // 5) if FAST_LANE else full


def assemble_tiny(dest: Path) -> Path:
    """A fresh copy of tests/fixtures/tiny, with the repository's templates/ (copied: the
    build refuses to read files outside the project, so links would not do)."""
    shutil.copytree(FIXTURES / "tiny", dest)
    shutil.copytree(REPO / "templates", dest / "templates")
    return dest


def copy_real(dest: Path) -> Path:
    """A copy of the real report's sources (data/, manuscript/, templates/)."""
    for folder in ("data", "manuscript", "templates"):
        shutil.copytree(REPO / folder, dest / folder)
    return dest


def outputs(root: Path) -> dict[str, bytes]:
    """Every file of a project's build/ except the pandoc cache, by relative path."""
    out = root / "build"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and CACHE not in p.relative_to(out).parts}


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """``python -m folio ARGS`` in a subprocess, text output captured."""
    return subprocess.run([PYTHON, "-m", "folio", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


def run_folio(*args: str) -> subprocess.CompletedProcess:
    """``folio ARGS`` run in this process by :func:`folio.cli.main`, with the same exit code
    and output as :func:`run_cli`: for a test about what a build says and writes, not about
    a real process (its signals, its interpreter's own traceback). It skips a new
    interpreter's start and a new fork server's import of WeasyPrint (~1-2 CPU-s a call).

    Output is captured at the file descriptors, as a subprocess's would be: what a thread or
    a child process writes to fd 2 is caught too, not only ``sys.stderr``."""
    from folio.cli import main

    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            with open(1, "w", encoding="utf-8", closefd=False) as o, \
                    open(2, "w", encoding="utf-8", closefd=False) as e, \
                    contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # argparse's usage error
                    code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8"), err.read().decode("utf-8")
    return subprocess.CompletedProcess(["folio", *args], code, stdout, stderr)


def outcome_line(stream) -> str:
    """The next line of a preview's output that is not the build's progress ("[  0.3 s] html:
    made"): its outcome ("built html in 0.5 s", "up to date") or what follows."""
    line = stream.readline()
    while line.startswith("["):
        line = stream.readline()
    return line


def as_in_a_terminal() -> None:
    """``preexec_fn`` of a child that is to be stopped by Ctrl-C: SIGINT reaches it, as it
    reaches a terminal's foreground job. The suite itself may run as a shell's background job
    (a CI step, ``pytest &``), whose SIGINT is ignored, and a child inherits that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def invoke(*args: str) -> subprocess.CompletedProcess:
    """``invoke ARGS`` in the repository (its tasks.py), text output captured."""
    return subprocess.run([INVOKE, *args], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the first ``old`` (which must be there) by ``new`` in the file ``rel``."""
    path = root / rel
    text = path.read_text("utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


@dataclass(frozen=True)
class Case:
    """Replace ``old`` by ``new`` in ``path`` of a built copy (all of it when ``old`` is empty,
    append when None); expect ``message``."""

    path: str
    old: str | None
    new: str
    message: str


def break_copy(root: Path, case: Case) -> None:
    """Apply a :class:`Case` to the project at ``root``."""
    path = root / case.path
    if case.old is None:
        text = path.read_text("utf-8") + case.new
    elif case.old:
        text = path.read_text("utf-8")
        assert text.count(case.old) == 1, f"{case.old!r} must occur once in {case.path}"
        text = text.replace(case.old, case.new)
    else:
        text = case.new
    path.write_text(text, "utf-8")


PUBLICATION = """\
title: A Report
slug: a-report
language: en
publisher: A Publisher
year: 2024
date: 2024-01-02
identifier: urn:uuid:00000000-0000-4000-8000-000000000000
rights: Some rights.
"""
CONTENTS = "body:\n  - {source: one.md}\n"


def make_project(root: Path, files: dict[str, str | None]) -> Path:
    """A throwaway project: a minimal valid one, changed by ``files`` (None deletes)."""
    base = {"data/publication.yaml": PUBLICATION, "data/contents.yaml": CONTENTS,
            "manuscript/one.md": "# One {#one}\n\nText.\n"}
    for rel, text in {**base, **files}.items():
        if text is not None:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, "utf-8")
    return root


def small_project(root: Path) -> Path:
    """Two one-paragraph chapters on the default theme: every edition, in a few pages and with
    no bibliography, cheaper to build than the tiny report, for tests of what any build does
    (its writes, its signals)."""
    return make_project(root, {
        "data/contents.yaml": "body:\n  - {source: chapter1.md}\n  - {source: chapter2.md}\n",
        "manuscript/one.md": None,
        "manuscript/chapter1.md": "# One {#chapter1}\n\nThe first chapter.\n",
        "manuscript/chapter2.md": "# Two {#chapter2}\n\nThe second chapter.\n"})


#: Appended to chapter2.md of the tiny report (11 lines, ending in a newline) after a blank
#: line: line 13.
APPENDED = 13


def beside_build(root: Path) -> dict[str, bytes]:
    """Every regular file in the folder holding the project ``root`` (the project and its
    neighbours), but for ``root/build``: what a build must never write."""
    top, build = root.parent, root / "build"
    found = {}
    for folder, dirs, files in os.walk(top):  # links are not followed: a loop is no trap
        dirs[:] = [d for d in dirs if Path(folder, d) != build]
        for name in files:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(top).as_posix()] = path.read_bytes()
    return found


def assert_refused(root: Path, messages: list[str], *editions: str) -> None:
    """The build of ``root`` prints exactly ``messages``, exits 1 without a traceback, and
    leaves every output as it was, and every file outside build/."""
    before, beside = outputs(root), beside_build(root)
    proc = run_folio("--project", str(root), "--quiet", *editions)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == messages
    assert outputs(root) == before
    assert beside_build(root) == beside
