"""Killed and concurrent builds (issue 7): only complete editions, no debris, one build at a time.

A build runs in a subprocess that signals itself at a chosen moment: while gathering, or just
before one of the renames that put the editions in place (found by wrapping ``os.replace``
in folio.pipeline.output). Hook points, not delays: the moments are exact on any machine.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

import folio
from editions import Built
from folio.pipeline.lock import LOCK, build_lock
from folio.pipeline.output import sweep_debris, write_file, write_tree
from helpers import PYTHON, outputs, run_cli, small_project

pytestmark = pytest.mark.slow

#: Run ``python -m folio`` on a project, sending ``signal`` to itself at moment ``at``:
#: 0 = at the start of gathering; n >= 1 = before the n-th rename into build/.
KILLER = """
import importlib, os, signal, sys
from pathlib import Path
from folio.cli import main
document, output = importlib.import_module("folio.content.gather"), importlib.import_module("folio.pipeline.output")
sig, at, project = getattr(signal, sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# As in a terminal: a shell's background job (a CI step, say) starts with SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
out = Path(project).resolve() / "build"
real_replace, real_gather, renames = os.replace, document.gather, []

def replace(src, dst):
    if Path(dst).parent == out:
        renames.append(dst)
        if len(renames) == at:
            os.kill(os.getpid(), sig)
    return real_replace(src, dst)

def gather(*args, **kwargs):
    if at == 0:
        os.kill(os.getpid(), sig)
    return real_gather(*args, **kwargs)

output.os.replace = replace
document.gather = gather
sys.exit(main(["--project", project, "--quiet"]))
"""
#: The renames of a full build, in order: html aside, html in, EPUB, PDF, print PDF, its cover
#: spread, manifest.
MOMENTS = {0: "gathering", 1: "moving the old site aside", 2: "between the site's two renames",
           3: "before the EPUB's rename", 4: "before the PDF's rename",
           5: "before the print PDF's rename", 6: "before the cover spread's rename",
           7: "before the manifest's"}
PDFS = ("a-report.pdf", "a-report-print.pdf", "a-report-print-cover.pdf")
EPUB = "a-report.epub"
EXIT = {"SIGINT": 130, "SIGTERM": 143, "SIGKILL": -9}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Built:
    """A small project, built (every edition): what is killed here is the build's writing,
    which any project's build does alike; the tiny report's layout would cost each of these
    14 builds a second more."""
    root = small_project(tmp_path_factory.mktemp("kill") / "report")
    folio.build(root)
    return Built(root)


def killed_build(root: Path, signal: str, at: int) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-c", KILLER, signal, str(at), str(root)],
                          capture_output=True, text=True, timeout=300)


def assert_complete(root: Path, old: dict[str, bytes]) -> None:
    """Every edition in build/ is whole: the PDF parses, the EPUB's zip checks, and the
    site is the old one or a new one entire."""
    found = outputs(root)
    for name in PDFS:
        pdf = found[name]
        assert pdf.rstrip().endswith(b"%%EOF") and len(PdfReader(io.BytesIO(pdf)).pages) > 0
    with zipfile.ZipFile(io.BytesIO(found[EPUB])) as zf:
        assert zf.testzip() is None and zf.read("mimetype") == b"application/epub+zip"
    site = {k: v for k, v in found.items() if k.startswith("html/")}
    old_site = {k: v for k, v in old.items() if k.startswith("html/")}
    changed = site["html/chapter2.html"] != old_site["html/chapter2.html"]

    def pages(files):  # the search index's file names are hashes of its contents
        return {name for name in files if not name.startswith("html/pagefind/")}

    assert site == old_site or (changed and pages(site) == pages(old_site))


def debris(root: Path) -> list[str]:
    """Anything in build/ that is neither an edition, the manifest nor the cache and lock."""
    out = root / "build"
    allowed = {".cache", "html", "manifest.json", EPUB, *PDFS}
    found = [p.name for p in out.iterdir() if p.name not in allowed]
    found += [p.relative_to(out).as_posix() for p in out.rglob("*.tmp")]
    return found


def change_chapter(root: Path) -> None:
    path = root / "manuscript/chapter2.md"
    path.write_text(path.read_text("utf-8") + "\nA sentence added since the last build.\n", "utf-8")


@pytest.mark.parametrize("signal", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("at", [0, 2, 4])
def test_interrupted_build_leaves_complete_editions_and_no_debris(small, copy_built, signal, at):
    root = copy_built(small)
    old = outputs(root)
    change_chapter(root)
    proc = killed_build(root, signal, at)
    assert proc.returncode == EXIT[signal], proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr == "folio: interrupted; the editions of the last good build are unchanged\n"
    assert debris(root) == []
    assert_complete(root, old)
    if at < 3:  # stopped before the EPUB's rename: the PDF and EPUB are the last good ones
        assert {k: v for k, v in outputs(root).items() if not k.startswith("html/")} == \
            {k: v for k, v in old.items() if not k.startswith("html/")}


@pytest.mark.parametrize("at", sorted(MOMENTS))
def test_sigkill_leaves_complete_editions_and_the_next_build_sweeps(small, copy_built, at):
    root = copy_built(small)
    old = outputs(root)
    change_chapter(root)
    proc = killed_build(root, "SIGKILL", at)
    assert proc.returncode == EXIT["SIGKILL"], proc.stderr
    for name in (EPUB, *PDFS):
        assert (root / "build" / name).is_file()  # never missing, never truncated
    if at == 2:  # killed between the two renames: the last good site is set aside
        assert not (root / "build/html").exists()
    # The next build, even one that fails, sweeps the debris and puts the site back.
    (root / "manuscript/chapter2.md").write_text("no heading\n", "utf-8")
    proc = run_cli("--project", str(root), "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert debris(root) == []
    assert_complete(root, old)


def test_a_second_build_fails_at_once_naming_the_lock_and_its_holder(small, copy_built):
    root = copy_built(small)
    before = outputs(root)
    with build_lock(root / "build"):
        proc = run_cli("--project", str(root), "--quiet")
        assert (root / "build" / LOCK).read_text() == f"{os.getpid()}\n"
    assert proc.returncode == 1
    assert proc.stderr == (f"build/{LOCK}: another build of this project is running"
                           f" (pid {os.getpid()}); wait for it to finish\n")
    assert outputs(root) == before
    assert (root / "build" / LOCK).read_text() == ""  # emptied on release


HOLDER = """
import sys, time
from pathlib import Path
from folio.pipeline.lock import build_lock
with build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(300)
"""


def test_the_lock_of_a_killed_build_is_not_stale(small, copy_built):
    root = copy_built(small)
    holder = subprocess.Popen([PYTHON, "-c", HOLDER, str(root / "build")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        proc = run_cli("--project", str(root), "--quiet", "html")
        assert proc.returncode == 1
        assert f"(pid {holder.pid})" in proc.stderr
    finally:
        holder.kill()
        holder.wait()
    proc = run_cli("--project", str(root), "--quiet", "html")
    assert proc.returncode == 0, proc.stderr


def test_sweep_removes_temporary_files_and_restores_a_set_aside_site(tmp_path):
    out = tmp_path / "build"
    write_tree(out / "html", {"index.html": b"good"})
    write_file(out / "report.pdf", b"%PDF good")
    (out / "html").rename(out / ".html.old.4242")
    (out / ".report.pdf.abc123.tmp").write_bytes(b"%PDF trunc")
    (out / ".html.xyz.tmp").mkdir()
    (out / ".cache/pandoc").mkdir(parents=True)
    (out / ".cache/pandoc/0123.4242.tmp").write_text("half")
    (out / ".cache/pandoc/0123.html").write_text("whole")
    assert sorted(sweep_debris(out)) == [".cache/pandoc/0123.4242.tmp", ".html.old.4242",
                                         ".html.xyz.tmp", ".report.pdf.abc123.tmp"]
    assert sorted(p.name for p in out.iterdir()) == [".cache", "html", "report.pdf"]
    assert (out / "html/index.html").read_bytes() == b"good"
    assert [p.name for p in (out / ".cache/pandoc").iterdir()] == ["0123.html"]


def test_sweep_drops_a_set_aside_site_once_a_new_one_is_in_place(tmp_path):
    out = tmp_path / "build"
    write_tree(out / "html", {"index.html": b"new"})
    write_tree(out / ".html.old.4242", {"index.html": b"old"})
    assert sweep_debris(out) == [".html.old.4242"]
    assert (out / "html/index.html").read_bytes() == b"new"
    assert sorted(p.name for p in out.iterdir()) == ["html"]

