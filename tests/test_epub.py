"""The EPUB edition: valid for EPUBCheck, and its package, metadata and navigation right."""

from __future__ import annotations

import zipfile

import pytest

from editions import OPF, XHTML, is_external

SEVERE = ("FATAL", "ERROR", "WARNING")


def test_epubcheck_reports_nothing(report):
    check = report.epubcheck
    severe = [m.short for m in check.messages if m.level in SEVERE]
    assert severe == [], "\n".join(severe)
    assert check.valid


def test_mimetype_is_the_first_entry_and_stored(report):
    first = report.epub.zip.infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert first.extra == b""
    assert report.epub.read("mimetype") == b"application/epub+zip"


def test_zip_entries_have_fixed_times(report):
    assert {info.date_time for info in report.epub.zip.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_spine_follows_contents_yaml(report):
    # The cover page first, then the sections in their order.
    expected = [report.epub.resolve(f"{s.id}.xhtml") for s in report.sections]
    assert report.epub.spine == [report.epub.resolve("cover.xhtml"), *expected]


def test_each_spine_document_is_one_section(report):
    for section, name in zip(report.sections, report.epub.spine[1:], strict=True):
        doc = report.epub.docs[name]
        assert doc.get("lang") == report.pub["language"]
        assert doc.findtext("x:head/x:title", namespaces=XHTML) == section.title
        assert doc.xpath("//x:h1/@id", namespaces=XHTML)[0] == section.id


def test_dublin_core_metadata(report):
    epub, pub = report.epub, report.pub

    def one(tag):
        values = [(e.text or "").strip() for e in epub.meta(tag)]
        assert len(values) == 1, (tag, values)
        return values[0]

    assert one("dc:title") == report.full_title
    assert one("dc:language") == pub["language"]
    assert one("dc:publisher") == pub["publisher"]
    assert one("dc:date") == pub["date"].isoformat()
    if pub.get("rights"):
        assert one("dc:rights") == pub["rights"]
    else:  # a rights line the sources do not give is left out, not invented
        assert epub.meta("dc:rights") == []
    unique = epub.opf.get("unique-identifier")
    identifiers = {e.get("id"): e.text for e in epub.meta("dc:identifier")}
    assert identifiers[unique] == pub["identifier"]
    modified = [m.text for m in epub.meta("opf:meta") if m.get("property") == "dcterms:modified"]
    assert modified == [f"{pub['date'].isoformat()}T00:00:00Z"]


def test_creators_and_contributors_carry_marc_relators(report):
    epub = report.epub
    authors, others = report.creators
    assert authors, "every report in this suite has at least one 'aut' in data/team.yaml"
    for tag, people in (("dc:creator", authors), ("dc:contributor", others)):
        elements = epub.meta(tag)
        assert [e.text for e in elements] == [name for name, _ in people]
        for element, (name, relator) in zip(elements, people, strict=True):
            refined = epub.refinements(element.get("id"))
            assert refined.get("role") == relator, name
        schemes = {m.get("scheme") for m in epub.meta("opf:meta")
                   if m.get("property") == "role"}
        assert schemes == {"marc:relators"}


def test_nav_has_toc_and_landmarks(report):
    epub = report.epub
    nav = epub.xml(epub.nav_path)
    kinds = nav.xpath("//x:nav/@epub:type", namespaces=XHTML)
    assert "toc" in kinds and "landmarks" in kinds
    toc = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li/x:a", namespaces=XHTML)
    listed = [s for s in report.sections if s.toc]
    assert [a.text for a in toc] == [s.title for s in listed]
    assert [a.get("href") for a in toc] == [f"{s.id}.xhtml" for s in listed]
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=XHTML)
    assert "bodymatter" in landmarks
    assert "toc" in landmarks


def test_nav_lists_chapter_subheadings(report):
    nav = report.epub.xml(report.epub.nav_path)
    for section in report.sections:
        if section.part != "body":
            continue
        hrefs = nav.xpath(f"//x:nav[@epub:type='toc']//x:a[@href='{section.id}.xhtml']"
                          "/following-sibling::x:ol/x:li/x:a/@href", namespaces=XHTML)
        assert hrefs == [f"{section.id}.xhtml#{ident}" for ident, _ in section.h2]


def test_ncx_exists_and_is_the_spine_toc(report):
    epub = report.epub
    spine_toc = epub.opf.find("opf:spine", OPF).get("toc")
    ncx = epub.manifest[spine_toc]
    assert ncx["media-type"] == "application/x-dtbncx+xml"
    tree = epub.xml(ncx["href"])
    uid = tree.xpath("//*[local-name()='meta'][@name='dtb:uid']/@content")
    assert uid == [report.pub["identifier"]]
    labels = tree.xpath("//*[local-name()='navPoint']/*[local-name()='navLabel']"
                        "/*[local-name()='text']/text()")
    for section in report.sections:
        if section.toc:
            assert section.title in labels


def test_every_internal_link_resolves(report):
    epub = report.epub
    names = set(epub.zip.namelist())
    broken = []
    for name, doc in [*epub.docs.items(), (epub.nav_path, epub.xml(epub.nav_path))]:
        for href in doc.xpath("//x:a/@href | //x:img/@src", namespaces=XHTML):
            if is_external(href):
                continue
            path, _, fragment = href.partition("#")
            target = epub.resolve(path, name) if path else name
            if target not in names:
                broken.append(f"{name}: {href}")
            elif fragment and fragment not in epub.xml(target).xpath("//@id"):
                broken.append(f"{name}: {href} (no such id)")
    assert broken == []


def test_fonts_are_in_the_package(report):
    types = {i["href"].rsplit("/", 1)[-1]: i["media-type"] for i in report.epub.manifest.values()}
    fonts = {name for name, kind in types.items() if kind.startswith("font/")}
    assert {"LinLibertine_R.otf", "LinBiolinum_R.otf"} <= fonts


def test_images_are_in_the_package(tiny):
    images = [i for i in tiny.epub.manifest.values()
              if i["media-type"] == "image/png" and "cover-image" not in i["properties"]]
    assert [i["href"] for i in images] == [tiny.epub.resolve("manuscript/img/red-square.png")]
    assert tiny.epub.read(images[0]["href"]) == \
        (tiny.root / "manuscript/img/red-square.png").read_bytes()


@pytest.mark.parametrize("kind", ["chapter", "bibliography"])
def test_sections_carry_structural_semantics(tiny, kind):
    found = [d.xpath("//x:section/@epub:type", namespaces=XHTML)[0] for d in tiny.epub.docs.values()]
    assert kind in found
