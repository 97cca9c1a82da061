"""Accessibility of the editions: EPUB Accessibility 1.1 metadata, a page list that follows
the print PDF page by page, and a tagged PDF (PDF/UA-1) with /Lang and its title shown."""

from __future__ import annotations

import copy
import re

import pytest
from lxml import etree, html

from editions import XHTML, PdfView, squash
from folio.editions.pagelist import PageBreak, insert_markers, page_breaks

OPS = "{http://www.idpf.org/2007/ops}type"


def _properties(epub) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for meta in epub.meta("opf:meta"):
        if meta.get("property") and not meta.get("refines"):
            found.setdefault(meta.get("property"), []).append((meta.text or "").strip())
    return found


def test_accessibility_metadata(report):
    props = _properties(report.epub)
    assert props["schema:accessModeSufficient"] == ["textual"]
    features = props["schema:accessibilityFeature"]
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "pageNavigation",
            "pageBreakMarkers"} <= set(features)
    assert len(features) == len(set(features))
    assert props["schema:accessibilityHazard"] == ["none"]
    assert len(props["schema:accessibilitySummary"][0]) > 40
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert props["a11y:certifiedBy"] == [report.pub["publisher"]]
    assert props["pageBreakSource"] == [f"{report.pub['identifier']} (print PDF)"]
    sources = [e.text for e in report.epub.meta("dc:source")]
    assert sources == props["pageBreakSource"]
    assert report.epub.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == report.pub["language"]


def test_visual_mode_and_alt_text_are_declared_only_with_images(tiny, real):
    tiny_props, real_props = _properties(tiny.epub), _properties(real.epub)
    assert tiny_props["schema:accessMode"] == ["textual", "visual"]  # it has an image
    assert "alternativeText" in tiny_props["schema:accessibilityFeature"]
    assert real_props["schema:accessMode"] == ["textual"]
    assert "alternativeText" not in real_props["schema:accessibilityFeature"]


def _page_list(epub) -> list[tuple[str, str]]:
    nav = epub.xml(epub.nav_path)
    lists = [n for n in nav.iter("{*}nav") if n.get(OPS) == "page-list"]
    assert len(lists) == 1
    return [(a.get("href"), a.text) for a in lists[0].iter("{*}a")]


def _index(href: str) -> int:
    """The PDF page (from 0) a page-list entry stands for: markers are named page-<n>."""
    return int(href.partition("#page-")[2]) - 1


_PRINTED: dict = {}


def printed(report) -> PdfView:
    """The print edition's interior: the EPUB's page list follows its pages (pageBreakSource)."""
    path = report.out / f"{report.pub['slug']}-print.pdf"
    if path not in _PRINTED:
        _PRINTED[path] = PdfView(path)
    return _PRINTED[path]


def test_page_list_has_an_entry_for_nearly_every_pdf_page(report):
    entries = _page_list(report.epub)
    pdf = printed(report)
    pages = len(pdf.reader.pages)
    indexes = [_index(href) for href, _ in entries]
    assert indexes == sorted(set(indexes))
    # From the page of the first section to the last page, every page with text has an entry;
    # a page left out is blank (a verso left empty, or a page padding the count to even).
    assert indexes[0] == pdf.dest_page(report.sections[0].id)
    unlisted = set(range(indexes[0], pages)) - set(indexes)
    assert [i for i in unlisted if pdf.body_pages[i]] == []
    assert len(unlisted) <= pages // 3  # the tiny report: a blank verso after most sections


def test_each_entry_points_at_a_marker_labelled_with_the_printed_number(report):
    epub = report.epub
    for href, label in _page_list(epub):
        name, _, ident = href.partition("#")
        doc = epub.xml(epub.resolve(name, epub.nav_path))
        marker = doc.xpath(f"//*[@id='{ident}']")[0]
        assert etree.QName(marker).localname == "span"
        assert marker.get(OPS) == "pagebreak"
        assert marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == label
        number = printed(report).folio(_index(href))
        assert number in ("", label)  # a title page prints no number


