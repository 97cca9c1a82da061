"""The screen PDF's structure tree, walked: what a screen reader reads is the text, not the running
heads and folios; footnotes are /Note; the contents is TOC/TOCI; one dc:creator per author; the
subtitle set apart from the title. And the PDF check fails on WeasyPrint's own, unfinished tree.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import re

import pikepdf
import pypdfium2
import pypdfium2.raw as raw
import yaml

from folio.check.pdfua import tagging
from folio.editions.pdf.tagging import walk

#: print.css's top margin (0.8 in): text above it is a running head or a folio.
TOP_MARGIN = 0.8 * 72


def _marks(obj) -> list[str]:
    names = []
    for i in range(raw.FPDFPageObj_CountMarks(obj.raw)):
        mark = raw.FPDFPageObj_GetMark(obj.raw, i)
        buf, length = (ctypes.c_ushort * 64)(), ctypes.c_ulong()
        raw.FPDFPageObjMark_GetName(mark, buf, ctypes.sizeof(buf), ctypes.byref(length))
        names.append(bytes(buf)[:length.value].decode("utf-16-le").rstrip("\x00"))
    return names


def text_objects(path):
    """(page index, MCID or -1, marks, top in points from the page's foot, page height, text)."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            height = page.get_size()[1]
            for obj in page.get_objects(max_depth=4):
                if obj.type == raw.FPDF_PAGEOBJ_TEXT:
                    left, bottom, right, top = obj.get_bounds()
                    yield (index, raw.FPDFPageObj_GetMarkedContentID(obj.raw), _marks(obj), top, height,
                           textpage.get_text_bounded(left, bottom, right, top))
    finally:
        document.close()


def test_no_running_head_or_folio_is_tagged_as_content(report):
    margin = [t for t in text_objects(report.pdf.path) if t[3] > t[4] - TOP_MARGIN + 6]
    assert margin, "no running heads found: the test would prove nothing"
    tagged = [(page + 1, text) for page, mcid, _, _, _, text in margin if mcid >= 0]
    assert tagged == []
    assert all("Artifact" in marks for _, _, marks, _, _, _ in margin)
    # The running title is there, as an artifact, on some verso.
    title = yaml.safe_load((report.root / "data/publication.yaml").read_text())["title"]
    assert any(title in " ".join(text.split()) for *_, text in margin)


def test_every_mcid_leads_into_the_tree(report):
    assert [p for p in tagging(report.pdf.path) if p[1] == "untagged-content"] == []


def _notes_in_sources(root) -> int:
    return sum(len(re.findall(r"^\[\^[^\]]+\]:", p.read_text("utf-8"), re.M))
               for p in (root / "manuscript").glob("*.md"))


def test_footnotes_are_notes(report):
    with pikepdf.open(report.pdf.path) as pdf:
        kinds = [str(e.S) for e in walk(pdf.Root.StructTreeRoot)]
        notes = kinds.count("/Note")
    assert notes == _notes_in_sources(report.root) > 0


def test_the_contents_is_toc(report):
    with pikepdf.open(report.pdf.path) as pdf:
        elements = list(walk(pdf.Root.StructTreeRoot))
        tocs = [e for e in elements if str(e.S) == "/TOC"]
        assert tocs
        items = [str(k.S) for k in tocs[0].K if isinstance(k, pikepdf.Dictionary)]
        assert items and set(items) == {"/TOCI"}


def test_each_creator_is_its_own_rdf_li(real):
    with pikepdf.open(real.pdf.path) as pdf:
        xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
    creator = re.search(r"<dc:creator>(.*?)</dc:creator>", xmp, re.S).group(1)
    items = re.findall(r"<rdf:li>(.*?)</rdf:li>", creator)
    assert items == ["Roméo Dallaire", "Frank Chalk"]


def test_the_subtitle_is_set_apart_in_the_bookmarks(real):
    data = yaml.safe_load((real.root / "data/publication.yaml").read_text())
    titles = [item.title for item in real.pdf.reader.outline if not isinstance(item, list)]
    assert f"{data['title']}: {data['subtitle']}" in titles


def test_the_check_fails_on_weasyprints_own_tree(tiny, monkeypatch, tmp_path):
    """Without the finishing step the tree has orphan running heads, a /Span footnote and an /L
    contents: the PDF check names each, with its page."""
    from folio.content.gather import gather
    from folio.content.render import make_environment
    from folio.editions.pdf import layout
    from folio.editions.pdf.document import layout_request
    from folio.inputs.load import load_project

    monkeypatch.setattr(layout, "finish_pdf", lambda data, *args, **kwargs: data)
    env = make_environment(tiny.root / "templates")
    report = gather(load_project(tiny.root), cache_dir=tmp_path / "cache", env=env)
    date = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    path = tmp_path / "raw.pdf"
    path.write_bytes(layout.lay_out(layout_request(report, env, date)).data)
    rules = {rule for _, rule, _ in tagging(path)}
    assert {"untagged-content", "footnote-note", "toc"} <= rules
    assert all(where.startswith("page ") for where, rule, _ in tagging(path) if rule != "creators")


def test_the_check_fails_on_one_merged_creator(real, tmp_path):
    path = tmp_path / "merged.pdf"
    with pikepdf.open(real.pdf.path) as pdf:
        xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
        pdf.Root.Metadata.write(xmp.replace("</rdf:li><rdf:li>", ", ").encode("utf-8"))
        pdf.save(path)
    assert {rule for _, rule, _ in tagging(path)} == {"creators"}
