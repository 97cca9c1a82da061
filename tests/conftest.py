"""Session fixtures: the tiny fixture report and the real report, each built once.

Both are built into temporary copies, so the suite never writes into the
repository's own build/. The tiny report commits only its data/ and
manuscript/; its templates/ (with the 3 MB of bundled fonts) are copied from
the repository's templates/ at session start, so the fixture tracks them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import folio
from editions import Built

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PYTHON = sys.executable
#: Files a build writes, as opposed to its pandoc cache.
CACHE = ".cache"


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
                          text=True, timeout=300)


@pytest.fixture(scope="session", autouse=True)
def fixed_environment():
    """Builds take their date from data/publication.yaml, whatever the caller's shell sets."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        yield


def _built(root) -> Built:
    """Build a report (every edition) and start EPUBCheck on its EPUB in the background."""
    folio.build(root)
    built = Built(root)
    built.start_epubcheck()
    return built


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
