"""Incremental builds: each invalidation rule, both ways (made again when it must be,
untouched when not), on copies of the tiny report built once."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import folio
from folio.content import convert
from folio.editions import catalog
from folio.errors import BuildError
from folio.pipeline import build as build_module
from folio.pipeline import incremental, provenance
from helpers import CACHE, edit, outputs, run_cli

ALL = folio.EDITIONS


@pytest.fixture
def project(tiny, copy_built) -> Path:
    """A fresh copy of the session's built tiny report, with its cache and stamp."""
    return copy_built(tiny, "report")


def mtimes(root: Path) -> dict[str, int]:
    out = root / "build"
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*")
            if p.is_file() and CACHE not in p.relative_to(out).parts}


def rebuild(root: Path, editions=ALL):
    """Build; return (editions made again, sources pandoc converted again)."""
    said: list[str] = []
    result = folio.build(root, editions, log=said.append)
    converted = {m.split("] convert ", 1)[1] for m in said if "] convert " in m}
    return result.rebuilt, converted


def changed(before: dict, after: dict) -> set[str]:
    return {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}


def edition_of(rel: str) -> str:
    if rel.startswith("html/"):
        return "html"
    return "print" if rel.endswith(("-print.pdf", "-print-cover.pdf")) else rel.rsplit(".", 1)[-1]


def test_a_no_op_build_checks_hashes_and_writes_nothing(project):
    before = mtimes(project)
    assert rebuild(project) == ((), set())
    assert mtimes(project) == before


def test_a_chapter_edit_converts_that_chapter_only_and_matches_a_fresh_build(project, tmp_path):
    edit(project, "manuscript/chapter2.md", "Most sites", "Nearly all sites")
    before = mtimes(project)
    assert rebuild(project) == (ALL, {"manuscript/chapter2.md"})
    assert {edition_of(r) for r in changed(before, mtimes(project))} == {*ALL, "json"}
    assert "Nearly all sites" in (project / "build/html/chapter2.html").read_text("utf-8")
    fresh = Path(shutil.copytree(project, tmp_path / "fresh",
                                 ignore=shutil.ignore_patterns("build")))
    folio.build(fresh)
    assert outputs(fresh) == outputs(project)


@pytest.mark.slow  # two whole rebuilds
def test_cross_references_hold_after_a_one_chapter_edit(project):
    # The link in chapter 2 is checked against the whole report's ids, not a cached chapter.
    edit(project, "manuscript/chapter1.md", "## Survey Method {#survey-method}",
         "## A New Part {#new-part}\n\nText.\n\n## Survey Method {#survey-method}")
    assert rebuild(project) == (ALL, {"manuscript/chapter1.md"})
    page = (project / "build/html/chapter2.html").read_text("utf-8")
    assert 'href="chapter1.html#survey-method"' in page
    edit(project, "manuscript/chapter1.md", "{#survey-method}", "{#method}")
    with pytest.raises(BuildError) as info:
        folio.build(project)
    assert "manuscript/chapter2.md:3: link to a missing id '#survey-method'" in str(info.value)


def test_a_data_change_remakes_the_editions_but_converts_no_chapter(project):
    edit(project, "data/publication.yaml", "title: ", "title: Revised ")
    assert rebuild(project) == (ALL, set())
    assert "Revised" in (project / "build/html/index.html").read_text("utf-8")


@pytest.mark.slow  # a whole rebuild
def test_the_bibliography_reconverts_the_chapters_that_cite(project):
    edit(project, "data/references.yaml", "title: ", "title: Revised ")
    rebuilt, converted = rebuild(project)
    assert rebuilt == ALL
    assert converted == {"manuscript/chapter1.md", "manuscript/chapter2.md", "data/references.yaml"}


@pytest.mark.parametrize("css, editions", [
    # The site carries copies of the PDF and EPUB (downloads/): it follows them.
    ("screen.css", ("html",)), pytest.param("epub.css", ("html", "epub"), marks=pytest.mark.slow),
    pytest.param("print-edition.css", ("html", "epub", "print"), marks=pytest.mark.slow),
    # The EPUB's cover is page 1 of the PDF, its page list the print edition's pages; the print
    # edition is the PDF plus bleed.
    pytest.param("print.css", ALL, marks=pytest.mark.slow)])
def test_a_style_remakes_only_the_editions_that_use_it(project, css, editions):
    path = project / "templates/css" / css
    path.write_text(path.read_text("utf-8") + "\n/* revised */\n", "utf-8")
    before = mtimes(project)
    assert rebuild(project) == (editions, set())
    assert {edition_of(r) for r in changed(before, mtimes(project))} == {*editions, "json"}


