"""The screen PDF's structure tree made honest to PDF/UA-1, on the PDF WeasyPrint wrote.

WeasyPrint 70 marks the text of margin boxes (running heads, folios) with MCIDs but leaves
their structure elements out of the tree (an Artifact there needs PDF 2.0, its source says):
that content is then neither tagged nor an artifact. It tags a footnote as a /Span in an
anonymous /NonStruct, and the contents as a list (L/LI). :func:`finish_tags` makes the
first ``/Artifact <</Type /Pagination>>`` marked content, the second /Note (its number a
/Lbl), the third TOC/TOCI. Borders and backgrounds are already artifacts.

It works on a pikepdf.Pdf in place and depends only on the PDF, so it applies as well to
one laid-out document as to chapters merged into one.
"""

from __future__ import annotations

import pikepdf

PAGINATION = pikepdf.Dictionary(Type=pikepdf.Name.Pagination)


def finish_tags(pdf: pikepdf.Pdf) -> None:
    """Repair the structure tree WeasyPrint wrote, in place (nothing to do if untagged)."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    reachable = {element.objgen for element in walk(root)}
    artifacts_to_pagination(pdf, root, reachable)
    for element in walk(root):
        _retag(element)


def name_ids(pdf: pikepdf.Pdf, prefix: str) -> None:
    """Prefix every structure /ID (WeasyPrint's table headers, named after object numbers of
    their own file) and the /Headers naming them with ``prefix``, and list them in an
    /IDTree: done on each unit of a book, in the process that laid it out, so that the
    units' /IDs do not clash and their combination reads them from the IDTrees instead of
    walking the whole book's tree (``combine.combine``)."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    ids: dict[str, pikepdf.Object] = {}
    for element in walk(root):
        if "/ID" in element:
            new = prefix + str(element.ID)
            element.ID = pikepdf.String(new)
            ids[new] = element
        attributes = element.get("/A")
        for attribute in (attributes if isinstance(attributes, pikepdf.Array) else [attributes]):
            if isinstance(attribute, pikepdf.Dictionary) and "/Headers" in attribute:
                attribute.Headers = pikepdf.Array([pikepdf.String(prefix + str(h))
                                                   for h in attribute.Headers])
    if ids:
        root.IDTree = name_tree(pdf, ids)


def name_tree(pdf: pikepdf.Pdf, entries: dict[str, pikepdf.Object]) -> pikepdf.Object:
    """A name tree of ``entries``, flat and in key order, as WeasyPrint writes its own."""
    return pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(
        [x for key in sorted(entries) for x in (pikepdf.String(key), entries[key])])))


def walk(root):
    """Every structure element under ``root``, depth first, in reading order."""
    stack = list(reversed(_kids(root)))
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            yield element
            stack.extend(reversed(_kids(element)))


def _kids(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def parent_tree(root) -> dict[int, pikepdf.Object]:
    """The ParentTree's flat /Nums as {key: value} (WeasyPrint writes no /Kids)."""
    nums = root.ParentTree.get("/Nums", [])
    return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}


def artifacts_to_pagination(pdf: pikepdf.Pdf, root, reachable: set) -> None:
    """Marked content whose element is not in the tree becomes a pagination artifact."""
    tree = parent_tree(root)
    for index, page in enumerate(pdf.pages):
        mapping = tree.get(int(page.obj.get("/StructParents", index)))
        if not isinstance(mapping, pikepdf.Array):
            continue
        orphans = {mcid for mcid, element in enumerate(mapping)
                   if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable}
        if not orphans:
            continue
        instructions = pikepdf.parse_content_stream(page)
        changed = []
        for instruction in instructions:
            operands = instruction.operands
            if str(instruction.operator) == "BDC" and len(operands) == 2 \
                    and isinstance(operands[1], pikepdf.Dictionary) \
                    and int(operands[1].get("/MCID", -1)) in orphans:
                instruction = pikepdf.ContentStreamInstruction(
                    [pikepdf.Name.Artifact, PAGINATION], pikepdf.Operator("BDC"))
            changed.append(instruction)
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(changed))
        for mcid in orphans:
            mapping[mcid] = pikepdf.Object.parse(b"null")


def _retag(element) -> None:
    """Footnotes to /Note, contents lists to TOC/TOCI."""
    kind = str(element.S)
    parent = element.get("/P")
    if kind == "/NonStruct" and parent is not None and str(parent.get("/S")) == "/Document":
        # A footnote area: WeasyPrint's anonymous box at the foot of the page. Each of its
        # spans is one note; its first child, the "1." marker, the note's label.
        for note in _kids(element):
            if isinstance(note, pikepdf.Dictionary) and str(note.get("/S")) == "/Span":
                note.S = pikepdf.Name.Note
                first = _kids(note)[:1]
                if first and isinstance(first[0], pikepdf.Dictionary) \
                        and str(first[0].get("/S")) == "/NonStruct":
                    first[0].S = pikepdf.Name.Lbl
    elif kind == "/L" and _is_contents(element):
        element.S = pikepdf.Name.TOC
        for item in _kids(element):
            if isinstance(item, pikepdf.Dictionary) and str(item.get("/S")) == "/LI":
                item.S = pikepdf.Name.TOCI
                for body in _kids(item):
                    if isinstance(body, pikepdf.Dictionary) and str(body.get("/S")) == "/LBody":
                        body.S = pikepdf.Name.Reference


def _is_contents(element) -> bool:
    """A list of links and nothing else: each item's body opens with a /Link (a contents)."""
    items = [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary)]
    if not items:
        return False
    for item in items:
        if str(item.get("/S")) != "/LI":
            return False
        bodies = [b for b in _kids(item) if isinstance(b, pikepdf.Dictionary)]
        first = _kids(bodies[0])[:1] if bodies else []
        if not (first and isinstance(first[0], pikepdf.Dictionary) and str(first[0].get("/S")) == "/Link"):
            return False
    return True
