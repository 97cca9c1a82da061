"""Issue 6, the design of the editions: the PDF's pages, the print edition, the cover, the HTML.

Page facts are read back with pypdf (page labels, boxes) and pypdfium2 (text inside the
margins); the HTML edition is driven in headless Chromium, served over HTTP
from a local thread, as a reader would use it.
"""

from __future__ import annotations

import functools
import http.server
import io
import re
import threading

import pytest
from PIL import Image
from pypdf import PdfReader

from editions import PdfView, markdown_text, spaced, squash
from folio.commands.proof import proof
from folio.editions.pdf.cover import cover_png, page_png
from folio.editions.search import search_bundle
from helpers import CHROMIUM, CHROMIUM_ARGS, run_folio

ROMAN = re.compile(r"^[ivxlc]+$")
BLEED = 0.125 * 72  # the default print profile: 0.125 in (3.175 mm) in points


def opening_pages(built, pdf=None) -> dict[str, int]:
    """Page index of each section's opening (its h1's named destination), by section id."""
    pdf = pdf or built.pdf
    return {s.id: pdf.dest_page(s.id) for s in built.sections}


def printed(built) -> PdfView:
    """The print edition's interior (right-hand openings, blank versos, no cover)."""
    return PdfView(built.out / f"{built.pub['slug']}-print.pdf")


# --- The screen PDF -----------------------------------------------------------------------

def test_cover_is_page_one_with_the_title_and_no_bookmark(report):
    pdf = report.pdf
    assert pdf.reader.page_labels[0] == "Cover"
    cover = spaced(pdf.pages[0])
    for field in ("title", "subtitle"):
        if report.pub.get(field):
            assert spaced(str(report.pub[field])) in cover
    assert str(report.pub["date"].year) in cover  # the edition's year, typed once (its date)
    assert all(page > 0 for _, _, page in pdf.outline)


def test_half_title_precedes_the_title_page_on_a_recto(report):
    for pdf in (report.pdf, printed(report)):
        labels = pdf.reader.page_labels
        half = labels.index("i")
        assert spaced(pdf.pages[half]) == report.pub["title"]
        title_page = opening_pages(report, pdf)[report.sections[0].id]
        assert title_page > half
    # In print, page 1 of the interior (index 0): a right-hand page.
    assert printed(report).reader.page_labels.index("i") == 0


def test_front_matter_is_roman_and_the_body_starts_at_1(report):
    first_chapter = next(s for s in report.sections if s.part == "body")
    for pdf in (report.pdf, printed(report)):
        labels = pdf.reader.page_labels
        start = pdf.dest_page(first_chapter.id)
        assert labels[start] == "1"
        assert all(ROMAN.match(label) for label in labels[labels.index("i"):start])
        numbers = [int(label) for label in labels[start:]]
        if pdf is report.pdf:
            # The screen edition leaves out the print's blank pages: its labels are the
            # printed folios, so they skip where a blank verso was, and only there.
            assert numbers == sorted(set(numbers))
            paper = printed(report)
            for skipped in set(range(1, numbers[-1])) - set(numbers):
                assert not paper.pages[paper.reader.page_labels.index(str(skipped))].strip()
        else:
            assert numbers == list(range(1, len(numbers) + 1))


def test_printed_folios_match_the_page_labels(real):
    # Continuation pages print their folio: roman in the front matter, arabic after.
    pdf = real.pdf
    labels = pdf.reader.page_labels
    printed = {i: pdf.margin_text(i) for i in range(len(pdf.pages))}
    with_folio = [i for i, text in printed.items() if text]
    assert any(ROMAN.match(labels[i]) for i in with_folio)
    assert any(labels[i].isdigit() for i in with_folio)
    for i in with_folio:
        assert labels[i] in printed[i].split(), (i, labels[i], printed[i])


