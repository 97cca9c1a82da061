"""The editor's-loop tasks: listed with help, and invoke stats / build on another project."""

from __future__ import annotations

import re

from editions import read_sections
from helpers import assemble_tiny, invoke


def test_loop_tasks_are_listed_with_help():
    proc = invoke("--list")
    assert proc.returncode == 0, proc.stderr
    listed = {line.split(None, 1)[0]: line for line in proc.stdout.splitlines()
              if line.startswith("  ") and line.split()}
    for name in ("serve", "diff", "stats"):
        assert name in listed and len(listed[name].split()) > 1, proc.stdout


def test_stats_then_an_up_to_date_build(tmp_path):
    root = assemble_tiny(tmp_path / "tiny")
    proc = invoke("stats", "--project", str(root))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["Section", "words", "minutes", "page", "pages"]
    assert any(line.startswith("Chapter Two: Findings ") for line in lines)
    assert lines[-1] == "(reading time at 238 words a minute; pages of the PDF edition)"
    proc = invoke("pdf", "--project", str(root))  # stats built the PDF: nothing to do
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("built nothing (up to date) in ")


def test_progress_lines_name_the_stage_and_chapter_with_the_time_elapsed(tmp_path):
    root = assemble_tiny(tmp_path / "tiny")
    proc = invoke("html", "--project", str(root))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    stamped = [line for line in lines if re.fullmatch(r"\[ *\d+\.\d s\] .+", line)]
    messages = [line.split("] ", 1)[1] for line in stamped]
    assert "convert manuscript/chapter1.md" in messages
    assert "convert manuscript/chapter2.md" in messages
    assert "html: made" in messages and f"gathered {len(read_sections(root))} sections" in messages
    assert lines[-1].startswith("built html in ")
    quiet = invoke("html", "--project", str(root), "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
