"""invoke check: every validator runs (its version in the report) and passes on the built
reports; an injected fault, a missing validator or a dangling link fails it, naming the cause."""

from __future__ import annotations

import shutil

import pytest

import folio
from folio.check import VALIDATORS, Tools, format_report, press, run_checks
from helpers import REPO, invoke

TOOLS = Tools(REPO / "tools" / "node_modules")


@pytest.fixture(scope="session")
def tiny_results(tiny):  # every validator: a JVM twice and Chromium twice, ~15 CPU-s
    """Every validator on the tiny report, once."""
    return run_checks(tiny.root, TOOLS)


@pytest.mark.slow
def test_every_validator_runs_and_passes_on_the_tiny_report(tiny_results):
    """All pass but the printer's preflight, which rejects the tiny report's one image, as a
    printer would: a 24 x 16 px PNG, 96 ppi at its printed size on page 11 of the print
    interior (its RGB is converted to the press's CMYK, so only the resolution is left)."""
    assert [r.validator for r in tiny_results] == [m.NAME for m in VALIDATORS.values()]
    report = format_report(tiny_results)
    for result in tiny_results:
        assert result.failure is None, report
        assert result.version and result.checked > 0, report
        if result.validator == press.NAME:
            assert {(f.location, f.rule) for f in result.errors} == {
                ("page 11", "image-resolution")}, report
            continue
        assert result.errors == [], report
        assert f"{result.validator} {result.version}: passed" in report
    assert report.endswith(f"check: FAILED ({press.NAME})")


def test_real_report_passes_every_validator(real):
    results = run_checks(real.root, TOOLS)
    assert all(r.ok for r in results), format_report(results)


@pytest.mark.slow
def test_an_accessibility_fault_fails_axe_and_ace(tiny, copy_built):
    """Pale grey text: too little contrast, in the HTML and the EPUB."""
    root = copy_built(tiny)
    for css in ("screen.css", "epub.css"):
        path = root / "templates/css" / css
        path.write_text(path.read_text("utf-8") + "\np { color: #c8c8c8; }\n", "utf-8")
    folio.build(root, ("html", "epub"))
    results = {r.validator: r for r in run_checks(root, TOOLS, only=["axe", "ace"])}
    for name in ("axe-core", "DAISY Ace"):
        assert not results[name].ok
        assert "color-contrast" in {f.rule for f in results[name].errors}, format_report(
            list(results.values()))
    axe_files = {f.file for f in results["axe-core"].errors}
    assert "build/html/chapter1.html" in axe_files


def test_a_dangling_link_is_named_with_its_chapter_and_id(tiny, copy_built):
    root = copy_built(tiny)
    page = root / "build/html/chapter2.html"
    page.write_text(page.read_text("utf-8").replace(
        'href="chapter1.html#survey-method"', 'href="chapter1.html#no-such-id"'), "utf-8")
    [result] = run_checks(root, TOOLS, only=["links"])
    assert [str(f) for f in result.errors] == [
        f"build/html/chapter2.html:{f.location}: [dangling-link] in 'Chapter Two: Findings':"
        " link to a missing id '#no-such-id' (html/chapter1.html has no such id)"
        for f in result.errors]
    assert len(result.errors) == 1


def test_an_untagged_pdf_fails_the_structure_check(tiny, copy_built):
    root = copy_built(tiny)
    pdf = root / "build/tiny-report.pdf"
    import weasyprint

    pdf.write_bytes(weasyprint.HTML(string="<p>Untitled, untagged</p>").write_pdf())
    [result] = run_checks(root, TOOLS, only=["pdf"])
    assert {f.rule for f in result.errors} == {"tagged", "lang", "display-doc-title", "title",
                                               "bookmarks"}


def test_a_missing_validator_fails_the_check(tiny, tmp_path):
    results = run_checks(tiny.root, Tools(tmp_path / "node_modules"), only=["ace", "vnu", "axe"])
    report = format_report(results)
    for result in results:
        assert not result.ok
        assert result.failure.startswith("not installed: "), report
        assert f"{result.validator}: DID NOT RUN: not installed" in report
    assert report.endswith("check: FAILED (DAISY Ace, Nu HTML checker, axe-core)")


def test_an_edition_not_built_fails_the_check(tiny, tmp_path):
    root = shutil.copytree(tiny.root, tmp_path / "copy")
    (root / "build/tiny-report.pdf").unlink()
    [result] = run_checks(root, TOOLS, only=["pdf"])
    assert result.failure == "not built: build/tiny-report.pdf (run invoke build)"


def test_invoke_check_exits_1_on_a_fault_and_0_when_clean(tiny, copy_built):
    proc = invoke("check", "--project", str(tiny.root), "--only", "links", "--only", "pdf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "check: passed (2 validators)"
    root = copy_built(tiny)
    import weasyprint

    (root / "build/tiny-report.pdf").write_bytes(weasyprint.HTML(string="<p>x</p>").write_pdf())
    proc = invoke("check", "--project", str(root), "--only", "pdf")
    assert proc.returncode == 1
    assert "[tagged] not a tagged PDF" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_missing_browser_fails_ace_and_axe(tiny, tmp_path):
    tools = Tools(TOOLS.node_modules, chromium=str(tmp_path / "chromium"))
    results = run_checks(tiny.root, tools, only=["ace", "axe"])
    assert [r.failure for r in results] == [f"Chromium not found: {tmp_path / 'chromium'}"] * 2


@pytest.mark.slow  # EPUBCheck (a JVM)
def test_epubcheck_with_the_short_run_options_finds_the_faults(tiny, tmp_path):
    """The JVM options (check.model.JAVA_OPTIONS) change how fast EPUBCheck runs, not what
    it says: an element HTML does not have and an id given twice are both reported. (The
    package's own run, with Java's defaults, gives the same three messages: compared by hand
    when the options came in, and left out here for its ~9 CPU-s.)"""
    import zipfile

    from folio.check.epubcheck import epubcheck

    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(tiny.epub.path) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("chapter2.xhtml"):
                data = data.replace(b"<body", b'<body><blink>x</blink><p id="d"/><p id="d"/', 1)
            dst.writestr(info, data)
    verdict = epubcheck(broken)
    assert not verdict.valid and verdict.version
    found = [(m.id, m.level) for m in verdict.messages]
    assert found == [("RSC-005", "ERROR")] * 3, found
    text = " ".join(m.message for m in verdict.messages)
    assert "blink" in text and '"d"' in text, text