def test_print_sections_open_on_right_hand_pages_without_head_or_folio(report):
    pdf = printed(report)
    contents = report.data("contents")
    versos = {e.get("id") for part in contents.values() for e in part or ()
              if e.get("type") in ("copyright-page", "colophon")}  # the colophon runs on
    for section_id, index in opening_pages(report, pdf).items():
        if section_id in versos:
            continue  # the imprint: the title page's verso
        assert index % 2 == 0, f"{section_id} opens on page {index + 1}, a left-hand page"
        assert pdf.margin_text(index) == "", section_id


def test_print_blank_pages_are_blank_versos(report):
    pdf = printed(report)
    blank = [i for i, text in enumerate(pdf.pages) if not text.strip()]
    assert blank, "rectos for every section should leave some blank versos"
    for i in blank:
        assert i % 2 == 1  # only versos are left blank
        assert not pdf.reader.pages[i].get("/Annots")


def test_the_screen_edition_has_no_blank_page(report):
    """Right-hand openings are for print: on screen each section starts on the next page."""
    assert [i + 1 for i, text in enumerate(report.pdf.pages) if not text.strip()] == []


def test_running_heads_title_left_chapter_right(real):
    pdf = real.pdf
    history = next(s for s in real.sections if s.part == "body")
    start = pdf.dest_page(history.id)
    left, right = start + 1, start + 2
    assert real.pub["title"].casefold() in pdf.margin_text(left).casefold()
    assert spaced(history.title) in pdf.margin_text(right)


def test_justified_text_is_hyphenated_by_the_report_language(real):
    # WeasyPrint hyphenates with the dictionary of <html lang>, marking each break with U+2010.
    breaks = re.findall(r"([^\W\d]+)\u2010\n([^\W\d]+)", "\n".join(real.pdf.pages))
    assert len(breaks) >= 5
    sources = [*real.root.glob("manuscript/*.md"), *real.root.glob("data/*.yaml"),
               *real.root.glob("templates/sections/*.html")]
    source = " ".join(path.read_text("utf-8") for path in sources)
    assert all(f"{a}{b}" in source for a, b in breaks), breaks  # whole words, broken at a line end


def test_recommendations_are_numbered_callouts(real):
    # The numbers are generated by CSS (the data holds none), each on its own line.
    pdf = real.pdf
    items = real.data("recommendations")["recommendations"]
    start = pdf.dest_page("recommendations")
    pages = pdf.pages_with(items[-1])[0] + 1
    lines = [line.strip() for text in pdf.pages[start:pages] for line in text.splitlines()]
    # Each number ends a line of the extracted text, or, for a one-line item, starts the line
    # it shares with its text (pdfium reads the callout, to the left, first).
    one_line = {squash(item) for item in items}
    numbers = [m.group(1) for line in lines
               if (m := re.fullmatch(r"(?:.*\D)?(\d+)", line))
               or ((m := re.fullmatch(r"(\d+)\s+(.+)", line)) and squash(m.group(2)) in one_line)]
    assert numbers[:len(items)] == [str(i) for i in range(1, len(items) + 1)]
    assert not any(item.strip()[0].isdigit() for item in items)


def test_cover_png_is_the_pdf_first_page_and_reproducible(real):
    epub_cover = real.epub.read(real.epub.manifest["cover-img"]["href"])
    pdf = real.pdf.path.read_bytes()
    assert page_png(pdf, 0, long_side=1800) == epub_cover
    assert cover_png(pdf) == cover_png(pdf) == epub_cover
    with Image.open(io.BytesIO(epub_cover)) as image:
        assert max(image.size) == 1800 and not image.info


# --- The print edition --------------------------------------------------------------------

def print_edition(built) -> PdfReader:
    return PdfReader(built.out / f"{built.pub['slug']}-print.pdf")


