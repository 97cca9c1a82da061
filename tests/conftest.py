"""Session fixtures: the tiny fixture report and the real report, each built once.

Both are built into temporary copies, so the suite never writes into the
repository's own build/. The tiny report commits only its data/ and
manuscript/; its templates/ (with the 3 MB of bundled fonts) are copied from
the repository's templates/ at session start, so the fixture tracks them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

import folio
import helpers
from editions import Built
from folio.content import convert

# Re-exported: test modules (and other branches) import these from conftest too.
from helpers import (  # noqa: F401
    CACHE,
    FIXTURES,
    PYTHON,
    REPO,
    assemble_tiny,
    copy_real,
    outputs,
    run_cli,
)


def pytest_configure(config):
    """Mark the fast lane before the test modules are imported: their Hypothesis settings
    read it (helpers.examples)."""
    helpers.FAST_LANE = "not slow" in (config.option.markexpr or "")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Every test of the real report is in the slow lane: building it (and running EPUBCheck
    on it) is the fast lane's largest cost, and what the tool does is shown on the tiny one."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if "real" in getattr(item, "fixturenames", ()) or (
                callspec is not None and callspec.params.get("report") == "real"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def fixed_environment():
    """Builds take their date from data/publication.yaml, whatever the caller's shell sets."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        yield


#: Arguments that name a file pandoc reads: the replay's key holds the file's digest instead.
READ_FILES = ("--bibliography=", "--csl=")


def conversion_key(args: list[str], text: str) -> tuple[str, ...] | None:
    """What makes one pandoc conversion: its arguments, the files they name (by content, not
    by folder) and its input. None when an argument names a file any other way."""
    key = [args[0], hashlib.sha256(text.encode("utf-8")).hexdigest()]
    for arg in args[1:]:
        option = next((o for o in READ_FILES if arg.startswith(o)), None)
        if option:
            try:
                arg = option + hashlib.sha256(Path(arg[len(option):]).read_bytes()).hexdigest()
            except OSError:
                return None
        elif os.sep in arg:
            return None
        key.append(arg)
    return tuple(key)


@pytest.fixture(scope="session", autouse=True)
def each_conversion_once():
    """Each distinct pandoc conversion runs once in a test process; the same one again (the
    same arguments, input, and bibliography and style by content, whatever folder the project
    is in) gets the first one's output. The fast lane's builds ran pandoc 388 times for 132
    distinct conversions, a third of its CPU time. Only a clean run (exit 0, nothing on stderr)
    is replayed; folio's own code around pandoc (its cache, its messages) runs as ever.
    Builds in a subprocess (``helpers.run_cli``, strace) always run pandoc;
    ``FOLIO_TEST_PANDOC=always`` turns the replay off."""
    if os.environ.get("FOLIO_TEST_PANDOC") == "always":
        yield
        return
    real, done, lock = convert.run_pandoc, {}, threading.Lock()

    def run_pandoc(args: list[str], text: str) -> subprocess.CompletedProcess[bytes]:
        key = conversion_key(args, text)
        with lock:
            proc = done.get(key) if key else None
        if proc is not None:
            return subprocess.CompletedProcess(args, 0, proc.stdout, b"")
        proc = real(args, text)
        if key and proc.returncode == 0 and not proc.stderr:
            with lock:
                done[key] = proc
        return proc

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convert, "run_pandoc", run_pandoc)
        yield


def _built(root) -> Built:
    """Build a report (every edition). EPUBCheck (a JVM, ~10 CPU-s) starts when a test first
    asks for its verdict, not here: most workers that build a report never need it."""
    folio.build(root)
    return Built(root)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Built:
    """The tiny fixture report, built once (all three editions)."""
    return _built(assemble_tiny(tmp_path_factory.mktemp("tiny") / "report"))


@pytest.fixture(scope="session")
def real(tmp_path_factory) -> Built:
    """The real report, copied and built once (all three editions)."""
    return _built(copy_real(tmp_path_factory.mktemp("real") / "report"))


@pytest.fixture(params=["tiny", "real"])
def report(request) -> Built:
    """Each built report in turn, for facts that hold of any report."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def copy_built(tmp_path):
    """Copy a built report (sources, build/ and its pandoc cache) to change it safely."""

    def copy(built: Built, name: str = "copy") -> Path:
        return Path(shutil.copytree(built.root, tmp_path / name))

    return copy
