"""The PDF laid out chapter by chapter and combined (editions.pdf.book) against the single
document WeasyPrint lays out from the same HTML: tests/fixtures/chapters, a few chapters with
footnotes, a table over several pages, links between chapters and a contents page."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections import Counter
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from folio.content.gather import gather
from folio.content.render import make_environment
from folio.editions.pdf.book import lay_out_book, unit_request
from folio.editions.pdf.chapters import units
from folio.editions.pdf.combine import combine
from folio.editions.pdf.document import layout_request
from folio.editions.pdf.layout import lay_out
from folio.inputs.load import load_project

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "chapters"


DATE = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The fixture book, gathered, and the Jinja environment its documents are made with."""
    root = tmp_path_factory.mktemp("book") / "book"
    shutil.copytree(FIXTURE, root)
    shutil.copytree(REPO / "templates", root / "templates")
    report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
    return report, make_environment(root / "templates")


@pytest.fixture(scope="module")
def report(book):
    return book[0]


@pytest.fixture(scope="module")
def both(book):
    """(single document, chapter by chapter) layouts of both editions at once, as a build of
    both lays them out: the screen's, with the print's in ``.printed``."""
    report, env = book
    return (lay_out(layout_request(report, env, DATE, "both")),
            lay_out_book(report, env, DATE, "both"))


@pytest.fixture(scope="module", params=["screen", "print"])
def pair(request, both):
    """(single document, chapter by chapter) layouts of one edition, drawn from ``both``
    (test_byte_identical_builds: the same bytes as that edition laid out alone)."""
    single, book = both
    if request.param == "screen":
        return single, book
    assert single.printed is not None and book.printed is not None
    return single.printed, book.printed


def texts(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf))]
    finally:
        pdf.close()


def is_print(layout) -> bool:
    """The print edition's PDF (its pages have a bleed), not the screen's."""
    first = PdfReader(io.BytesIO(layout.data)).pages[0]
    return first.trimbox != first.mediabox


def test_same_pages_and_text(pair):
    single, book = pair
    assert book.pages == single.pages > 15
    assert texts(book.data) == texts(single.data)  # folios, running heads, footnote numbers
    # Blank versos before the rectos sections open on, in print; none on the screen.
    assert ("" in [t.strip() for t in texts(book.data)]) == is_print(book)


def test_same_pixels(pair):
    """Every page drawn the same: left and right pages in their places, the cover, the marks."""
    single, book = pair
    a, b = pdfium.PdfDocument(single.data), pdfium.PdfDocument(book.data)
    try:
        for i in range(len(a)):
            assert a[i].render(scale=0.5).to_pil().tobytes() == \
                b[i].render(scale=0.5).to_pil().tobytes(), f"page {i + 1}"
    finally:
        a.close()
        b.close()


def test_same_labels_and_page_list_inputs(pair):
    single, book = pair
    assert PdfReader(io.BytesIO(book.data)).page_labels == PdfReader(io.BytesIO(single.data)).page_labels
    # The screen edition leaves out the print's blank pages (ii, the verso of the half-title),
    # keeping the printed folios: "page 3" is the same page in both.
    assert ("ii" in book.labels) == is_print(book) and "1" in book.labels
    assert PdfReader(io.BytesIO(book.data)).page_labels == list(book.labels)
    assert (book.labels, book.anchors, book.first_lines) == \
        (single.labels, single.anchors, single.first_lines)


def test_the_screen_edition_is_the_print_less_its_blank_pages(both):
    """One layout, two PDFs: the screen's pages are the print's with text, and the cover."""
    single, screen = both
    printed = screen.printed
    assert printed is not None and not is_print(screen) and is_print(printed)
    assert screen.labels[0] == "Cover" and "Cover" not in printed.labels
    by_label = dict(zip(printed.labels, texts(printed.data), strict=True))
    for label, text in zip(screen.labels[1:], texts(screen.data)[1:], strict=True):
        # The screen's text layer has its visually hidden headings too (the print's are hidden).
        words = iter(text.split())
        assert by_label[label].split() and all(word in words for word in by_label[label].split())
    missing = [label for label in printed.labels if label not in screen.labels]
    assert missing and all(not by_label[label].strip() for label in missing)
    assert single.printed is not None
    assert (texts(single.data), single.labels) == (texts(screen.data), screen.labels)
    assert (texts(single.printed.data), single.printed.labels) == (texts(printed.data), printed.labels)


