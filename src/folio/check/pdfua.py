"""The screen PDF's structure tree, as PDF/UA-1 asks, read with pikepdf (not veraPDF or PAC).

Rules, on the tree itself rather than on the flags: every marked content with an MCID belongs
to an element of the structure tree (running heads and folios must be artifacts, not content
left out of the tree); a footnote area holds /Note elements; a list of links (the contents) is
TOC/TOCI; the XMP has one dc:creator per author of the document information.
"""

from __future__ import annotations

import re
from pathlib import Path

from folio.editions.pdf.tagging import _is_contents, _kids, parent_tree, walk

Problem = tuple[str, str, str]


def tagging(path: Path | str) -> list[Problem]:
    """(where, rule, message) for each PDF/UA structure rule the PDF at ``path`` breaks."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return []  # structure() reports an untagged PDF
        elements = list(walk(root))
        return untagged_content(pdf, root, elements) + notes_and_contents(pdf, elements) + creators(pdf)


def untagged_content(pdf, root, elements) -> list[Problem]:
    """Marked content whose MCID leads to no element of the tree (nor is an artifact)."""
    import pikepdf

    reachable = {element.objgen for element in elements}
    tree = parent_tree(root)
    out = []
    for index, page in enumerate(pdf.pages):
        found = tree.get(int(page.obj.get("/StructParents", index)))
        mapping = list(found) if isinstance(found, pikepdf.Array) else []
        for instruction in pikepdf.parse_content_stream(page, "BDC"):
            properties = instruction.operands[1] if len(instruction.operands) == 2 else None
            if not isinstance(properties, pikepdf.Dictionary) or "/MCID" not in properties:
                continue
            mcid = int(properties.MCID)
            element = mapping[mcid] if mcid < len(mapping) else None
            if not isinstance(element, pikepdf.Dictionary) or element.objgen not in reachable:
                out.append((f"page {index + 1}", "untagged-content",
                            (f"marked content {instruction.operands[0]} (MCID {mcid}) is neither in"
                             " the structure tree nor an artifact (a running head or folio?)")))
    return out


def notes_and_contents(pdf, elements) -> list[Problem]:
    """Footnote areas hold /Note; lists of links are TOC."""
    pages = {page.obj.objgen: f"page {number}" for number, page in enumerate(pdf.pages, 1)}
    out = []
    for element in elements:
        kind, parent = str(element.S), element.get("/P")
        page = pages.get(element.Pg.objgen, "structure") if "/Pg" in element else "structure"
        if kind == "/NonStruct" and parent is not None and str(parent.get("/S")) == "/Document":
            kinds = {str(k.get("/S")) for k in _children(element)}
            if kinds - {"/Note"}:
                out.append((page, "footnote-note",
                            f"a footnote area holds {', '.join(sorted(kinds))}, not /Note"))
        elif kind == "/L" and _is_contents(element):
            out.append((page, "toc", "a list of links (the contents?) is /L, not /TOC"))
    return out


def creators(pdf) -> list[Problem]:
    """One rdf:li per author: the XMP's dc:creator against the Info /Author."""
    author = str(pdf.docinfo.get("/Author", "")).strip()
    if not author or "/Metadata" not in pdf.Root:
        return []
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace")
    match = re.search(r"<dc:creator>(.*?)</dc:creator>", xmp, re.DOTALL)
    items = re.findall(r"<rdf:li[^>]*>(.*?)</rdf:li>", match.group(1), re.DOTALL) if match else []
    expected = [name.strip() for name in author.split(", ")]
    if items != expected:
        return [("metadata", "creators",
                 f"dc:creator has {len(items)} rdf:li {items}, not one per author of /Author ({len(expected)})")]
    return []


def _children(element):
    import pikepdf

    return [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
