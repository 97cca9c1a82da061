"""The invoke tasks: listed with their help, and working on another project folder."""

from __future__ import annotations

import subprocess

import pytest

from helpers import PYTHON, REPO, assemble_tiny, invoke

TASKS = ("build", "html", "epub", "pdf", "proof", "clean", "check")


def test_list_shows_every_task_with_its_help():
    proc = invoke("--list")
    assert proc.returncode == 0, proc.stderr
    helps = {}
    for line in proc.stdout.splitlines():
        parts = line.split(None, 1)
        if line.startswith("  ") and parts:
            helps[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    assert set(TASKS) <= set(helps), proc.stdout
    for name in TASKS:
        assert helps[name], f"task '{name}' has no help line"


@pytest.mark.slow  # a whole build through invoke
def test_build_and_clean_another_project(tmp_path):
    root = assemble_tiny(tmp_path / "tiny")
    proc = invoke("build", "--project", str(root), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    names = sorted(p.name for p in (root / "build").iterdir())
    assert names == [".cache", "html", "manifest.json", "tiny-report-print-cover.pdf",
                     "tiny-report-print.pdf", "tiny-report.epub", "tiny-report.pdf"]

    proc = invoke("clean", "--project", str(root))
    assert proc.returncode == 0, proc.stderr
    assert not (root / "build").exists()
    assert (root / "data/publication.yaml").is_file()


def test_a_build_error_exits_1_without_traceback(tmp_path):
    root = assemble_tiny(tmp_path / "tiny")
    (root / "manuscript/chapter2.md").unlink()
    proc = invoke("html", "--project", str(root))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "data/contents.yaml:6: chapter not found: manuscript/chapter2.md"
    assert not (root / "build").exists()


def test_loading_the_tasks_leaves_the_heavy_stages_unloaded():
    """`invoke build` with nothing to do must not first import WeasyPrint, pdfium or Playwright."""
    heavy = ("weasyprint", "pypdfium2", "playwright", "pagefind_bin")
    script = "import sys, tasks; print(sorted(set(sys.argv[1:]) & set(sys.modules)))"
    proc = subprocess.run([PYTHON, "-c", script, *heavy], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