# Slow: a third layout; tests/test_print_pages_only.py shows the rule in the fast lane on one document.
@pytest.mark.slow
def test_the_print_pages_unwritten_by_chapter(book, both):
    """By chapter, the print edition made only for the EPUB's page list (a build that does
    not write it, tests/test_print_pages_only.py): no PDF, the same pages' facts."""
    whole = both[1].printed
    pages = lay_out_book(*book, DATE, "both", print_pages_only=True).printed
    assert whole is not None and pages is not None
    assert whole.data and whole.spread and not pages.data and pages.spread is None
    assert (pages.anchors, pages.labels, pages.first_lines, pages.count) == \
        (whole.anchors, whole.labels, whole.first_lines, whole.count)


def outline(data: bytes) -> list[tuple[int, str, int]]:
    reader = PdfReader(io.BytesIO(data))

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)

    return list(walk(reader.outline, 0))


def test_same_bookmarks(pair):
    single, book = pair
    assert len(outline(book.data)) > 8
    assert outline(book.data) == outline(single.data)


def links(data: bytes) -> Counter:
    """Every internal link: (its page, its rectangle, the page and height it lands on)."""
    pdf = pikepdf.open(io.BytesIO(data))
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    dests = {str(k): v for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
    found = Counter()
    for i, page in enumerate(pdf.pages):
        for annot in page.obj.get("/Annots", ()):
            if "/Dest" in annot:
                dest = dests[str(annot.Dest)]
                rect = tuple(round(float(x), 1) for x in annot.Rect)
                found[i, rect, pages[dest[0].objgen], round(float(dest[3]), 1)] += 1
    return found


def test_links_land_on_the_same_page_and_anchor(pair, book):
    single, combined = pair
    assert links(combined.data) == links(single.data)
    crossing = sum(1 for unit in units(*book, DATE) for _ in re.finditer('href="folio-xref:', unit.html))
    assert crossing >= 8  # contents entries and links from chapter to chapter


def structure(data: bytes):
    """Walk the structure tree; return its signature and any problems found."""
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root.StructTreeRoot
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    problems, signature, reachable, ids = [], [], set(), Counter()
    marked: set[tuple[int, int]] = set()   # (page, mcid) the tree reaches
    stack = [(root.K[0], None)]
    while stack:
        element, page = stack.pop()
        if not isinstance(element, pikepdf.Dictionary):
            if page is not None:
                marked.add((page, int(element)))
            continue
        if element.get("/Type") == "/MCR":
            marked.add((pages[element.Pg.objgen], int(element.MCID)))
            continue
        if element.get("/Type") == "/OBJR":
            continue
        reachable.add(element.objgen)
        page = pages[element.Pg.objgen] if "/Pg" in element else page
        signature.append((str(element.S), page))
        if "/ID" in element:
            ids[str(element.ID)] += 1
        kids = element.get("/K", pikepdf.Array())
        kids = kids if isinstance(kids, pikepdf.Array) else [kids]
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR") \
                    and kid.P.objgen != element.objgen:
                problems.append(f"bad /P on {kid.S}")
        stack.extend((kid, page) for kid in reversed(list(kids)))
    nums = {int(k): v for k, v in pikepdf.NumberTree(root.ParentTree).items()}
    for i, page in enumerate(pdf.pages):
        content = b"".join(c.read_bytes() for c in page.obj.Contents) \
            if isinstance(page.obj.Contents, pikepdf.Array) else page.obj.Contents.read_bytes()
        mcids = [int(m) for m in re.findall(rb"/MCID (\d+)", content)]
        entry = nums.get(int(page.obj.get("/StructParents", -1)))
        for mcid in mcids:
            if entry is None or mcid >= len(entry):
                problems.append(f"page {i}: MCID {mcid} not in the ParentTree")
            elif entry[mcid].objgen not in reachable:
                problems.append(f"page {i}: MCID {mcid} maps to an orphan element")
            elif (i, mcid) not in marked:
                problems.append(f"page {i}: MCID {mcid} not reached from the tree")
        for annot in page.obj.get("/Annots", ()):
            element = nums.get(int(annot.get("/StructParent", -1)))
            if element is None or element.objgen not in reachable:
                problems.append(f"page {i}: an annotation has no structure element")
            elif not any(isinstance(k, pikepdf.Dictionary) and k.get("/Obj") is not None
                         and k.Obj.objgen == annot.objgen for k in element.K):
                problems.append(f"page {i}: its structure element does not point back")
    if int(root.get("/ParentTreeNextKey", max(nums) + 1)) != max(nums) + 1:
        problems.append("ParentTreeNextKey")
    id_tree = {str(k) for k in pikepdf.NameTree(root.IDTree)} if "/IDTree" in root else set()
    problems += [f"duplicate /ID {i}" for i, n in ids.items() if n > 1]
    if set(ids) != id_tree:
        problems.append("the IDTree does not list every /ID")
    return signature, problems, len(ids)


def test_one_valid_structure_tree(pair):
    """The screen edition's tags: one tree over every page, finished once (PDF/UA: running
    heads and folios artifacts, footnotes /Note, the contents TOC), as the single document's."""
    single, book = pair
    if is_print(book):  # the printer's PDF/X-4 is not tagged, like the single document
        assert "/StructTreeRoot" not in pikepdf.open(io.BytesIO(book.data)).Root
        assert "/StructTreeRoot" not in pikepdf.open(io.BytesIO(single.data)).Root
        return
    signature, problems, ids = structure(book.data)
    assert problems == []
    assert ids > 0  # the long table's header cells
    single_signature, single_problems, _ = structure(single.data)
    # WeasyPrint writes no /IDTree though its table headers have /IDs; the combination does.
    assert set(single_problems) <= {"the IDTree does not list every /ID"}
    assert signature == single_signature  # the same elements, on the same pages, in order
    kinds = Counter(kind for kind, _ in signature)
    assert kinds["/Note"] > 3 and kinds["/TOC"] > 0 and kinds["/TOCI"] > 5
    pdf = pikepdf.open(io.BytesIO(book.data))
    assert str(pdf.Root.Lang) == "en" and pdf.Root.MarkInfo.Marked
    assert "pdfuaid" in pdf.Root.Metadata.read_bytes().decode()


def test_the_printers_file(pair):
    """The print edition combined: the output intent, the boxes of every page and the XMP
    identification of the single document's PDF/X-4 (the screen's: PDF/UA, no intent)."""
    single, book = pair
    a, b = pikepdf.open(io.BytesIO(single.data)), pikepdf.open(io.BytesIO(book.data))
    assert ("/OutputIntents" in b.Root) == is_print(book) == ("/OutputIntents" in a.Root)
    boxes = [[[float(x) for x in page.obj.get(key, ())] for key in ("/MediaBox", "/TrimBox", "/BleedBox")]
             for page in b.pages]
    assert boxes == [[[float(x) for x in page.obj.get(key, ())] for key in ("/MediaBox", "/TrimBox", "/BleedBox")]
                     for page in a.pages]
    assert b.Root.Metadata.read_bytes() == a.Root.Metadata.read_bytes()
    assert dict(b.docinfo) == dict(a.docinfo)
    if is_print(book):
        assert book.spread == single.spread and book.spread is not None
        assert len(b.pages) % 2 == 0


def font_programs(data: bytes) -> Counter:
    pdf = pikepdf.open(io.BytesIO(data))
    programs = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            stream = obj.get("/FontFile3") or obj.get("/FontFile2")
            programs[stream.objgen] = str(obj.FontName).split("+")[-1]
    return Counter(programs.values())


def test_each_font_embedded_once(pair):
    single, book = pair
    assert font_programs(book.data) == font_programs(single.data)
    assert set(font_programs(book.data).values()) == {1}
    assert len(book.data) < 1.15 * len(single.data)


# Slow: each edition laid out again, alone; the fast lane's pair tests compare with the single document.
@pytest.mark.slow
@pytest.mark.fresh_layout
def test_byte_identical_builds(book, pair):
    """Laid out again, alone: the same bytes as the edition drawn beside the other."""
    _, combined = pair
    edition = "print" if is_print(combined) else "screen"
    alone = lay_out_book(*book, DATE, edition)
    assert alone.data == combined.data
    assert (alone.labels, alone.anchors, alone.first_lines) == \
        (combined.labels, combined.anchors, combined.first_lines)


def test_a_missing_anchor_is_an_error(book):
    from folio.errors import BuildError

    report, env = book
    unit = units(report, env, DATE)[1]
    part = lay_out(unit_request(report, unit, "screen", 1, 0))
    with pytest.raises(BuildError, match="No anchor #"):
        combine([part.data])


@pytest.fixture(scope="module")
def pool():
    from folio.pipeline.workers import Pool

    with Pool() as pool:
        yield pool


# Slow: the book laid out again in the pool; the fast lane lays it out in the pool through
# test_the_preview_lays_out_only_the_edited_chapter.
@pytest.mark.slow
def test_in_parallel_the_same_bytes(book, both, pool):
    """Laid out at once in the pool (each unit told its first page once the units before it
    are paginated), the same PDFs as one unit after another."""
    _, combined = both
    layout = lay_out_book(*book, DATE, "both", pool.submit, parallel=True)
    assert layout.printed is not None and combined.printed is not None
    for ours, theirs in ((layout, combined), (layout.printed, combined.printed)):
        assert ours.data == theirs.data
        assert (ours.labels, ours.anchors, ours.first_lines) == \
            (theirs.labels, theirs.anchors, theirs.first_lines)


@pytest.mark.slow
def test_the_front_matter_is_told_its_numbers_once_the_body_is_paginated(book, pool):
    """In parallel, the scheduler tells the page numbers of the contents' targets as soon as
    the body is paginated (the front matter is laid out beside the last units' drawing):
    once, before the layouts are back, and the numbers the finished layouts give."""
    from folio.editions.pdf.book import _numbers
    from folio.editions.pdf.schedule import Scheduler

    report, env = book
    parts = units(report, env, DATE)
    front, rest = parts[0], parts[1:]
    assert front.targets and all(unit.side is not None for unit in rest)
    told: list[dict[str, str]] = []
    scheduler = Scheduler(None, lambda request, layout: None)
    before = front.footnotes
    for unit in rest:
        scheduler.add(unit_request(report, unit, "screen", None, before, dict.fromkeys(unit.targets, "1")),
                      fixed=True, watch=tuple(t for t in front.targets if t in unit.ids))
        before += unit.footnotes
    layouts = scheduler.in_parallel(pool.submit, told.append)
    real = _numbers(layouts)
    assert told == [{t: real[t] for t in front.targets}]


def same_texts(ours, theirs) -> bool:
    """The same text on every page of both editions (of ``ours`` and ``theirs``, "both" layouts)."""
    return (texts(ours.data), texts(ours.printed.data)) == (texts(theirs.data), texts(theirs.printed.data))


# Six layouts of the book, in the pool as a build lays them out (one unit after another, the
# order only tests use, shares the cache and its keys: test_in_parallel_the_same_bytes shows
# the two orders give the same bytes): too slow for the fast lane, which keeps the cache's
# reuse through test_the_preview_lays_out_only_the_edited_chapter. Both editions at
# once, as a build of both lays them out: a unit's one layout serves both (the editions alone
# go through the same cache, with their own requests: test_byte_identical_builds and
# tests/test_print_pages_only.py).
@pytest.mark.slow
class TestIncremental:
    """Each unit's layout is cached by all that shapes it: each rule, both ways, the units laid
    out at once in the pool."""

    @pytest.fixture
    def edition(self):
        return "both"

    @pytest.fixture
    def project(self, tmp_path):
        root = tmp_path / "book"
        shutil.copytree(FIXTURE, root)
        shutil.copytree(REPO / "templates", root / "templates")
        return root

    @pytest.fixture
    def build(self, pool, edition):
        from folio.editions.pdf.book import LayoutCache

        def build(root):
            report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
            env = make_environment(root / "templates")
            cache = LayoutCache(root / "build" / ".cache" / "pdf", report)
            layout = lay_out_book(report, env, DATE, edition, pool.submit, cache=cache,
                                  parallel=True)
            return layout, sorted(cache.laid_out), (report, env)

        return build

    def test_each_rule(self, project, build, edition):
        every = sorted(["opening", "tables", "short", "closing", "appendix", "references", "front"])
        layout, laid_out, _ = build(project)
        # Every section opens on a recto (in both editions, drawn from one layout): the front
        # matter is laid out once, last, with the real page numbers its contents print.
        assert laid_out == every
        again, laid_out, _ = build(project)
        assert laid_out == [] and (again.data, again.printed.data) == (layout.data, layout.printed.data)

        chapter = project / "manuscript" / "tables.md"  # one word: that chapter only
        chapter.write_text(chapter.read_text().replace("It continues", "It follows", 1))
        edited, laid_out, book = build(project)
        assert laid_out == ["tables"] and edited.pages == layout.pages
        assert same_texts(edited, lay_out(layout_request(*book, DATE, edition)))

        chapter = project / "manuscript" / "opening.md"  # two more pages: what follows, and the contents
        chapter.write_text(chapter.read_text() + "\n\n" + "\n\n".join(["Another paragraph. " * 60] * 6))
        longer, laid_out, book = build(project)
        assert longer.pages > layout.pages
        assert laid_out == every
        assert same_texts(longer, lay_out(layout_request(*book, DATE, edition)))

        chapter = project / "manuscript" / "appendix.md"  # not the chapters before it
        chapter.write_text(chapter.read_text() + "\n\n" + "\n\n".join(["A last paragraph. " * 60] * 6))
        _, laid_out, _ = build(project)
        assert laid_out == ["appendix", "front", "references"]  # the contents print its page

        css = project / "templates" / "css" / "print.css"  # a style: everything
        css.write_text(css.read_text().replace("line-height: 1.42", "line-height: 1.43", 1))
        _, laid_out, _ = build(project)
        assert set(laid_out) == set(every)


@pytest.mark.parametrize("editions", [("pdf",), ("html", "epub", "pdf", "print")])
def test_a_chapter_over_the_per_chapter_bound_is_refused_by_name(tmp_path, monkeypatch, editions):
    """A book over the single document's bound is laid out chapter by chapter (the build
    itself: test_the_preview_lays_out_only_the_edited_chapter); a chapter over the
    per-chapter bound is refused, by name, before anything is laid out (and the EPUB, which
    waits for the PDFs' pages, fails with it, not waiting for ever)."""
    from folio.content import limits
    from folio.errors import BuildError
    from folio.pipeline.build import build

    root = tmp_path / "book"
    shutil.copytree(FIXTURE, root)
    shutil.copytree(REPO / "templates", root / "templates")
    monkeypatch.setattr(limits, "MAX_PDF_ELEMENTS", 100)
    monkeypatch.setattr(limits, "MAX_UNIT_ELEMENTS", 300)
    messages = []
    with pytest.raises(BuildError, match="this chapter has") as caught:
        build(root, editions=editions, log=messages.append)
    assert "tables.md" in str(caught.value)
    assert any("chapter by chapter" in m for m in messages)
    assert not any("laid out" in m for m in messages) and not (root / "build" / ".cache" / "pdf").exists()


def test_units_are_cut_only_where_a_page_breaks(tmp_path):
    """A section that runs on (print.css's colophon: break-before auto) stays in the unit
    before it; a forced break, a break after the section before, or a change of named page
    starts a unit, with its side when the break gives one."""
    from folio.editions.pdf.openings import section_breaks

    (tmp_path / "style.css").write_text(
        ".section { break-before: right; page: back; }\n"
        ".edition-screen .section { break-before: page; }\n"
        ".section.type-colophon { break-before: auto; }\n"
        ".type-glossary { break-before: avoid; page: glossary; }\n"
        "@media screen { .type-index { break-before: left; } }\n"
        ".type-notes { break-after: left; }\n")
    sections = "".join(f'<section class="section type-{kind}" data-section="{kind}"><p>x</p></section>'
                       for kind in ("chapter", "colophon", "index", "notes", "after-notes", "glossary"))
    document = ('<html><head><link rel="stylesheet" href="style.css"></head>'
                f'<body class="edition-{{}}">{sections}</body></html>')
    assert section_breaks(document.format("print"), tmp_path) == {
        "chapter": "right", "colophon": None, "index": "right", "notes": "right",
        "after-notes": "right", "glossary": "page"}  # the later side wins, as in WeasyPrint
    screen = section_breaks(document.format("screen"), tmp_path)
    assert (screen["chapter"], screen["colophon"], screen["after-notes"]) == ("page", None, "left")


#: A small book for a real build by chapter: a contents page and three chapters, one of them
#: linking to another.
SMALL_BOOK = {
    "data/contents.yaml": "front:\n  - {template: contents.html, id: contents, title: Contents,"
                          " type: toc, toc: false}\nbody:\n  - {source: one.md}\n"
                          "  - {source: two.md}\n  - {source: three.md}\n",
    "manuscript/one.md": "# One {#one}\n\nIt begins here. See [the second](#two).\n",
    "manuscript/two.md": "# Two {#two}\n\nIt continues here, on a page of its own.\n",
    "manuscript/three.md": "# Three {#three}\n\nIt ends here.\n",
}


def test_the_preview_lays_out_only_the_edited_chapter(tmp_path, monkeypatch):
    """A book over the single document's bound builds chapter by chapter, in the pool, saying
    how far it is; ``serve --all`` rebuilds through the build's own cache (build/.cache/pdf):
    after a one-word edit, one chapter is laid out again (once, for both PDFs), and the PDF
    follows the edit."""
    from folio.commands.serve import Preview
    from folio.content import limits
    from helpers import make_project

    root = make_project(tmp_path / "book", {"manuscript/one.md": None, **SMALL_BOOK})
    monkeypatch.setattr(limits, "MAX_PDF_ELEMENTS", 10)
    messages: list[str] = []
    preview = Preview(root, editions=("pdf", "print"), log=messages.append)
    try:
        preview.rebuild()
        assert preview.error is None, preview.error
        assert any("chapter by chapter" in m for m in messages)
        assert any(re.search(r"pdf, print: 4 of 4 chapters laid out, \d+ pages, [0-9.]+ s", m)
                   for m in messages), messages
        assert len(texts((root / "build" / "a-report.pdf").read_bytes())) >= 4
        before = set((root / "build" / ".cache" / "pdf").glob("*.pickle"))
        assert len(before) >= 4
        chapter = root / "manuscript" / "two.md"
        chapter.write_text(chapter.read_text().replace("It continues", "It follows", 1))
        preview.rebuild()
        assert preview.error is None, preview.error
    finally:
        preview.pool.close()
    new = set((root / "build" / ".cache" / "pdf").glob("*.pickle")) - before
    assert len(new) == 1  # the edited chapter, once: both editions are drawn from its layout
    text = "".join(texts((root / "build" / "a-report.pdf").read_bytes()))
    assert "continues" not in text and re.search(r"It\s+fol", text)


# Slow: another book, laid out twice.
@pytest.mark.slow
def test_page_references_across_chapters(tmp_path):
    """A cross-reference that prints its target's page ("Figure 1 on page 2", the theme's
    a.xref) from one chapter to another: the chapter path prints the same numbers as the
    single document, from a guess first and then the pages laid out (tests/fixtures/book:
    anyreport's book of programs, every script drawn by the fallback fonts, each face once)."""
    from folio.theme import template_dirs

    root = tmp_path / "programs"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "book", root)
    report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
    env = make_environment(root / "templates")
    assert template_dirs(root)[-1].name == "theme"
    single = lay_out(layout_request(report, env, DATE, "screen"))
    parts = units(report, env, DATE)
    assert any(unit.refs for unit in parts[1:])  # a chapter prints another chapter's page
    book = lay_out_book(report, env, DATE, "screen")
    assert texts(book.data) == texts(single.data)
    assert "on page" in "".join(texts(book.data))
    assert set(font_programs(book.data).values()) == {1}