def _text_around_markers(doc) -> dict[str, tuple[str, str]]:
    """marker id -> (squashed text before it, squashed text after it) in its document."""
    doc = etree.fromstring(etree.tostring(doc))
    for marker in doc.xpath("//x:span[@role='doc-pagebreak']", namespaces=XHTML):
        marker.text = f"\u2063{marker.get('id')}\u2063"
    # Notes are endnotes in the EPUB but footnotes in the PDF: leave them out of the text.
    # Hidden headings are not printed.
    for gone in doc.xpath("//*[@role='doc-endnotes' or contains(@class, 'visually-hidden')]"):
        gone.getparent().remove(gone)
    text = "".join(doc.find("x:body", XHTML).itertext())
    parts = text.split("\u2063")
    return {parts[i]: (squash("".join(parts[:i])), squash("".join(parts[i + 1:])))
            for i in range(1, len(parts), 2)}


def test_each_marker_sits_at_the_text_that_starts_its_page(report):
    """The words right after each marker are the first words of its PDF page's body (after
    the header a long table repeats on each page); a page that opens inside a hyphenated
    word is marked before that word, so the page's text starts within the marker's first word."""
    checked = 0
    for name in report.epub.spine:
        doc = report.epub.docs[name]
        headers = [squash("".join(h.itertext())) for h in doc.iterfind(".//x:thead", XHTML)]
        for ident, (_before, after) in _text_around_markers(doc).items():
            page = printed(report).body_pages[int(ident.removeprefix("page-")) - 1]
            page = next((page[len(h):] for h in headers if page.startswith(h)), page)
            assert after[:20] and 0 <= after[:40].find(page[:20]) < 16, (ident, after[:20], page[:20])
            checked += 1
    assert checked == len(_page_list(report.epub))


class _Section:
    def __init__(self, ident, markup):
        self.id = ident
        self.body = html.fragment_fromstring(markup, create_parent="section")


def test_pages_that_only_continue_an_element_are_marked_where_it_ends():
    sections = [_Section("a", "<h1 id='a'>A</h1><p>one</p><p>two</p>")]
    anchors = [("a", "a-b1", "a-b2"), ("a-b2",), ("a-b2",), ("a-b2",)]
    breaks = page_breaks(sections, anchors, ("i", "ii", "iii", "iv"))
    assert breaks == [PageBreak(0, "i", "a", "a"), PageBreak(3, "iv", "a", "a-b2", at_end=True)]


def test_a_page_that_opens_mid_paragraph_is_marked_before_its_first_words():
    sections = [_Section("a", "<h1 id='a'>A</h1><p>The first page ends <em>here, and the"
                              " second</em> page opens with these words.</p>")]
    anchors = [("a", "a-b1"), ("a-b1",)]
    first = [("a", "A The first page ends here"), ("a-b1", "second page opens with these")]
    breaks = page_breaks(sections, anchors, ("1", "2"), first)
    assert breaks[1] == PageBreak(1, "2", "a", "a-b1", text="second page opens with these")
    body = copy.deepcopy(sections[0].body)
    insert_markers(body, "a", breaks)
    markup = etree.tostring(body, encoding="unicode")
    assert '<em>here, and the <span epub:type="pagebreak" role="doc-pagebreak" id="page-2"' \
           ' aria-label="2"/>second</em> page opens' in markup


def _second_page_marked(paragraph: str, opening: str) -> str:
    """Section "a" (a heading, then ``paragraph``, block a-b1) on two pages, the second
    opening inside the paragraph with ``opening``: the section marked, as markup."""
    sections = [_Section("a", f"<h1 id='a'>A</h1>{paragraph}")]
    anchors = [("a", "a-b1"), ("a-b1",)]
    breaks = page_breaks(sections, anchors, ("1", "2"), [(None, ""), ("a-b1", opening)])
    body = copy.deepcopy(sections[0].body)
    insert_markers(body, "a", breaks)
    return etree.tostring(body, encoding="unicode")


