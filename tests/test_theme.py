"""The default theme: a project with no templates/ builds; its own templates override file by file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from folio.pipeline.build import build
from folio.pipeline.provenance import input_files
from folio.theme import THEME, resolve, theme_inputs

PUBLICATION = """\
title: A Minimal Report
slug: a-minimal-report
language: en
publisher: A Publisher
year: 2024
date: 2024-01-02
identifier: urn:uuid:00000000-0000-4000-8000-000000000000
rights: Some rights.
"""


def minimal(root: Path) -> Path:
    """A project of three files: the publication, the reading order, one chapter."""
    for rel, text in {"data/publication.yaml": PUBLICATION,
                      "data/contents.yaml": "body:\n  - {source: one.md}\n",
                      "manuscript/one.md": "# One\n\nThe only chapter.\n\n## Part\n\nText.\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = minimal(tmp_path_factory.mktemp("theme") / "report")
    build(root)
    return root


def test_a_project_without_templates_builds_every_edition(built):
    out = built / "build"
    assert not (built / "templates").exists()
    assert (out / "html" / "screen.css").read_bytes() == (THEME / "css/screen.css").read_bytes()
    assert "The only chapter." in (out / "html" / "one.html").read_text("utf-8")
    with zipfile.ZipFile(out / "a-minimal-report.epub") as epub:
        names = epub.namelist()
        assert any(n.endswith("epub.css") for n in names)
        assert any(n.endswith(".otf") for n in names)  # the theme's fonts are embedded
    reader = PdfReader(out / "a-minimal-report.pdf")
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"].get("/Font", {}).values()}
    assert any(name.endswith("+Report-Serif") for name in fonts), fonts  # fonts.css, embedded
    assert (out / "a-minimal-report-print.pdf").is_file()


def test_the_manifest_lists_the_theme_files_the_build_read(built):
    inputs = json.loads((built / "build" / "manifest.json").read_text("utf-8"))["inputs"]
    assert "folio-theme/css/print.css" in inputs and "folio-theme/pdf/document.html" in inputs


def test_a_project_template_overrides_the_theme_file_by_file(tmp_path):
    root = minimal(tmp_path / "r")
    own = "/* this project's screen */\nbody { color: black; }\n"
    (root / "templates/css").mkdir(parents=True)
    (root / "templates/css/screen.css").write_text(own, "utf-8")
    build(root, editions=("html",))
    out = root / "build" / "html"
    assert (out / "screen.css").read_text("utf-8") == own
    assert (out / "search.js").read_bytes() == (THEME / "html/search.js").read_bytes()
    assert resolve(root, "css/screen.css") == root / "templates/css/screen.css"
    assert resolve(root, "css/print.css") == THEME / "css/print.css"


def test_the_fonts_come_whole_from_the_project_or_the_theme(tmp_path):
    root = minimal(tmp_path / "r")
    assert resolve(root, "fonts/fonts.css") == THEME / "fonts/fonts.css"
    (root / "templates/fonts").mkdir(parents=True)
    # A project with fonts of its own never mixes in the theme's font files.
    assert resolve(root, "fonts/linux-libertine/LinLibertine_R.otf") \
        == root / "templates/fonts/linux-libertine/LinLibertine_R.otf"


def test_the_incremental_key_covers_the_theme_files_not_overridden(tmp_path):
    root = minimal(tmp_path / "r")
    assert "folio-theme/css/epub.css" in input_files(root)
    (root / "templates/css").mkdir(parents=True)
    (root / "templates/css/epub.css").write_text("body { margin: 0; }\n", "utf-8")
    inputs = input_files(root)
    assert "folio-theme/css/epub.css" not in inputs and "templates/css/epub.css" in inputs
    assert all(not rel.endswith(".py") for rel in theme_inputs(root))


def test_an_error_in_a_theme_template_is_named_as_such(tmp_path):
    root = minimal(tmp_path / "r")
    (root / "data/contents.yaml").write_text(
        "front:\n  - {template: colophon.html, id: colophon, title: Colophon}\n"
        "body:\n  - {source: one.md}\n", "utf-8")
    (root / "manuscript/one.md").write_text("# One\n\nText.\n", "utf-8")
    build(root, editions=("html",))  # the theme's colophon, found without templates/sections/
    assert "Colophon" in (root / "build/html/colophon.html").read_text("utf-8")