def test_a_print_rule_that_moves_a_line_is_refused(tmp_path):
    """Both PDFs are drawn from one layout: the print edition's own rules may paint, not move."""
    from folio.errors import BuildError

    root = tmp_path / "book"
    shutil.copytree(FIXTURE, root)
    shutil.copytree(REPO / "templates", root / "templates")
    css = root / "templates" / "css" / "print-edition.css"
    lines = css.read_text().count("\n")
    css.write_text(css.read_text() + "h1 { color: device-cmyk(0 0 0 1); font-size: 30pt; }\n")
    report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
    env = make_environment(root / "templates")
    assert lay_out(layout_request(report, env, DATE, "screen")).pages > 15  # the screen: not its concern
    with pytest.raises(BuildError) as caught:
        layout_request(report, env, DATE, "print")
    (problem,) = caught.value.problems
    assert "'font-size' for the print edition only" in problem.message
    assert (problem.path, problem.line) == ("templates/css/print-edition.css", lines + 1)


# Slow: the book laid out twice more, in another design.
@pytest.mark.slow
def test_chapters_that_open_on_either_side(tmp_path):
    """A design whose sections open on the next page, left or right: each unit's side then
    follows the pages before it, the front matter's too, so the front matter is laid out
    first with guessed numbers and again with the real ones; the book still matches the
    single document, page for page."""
    from folio.editions.pdf.book import LayoutCache

    root = tmp_path / "book"
    shutil.copytree(FIXTURE, root)
    shutil.copytree(REPO / "templates", root / "templates")
    css = root / "templates" / "css" / "print.css"
    css.write_text(css.read_text().replace(".section { break-before: right; page: back; }",
                                           ".section { break-before: page; page: back; }", 1))
    report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
    env = make_environment(root / "templates")
    cache = LayoutCache(root / "build" / ".cache" / "pdf", report)
    book = lay_out_book(report, env, DATE, "both", cache=cache)
    single = lay_out(layout_request(report, env, DATE, "both"))
    assert sorted(cache.laid_out).count("front") == 2
    assert book.printed is not None and single.printed is not None
    for ours, theirs in ((book, single), (book.printed, single.printed)):
        assert (ours.labels, texts(ours.data)) == (theirs.labels, texts(theirs.data))