def test_a_page_opening_after_accents_and_ligatures_is_marked_at_its_words():
    """The PDF's text is matched letters only, case-folded and unfolded (NFKC): a page that
    opens after accented words and a ligature, in another element, is marked before its
    own first word, not shifted by the characters folded before it."""
    text = _second_page_marked("<p>Les <em>élèves ﬁnissent</em> l’année, puis Œuvres complètes"
                               " suivent ici.</p>", "Œuvres complètes suivent")
    assert 'puis <span epub:type="pagebreak"' in text and 'aria-label="2"/>Œuvres complètes' in text


@pytest.mark.parametrize("key", ["/MarkInfo", "/StructTreeRoot", "/Lang", "/ViewerPreferences"])
def test_pdf_is_tagged_with_language_and_title_shown(report, key):
    root = report.pdf.reader.trailer["/Root"]
    assert key in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]


def test_pdf_claims_pdf_ua_1(report):
    xmp = report.pdf.reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfuaid:part[^0-9]*1", xmp), xmp[:400]


def test_the_pdfs_own_page_labels_name_the_pages():
    """A PDF that declares /PageLabels (roman front matter, say) gives the EPUB its labels;
    one that declares none, the numbers printed in its margins."""
    import weasyprint

    from folio.editions.pdf.document import label_pages, range_labels
    from folio.editions.pdf.layout import printed_labels

    ranges = [(0, None, "r"), (2, None, "D")]
    document = weasyprint.HTML(string="<p style='break-after: page'>a</p>" * 4).render()
    document.write_pdf(finisher=lambda doc, pdf: label_pages(pdf, ranges))
    assert range_labels(ranges, len(document.pages)) == ("i", "ii", "1", "2")
    assert printed_labels(document.pages) == ("1", "2", "3", "4")


def test_computed_page_labels_are_what_a_pdf_reader_reads_back():
    """The layout keeps the labels it writes (not parsing its own PDF): they must agree."""
    import io

    import pypdf
    import weasyprint

    from folio.editions.pdf.document import label_pages, range_labels

    ranges = [(0, "Cover", None), (1, "Inside cover", None), (3, None, "r"), (7, None, "D")]
    document = weasyprint.HTML(string="<p style='break-after: page'>a</p>" * 22).render()
    pdf = document.write_pdf(finisher=lambda doc, pdf: label_pages(pdf, ranges))
    read = tuple(pypdf.PdfReader(io.BytesIO(pdf)).page_labels)
    assert range_labels(ranges, 22) == read
    assert read[:9] == ("Cover", "Inside cover", "Inside cover", "i", "ii", "iii", "iv", "1", "2")
    assert read[-1] == "15"



def test_a_page_that_opens_inside_a_hyphenated_word_is_marked_before_the_word():
    text = _second_page_marked("<p>advocacy groups, journalists, and media</p>", "alists, and media")
    assert 'groups, <span epub:type="pagebreak"' in text and 'aria-label="2"/>journalists,' in text


@pytest.mark.parametrize("at_end", [False, True])
def test_a_marker_never_sits_directly_in_an_aria_list(at_end):
    """A CSL bibliography is a ``<div role="list">``: a marker among its items breaks
    ``aria-required-children`` (Ace, critical), so it goes inside the item."""
    sections = [_Section("r", "<h1 id='r'>R</h1><div id='refs' role='list'>"
                              "<div id='ref-a' role='listitem'>A. 1970. Book.</div>"
                              "<div id='ref-b' role='listitem'>B. 1971. Book.</div></div>")]
    brk = PageBreak(1, "2", "r", "ref-a" if at_end else "ref-b", at_end=at_end)
    body = copy.deepcopy(sections[0].body)
    insert_markers(body, "r", [brk])
    marker = body.xpath("//*[@role='doc-pagebreak']")
    assert len(marker) == 1
    assert marker[0].getparent().get("role") == "listitem"
    assert marker[0].getparent().get("id") == brk.target
