"""What readers of the EPUB and the website notice: pop-up notes, light fonts, store metadata,
a site that works wherever it is served, and real reading systems opening the book."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from lxml import etree, html

from editions import OPF, XHTML
from folio.check import Tools, calibre, crawl, epubjs
from folio.check.model import Editions
from folio.editions.fonts import face_texts, font_faces, subset_font
from folio.theme import resolve

REPO = Path(__file__).resolve().parents[1]
NCX = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
TOOLS = Tools(REPO / "tools" / "node_modules")
#: The readers' size targets (issue 17).
EPUB_LIMIT = FIRST_PAGE_LIMIT = 400_000


# --- the EPUB -----------------------------------------------------------------------------

def test_notes_are_noteref_and_footnote_aside_pairs_in_one_document(report):
    pairs = 0
    for name, doc in report.epub.docs.items():
        for ref in doc.xpath("//x:a[@role='doc-noteref']", namespaces=XHTML):
            assert ref.get("{http://www.idpf.org/2007/ops}type") == "noteref", name
            target = ref.get("href")
            assert target.startswith("#"), (name, target)  # same document
            note = doc.xpath(f"//*[@id='{target[1:]}']")[0]
            assert etree.QName(note).localname == "aside", (name, target)
            assert note.get("{http://www.idpf.org/2007/ops}type") == "footnote"
            assert note.get("role") == "doc-footnote"
            pairs += 1
        assert not doc.xpath("//*[@role='doc-endnotes' or @role='doc-endnote']"), name
    assert pairs


def test_html_notes_stay_valid_html_with_a_popover_script(report):
    for name, page in report.html.pages.items():
        assert not page.xpath("//@*[starts-with(name(), 'epub:')]"), name
        assert "notes.js" in page.xpath("//script/@src"), name
    assert b"showPopover" in (report.html.folder / "notes.js").read_bytes()


def test_epub_fonts_are_subsets_of_only_the_faces_used(report):
    epub = report.epub
    fonts = {i["href"]: epub.read(i["href"]) for i in epub.manifest.values()
             if i["media-type"].startswith("font/")}
    assert fonts
    css = epub.read(epub.resolve("fonts/fonts.css")).decode("utf-8")
    assert css.count("@font-face") == len(fonts)
    for href, data in fonts.items():
        font = TTFont(io.BytesIO(data))
        whole = TTFont(next((report.root / "templates/fonts").rglob(Path(href).name)))
        assert len(font.getGlyphOrder()) < len(whole.getGlyphOrder()) / 4, href
    # No document of either report has bold italic text once <address> is upright.
    assert not any(h.endswith("LinLibertine_RBI.otf") for h in fonts)


def test_the_real_epub_is_light(real):
    assert real.epub.path.stat().st_size < EPUB_LIMIT


def test_language_has_a_region_and_creators_sort_names(real):
    epub = real.epub
    assert [e.text for e in epub.meta("dc:language")] == ["en-US"]
    for element in epub.meta("dc:creator") + epub.meta("dc:contributor"):
        name, sort = element.text, epub.refinements(element.get("id"))["file-as"]
        assert sort == f"{name.split()[-1]}, {' '.join(name.split()[:-1])}"
    # The sources give no ISBN: no urn:isbn is invented.
    assert not [e for e in epub.meta("dc:identifier") if "isbn" in (e.text or "")]


def test_one_print_isbn_makes_the_cover_barcode_and_the_epub_source(copy_built, tiny):
    import folio
    from folio.inputs.load import load_project

    root = copy_built(tiny)
    pub = root / "data/publication.yaml"
    before = pub.read_text("utf-8")
    # The print edition's ISBN has one place, print: isbn: (publication.press.isbn).
    pub.write_text(before + "print_isbn: 978-0-00-000001-9\n", "utf-8")
    with pytest.raises(folio.BuildError, match="print_isbn"):
        load_project(root)
    pub.write_text(before + "isbn: 978-0-00-000000-2\n"
                   'print:\n  isbn: "9780000000019"\n', "utf-8")
    folio.build(root, ("epub", "print"))
    with zipfile.ZipFile(next((root / "build").glob("*.epub"))) as zf:
        opf = etree.fromstring(zf.read("EPUB/content.opf"))
    dc = {"dc": "http://purl.org/dc/elements/1.1/"}
    assert "urn:isbn:978-0-00-000000-2" in opf.xpath("//dc:identifier/text()", namespaces=dc)
    # The EPUB's page list follows the printed book whose cover carries that ISBN.
    assert opf.xpath("//dc:source/text()", namespaces=dc) == ["urn:isbn:9780000000019"]
    cover = next((root / "build").glob("*-print-cover.pdf"))
    text = subprocess.run(["pdftotext", "-raw", str(cover), "-"], capture_output=True, text=True,
                          check=True).stdout
    # The barcode's caption: the spread draws its bars from the same value (spread_html).
    assert "ISBN9780000000019" in "".join(text.split())  # its letters are spaced
    assert load_project(root).publication.press.isbn == "9780000000019"


def test_apple_display_options_ask_for_the_embedded_fonts(report):
    options = etree.fromstring(report.epub.read("META-INF/com.apple.ibooks.display-options.xml"))
    assert options.xpath("//option[@name='specified-fonts']/text()") == ["true"]


def test_nav_lists_every_sections_subheadings(report):
    epub = report.epub
    nav = epub.xml(epub.nav_path)
    for section in report.sections:
        if not section.toc:
            continue
        doc = epub.docs[epub.resolve(f"{section.id}.xhtml", epub.nav_path)]
        h2s = doc.xpath("//x:h2/@id", namespaces=XHTML)
        hrefs = nav.xpath(f"//x:nav[@epub:type='toc']//x:a[@href='{section.id}.xhtml']"
                          "/following-sibling::x:ol/x:li/x:a/@href", namespaces=XHTML)
        assert hrefs == [f"{section.id}.xhtml#{ident}" for ident in h2s], section.id



def test_ncx_has_its_depth_and_the_print_page_list(report):
    epub = report.epub
    ncx = epub.xml(epub.manifest[epub.opf.find("opf:spine", OPF).get("toc")]["href"])
    depth = int(ncx.xpath("//n:meta[@name='dtb:depth']/@content", namespaces=NCX)[0])
    assert depth == (2 if ncx.xpath("//n:navPoint/n:navPoint", namespaces=NCX) else 1)
    nav = epub.xml(epub.nav_path)
    pages = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=XHTML)
    targets = ncx.xpath("//n:pageList/n:pageTarget", namespaces=NCX)
    assert [t.xpath("string(n:navLabel/n:text)", namespaces=NCX) for t in targets] == \
        [a.text for a in pages]
    assert [t.find("n:content", NCX).get("src") for t in targets] == [a.get("href") for a in pages]
    total = ncx.xpath("//n:meta[@name='dtb:totalPageCount']/@content", namespaces=NCX)
    assert total == [str(len(pages))]


def test_no_pdf_only_inline_styles_outside_the_pdf(report):
    for name, doc in report.epub.docs.items():
        assert not [s for s in doc.xpath("//@style") if "--" in s], name
    for name, page in report.html.pages.items():
        assert not [s for s in page.xpath("//@style") if "--" in s], name


def test_italic_inside_italic_quotations_stays_visible():
    css = (REPO / "templates/css/epub.css").read_text("utf-8")
    docs = [etree.fromstring(b'<html xmlns="http://www.w3.org/1999/xhtml"><body><blockquote>'
                             b'<p>quoted <em>Title</em></p></blockquote><address>A</address>'
                             b'</body></html>')]
    faces = font_faces((REPO / "templates/fonts/fonts.css").read_text("utf-8"))
    texts = {f.src.rsplit("/", 1)[-1]: t for f, t in face_texts(docs, [css], faces).items()}
    assert set(texts["LinLibertine_R.otf"]) >= set("TitleA")
    assert "T" not in texts["LinLibertine_RI.otf"]


# --- fonts, as a library --------------------------------------------------------------------

def test_subsetting_is_reproducible_and_keeps_only_the_text():
    data = (REPO / "templates/fonts/linux-libertine/LinLibertine_R.otf").read_bytes()
    one, two = subset_font(data, "Rwanda"), subset_font(data, "Rwanda")
    assert one == two
    cmap = TTFont(io.BytesIO(one)).getBestCmap()
    assert {chr(c) for c in cmap} >= set("Rwanda") and "Z" not in {chr(c) for c in cmap}
    woff2 = subset_font(data, "Rwanda", "woff2")
    assert woff2[:4] == b"wOF2" and woff2 == subset_font(data, "Rwanda", "woff2")


# --- the website ----------------------------------------------------------------------------

def test_site_pages_have_their_own_description_icon_and_open_graph(real):
    descriptions = set()
    for name, page in real.html.pages.items():
        description = page.xpath("//meta[@name='description']/@content")
        assert len(description) == 1 and len(description[0]) <= 160, name
        descriptions.add(description[0])
        assert page.xpath("//meta[@property='og:title']/@content"), name
        assert page.xpath("//link[@rel='icon']/@href") == ["favicon.svg"], name
        # No base URL in the data: no canonical link or sitemap invented.
        assert not page.xpath("//link[@rel='canonical']"), name
    assert len(descriptions) > len(real.html.pages) / 2
    assert (real.html.folder / "404.html").is_file()
    assert not (real.html.folder / "sitemap.xml").exists()


def test_a_base_url_gives_canonical_links_and_a_sitemap(copy_built, tiny):
    import folio

    root = copy_built(tiny)
    pub = root / "data/publication.yaml"
    pub.write_text(pub.read_text("utf-8") + "base_url: https://example.org/report/\n", "utf-8")
    folio.build(root, ("html",))
    site = root / "build/html"
    index = html.parse(str(site / "index.html")).getroot()
    assert index.xpath("//link[@rel='canonical']/@href") == ["https://example.org/report/"]
    sitemap = etree.fromstring((site / "sitemap.xml").read_bytes())
    locs = sitemap.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    assert "https://example.org/report/" in locs and len(locs) == len(list(site.glob("*.html"))) - 1


def test_search_tells_readers_no_developer_command_under_file_urls():
    script = resolve(REPO, "html/search.js").read_text("utf-8")  # the report's, or the theme's
    assert "http.server" not in script and "build/html" not in script


def test_crawl_finds_no_broken_link_in_the_folder_or_the_release(report):
    editions = Editions(report.root, report.pub["slug"])
    result = crawl.run(editions, TOOLS)
    assert result.ok, [str(f) for f in result.findings]
    assert result.checked > len(report.html.pages)


def test_crawl_reports_a_broken_link(tmp_path):
    (tmp_path / "index.html").write_text('<a href="gone.pdf">x</a><a href="here.html">y</a>')
    (tmp_path / "here.html").write_text("<p>here</p>")
    findings, checked = crawl.crawl_folder(tmp_path, "site")
    assert [f.rule for f in findings] == ["http-404"] and checked == 3


def test_first_page_transfers_under_the_target(real):
    """Headless Chromium, the site served over HTTP: every byte the home page fetches."""
    from playwright.sync_api import sync_playwright

    with crawl.serve(real.html.folder) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=TOOLS.chromium, args=["--no-sandbox"])
        page = browser.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(base + "index.html", wait_until="networkidle")
        total = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]
                    for r in finished)
        fonts = [r.url for r in finished if r.url.endswith(".woff2")]
        browser.close()
    assert fonts and total < FIRST_PAGE_LIMIT, (total, fonts)


def test_a_note_opens_in_place_from_the_keyboard(real):
    from playwright.sync_api import sync_playwright

    with crawl.serve(real.html.folder) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=TOOLS.chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(base + "history.html")
        page.focus("a.footnote-ref")
        page.keyboard.press("Enter")
        popover = page.locator("#note-popover")
        popover.wait_for(state="visible")
        assert "encyclopedia article" in popover.inner_text()
        page.keyboard.press("Escape")
        popover.wait_for(state="hidden")
        assert page.evaluate("document.activeElement.classList.contains('footnote-ref')")
        browser.close()


# --- reading systems ------------------------------------------------------------------------
# epub.js opening every document is slow (a browser, every page); the fast lane keeps
# folio.check.epubjs through its report of a missing page list.

@pytest.mark.slow
def test_epubjs_opens_cover_nav_pages_and_every_document(report):
    result = epubjs.run(Editions(report.root, report.pub["slug"]), TOOLS)
    assert result.ok, [str(f) for f in result.findings] or result.failure
    assert result.checked == len(report.epub.spine)


def test_epubjs_reports_a_book_without_page_list(copy_built, tiny):
    root = copy_built(tiny)
    path = next((root / "build").glob("*.epub"))
    _rewrite(path, "EPUB/nav.xhtml", lambda x: x.replace(b'epub:type="page-list"', b'epub:type="x"'))
    result = epubjs.run(Editions(root, tiny.pub["slug"]), TOOLS)
    assert "no-page-list" in [f.rule for f in result.findings]


@pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="calibre is not installed")
def test_calibre_converts_to_azw3_without_warnings(report):
    result = calibre.run(Editions(report.root, report.pub["slug"]), TOOLS)
    assert result.ok, [str(f) for f in result.findings] or result.failure


@pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="calibre is not installed")
def test_calibre_warnings_fail_the_check(copy_built, tiny):
    root = copy_built(tiny)
    path = next((root / "build").glob("*.epub"))
    spine_doc = next(n for n in zipfile.ZipFile(path).namelist() if n.endswith("chapter1.xhtml"))
    _rewrite(path, spine_doc, lambda x: x.replace(b"<p>", b'<p style="--rows: 2">', 1))
    result = calibre.run(Editions(root, tiny.pub["slug"]), TOOLS)
    assert not result.ok


def _rewrite(path: Path, name: str, change) -> None:
    """Change one entry of a zip in place (a damaged copy of an edition, for a test)."""
    with zipfile.ZipFile(path) as zf:
        entries = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in entries:
            zf.writestr(info, change(data) if info.filename == name else data)


def test_a_font_face_outside_the_bundle_is_refused(tmp_path):
    from folio.editions.fonts import edition_fonts
    from folio.errors import BuildError

    bundle = tmp_path / "fonts"
    bundle.mkdir()
    (tmp_path / "secret.otf").write_bytes(
        (REPO / "templates/fonts/inconsolata/Inconsolata.otf").read_bytes())
    (bundle / "fonts.css").write_text('@font-face { font-family: "Report Serif";'
                                      ' src: url("../secret.otf"); }', "utf-8")
    doc = etree.fromstring(b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>')
    with pytest.raises(BuildError, match="outside the bundle"):
        edition_fonts(bundle, [doc], ['body { font-family: "Report Serif" }'])