# Slow: the small book built twice, every edition.
@pytest.mark.slow
def test_a_books_epub_is_made_while_its_pdfs_are_combined(tmp_path, monkeypatch):
    """A book's pages are known before its PDFs are combined: the EPUB (its cover and page
    list from them) is made meanwhile, and is the same EPUB as one made after the PDFs."""
    import time

    from folio.content import limits
    from folio.editions import catalog
    from folio.editions.epub import package
    from folio.pipeline import workers
    from folio.pipeline.build import build
    from helpers import make_project

    monkeypatch.setattr(limits, "MAX_PDF_ELEMENTS", 10)
    events: list[tuple[str, float]] = []
    build_epub, once = package.build_epub, workers.once

    def timed_build_epub(*args, **kwargs):
        events.append(("epub", time.monotonic()))
        return build_epub(*args, **kwargs)

    def timed_once(*args):
        future = once(*args)
        future.add_done_callback(lambda _: events.append(("combined", time.monotonic())))
        return future

    monkeypatch.setattr(package, "build_epub", timed_build_epub)
    monkeypatch.setattr(workers, "once", timed_once)
    early = make_project(tmp_path / "early", {"manuscript/one.md": None, **SMALL_BOOK})
    build(early)
    (epub_at,) = [t for what, t in events if what == "epub"]
    combined = [t for what, t in events if what == "combined"]
    assert len(combined) == 2 and epub_at < min(combined)  # before either PDF's combination

    begin = catalog.EPUB.begin

    def late(self, ctx):  # the EPUB made after the PDFs, from their Made
        ctx.shared.pop("pdf-pages", None)
        return begin(self, ctx)

    monkeypatch.setattr(catalog.EPUB, "begin", late)
    after = make_project(tmp_path / "after", {"manuscript/one.md": None, **SMALL_BOOK})
    build(after)
    assert (early / "build" / "a-report.epub").read_bytes() == (after / "build" / "a-report.epub").read_bytes()
