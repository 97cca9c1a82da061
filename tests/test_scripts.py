"""Every script a book may use (tests/fixtures/book, chapter 4): the characters the bundled
fonts lack are drawn by the Noto fallbacks in every edition, cut to the characters used;
one that no font draws is a message at its chapter and line."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fontTools.ttLib import TTFont
from lxml import html

import folio
from editions import Built
from folio.editions import fallback
from helpers import FIXTURES

QUOTED = {"Greek": "Καλημέρα κόσμε", "Cyrillic": "Здравствуй", "Chinese": "你好，世界",
          "Japanese": "こんにちは、世界", "Korean": "안녕하세요", "Devanagari": "नमस्ते",
          "Arabic": "مرحبا", "emoji": "🎉 🚀 📚"}
#: Characters the bundled fonts (Libertine, Biolinum, Inconsolata) lack.
FOREIGN = "".join(QUOTED[s] for s in ("Chinese", "Japanese", "Korean", "Devanagari", "Arabic",
                                      "emoji")) + "👋"


def book_copy(dest: Path) -> Path:
    shutil.copytree(FIXTURES / "book", dest)
    (dest / "README.md").unlink()
    return dest


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Built:
    root = book_copy(tmp_path_factory.mktemp("scripts") / "book")
    folio.build(root)
    return Built(root)


def covered(fonts: dict[str, bytes]) -> set[int]:
    return set().union(*(TTFont(io.BytesIO(data)).getBestCmap() for data in fonts.values()))


def foreign() -> set[int]:
    return {ord(c) for c in fallback.drawn(FOREIGN)}


@pytest.mark.slow  # a whole build of every edition, or the validators
def test_the_pdf_draws_every_script(book):
    pdf = pdfium.PdfDocument(book.out / "small-programs.pdf")
    text = next(t for t in (p.get_textpage().get_text_range() for p in pdf) if "Every Script" in t)
    for script, sample in QUOTED.items():
        if script not in ("Devanagari", "Arabic"):  # pdfium reorders their shaped clusters
            assert re.sub(r"\s", "", sample) in re.sub(r"\s", "", text), script
    fonts = set(book.pdf.fonts())
    # Each fallback a family of its own (WeasyPrint tells fonts apart by family): never a
    # bundled face drawing another font's glyphs.
    for family in ("NotoSerifCJK-2", "NotoSerifCJK-2-Bold", "NotoSerifDevanagari",
                   "NotoNaskhArabic", "NotoEmoji", "NotoSansCJK-2", "NotoSansMono"):
        assert any(f.endswith(f"+Folio-{family}") for f in fonts), (family, fonts)
    # The text is in the bundle's fonts and ours. The SVG chart's label ("Bar heights")
    # WeasyPrint draws with a font fontconfig finds by name: the theme's Libertine, listed
    # in theme/fontconfig/fonts.conf, never a font of the machine (DejaVu Sans here).
    assert {f.split("+")[1] for f in fonts if not re.search(r"\+(Report|Folio)-", f)} == \
        {"Linux-Libertine-O"}, fonts


@pytest.mark.slow  # a whole build of every edition, or the validators
def test_the_epub_and_the_site_carry_fallbacks_cut_to_their_characters(book):
    epub = {i["href"]: book.epub.read(i["href"]) for i in book.epub.manifest.values()
            if "fonts/fallback/" in i["href"]}
    site = {p.name: p.read_bytes() for p in (book.out / "html/fonts/fallback").iterdir()}
    for fonts in (epub, site):
        assert fonts and foreign() <= covered(fonts)
        # Cut to the book's characters: a CJK face of 65,000 glyphs becomes a few kilobytes.
        assert all(len(data) < 40_000 for data in fonts.values()), {n: len(d) for n, d in fonts.items()}
    css = (book.out / "html/fonts/fonts.css").read_text("utf-8")
    ranges = re.findall(r'font-family: "([^"]+)";\s*src: url\("fallback/[^"]+"\)[^}]*'
                        r'unicode-range: ([^;]+);', css)
    assert {family for family, _ in ranges} == {"Report Serif", "Report Sans", "Report Mono"}
    page = html.parse(str(book.out / "html/scripts.html")).getroot()
    assert QUOTED["Chinese"] in page.text_content()


def test_a_book_its_bundle_covers_has_no_fallback(tiny):
    # The tiny report is Latin text: its EPUB and PDF name no fallback (the site's footnote
    # back-link ↩, which Libertine lacks, has one).
    assert not [i for i in tiny.epub.manifest.values() if "fallback" in i["href"]]
    assert "unicode-range" not in tiny.epub.read(next(
        i["href"] for i in tiny.epub.manifest.values() if i["href"].endswith("fonts.css"))).decode()
    fonts = set(tiny.pdf.fonts())
    assert fonts and not [f for f in fonts if "Noto" in f], fonts


def test_a_character_no_font_draws_is_named_at_its_chapter_and_line(tmp_path):
    root = book_copy(tmp_path / "book")
    exercises = root / "manuscript/ch03-exercises.md"
    exercises.write_text(exercises.read_text("utf-8") + "\nEthiopic: ሰላም.\n", "utf-8")
    line = exercises.read_text("utf-8").count("\n")
    with pytest.raises(folio.BuildError) as caught:
        folio.build(root, ("html",))
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("manuscript/ch03-exercises.md", line)
    assert problem.message.startswith("no font draws ላ ም ሰ (U+120B, U+121D, U+1230)")
    assert not (root / "build/html").exists()


def test_a_subset_is_the_same_bytes_every_time():
    source = next(s for s in fallback.chain("serif", False, "ja") if "CJK" in s.name)
    assert source.name == "NotoSerifCJK-Regular.ttc" and source.index == 0
    from folio.editions.fonts import _MADE, subset_file

    first = subset_file(source.path, source.index, "pin", "世界")
    _MADE.clear()
    assert subset_file(source.path, source.index, "pin", "世界") == first
    assert {ord("世"), ord("界")} <= set(TTFont(io.BytesIO(first)).getBestCmap())


@pytest.mark.slow  # a whole build of every edition, or the validators
def test_the_book_passes_the_validators_of_readers(book):
    from folio.check import Tools, format_report, run_checks
    from helpers import REPO

    # EPUBCheck, Ace, epub.js, calibre, vnu, axe, links, PDF structure, and the printer's
    # preflight, whose only finding is the fixture's PNG at 96 ppi (the print edition converts
    # the figures' and the code's RGB to CMYK; the resolution is the author's to fix).
    only = ["epubcheck", "ace", "epubjs", "calibre", "vnu", "axe", "links", "pdf", "press"]
    results = run_checks(book.root, Tools(REPO / "tools" / "node_modules"), only=only)
    report = format_report(results)
    *readers, press = results
    assert all(r.ok and r.checked and not r.findings for r in readers), report
    assert press.checked and [f.rule for f in press.findings] == ["image-resolution"], report