def test_print_edition_has_the_profiles_bleed_on_every_side_of_every_page(report):
    """The default profile: 6 x 9 in trimmed, 0.125 in (9 pt) of bleed, no marks (MediaBox =
    BleedBox), an even page count, and no cover (the screen edition's cover and its blank verso
    are not in it, nor are the screen edition's blank pages)."""
    printed = print_edition(report)
    assert len(printed.pages) % 2 == 0
    for page in printed.pages:
        media, trim, bleed = page.mediabox, page.trimbox, page.bleedbox
        assert (float(trim.width), float(trim.height)) == pytest.approx((6 * 72, 9 * 72))
        for side in ("left", "bottom"):
            assert float(getattr(trim, side)) - float(getattr(media, side)) == pytest.approx(BLEED, abs=1e-3)
        for side in ("right", "top"):
            assert float(getattr(media, side)) - float(getattr(trim, side)) == pytest.approx(BLEED, abs=1e-3)
        assert [float(v) for v in bleed] == pytest.approx([float(v) for v in media])


def test_print_edition_draws_no_marks_by_default(report):
    # A blank verso, rendered at 1 px per point with its bleed: no ink anywhere (print on demand
    # wants no marks; marks: crop draws them outside the bleed, see test_press).
    printed = print_edition(report)
    blank = next(i for i, page in enumerate(printed.pages) if not page.extract_text().strip())
    pdf = (report.out / f"{report.pub['slug']}-print.pdf").read_bytes()
    image = Image.open(io.BytesIO(page_png(pdf, blank, dpi=72))).convert("L")
    assert image.getextrema() == (255, 255)


