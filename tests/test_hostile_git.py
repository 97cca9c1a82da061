"""Building someone else's folder never runs their code (issue 15): git, which the build
asks for the commit and the date, runs with a configuration that executes nothing the
project's ``.git/config`` names (an fsmonitor, hooks, a filter, a pager, a signature
program), in an environment without the caller's GIT_* settings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from folio.pipeline.provenance import git, git_state, read_manifest
from helpers import assemble_tiny, run_cli


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.org",
                    *args], check=True, capture_output=True)


@pytest.fixture
def booby_trapped(tmp_path) -> tuple[Path, Path]:
    """A committed project whose repository configures commands that write a marker file."""
    root = assemble_tiny(tmp_path / "report")
    marker = tmp_path / "MARKER"
    _git(root, "init", "-q")
    (root / ".gitattributes").write_text("* filter=evil diff=evil\n", "utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "sources")
    command = f"sh -c 'echo ran >> {marker}'"
    for key, value in [("core.fsmonitor", command), ("core.pager", command),
                       ("filter.evil.clean", command), ("filter.evil.smudge", command),
                       ("filter.evil.process", command), ("filter.evil.required", "true"),
                       ("diff.evil.textconv", command), ("diff.external", command),
                       ("log.showSignature", "true"), ("gpg.program", command),
                       ("core.hooksPath", str(tmp_path / "hooks"))]:
        _git(root, "config", key, value)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-index-change", "pre-auto-gc", "reference-transaction", "post-checkout"):
        (hooks / hook).write_text(f"#!/bin/sh\necho {hook} >> {marker}\n", "utf-8")
        (hooks / hook).chmod(0o755)
    (root / "manuscript/chapter2.md").touch()  # stat-dirty: git status would run the filter
    return root, marker


def test_the_trap_is_real(booby_trapped):
    """Without the safe configuration, git status runs the project's fsmonitor."""
    root, marker = booby_trapped
    subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True)
    assert marker.is_file()


def test_a_build_runs_nothing_the_project_configures(booby_trapped):
    root, marker = booby_trapped
    proc = run_cli("--project", str(root), "--quiet", "html")
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    source = read_manifest(root / "build/manifest.json")["source"]
    assert len(source["commit"]) == 40 and source["dirty"] is False


def test_provenance_sees_an_edit_without_running_git_status(booby_trapped):
    root, marker = booby_trapped
    assert git_state(root)["dirty"] is False
    path = root / "manuscript/chapter2.md"
    path.write_text(path.read_text("utf-8") + "\nMore.\n", "utf-8")
    assert git_state(root)["dirty"] is True
    (root / "data/extra.txt").write_text("x", "utf-8")
    path.write_text(path.read_text("utf-8").removesuffix("\nMore.\n"), "utf-8")
    assert git_state(root)["dirty"] is True  # an untracked input is a difference too
    assert git(root, "log", "-1", "--format=%ct", "--", ".").isdigit()
    assert not marker.exists()


def test_the_callers_git_environment_is_not_inherited(booby_trapped, monkeypatch, tmp_path):
    root, marker = booby_trapped
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.fsmonitor")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", f"sh -c 'echo env >> {marker}'")
    assert git(root, "rev-parse", "HEAD")
    assert git_state(root)["dirty"] is False
    assert not marker.exists()
