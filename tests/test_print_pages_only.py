"""The print edition made only for the EPUB's page list (a build that does not write it):
its pages laid out, no PDF written, the page list's facts the same as the written edition's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest

import folio
from folio.content.gather import gather
from folio.content.render import make_environment
from folio.editions.pdf.document import layout_request
from folio.editions.pdf.layout import lay_out
from folio.inputs.load import load_project

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"
DATE = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pages") / "tiny"
    shutil.copytree(TINY, root)
    return root


def test_the_pages_only_layout_has_the_written_editions_pages(tiny):
    report = gather(load_project(tiny), cache_dir=tiny / "build" / ".cache" / "pandoc")
    request = layout_request(report, make_environment(tiny / "templates"), DATE, "both")
    assert request.printing is not None
    whole = lay_out(request).printed
    only = dataclasses.replace(request, printing=dataclasses.replace(request.printing,
                                                                     pages_only=True))
    pages = lay_out(only).printed
    assert whole is not None and pages is not None
    assert whole.data and whole.spread and not pages.data and pages.spread is None
    assert pages.pages == whole.pages  # the blank pages finishing pads with counted too
    assert (pages.anchors, pages.labels, pages.first_lines, pages.kept, pages.count) == \
        (whole.anchors, whole.labels, whole.first_lines, whole.kept, whole.count)


@pytest.mark.slow
def test_an_epub_built_without_the_print_edition_is_the_same(tiny, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    epub = tiny / "build" / f"{load_project(tiny).publication.slug}.epub"
    folio.build(tiny, ["epub"])
    assert not list((tiny / "build").glob("*-print.pdf"))
    alone = hashlib.sha256(epub.read_bytes()).hexdigest()
    shutil.rmtree(tiny / "build")
    folio.build(tiny)
    assert list((tiny / "build").glob("*-print.pdf"))
    assert hashlib.sha256(epub.read_bytes()).hexdigest() == alone


CHAPTERS = Path(__file__).resolve().parent / "fixtures" / "chapters"


@pytest.fixture(scope="module")
def chapters(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pages") / "chapters"
    shutil.copytree(CHAPTERS, root)
    shutil.copytree(CHAPTERS.parents[1].parent / "templates", root / "templates")
    return root


# The same rule by chapter: tests/test_book_pdf.py, test_the_print_pages_unwritten_by_chapter.


@pytest.mark.slow
def test_a_books_epub_alone_then_every_edition(chapters, monkeypatch):
    """By chapter: the EPUB built alone lays the print's pages out unwritten, and a build of
    every edition after it does not take those cached units for the print PDF's."""
    from pypdf import PdfReader

    from folio.content import limits

    monkeypatch.setattr(limits, "MAX_PDF_ELEMENTS", 100)  # a book, laid out by chapter
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    shutil.rmtree(chapters / "build", ignore_errors=True)
    slug = load_project(chapters).publication.slug
    epub = chapters / "build" / f"{slug}.epub"
    folio.build(chapters, ["epub"])
    assert not list((chapters / "build").glob("*-print.pdf"))
    alone = hashlib.sha256(epub.read_bytes()).hexdigest()
    folio.build(chapters)  # the layout cache kept from the EPUB's build
    printed = PdfReader(chapters / "build" / f"{slug}-print.pdf")
    assert len(printed.pages) > 10 and all(page.extract_text() is not None for page in printed.pages)
    assert hashlib.sha256(epub.read_bytes()).hexdigest() == alone
    shutil.rmtree(chapters / "build")
    folio.build(chapters)
    assert len(PdfReader(chapters / "build" / f"{slug}-print.pdf").pages) == len(printed.pages)
