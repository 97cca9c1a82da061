"""Session fixtures: the tiny fixture report and the real report, each built once.

Both are built into temporary copies, so the suite never writes into the
repository's own build/. The tiny report commits only its data/ and
manuscript/; its templates/ (with the 3 MB of bundled fonts) are copied from
the repository's templates/ at session start, so the fixture tracks them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import shutil
import subprocess
import tempfile
from concurrent.futures import Future
from pathlib import Path

import pytest

import folio
import helpers
from editions import Built
from folio.content import convert
from folio.pipeline import workers
from folio.pipeline.output import write_file

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
    read it (helpers.examples). Put the suite's temporary folders in memory (/dev/shm) unless
    TMPDIR says where: the tests copy built projects some 300 times and delete them, which
    takes 4 to 5 s of the fast lane's minute on this machine's disk, and little in memory.
    pytest-xdist's workers and every build in a subprocess inherit it."""
    helpers.FAST_LANE = "not slow" in (config.option.markexpr or "")
    shm = Path("/dev/shm")
    if "TMPDIR" not in os.environ and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        os.environ["TMPDIR"] = str(shm)
        tempfile.tempdir = None  # read TMPDIR again


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


@pytest.fixture(scope="session")
def replays(tmp_path_factory) -> Path:
    """The folder where the test processes keep what the replays below hand out again: one for
    the session, shared by pytest-xdist's workers."""
    base = tmp_path_factory.getbasetemp()
    store = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "replays"
    store.mkdir(exist_ok=True)
    return store


@pytest.fixture(scope="session", autouse=True)
def each_conversion_once(replays):
    """Each distinct pandoc conversion runs once in the session; the same one again (the same
    arguments, input, and bibliography and style by content, whatever folder the project is
    in) gets the first one's output, in this test process or another. The fast lane's builds
    ran pandoc 388 times for 132 distinct conversions, a third of its CPU time. Only a clean
    run (exit 0, nothing on stderr) is replayed; folio's own code around pandoc (its cache, its
    messages) runs as ever. Builds in a subprocess (``helpers.run_cli``, strace) always run
    pandoc; ``FOLIO_TEST_PANDOC=always`` turns the replay off."""
    if os.environ.get("FOLIO_TEST_PANDOC") == "always":
        yield
        return
    real = convert.run_pandoc

    def run_pandoc(args: list[str], text: str) -> subprocess.CompletedProcess[bytes]:
        key = conversion_key(args, text)
        kept = replays / ("pandoc-" + hashlib.sha256(repr(key).encode()).hexdigest()) if key else None
        if kept is not None and kept.exists():
            return subprocess.CompletedProcess(args, 0, kept.read_bytes(), b"")
        proc = real(args, text)
        if kept is not None and proc.returncode == 0 and not proc.stderr:
            write_file(kept, proc.stdout)  # whole or not at all: others may read it now
        return proc

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convert, "run_pandoc", run_pandoc)
        yield


#: The pool's jobs the replay below may answer: a whole document laid out (not a book's units,
#: which report their pages to the build as they go).
REPLAYED_JOBS = ("folio.editions.pdf.layout:lay_out",)


def _without_root(value, root: str):
    """``value`` (a layout request, its fields) with the project's folder taken out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value), tuple((f.name, _without_root(getattr(value, f.name), root))
                                  for f in dataclasses.fields(value))
    if isinstance(value, (str, Path)):
        return type(value).__name__, str(value).replace(root, "<project>")
    if isinstance(value, (tuple, list)):
        return tuple(_without_root(v, root) for v in value)
    return value


def layout_key(job, args: tuple) -> str | None:
    """What makes one layout: the job, its request without the project's folder, and every
    file of the project but its build/, by content. None for any other job."""
    if job not in REPLAYED_JOBS or not args or not hasattr(args[0], "root"):
        return None
    root = Path(args[0].root)
    digest = hashlib.sha256(pickle.dumps((job, _without_root(args, str(root)))))
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] != "build" and path.is_file():
            digest.update(rel.as_posix().encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


#: Whether the running test is marked ``fresh_layout`` (set by the fixture below).
_LAYOUT_REPLAY = {"off": False}


@pytest.fixture(autouse=True)
def fresh_layout(request):
    """A test marked ``fresh_layout`` (two layouts it compares, a layout it watches) lays out
    every document itself: the replay below leaves it alone."""
    fresh = request.node.get_closest_marker("fresh_layout") is not None
    _LAYOUT_REPLAY["off"] = fresh
    yield
    _LAYOUT_REPLAY["off"] = False



@pytest.fixture(scope="session", autouse=True)
def each_layout_once(replays):
    """Each distinct document is laid out once in the suite: a second request for the same
    layout (the same request, whatever folder the project is in, and the same files in the
    project) gets the first one's result, from a folder the test processes share. WeasyPrint's
    layout of the tiny report (~1.3 CPU-s) is the largest cost of a build, and the fast lane laid
    out the same document up to 7 times. Only a layout that succeeded and holds nothing of the
    project's folder is kept; folio's own code around the pool runs as ever (its layout cache,
    its progress, the EPUB's page list, the writing of the editions). Layouts in a subprocess,
    tests marked ``fresh_layout`` (``tests/test_reproducible.py``: two layouts compared) and
    ``FOLIO_TEST_LAYOUT=always`` lay out every time."""
    if os.environ.get("FOLIO_TEST_LAYOUT") == "always":
        yield
        return
    real = workers.Pool.submit

    def submit(pool, job, *args):
        key = None if _LAYOUT_REPLAY["off"] else layout_key(job, args)
        if key is None:
            return real(pool, job, *args)
        kept = replays / ("layout-" + key)
        if kept.exists():
            done: Future = Future()
            done.set_result(pickle.loads(kept.read_bytes()))
            return done
        future = real(pool, job, *args)

        def keep(finished: Future) -> None:
            if finished.cancelled() or finished.exception() is not None:
                return
            data = pickle.dumps(finished.result())
            if str(args[0].root).encode("utf-8") not in data:
                write_file(kept, data)

        future.add_done_callback(keep)
        return future

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(workers.Pool, "submit", submit)
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
