"""The EPUB's fonts are cut in the pool from its documents before the print edition's pages
are known (``catalog.EPUB.begin``): the page-break markers, empty elements, change no face's
characters, so the fonts are those of the documents with them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from lxml import etree

from folio.content.gather import gather
from folio.content.render import make_environment
from folio.editions.epub.package import documents
from folio.editions.fonts import face_texts, font_faces
from folio.editions.pagelist import page_breaks
from folio.editions.pdf.document import layout_request
from folio.editions.pdf.layout import lay_out
from folio.inputs.load import load_project
from folio.theme import resolve

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"
DATE = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)


def test_the_markers_change_no_faces_characters(tmp_path):
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
    env = make_environment(root / "templates")
    printed = lay_out(layout_request(report, env, DATE, "print"))
    pages = page_breaks(report.sections, printed.anchors, printed.labels, printed.first_lines)
    marked = [data for _, data in documents(report, env, pages)]
    plain = [data for _, data in documents(report, env)]
    assert sum(data.count(b"doc-pagebreak") for data in marked) == len(pages) > 1
    bundle = resolve(root, "fonts/fonts.css").parent
    faces = font_faces((bundle / "fonts.css").read_text("utf-8"))
    css = [resolve(root, "css/epub.css").read_text("utf-8")]

    def texts(docs):
        return face_texts([etree.fromstring(d) for d in docs], css, faces)

    assert texts(marked) == texts(plain) != {}
