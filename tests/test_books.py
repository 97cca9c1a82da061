"""Markdown as real books are written (tests/fixtures/book): code in every chapter, notes
numbered from 1 in each file, headings repeated across chapters, an author's own ids."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urldefrag

import pypdfium2 as pdfium
import pytest
from lxml import html
from pypdf import PdfReader

import folio
from editions import Built
from helpers import FIXTURES

SEVERE = ("FATAL", "ERROR", "WARNING")


def book_copy(dest: Path) -> Path:
    shutil.copytree(FIXTURES / "book", dest)
    (dest / "README.md").unlink()
    return dest


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Built:
    root = book_copy(tmp_path_factory.mktemp("book") / "book")
    folio.build(root)
    # EPUBCheck (a JVM, ~10 CPU-s) starts when the one test that wants its verdict asks for it:
    # that test is in the slow lane, so the fast lane never pays for it.
    return Built(root)


def ids_of(tree) -> list[str]:
    return [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")]


@pytest.mark.slow  # a whole build of every edition, or the validators
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
    path.write_text(path.read_text("utf-8").replace("## Exercises", "## Exercises {#counting}"), "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value) == "manuscript/ch02.md:15: duplicate id 'counting' (also in manuscript/ch01.md)"


def test_links_to_another_chapters_file_reach_it_in_every_edition(book):
    # ch01.md links to ch02.md and to ch02.md#summary: chapter two's Summary, renamed for the clash.
    page = html.parse(str(book.out / "html" / "counting.html")).getroot()
    hrefs = {a.text_content(): a.get("href") for a in page.iter("a")}
    assert hrefs["next"] == "sorting.html"
    assert hrefs["its summary"] == "sorting.html#sorting-summary"
    assert hrefs["here"] == "#summary"
    doc = book.epub.xml(next(n for n in book.epub.spine if n.endswith("counting.xhtml")))
    xhrefs = {"".join(a.itertext()): a.get("href") for a in doc.iter("{http://www.w3.org/1999/xhtml}a")}
    assert xhrefs["next"] == "sorting.xhtml" and xhrefs["its summary"] == "sorting.xhtml#sorting-summary"
    reader = PdfReader(book.out / "small-programs.pdf")
    dests = {str(annot.get_object().get("/Dest")) for p in reader.pages
             for annot in p.get("/Annots") or ()}
    assert {"sorting", "sorting-summary"} <= dests
    assert "sorting-summary" in reader.named_destinations


def test_a_link_to_a_file_or_id_that_is_not_there_is_located(tmp_path):
    root = book_copy(tmp_path / "book")
    path = root / "manuscript/ch01.md"
    text = path.read_text("utf-8")
    path.write_text(text.replace("(ch02.md)", "(ch09.md)").replace("ch02.md#summary", "ch02.md#nowhere"),
                    "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value).splitlines() == [
        "manuscript/ch01.md:12: link to 'ch09.md', which is not a file of the reading order"
        " (data/contents.yaml)",
        "manuscript/ch01.md:13: link to a missing id '#nowhere' in manuscript/ch02.md",
    ]


def test_dollars_in_prose_are_text_and_comments_are_dropped(book):
    page = html.parse(str(book.out / "html" / "sorting.html")).getroot()
    text = " ".join(page.text_content().split())
    assert "with $HOME/bin:$PATH; it costs between $5 and $10." in text
    assert not page.xpath("//span[contains(@class, 'math')]")
    raw = (book.out / "html" / "sorting.html").read_text("utf-8")
    assert "<!--" not in raw and "never published" not in raw
    doc = next(n for n in book.epub.spine if n.endswith("sorting.xhtml"))
    assert b"never published" not in book.epub.read(doc)  # and EPUBCheck is clean (above)


def test_a_formula_is_one_located_message(tmp_path):
    root = book_copy(tmp_path / "book")
    path = root / "manuscript/ch01.md"
    path.write_text(path.read_text("utf-8").replace("A first program counts.",
                    "A first program counts to $n^2$, then $$\\sum_i i$$.") + "\nCode: `$x^2$`.\n",
                    "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value) == (
        "manuscript/ch01.md:3: mathematics is not supported yet: '$n^2$' is a formula"
        " (and 1 more in this file); write it in words or as an image (a $ in prose is text)")


def test_code_is_highlighted_and_reachable_by_keyboard(book):
    page = html.parse(str(book.out / "html" / "counting.html")).getroot()
    blocks = page.xpath("//div[contains(@class, 'sourceCode')]/pre")
    assert blocks and all(pre.get("tabindex") == "0" for pre in blocks)
    assert page.xpath("//code//span[@class='kw']")  # pandoc's highlighter marked the keywords
    css = (book.out / "html" / "screen.css").read_text("utf-8")
    assert "code span.kw {" in css and "prefers-color-scheme: dark" in css


def test_a_long_chapter_title_keeps_the_running_head_on_one_line(tmp_path):
    root = book_copy(tmp_path / "book")
    title = ("Sorting Lists of Numbers, Words and Records of Every Kind, Quickly and Correctly,"
             " in Any Language and on Any Machine You Have")
    path = root / "manuscript/ch02.md"
    body = "".join(f"print({i})\n" for i in range(120))  # a code block longer than a page
    path.write_text(path.read_text("utf-8").replace("# Sorting {#sorting}", f"# {title} {{#sorting}}")
                    .replace('print(sorted([3, 1, 2]))', body), "utf-8")
    folio.build(root, ("pdf",))
    reader = PdfReader(root / "build/small-programs.pdf")
    pages = [page.extract_text() for page in reader.pages]
    # The pages the long block continues on (print(20) onwards: not the chapter's opening).
    later = [i for i, text in enumerate(pages) if re.search(r"print\(\d{2,}\)", text)
             and "print(0)" not in text]
    assert len(later) >= 2, "the code block did not continue on further pages"
    # The text layer keeps the whole title (the margin box clips it), so look at the ink: on
    # each right-hand page the head stays within the text block (0.82 in from the left edge)
    # and on one line (one band of ink above the text block).
    pdf = pdfium.PdfDocument(root / "build/small-programs.pdf")
    scale = 2  # 144 dpi
    right = [i for i in later if (i + 1) % 2 == 1]
    assert right
    for i in right:
        image = pdf[i].render(scale=scale).to_pil().convert("L")
        band = image.crop((0, 0, image.width, int(0.85 * 72 * scale)))
        ink = [(x, y) for y in range(band.height) for x in range(0, band.width, 2)
               if band.getpixel((x, y)) < 128]
        assert ink, f"page {i + 1} has no running head"
        assert min(x for x, _ in ink) >= int(0.8 * 72 * scale), f"page {i + 1}: head past the margin"
        rows = sorted({y for _, y in ink})
        assert rows[-1] - rows[0] < 14 * scale, f"page {i + 1}: head on more than one line"


def test_figures_and_tables_are_numbered_across_chapters_and_referenced(book):
    counting = html.parse(str(book.out / "html" / "counting.html")).getroot()
    sorting = html.parse(str(book.out / "html" / "sorting.html")).getroot()
    refs = {a.get("href"): a.text_content() for page in (counting, sorting)
            for a in page.xpath("//a[@class='xref']")}
    assert refs == {"#fig:counts": "Figure 1", "#tbl:counts": "Table 1", "#fig:sorted": "Figure 2",
                    "counting.html#fig:counts": "Figure 1"}
    captions = [" ".join(c.text_content().split()) for c in counting.iter("figcaption", "caption")]
    assert captions == ["Figure 1: Counts of the first program, in red",
                        "Table 1: The counts, one per line"]
    assert sorting.xpath("//figcaption")[0].text_content() == "Figure 2: The sorted list, as bars"
    doc = book.epub.xml(next(n for n in book.epub.spine if n.endswith("sorting.xhtml")))
    xrefs = [(a.get("href"), "".join(a.itertext())) for a in doc.iter("{http://www.w3.org/1999/xhtml}a")
             if a.get("class") == "xref"]
    assert ("counting.xhtml#fig:counts", "Figure 1") in xrefs
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(book.out / "small-programs.pdf").pages)
    assert re.search(r"drawn in Figure 1 on page \d+ and listed in Table 1 on page \d+", text)


def test_a_reference_to_a_missing_label_is_located(tmp_path):
    root = book_copy(tmp_path / "book")
    path = root / "manuscript/ch02.md"
    path.write_text(path.read_text("utf-8").replace("@fig:sorted", "@fig:sortd"), "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value) == "manuscript/ch02.md:11: link to a missing id '#fig:sortd'"


def test_an_svg_chart_is_in_every_edition(book):
    page = html.parse(str(book.out / "html" / "sorting.html")).getroot()
    assert page.xpath("//figure/img")[0].get("src") == "manuscript/img/chart.svg"
    assert (book.out / "html" / "manuscript/img/chart.svg").read_bytes() == \
        (book.root / "manuscript/img/chart.svg").read_bytes()
    svg = [i for i in book.epub.manifest.values() if i["href"].endswith("chart.svg")]
    assert svg and svg[0]["media-type"] == "image/svg+xml"  # and EPUBCheck is clean (above)
    # WeasyPrint draws the SVG as vectors: the chart's label is text on the page.
    text = " ".join(p.extract_text() for p in PdfReader(book.out / "small-programs.pdf").pages)
    assert "Bar heights" in text


def test_a_chapter_made_of_several_files_is_one_section(book):
    page = html.parse(str(book.out / "html" / "searching.html")).getroot()
    text = " ".join(page.text_content().split())
    assert "A third program searches" in text and "Search the list of chapter two" in text
    assert not (book.out / "html" / "exercises.html").exists()
    nav = book.epub.xml(book.epub.nav_path)
    hrefs = [a.get("href") for a in nav.iter("{http://www.w3.org/1999/xhtml}a")]
    assert "searching.xhtml#searching-exercises" in hrefs  # the second file's ## is listed
    links = {a.text_content(): a.get("href") for a in page.iter("a")}
    assert links["chapter two"] == "sorting.html"


def test_a_problem_in_the_second_file_of_a_chapter_names_that_file(tmp_path):
    root = book_copy(tmp_path / "book")
    path = root / "manuscript/ch03-exercises.md"
    path.write_text(path.read_text("utf-8").replace("(ch02.md)", "(#nowhere)"), "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value) == "manuscript/ch03-exercises.md:3: link to a missing id '#nowhere'"
    (root / "data/contents.yaml").write_text("body:\n  - {source: ch01.md}\n  - {source: []}\n",
                                             "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value) == \
        "data/contents.yaml:3: body[1].source: a list of source files lists at least one"
    (root / "data/contents.yaml").write_text("body:\n  - {source: [ch03.md, ch09.md]}\n", "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert str(caught.value) == "data/contents.yaml:2: chapter not found: manuscript/ch09.md"


@pytest.mark.slow  # a whole build of every edition, or the validators
def test_a_part_title_from_the_theme(tmp_path):
    root = book_copy(tmp_path / "book")
    contents = root / "data/contents.yaml"
    contents.write_text(contents.read_text("utf-8").replace(
        "body:\n", 'body:\n  - {template: part.html, id: part-one, title: "Part One: Basics", type: part}\n'),
        "utf-8")
    folio.build(root, ("html", "epub"))
    built = Built(root)
    names = [n.rsplit("/", 1)[-1] for n in built.epub.spine]
    assert names.index("part-one.xhtml") == names.index("contents.xhtml") + 1
    part = built.epub.spine[names.index("part-one.xhtml")]
    doc = built.epub.xml(part)
    assert doc.find(".//{http://www.w3.org/1999/xhtml}h1").text == "Part One: Basics"
    assert b'role="doc-part"' in built.epub.read(part)
    severe = [m.short for m in built.epubcheck.messages if m.level in SEVERE]
    assert severe == [], "\n".join(severe)
    toc = html.parse(str(root / "build/html/contents.html")).getroot()
    assert "Part One: Basics" in [a.text_content() for a in toc.iter("a")]
    # The part holds its chapters in the navigation, the NCX and the site's contents.
    xhtml = "{http://www.w3.org/1999/xhtml}"
    nav = built.epub.xml(built.epub.nav_path)
    part_li = next(li for li in nav.iter(f"{xhtml}li")
                   if li.find(f"{xhtml}a") is not None and li.find(f"{xhtml}a").text == "Part One: Basics")
    assert [a.text for a in part_li.findall(f"{xhtml}ol/{xhtml}li/{xhtml}a")] == [
        "Counting", "Sorting", "Searching", "Every Script"]
    ncx = built.epub.xml(next(i["href"] for i in built.epub.manifest.values()
                              if i["media-type"] == "application/x-dtbncx+xml"))
    point = next(p for p in ncx.iter("{*}navPoint") if p.findtext("{*}navLabel/{*}text") == "Part One: Basics")
    assert [p.findtext("{*}navLabel/{*}text") for p in point.findall("{*}navPoint")] == [
        "Counting", "Sorting", "Searching", "Every Script"]
    site = html.parse(str(root / "build/html/counting.html")).getroot()
    nested = site.xpath("//nav[@id='site-nav']/ol/li[a='Part One: Basics']/ol/li/a")
    assert [a.text for a in nested] == ["Counting", "Sorting", "Searching", "Every Script"]
    assert [a.text for a in nested if a.get("aria-current")] == ["Counting"]


def test_a_formula_does_not_hide_the_other_problems_of_the_pass(tmp_path):
    root = book_copy(tmp_path / "book")
    one, two = root / "manuscript/ch01.md", root / "manuscript/ch02.md"
    one.write_text(one.read_text("utf-8").replace("A first program counts.", "It counts $\\alpha$."),
                   "utf-8")
    two.write_text(two.read_text("utf-8").replace("(#footnotes)", "(#no-such-id)"), "utf-8")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    assert [f"{p.path}:{p.line}" for p in caught.value.problems] == [
        "manuscript/ch01.md:3", "manuscript/ch02.md:3"]