@pytest.mark.parametrize("theme_file, editions", [
    # The key of an edition alone (the site's downloads follow through the build's deps); the
    # EPUB's page list is the print edition's pages.
    ("css/screen.css", ("html",)), ("html/base.html", ("html",)), ("epub/page.xhtml", ("epub",)),
    ("css/print-edition.css", ("epub", "print")), ("pdf/document.html", ("epub", "pdf", "print")),
    ("sections/part.html", ALL)])
def test_a_default_theme_file_keys_only_the_editions_that_read_it(project, theme_file, editions):
    # The theme is in the package: a change to one of its files is simulated in the inputs.
    found = provenance.collect(project, convert.pandoc_binary()[1], catalog.all_tools())
    revised = dataclasses.replace(found, inputs={**found.inputs,
                                                 f"folio-theme/{theme_file}": "0" * 64})
    stale = tuple(name for name in ALL if incremental.edition_key(name, found, {})
                  != incremental.edition_key(name, revised, {}))
    assert stale == editions


@pytest.mark.slow  # a whole rebuild
def test_a_section_template_remakes_every_edition_and_converts_nothing(project):
    path = project / "templates/sections/references.html"
    path.write_text(path.read_text("utf-8") + "\n", "utf-8")
    assert rebuild(project) == (ALL, set())


def plan_with(root: Path, monkeypatch, **versions: str):
    """The plan of a build of ``root`` if pandoc or packages (``pypdfium2="0"``) had these
    versions: the version lookups patched, nothing else."""
    pandoc = versions.pop("pandoc", None)
    if versions:
        real = provenance.package_version
        wanted = {name.replace("_", "-"): version for name, version in versions.items()}
        monkeypatch.setattr(provenance, "package_version", lambda name: wanted.get(name) or real(name))
    version = pandoc or convert.pandoc_binary()[1]
    return incremental.plan(root / "build", ALL, provenance.collect(root, version, catalog.all_tools()))


@pytest.mark.parametrize("versions, stale", [
    ({"pandoc": "99.0"}, ALL),  # pandoc shapes every edition
    # The site carries the EPUB and the PDF: it is stale whenever they are.
    ({"pypdfium2": "0"}, ("html", "epub")),  # it makes the EPUB's cover image
    ({"pagefind_bin": "0"}, ("html",)),  # the site's search index
    ({"weasyprint": "0"}, ALL),  # the EPUB's cover and page list too
    ({"ebooklib": "0"}, ("html", "epub")),
    ({"brotli": "0"}, ("html",)),  # the site's WOFF2 fonts (the EPUB's are OpenType)
    ({"cssselect2": "0"}, ALL),  # which characters each face shows; WeasyPrint's selectors
    ({"python_barcode": "0"}, ("html", "epub", "print")),  # the cover's ISBN; the EPUB's page list
    ({"pikepdf": "0"}, ALL),  # it finishes both PDFs
    ({"jinja2": "0"}, ALL)])
def test_a_tool_version_makes_the_editions_it_shapes_stale(project, monkeypatch, versions, stale):
    assert plan_with(project, monkeypatch).stale == ()
    assert plan_with(project, monkeypatch, **versions).stale == stale


@pytest.mark.slow  # a whole rebuild; test_a_tool_version_makes_the_editions_it_shapes_stale is its plan
def test_a_new_pandoc_converts_every_chapter_again(project, monkeypatch):
    path, version = convert.pandoc_binary()
    monkeypatch.setattr(convert, "pandoc_binary", lambda: (path, version + ".1"))
    monkeypatch.setattr(build_module, "pandoc_binary", convert.pandoc_binary)
    rebuilt, converted = rebuild(project)
    assert rebuilt == ALL
    assert converted == {"manuscript/chapter1.md", "manuscript/chapter2.md", "data/references.yaml"}
    assert json.loads((project / "build/manifest.json").read_text())["tools"]["pandoc"] == version + ".1"


