"""Session fixtures: the tiny fixture report and the real report, each built once.

Both are built into temporary copies, so the suite never writes into the
repository's own build/. The tiny report commits only its data/ and
manuscript/; its templates/ (with the 3 MB of bundled fonts) are copied from
the repository's templates/ at session start, so the fixture tracks them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import folio
from editions import Built

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
