"""What ebooklib leaves out of the NCX (the EPUB 2 table of contents): its depth and page list.

Older Kobo and Adobe RMSDK devices read the NCX, not the EPUB 3 nav: without a
``pageList`` they show no print page numbers, and ``dtb:depth`` 0 claims a flat
contents.
"""

from __future__ import annotations

from lxml import etree

NCX = "http://www.daisy.org/z3986/2005/ncx/"


def complete_ncx(ncx: bytes, pages, file_of) -> bytes:
    """The NCX with its real depth and, for the print pages given, a ``pageList``.

    ``pages`` are :class:`folio.editions.pagelist.PageBreak`; ``file_of(section_id)``
    is the document that holds a page's marker.
    """
    root = etree.fromstring(ncx)
    nav_map = root.find(f"{{{NCX}}}navMap")
    depth = max((len(point.xpath("ancestor-or-self::n:navPoint", namespaces={"n": NCX}))
                 for point in root.iter(f"{{{NCX}}}navPoint")), default=0)
    numbers = [int(p.label) for p in pages if p.label.isdigit()]
    head = root.find(f"{{{NCX}}}head")
    for meta in head.iterfind(f"{{{NCX}}}meta"):
        name = meta.get("name")
        if name == "dtb:depth":
            meta.set("content", str(depth))
        elif name == "dtb:totalPageCount":
            meta.set("content", str(len(pages)))
        elif name == "dtb:maxPageNumber":
            meta.set("content", str(max(numbers, default=0)))
    if pages:
        page_list = etree.Element(f"{{{NCX}}}pageList")
        label = etree.SubElement(page_list, f"{{{NCX}}}navLabel")
        etree.SubElement(label, f"{{{NCX}}}text").text = "Pages"
        for page in pages:
            arabic = page.label.isdigit()
            target = etree.SubElement(page_list, f"{{{NCX}}}pageTarget", {
                "id": f"ncx-{page.id}", "type": "normal" if arabic else "front",
                **({"value": page.label} if arabic else {})})
            text = etree.SubElement(etree.SubElement(target, f"{{{NCX}}}navLabel"), f"{{{NCX}}}text")
            text.text = page.label
            etree.SubElement(target, f"{{{NCX}}}content", src=f"{file_of(page.section)}#{page.id}")
        nav_map.addnext(page_list)
    return etree.tostring(root, pretty_print=True, encoding="utf-8", xml_declaration=True)
