"""Hostile input, round two (issue 15), what the first pass left: a table wider than the
printed page, data YAML reads as something else than was meant, and ``folio diff`` on a
project whose repository configures commands.

Each refusal is checked in-process (``folio.cli.main``): the exact located lines on stderr,
exit 1, no traceback, and every file of build/ as it was.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from folio.cli import main
from helpers import (
    INVOKE,
    REPO,
    Case,
    as_in_a_terminal,
    assemble_tiny,
    beside_build,
    break_copy,
    invoke,
    outcome_line,
    outputs,
)


def refused(root: Path, capsys, messages: list[str], *args: str) -> None:
    """``folio --project ROOT --quiet ARGS`` prints exactly ``messages`` to stderr, exits 1
    without a traceback, and leaves build/ as it was, and every file outside it."""
    before, beside = outputs(root), beside_build(root)
    capsys.readouterr()
    code = main(["--project", str(root), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    assert err.splitlines() == messages
    assert outputs(root) == before
    assert beside_build(root) == beside


def _table(columns: int) -> str:
    """A pipe table of one header row and one body row, as a chapter would end with it."""
    return ("\n" + "| " + " | ".join(f"C{i:02d}" for i in range(columns)) + " |\n"
            + "|" + "|".join("---" for _ in range(columns)) + "|\n"
            + "| " + " | ".join(str(i) for i in range(columns)) + " |\n")


#: chapter2.md of the tiny report has 11 lines; the appended table's header is line 13.
TABLE_LINE = 13


@pytest.mark.slow  # the PDF laid out: 2-5 s on the loaded machine
def test_a_table_wider_than_the_page_is_refused_at_its_line(tiny, copy_built, capsys):
    """60 columns: WeasyPrint drew 15 of them on the page and the rest past its edge."""
    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter2.md", None, _table(60), ""))
    refused(root, capsys, [f"manuscript/chapter2.md:{TABLE_LINE}: a table of 60 columns is wider"
                           " than the printed page (its last columns would be cut off): split it"
                           " into tables of fewer columns, or turn its columns into rows"], "pdf")


def _on_page_text(path: Path) -> str:
    """The text pdfium finds inside each page's box (not text drawn past its edge)."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for page in pdf:
            width, height = page.get_size()
            texts.append(page.get_textpage().get_text_bounded(0, 0, width, height))
        return "\n".join(texts)
    finally:
        pdf.close()


@pytest.mark.slow  # a PDF laid out again: 5-9 s on the loaded machine
def test_a_table_that_fits_prints_every_column(tiny, copy_built):
    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter2.md", None, _table(12), ""))
    assert main(["--project", str(root), "--quiet", "pdf"]) == 0
    text = _on_page_text(root / "build/tiny-report.pdf")
    assert [f"C{i:02d}" for i in range(12) if f"C{i:02d}" not in text] == []


def test_the_on_page_text_leaves_out_what_is_past_the_edge(tmp_path):
    """The check above can fail: text drawn off the page is not counted as printed."""
    import weasyprint

    out = tmp_path / "wide.pdf"
    cells = "".join(f"<td>C{i:02d}</td>" for i in range(60))
    weasyprint.HTML(string=f"<table><tr>{cells}</tr></table>").write_pdf(out)
    text = _on_page_text(out)
    assert "C00" in text and "C59" not in text


DATES = {
    "day month year": ("22 September 2009", "'22 September 2009' is not a date in the form YAML"
                       " reads: write the date as 2009-09-22"),
    "month day, year": ("September 22, 2009", "'September 22, 2009' is not a date in the form"
                        " YAML reads: write the date as 2009-09-22"),
    "no date at all": ("next spring", "'next spring' is not a date: write the date as"
                       " year-month-day, as in 2024-03-15"),
}


@pytest.mark.parametrize("name", DATES)
def test_a_date_not_in_iso_form_says_what_to_write(tiny, copy_built, capsys, name):
    written, message = DATES[name]
    root = copy_built(tiny)
    break_copy(root, Case("data/publication.yaml", "date: 2024-03-15", f"date: {written}", ""))
    refused(root, capsys, [f"data/publication.yaml:8: date: {message}"])


@pytest.mark.parametrize("written, parts", [("22 September 2009", "[[2009, 9, 22]]"),
                                            ("2009-09-22", "[[2009, 9, 22]]")])
def test_a_reference_date_written_plainly_says_to_write_its_parts(tiny, copy_built, capsys,
                                                                  written, parts):
    root = copy_built(tiny)
    break_copy(root, Case("data/references.yaml", "      date-parts: [[2020]]\n", "", ""))
    break_copy(root, Case("data/references.yaml", "    issued:\n    publisher: Example",
                          f"    issued: {written}\n    publisher: Example", ""))
    refused(root, capsys, ["data/references.yaml:8: references[0].issued: a reference's date is"
                           f" written as its parts, year, month, day: date-parts: {parts}"])