def test_the_spreads_set_page_one_alone_on_the_right(tiny):
    """The printer's proof (``folio proof``'s spreads): page 1 a recto, then 2-3, 4-5..."""
    from folio.editions.pdf.spreads import GAP, TABLE, contact_sheet

    interior = printed(tiny)
    pages = len(interior.reader.pages)
    trim = interior.reader.pages[0].trimbox
    width, height = round(float(trim.width) * 10 / 72), round(float(trim.height) * 10 / 72)
    sheet = Image.open(io.BytesIO(contact_sheet(interior.path.read_bytes(), dpi=10, per_row=2)))
    spreads = 1 + -(-(pages - 1) // 2)
    assert abs(sheet.width - (2 * (2 * width + GAP) + GAP)) <= 4
    assert abs(sheet.height - (-(-spreads // 2) * (height + GAP) + GAP)) <= 2 * -(-spreads // 2)
    # The first spread's left-hand page is the table: page 1 stands alone, on the right.
    assert sheet.convert("RGB").getpixel((GAP + width // 2, GAP + height // 2)) == TABLE
    assert sheet.convert("RGB").getpixel((GAP + width + width // 2, GAP + height // 2)) != TABLE


def test_print_edition_alone_from_the_command_line(tiny, copy_built):
    root = copy_built(tiny)
    (root / "build" / "tiny-report-print.pdf").unlink()
    proc = run_folio("--quiet", "--project", str(root), "print")
    assert proc.returncode == 0, proc.stderr
    assert (root / "build" / "tiny-report-print.pdf").read_bytes() == \
        (tiny.out / "tiny-report-print.pdf").read_bytes()


# --- The EPUB cover -------------------------------------------------------------------------

def test_epub_cover_image_is_large_and_first_in_the_spine(report):
    epub = report.epub
    covers = [item for item in epub.manifest.values() if "cover-image" in item["properties"]]
    assert len(covers) == 1 and covers[0]["media-type"] == "image/png"
    image = Image.open(io.BytesIO(epub.read(covers[0]["href"])))
    assert max(image.size) >= 1600
    assert image.info == {}  # no time stamp or text chunk
    first = epub.docs[epub.spine[0]]
    assert first.xpath("//@src")[0].endswith("cover.png")
    assert first.xpath("//*[@role='doc-cover']/@alt")[0].startswith("Cover: ")


# --- Proofs ---------------------------------------------------------------------------------

def test_proof_renders_the_default_pages_found_by_id(real, copy_built):
    root = copy_built(real)
    written = proof(root)
    names = [p.name for p in written]
    opening = opening_pages(real)
    team = next(s for s in real.sections if s.id == "the-w2i-team")
    assert names == ["p001-cover.png", f"p{opening['contents'] + 1:03d}-contents.png",
                     f"p{opening['history'] + 1:03d}-chapter.png",
                     f"p{opening[team.id] + 1:03d}-team.png"]
    for path in written:
        assert Image.open(path).format == "PNG"


def test_proof_names_a_missing_page(tiny, copy_built):
    from folio import BuildError

    with pytest.raises(BuildError, match="no such page: nowhere"):
        proof(copy_built(tiny), ["cover", "nowhere"])


# --- The HTML edition in a browser ----------------------------------------------------------

@pytest.fixture(scope="module")
def served(real):
    """The real report's HTML edition on an HTTP server on 127.0.0.1 (a thread)."""
    handler = functools.partial(_QuietHandler, directory=str(real.out / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _word_only_in(built, section) -> str:
    """The longest word of a section's Markdown that no other section's Markdown has."""
    def words(s):
        return set(re.findall(r"[^\W\d_]{4,}", markdown_text(s.markdown or "")))

    others = set().union(*(words(s) for s in built.sections if s is not section))
    return max(sorted(words(section) - others), key=len)


def test_search_finds_a_phrase_and_links_to_its_page(served, browser, real):
    chapter = next(s for s in real.sections if s.part == "body" and s.markdown)
    word = _word_only_in(real, chapter)
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(served + f"{chapter.id}.html")
    # Pagefind loads when a search starts: the words typed before it came are searched.
    page.fill(".search-stub", word)
    # Results arrive one by one: wait for the chapter's, not merely the first to show.
    page.wait_for_function(
        "url => [...document.querySelectorAll('.pagefind-ui__result-link')]"
        ".some(a => a.href.startsWith(url))", arg=served + f"{chapter.id}.html", timeout=20000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.href)")
    assert links and all(link.startswith(served) for link in links)
    assert any(link.startswith(served + f"{chapter.id}.html") for link in links)
    page.goto(next(link for link in links if link.startswith(served + f"{chapter.id}.html")))
    assert word in page.inner_text("main")
    assert all(url.startswith(served) for url in requests), "search used the network"
    page.close()


def test_search_bundle_does_not_depend_on_the_order_pages_are_written_in(real):
    pages = {p.name: p.read_bytes() for p in sorted((real.out / "html").glob("*.html"))}
    forward = search_bundle(pages, "en")
    backward = search_bundle(dict(reversed(pages.items())), "en")
    assert forward == backward
    assert "pagefind/pagefind.js" in forward and "pagefind/pagefind-ui.js" in forward
    assert not [name for name in forward if "playground" in name or "modular-ui" in name]


def test_search_explains_itself_from_a_file_url(real, browser):
    page = browser.new_page()
    page.goto((real.out / "html" / "history.html").as_uri())
    assert "online edition" in page.inner_text(".site-search")
    page.close()


def _rgb(hex6: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex6[i:i + 2], 16) for i in (0, 2, 4)))


def test_dark_scheme_follows_the_system(served, browser, real):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(served + "index.html")
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
    # The backgrounds screen.css declares, light first, then under prefers-color-scheme: dark.
    css = (real.root / "templates/css/screen.css").read_text("utf-8")
    light, dark = re.findall(r"--background:\s*#([0-9a-fA-F]{6})", css)[:2]
    assert colours["light"] == _rgb(light) and colours["dark"] == _rgb(dark)
    assert colours["light"] != colours["dark"]


def test_measure_is_readable_on_a_phone_and_a_desktop(served, browser):
    for width, height in ((390, 844), (1440, 900)):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(served + "history.html")
        size = float(page.evaluate("getComputedStyle(document.querySelector('main p')).fontSize")[:-2])
        measure = page.evaluate("document.querySelector('main p').getBoundingClientRect().width")
        chars = measure / (size * 0.5)  # ~0.5 em per character in a text face
        assert 16 <= size <= 20
        assert chars <= 80, (width, chars)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.close()