def test_a_newer_pandoc_or_pagefind_elsewhere_is_never_run(project, tmp_path, monkeypatch):
    """Not a pandoc or Pagefind first on PATH, nor the one PAGEFIND_BINARY_PATH names (which
    Pagefind's Python API would run): the pinned wheels' own."""
    marker = tmp_path / "the fake pandoc ran"
    fakes = tmp_path / "bin"
    fakes.mkdir()
    for name in ("pandoc", "pagefind", "pagefind_extended"):
        fake = fakes / name
        fake.write_text(f"#!/bin/sh\ntouch '{marker}'\necho '{name} 99.0'\n", "utf-8")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fakes}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fakes / "pagefind"))
    assert subprocess.run(["pandoc", "--version"], capture_output=True, check=True).stdout \
        == b"pandoc 99.0\n"  # the fake is the pandoc PATH finds
    marker.unlink()
    edit(project, "manuscript/chapter2.md", "Most sites", "Nearly all sites")
    proc = run_cli("--project", str(project), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    manifest = json.loads((project / "build/manifest.json").read_text())
    assert manifest["tools"]["pandoc"] == convert.pandoc_binary()[1] != "99.0"
    assert "Nearly all sites" in (project / "build/html/chapter2.html").read_text("utf-8")


@pytest.mark.slow  # a whole rebuild
def test_the_build_date_remakes_every_edition(project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert rebuild(project) == (ALL, set())
    assert rebuild(project) == ((), set())


def test_an_altered_output_is_made_again(project):
    pdf = project / "build/tiny-report.pdf"
    good = pdf.read_bytes()
    pdf.write_bytes(good[:-10])
    (project / "build/html/stray.html").write_text("not ours", "utf-8")
    assert rebuild(project) == (("html", "pdf"), set())
    assert pdf.read_bytes() == good
    assert not (project / "build/html/stray.html").exists()


def test_corrupt_cache_entries_are_ignored_never_trusted(project, tmp_path):
    good = outputs(project)
    for entry in (project / "build/.cache/pandoc").iterdir():
        entry.write_bytes(entry.read_bytes() + b"<p>stale</p>")
    (project / "build/.cache/stamp.json").write_text("{not json", "utf-8")
    rebuilt, converted = rebuild(project)
    assert rebuilt == ALL
    assert converted == {"manuscript/chapter1.md", "manuscript/chapter2.md", "data/references.yaml"}
    assert outputs(project) == good


def test_one_edition_at_a_time(project):
    edit(project, "manuscript/chapter1.md", "three instruments", "four instruments")
    assert rebuild(project, ("html",)) == (("html",), {"manuscript/chapter1.md"})
    # The site is made again with the new PDF and EPUB it offers.
    assert rebuild(project) == (ALL, set())
    assert rebuild(project) == ((), set())


def test_the_site_follows_a_pdf_built_without_it(project):
    path = project / "templates/css/print.css"
    path.write_text(path.read_text("utf-8") + "\n* { color: #123456 !important }\n", "utf-8")
    assert rebuild(project, ("pdf",)) == (("pdf",), set())
    # The site's copy is of the PDF before: the next build of the site alone replaces it.
    pdf = (project / "build/tiny-report.pdf").read_bytes()
    assert (project / "build/html/downloads/tiny-report.pdf").read_bytes() != pdf
    assert rebuild(project, ("html",)) == (("html",), set())
    assert (project / "build/html/downloads/tiny-report.pdf").read_bytes() == pdf
    assert rebuild(project, ("html",)) == ((), set())


def test_a_failed_build_records_nothing(project):
    before = mtimes(project)
    edit(project, "manuscript/chapter2.md", "(#survey-method)", "(#nowhere)")
    with pytest.raises(BuildError):
        folio.build(project)
    edit(project, "manuscript/chapter2.md", "(#nowhere)", "(#survey-method)")
    assert rebuild(project) == ((), set())
    assert mtimes(project) == before


def test_a_removed_or_altered_manifest_is_written_again(project):
    manifest = project / "build/manifest.json"
    good = manifest.read_bytes()
    manifest.unlink()
    assert rebuild(project) == ((), set())
    assert manifest.read_bytes() == good
    manifest.write_bytes(good.replace(b'"sha256"', b'"sha-256"'))
    rebuild(project)
    assert manifest.read_bytes() == good


# Each case is a whole rebuild: the fast lane keeps the first, the others run in the slow lane.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("junk", ['{"format": "folio-stamp/2", "editions": {"pdf": []}}',
                                  pytest.param('{"format": "folio-stamp/2", "editions": {"pdf": {"key": 1}}}',
                                               marks=SLOW),
                                  pytest.param('[1, 2]', marks=SLOW), pytest.param("", marks=SLOW)])
def test_a_malformed_stamp_is_ignored(project, junk):
    good = outputs(project)
    (project / "build/.cache/stamp.json").write_text(junk, "utf-8")
    assert "pdf" in rebuild(project)[0]
    assert outputs(project) == good