def test_a_number_meant_as_text_says_to_quote_it(tiny, copy_built, capsys):
    """YAML reads 01234567 as the octal number 342391: the message quotes what was written."""
    root = copy_built(tiny)
    # The report's contacts are its own data: the project ships their schema (issue 14).
    (root / "data/schemas").mkdir(exist_ok=True)
    shutil.copy(REPO / "data/schemas/contacts.json", root / "data/schemas/contacts.json")
    (root / "data/contacts.yaml").write_text(
        "offices:\n  - name: Head office\n    fax: 01234567\n    email: office@example.org\n",
        "utf-8")
    refused(root, capsys, ["data/contacts.yaml:3: offices[0].fax: YAML reads 01234567 as a"
                           " number, not as text: quote it to keep it as written: '01234567'"])
    (root / "data/contacts.yaml").write_text(
        "offices:\n  - name: Head office\n    fax: '01234567'\n", "utf-8")
    assert main(["--project", str(root), "--quiet", "html"]) == 0


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.org",
                    *args], check=True, capture_output=True)


@pytest.fixture
def trapped(tmp_path) -> tuple[Path, Path]:
    """A committed project whose repository configures commands (an fsmonitor, filters, hooks,
    a pager) that write a marker file, and a later edit for the diff to show."""
    root = assemble_tiny(tmp_path / "report")
    marker = tmp_path / "MARKER"
    _git(root, "init", "-q")
    (root / ".gitattributes").write_text("* filter=evil diff=evil\n", "utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "sources")
    command = f"sh -c 'echo ran >> {marker}; cat'"
    for key, value in [("core.fsmonitor", command), ("core.pager", command),
                       ("filter.evil.clean", command), ("filter.evil.smudge", command),
                       ("diff.evil.textconv", command), ("diff.external", command),
                       ("core.hooksPath", str(tmp_path / "hooks"))]:
        _git(root, "config", key, value)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-index-change", "reference-transaction", "post-checkout"):
        (hooks / hook).write_text(f"#!/bin/sh\necho {hook} >> {marker}\n", "utf-8")
        (hooks / hook).chmod(0o755)
    break_copy(root, Case("manuscript/chapter2.md", None, "\nAn edit after the commit.\n", ""))
    return root, marker


def test_the_diff_trap_is_real(trapped):
    """``git archive``, which diff used to export a revision, runs the smudge filter."""
    root, marker = trapped
    subprocess.run(["git", "-C", str(root), "archive", "--format=tar", "HEAD", "--", "data"],
                   capture_output=True, check=True)
    assert "ran" in marker.read_text("utf-8")  # once per file of data/


@pytest.mark.slow
def test_diff_runs_nothing_the_project_configures(trapped, capsys):
    root, marker = trapped
    assert main(["--project", str(root), "--quiet", "diff", "HEAD"]) == 0, capsys.readouterr().err
    assert not marker.exists()
    page = (root / "build/diff/index.html").read_text("utf-8")
    assert "<ins>An edit after the commit.</ins>" in page
    assert sorted(p.relative_to(root).parts[0] for p in root.iterdir()) == [
        ".git", ".gitattributes", "build", "data", "manuscript", "templates"]


@pytest.mark.slow
def test_invoke_build_of_someone_elses_folder_runs_nothing_it_configures(trapped):
    """``invoke html --project PATH``, as the issue has it: a real invoke process."""
    root, marker = trapped
    proc = invoke("html", "--project", str(root), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    assert (root / "build/html/index.html").is_file()


def test_release_of_stale_editions_is_one_line_and_exit_1(tiny, copy_built, capsys):
    """The command line's refusal (the function's is in test_hostile_damage.py): no dist/."""
    root = copy_built(tiny)
    break_copy(root, Case("manuscript/chapter2.md", None, "\nAn edit.\n", ""))
    refused(root, capsys, ["build/manifest.json: the editions are stale: manuscript/chapter2.md"
                           " changed since the last build; run 'invoke build' before"
                           " 'invoke release'"], "release")
    assert not (root / "dist").exists()


@pytest.mark.slow
def test_ctrl_c_in_invoke_serve_stops_it_cleanly(tiny, copy_built):
    """A real ``invoke serve`` (test_serve.py interrupts the function): a word, exit 0."""
    root = copy_built(tiny)
    proc = subprocess.Popen([INVOKE, "serve", "--project", str(root), "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=as_in_a_terminal)
    try:
        assert proc.stdout is not None
        assert outcome_line(proc.stdout).startswith(("up to date", "built"))
        assert proc.stdout.readline().startswith("serving ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and out == "stopped\n"
