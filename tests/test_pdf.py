"""The PDF edition: metadata, bookmarks, fonts, footnotes, table of contents and links."""

from __future__ import annotations

import re

from editions import markdown_text, spaced, squash

_TOC_LINE = re.compile(r"^(?P<title>.*?)\s*(?:\.\s*){2,}(?P<page>\d+|[ivxlc]+)$")
_NOTE_CALL = re.compile(r"\[\^([^\]]+)\](?!:)")


def test_page_count_is_plausible(report):
    # Every section starts on a new page.
    assert len(report.pdf.reader.pages) >= len(report.sections)


def test_document_metadata(report):
    meta = report.pdf.reader.metadata
    authors, _ = report.creators
    assert meta["/Title"] == report.full_title
    assert meta["/Author"] == ", ".join(name for name, _ in authors)
    if report.pub.get("description"):
        assert meta["/Subject"] == spaced(report.pub["description"])
    elif report.pub.get("description_from"):  # the first paragraph of that section
        section = next(s for s in report.sections if s.id == report.pub["description_from"])
        first = next(p for p in section.markdown.split("\n\n") if not p.startswith("#"))
        assert meta["/Subject"] == spaced(markdown_text(first))
    if report.pub.get("subjects"):
        assert meta["/Keywords"] == ", ".join(report.pub["subjects"])
    assert meta["/CreationDate"].startswith("D:" + report.pub["date"].strftime("%Y%m%d"))


def test_catalog_declares_the_language(report):
    assert report.pdf.reader.trailer["/Root"]["/Lang"] == report.pub["language"]


def test_bookmarks_list_sections_in_order(report):
    titles = [title for depth, title, page in report.pdf.outline if depth == 0]
    listed = [s.title for s in report.sections if s.toc]
    assert [t for t in titles if t in listed] == listed


def test_bookmarks_nest_chapter_subheadings(report):
    outline = report.pdf.outline
    for section in report.sections:
        if section.part != "body":
            continue
        start = next(i for i, (d, t, _) in enumerate(outline) if d == 0 and t == section.title)
        children = []
        for depth, title, _ in outline[start + 1:]:
            if depth == 0:
                break
            if depth == 1:
                children.append(title)
        assert children == [text for _, text in section.h2]


def test_bookmarks_point_at_their_pages(report):
    pdf = report.pdf
    for _depth, title, page in pdf.outline:
        assert squash(title) in pdf.body_pages[page], f"{title!r} is not on page {page + 1}"


def test_every_section_title_is_printed(report):
    for section in report.sections:
        if section.toc:
            assert squash(section.title) in report.pdf.squashed, section.title


def test_every_font_is_embedded_and_bundled(report):
    fonts = report.pdf.fonts()
    assert fonts
    for name, font in fonts.items():
        if font.get("/Subtype") == "/Type0":
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        else:
            descriptor = font["/FontDescriptor"]
        files = [k for k in descriptor.get_object() if k.startswith("/FontFile")]
        assert files, f"{name} is not embedded"
        # A glyph missing from the bundled fonts would fall back to a system font.
        assert name.lstrip("/").split("+")[-1].startswith("Report-"), name


def test_contents_page_gives_the_page_of_each_entry(report):
    # The contents print each entry's folio, which the PDF's page labels also give.
    pdf = report.pdf
    labels = pdf.reader.page_labels
    bookmark_page = {title: labels[page] for _, title, page in pdf.outline}
    toc = next(s for s in report.sections if s.id == "contents")
    page = pdf.dest_page(toc.id)
    entries = {}
    pending = ""
    for line in pdf.pages[page].splitlines()[1:]:
        line = f"{pending} {line}".strip()
        match = _TOC_LINE.match(line)
        if match:
            entries[spaced(match["title"])] = match["page"]
            pending = ""
        else:
            pending = line
    expected = {}
    for section in report.sections:
        if section.toc:
            expected[section.title] = bookmark_page[section.title]
            if section.part == "body":
                expected.update({text: bookmark_page[text] for _, text in section.h2})
    assert entries == expected


def test_footnotes_sit_on_the_page_of_their_call(report):
    pdf = report.pdf
    checked = 0
    for section in report.sections:
        md = section.markdown or ""
        notes = dict(re.findall(r"^\[\^([^\]]+)\]:\s*(.+)$", md, re.M))
        for line in md.splitlines():
            for call in _NOTE_CALL.finditer(line):
                before = markdown_text(line[: call.start()]).split()[-5:]
                note = markdown_text(notes[call.group(1)]).split()[:6]
                call_pages = pdf.pages_with(" ".join(before))
                note_pages = pdf.pages_with(" ".join(note))
                assert len(note_pages) == 1, (note, note_pages)
                assert note_pages[0] in call_pages, (note, call_pages, note_pages)
                checked += 1
    assert checked == sum(len(re.findall(r"^\[\^", s.markdown or "", re.M)) for s in report.sections)


def test_no_endnotes_are_left_at_chapter_ends(tiny):
    # Notes become page footnotes; the "↩" back links of the endnote list must be gone.
    assert "↩" not in tiny.pdf.spaced


def test_internal_links_go_to_named_destinations(report):
    pdf = report.pdf
    for index in range(len(pdf.reader.pages)):
        for link in pdf.links(index):
            target = pdf.internal_target(link)
            if target is not None:
                assert target in pdf.reader.named_destinations, target


def test_cross_reference_between_chapters_is_an_internal_link(tiny):
    pdf = tiny.pdf
    chapter2 = pdf.pages_with("As explained in the survey method")
    assert len(chapter2) == 1
    targets = [pdf.internal_target(link) for link in pdf.links(chapter2[0])]
    assert "survey-method" in targets
    heading_page = next(page for _, title, page in pdf.outline if title == "Survey Method")
    assert pdf.dest_page("survey-method") == heading_page


def test_citation_links_to_its_reference(tiny):
    pdf = tiny.pdf
    page = pdf.pages_with("Other institutions report similar figures")[0]
    targets = [pdf.internal_target(link) for link in pdf.links(page)]
    assert "ref-unesco2019" in targets
    assert pdf.dest_page("ref-unesco2019") == pdf.pages_with("A Report on Reports")[0]


def test_image_is_drawn_on_its_page(tiny):
    pdf = tiny.pdf
    page = pdf.pages_with("Figure 1: sites above the median")
    assert len(page) == 1
    images = pdf.reader.pages[page[0]].images
    assert [(img.image.width, img.image.height) for img in images] == [(24, 16)]


def test_long_table_spans_pages_and_repeats_its_header(tiny):
    pdf = tiny.pdf
    first = pdf.pages_with("1 Site 01 37")
    last = pdf.pages_with("Last site of the long table")
    assert len(first) == len(last) == 1
    assert last[0] - first[0] >= 2
    header = "Site number Site name Score Region"
    assert [i for i, text in enumerate(pdf.pages) if header in spaced(text)] == \
        list(range(first[0], last[0] + 1))


def test_running_heads(tiny):
    # Left pages carry the publication title, right pages the chapter (openings neither);
    # the folio stands at the outer corner of the head line.
    pages = tiny.pdf.pages
    continued = tiny.pdf.pages_with("Site 40 66")[0]
    head = spaced(pages[continued])
    folio = tiny.pdf.reader.page_labels[continued]
    if continued % 2:  # a left-hand page (index 0 is the cover, a right-hand page)
        expected = f"{folio} {tiny.pub['title']}"
    else:
        expected = f"Chapter One: Method {folio}"
    assert head.startswith(expected) or head.endswith(expected)  # extraction order varies
