"""Large input (issue 7): a 5 MB chapter and a 10,000-row table build or fail clearly, each
build within 400 MB of peak resident memory (the largest process: Python or pandoc).

Slow (about half a minute in all); it runs with the rest of the suite, never skipped.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from helpers import PYTHON, assemble_tiny

#: The memory target of issue 7, in MB.
PEAK_MB = 400
#: Runs a command and reports its exit code, stderr and the peak memory of its processes.
MEASURE = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"code": proc.returncode, "stderr": proc.stderr, "peak": peak}))
"""

pytestmark = pytest.mark.slow


def measured_build(root, *editions):
    """``python -m folio`` on ``root`` in a fresh process: (exit code, stderr, peak MB)."""
    out = subprocess.run([PYTHON, "-c", MEASURE, PYTHON, "-m", "folio", "--quiet",
                          "--project", str(root), *editions],
                         capture_output=True, text=True, timeout=360, check=True)
    found = json.loads(out.stdout)
    return found["code"], found["stderr"], found["peak"]


def add_chapter(root, name: str, text: str) -> None:
    (root / "manuscript" / name).write_text(text, "utf-8")
    contents = root / "data/contents.yaml"
    contents.write_text(contents.read_text("utf-8").replace(
        "  - {source: chapter2.md, type: chapter}\n",
        f"  - {{source: chapter2.md, type: chapter}}\n  - {{source: {name}, type: chapter}}\n"))


def test_a_5_mb_chapter_fails_clearly(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    paragraph = "Political will is made, not found; leaders must be persuaded. " * 20
    parts = ["# A Very Long Chapter {#long}\n"]
    for i in range(4100):
        parts.append(f"\n## Part {i}\n\n{paragraph}\n" if i % 50 == 0 else f"\n{paragraph}\n")
    text = "".join(parts)
    assert 5_000_000 <= len(text.encode()) < 5_300_000
    add_chapter(root, "long.md", text)
    code, stderr, peak = measured_build(root)
    assert code == 1
    assert stderr == ("manuscript/long.md: the chapter is 5.1 MB; a chapter may hold at most"
                      " 1.0 MB: split it into several\n")
    assert peak < PEAK_MB
    assert not (root / "build/html").exists()


def test_a_10000_row_table(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    rows = "".join(f"| Site {n} | Scored | {n % 97} |\n" for n in range(10_000))
    add_chapter(root, "table.md", "# Every Site {#sites}\n\n| Site | Note | Score |\n"
                                  "|------|------|------:|\n" + rows)
    # The chapter alone would need about 800 MB: refused before WeasyPrint, nothing written.
    # (A report over the one-document bound is laid out chapter by chapter; each chapter has
    # the same bound: editions/pdf/book.py.)
    code, stderr, peak = measured_build(root)
    assert code == 1
    assert stderr == ("manuscript/table.md: too large for the PDF edition: this chapter has 40,009"
                      " HTML elements; the PDF lays out each chapter on its own, in at most 7,500:"
                      " split it into several chapters or its long tables, or build only the html"
                      " edition\n")
    assert peak < PEAK_MB
    assert not (root / "build/html").exists()
    # The HTML edition builds (the EPUB's page list needs the PDF's layout: refused too).
    code, stderr, peak = measured_build(root, "html")
    assert code == 0, stderr
    assert peak < PEAK_MB
    assert "Site 9999" in (root / "build/html/sites.html").read_text("utf-8")
