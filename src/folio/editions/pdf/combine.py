"""Combine the PDFs of the chapter-by-chapter layout into one PDF, with pikepdf.

Each unit (``editions.pdf.chapters``) is a complete tagged PDF that WeasyPrint
wrote. The first (the front matter) is the base: its catalog keeps ``/Lang``,
``/MarkInfo``, ``/ViewerPreferences``, the XMP metadata and ``/Info``. Then, for
every other unit, in book order:

- its pages are appended, and its structure tree's ``Document`` element's kids
  move under the base's one ``Document`` element (the pages and the elements are
  copied through one foreign-object map, so ``/Pg`` and ``OBJR`` references land
  on the copied pages and annotations);
- the ParentTree is rebuilt flat and numbered as WeasyPrint numbers it (page *i*
  is key *i*, annotations after all pages), and every page's ``/StructParents``
  and annotation's ``/StructParent`` rewritten; role maps are merged;
- structure ``/ID``s (WeasyPrint's table headers, named after an object number
  of their own file, so they clash between files) were prefixed with each unit's
  name, along with the ``/Headers`` that name them, and listed in its own
  ``/IDTree``, where the unit was laid out (``tagging.name_ids``): one
  ``/IDTree`` lists them all;
- named destinations are merged (the first of a name wins, as in WeasyPrint);
  ``folio-xref:`` links become internal links again; the outline is rebuilt
  in book order;
- fonts: every unit embeds its own subset of each face. WeasyPrint subsets with
  the glyph ids kept, so one subset of the original font holding the union of
  the units' glyphs serves every unit; each unit keeps its own font dictionary
  (its widths and ``/ToUnicode``), so the text layer is WeasyPrint's own.

The page labels are the caller's (``document.label_ranges``). The file is saved
with a deterministic ``/ID``: the same parts always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Mapping, Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from folio.editions.pdf.chapters import XREF
from folio.editions.pdf.document import LabelRange
from folio.editions.pdf.finish import finish_open
from folio.editions.pdf.press import Press
from folio.editions.pdf.tagging import name_tree
from folio.errors import BuildError, Problem


def combine(parts: Sequence[bytes], ranges: Sequence[LabelRange] = (),
            fonts: Mapping[str, bytes] | None = None, identifier: str | None = None,
            press: Press | None = None) -> bytes:
    """One PDF of ``parts`` (the units' PDFs, in book order), page labels from ``ranges``;
    ``fonts`` maps a PostScript name to the font file it was subset from (faces not in it
    keep each unit's subset, shared where two are the same bytes). With ``identifier`` (the
    single document's), the whole is finished once, as ``finish.finish_pdf`` finishes one
    document: PDF/UA tags for the screen, the printer's steps (``press``) for print."""
    out = pikepdf.open(io.BytesIO(parts[0]))
    tree = out.Root.get("/StructTreeRoot")  # the print edition's PDF/X-4 is not tagged
    document = tree.K[0] if tree is not None else None
    page_keys: list[pikepdf.Array] = []   # per page, its ParentTree value
    annots: list[tuple[pikepdf.Object, pikepdf.Object]] = []  # (annotation, its struct element)
    ids: dict[str, pikepdf.Object] = {}
    dests: dict[str, pikepdf.Object] = {}
    outline: list[tuple] = []
    role_map: dict[str, pikepdf.Object] = {}
    for n, data in enumerate(parts):
        src = out if n == 0 else pikepdf.open(io.BytesIO(data))
        first = len(out.pages) if n else 0
        if n:
            with warnings.catch_warnings():  # the named destinations are merged below
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                out.pages.extend(src.pages)
        pages = {src.pages[i].objgen: out.pages[first + i].obj for i in range(len(src.pages))}
        if tree is not None:
            _merge_tree(out, src, n, first, document, page_keys, annots, ids, role_map)
        for i in range(len(src.pages)):
            for annot in out.pages[first + i].obj.get("/Annots", ()):
                _relink(annot)
        names = src.Root.get("/Names", Dictionary()).get("/Dests")
        if names is not None:
            for name, value in pikepdf.NameTree(names).items():
                dests.setdefault(str(name), _dest(value, pages))
        outline += _read_outline(src, pages)
        if n:
            # What was copied keeps its data: closed now, a unit's own objects are let go
            # (116 MB of 274 on a 530-page book), not held until the save.
            src.close()
    _check_links(out, dests)
    if tree is not None:
        tree.ParentTree = out.make_indirect(Dictionary(Nums=_flat(page_keys, annots, out)))
        tree.ParentTreeNextKey = len(page_keys) + len(annots)
        if ids:
            tree.IDTree = name_tree(out, ids)
        if role_map:
            tree.RoleMap = Dictionary(role_map)
    names_dict = out.Root.get("/Names")
    if names_dict is None:
        names_dict = out.Root.Names = Dictionary()
    names_dict.Dests = name_tree(out, dests)
    _write_outline(out, outline)
    if ranges:
        out.Root.PageLabels = Dictionary(Nums=Array(_label_entries(ranges)))
    _share_fonts(out, fonts or {})
    _share_streams(out)
    if identifier is not None:
        # The pages' own steps were done unit by unit (``finish.finish_pages``).
        finish_open(out, identifier, press, pages_done=True)
    buffer = io.BytesIO()
    # Object streams, as WeasyPrint writes: without them the structure tree's thousands of
    # small objects would double a book's size.
    # Saved as finish.finish_pdf saves one document (its XMP rewritten by pikepdf the same way).
    out.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    out.close()
    return buffer.getvalue()


def _numbers(tree) -> dict[int, pikepdf.Object]:
    """A number tree (WeasyPrint's ParentTree is flat, but read any) as a dict."""
    return {int(k): v for k, v in pikepdf.NumberTree(tree).items()}


def _flat(page_keys, annots, out) -> Array:
    """The ParentTree's /Nums: page i is key i, the annotations follow, as WeasyPrint writes."""
    nums = []
    for i, elements in enumerate(page_keys):
        nums += [i, elements]
    for i, (annot, element) in enumerate(annots, start=len(page_keys)):
        annot.StructParent = i
        nums += [i, element]
    for i, page in enumerate(out.pages):
        page.obj.StructParents = i
    return Array(nums)


def _merge_tree(out, src, n: int, first: int, document, page_keys: list, annots: list,
                ids: dict, role_map: dict) -> None:
    """Unit ``n``'s structure tree into the base's: its Document element's kids under the one
    Document element, its ParentTree values (pages from ``first``) and annotations listed for
    the flat ParentTree, its /IDs listed, its role map merged."""
    src_tree = src.Root.StructTreeRoot
    nums = _numbers(src_tree.ParentTree)
    src_document = src_tree.K[0]
    if n:
        del src_document["/P"]
        copied = out.copy_foreign(src_document)
        for kid in copied.K:
            kid.P = document
            document.K.append(kid)

        def copy(obj):
            if obj is None:  # a pagination artifact's marked content (``tagging``): no element
                return pikepdf.Object.parse(b"null")
            # What pointed at the unit's own Document element points at the one Document.
            found = out.copy_foreign(obj)
            return document if found.objgen == copied.objgen else found
    else:
        def copy(obj):
            return obj
    id_tree = src_tree.get("/IDTree")
    if id_tree is not None:
        for key, element in pikepdf.NameTree(id_tree).items():
            ids[str(key)] = copy(element)
    for key, value in src_tree.get("/RoleMap", {}).items():
        role_map.setdefault(key, copy(value))
    for i in range(len(src.pages)):
        page = out.pages[first + i].obj
        parents = int(page.get("/StructParents", -1))
        page_keys.append(Array([copy(e) for e in nums[parents]]) if parents in nums else Array())
        for annot in page.get("/Annots", ()):
            if "/StructParent" in annot:
                annots.append((annot, copy(nums[int(annot.StructParent)])))


def _relink(annot) -> None:
    """A ``folio-xref:`` link back to an internal link, as WeasyPrint writes those."""
    action = annot.get("/A")
    if action is None or action.get("/S") != "/URI":
        return
    uri = str(action.URI)
    if not uri.startswith(XREF):
        return
    name = uri[len(XREF):]
    del annot["/A"]
    annot.Dest = String(name)
    if "/Contents" in annot:
        annot.Contents = String(name)


def _check_links(out, dests: dict) -> None:
    """Every internal link lands on a named destination (WeasyPrint's own check, book-wide)."""
    missing = sorted({str(a.Dest) for page in out.pages for a in page.obj.get("/Annots", ())
                      if isinstance(a.get("/Dest"), pikepdf.String) and str(a.Dest) not in dests})
    if missing:
        raise BuildError([Problem(f"PDF: No anchor #{m} for internal URI reference",
                                  "templates/pdf/document.html") for m in missing])


def _dest(value, pages) -> pikepdf.Array:
    """A destination array with its page replaced by the copied page."""
    page = value[0]
    return Array([pages[page.objgen], *value[1:]])


def _read_outline(src, pages) -> list[tuple]:
    """The outline as a forest of (title, destination, closed, children)."""
    root = src.Root.get("/Outlines")

    def items(first):
        out = []
        item = first
        while item is not None:
            children = items(item.get("/First"))
            closed = int(item.get("/Count", 0)) < 0
            out.append((item.Title, _dest(item.Dest, pages), closed, children))
            item = item.get("/Next")
        return out

    return items(root.get("/First")) if root is not None else []


def _write_outline(out, forest) -> None:
    """The outline, as WeasyPrint's ``add_outlines`` writes it."""
    if "/Outlines" in out.Root:
        del out.Root["/Outlines"]

    def write(items, parent):
        made: list[pikepdf.Dictionary] = []
        count = len(items)
        for title, dest, closed, children in items:
            item = out.make_indirect(Dictionary(Title=title, Dest=dest))
            kids, kid_count = write(children, item)
            item.Count = -kid_count if closed else kid_count
            if not closed:
                count += kid_count
            if made:
                item.Prev = made[-1]
                made[-1].Next = item
            if kids:
                item.First, item.Last = kids[0], kids[-1]
            if parent is not None:
                item.Parent = parent
            made.append(item)
        return made, count

    top, count = write(forest, None)
    if top:
        root = out.make_indirect(Dictionary(Count=count, First=top[0], Last=top[-1]))
        for item in top:
            item.Parent = root
        out.Root.Outlines = root


def _label_entries(ranges: Sequence[LabelRange]) -> list:
    entries: list = []
    for start, prefix, style, *first in ranges:
        entry = Dictionary()
        if prefix:
            entry.P = String(prefix)
        if style:
            entry.S = Name("/" + style)
        if first and first[0] != 1:
            entry.St = first[0]
        entries += [start, entry]
    return entries


def _share_fonts(out, fonts: Mapping[str, bytes]) -> None:
    """One font program per face: the union subset where the original is known, else each
    distinct subset once. A face is known by the PostScript name in its embedded program
    (WeasyPrint's /BaseFont names the CSS family, not the file)."""
    faces: dict[tuple[str, str], list] = {}   # (PostScript name, key) -> [(descriptor, glyphs)]
    names: dict[tuple, str] = {}
    seen = set()
    for page in out.pages:
        for font in page.obj.get("/Resources", {}).get("/Font", {}).values():
            if font.objgen in seen or font.get("/Subtype") != "/Type0":
                continue
            seen.add(font.objgen)
            for cid in font.get("/DescendantFonts", ()):
                descriptor = cid.get("/FontDescriptor")
                key = next((k for k in ("/FontFile3", "/FontFile2")
                            if descriptor is not None and k in descriptor), None)
                if key is None:
                    continue
                program = descriptor[key]
                if program.objgen not in names:
                    names[program.objgen] = _postscript_name(program.read_bytes())
                faces.setdefault((names[program.objgen], key), []).append(
                    (descriptor, _glyphs(cid.get("/W", Array()))))
    streams: dict[bytes, pikepdf.Object] = {}
    for (name, key) in sorted(faces):
        users = faces[name, key]
        if name in fonts:
            glyphs = sorted(set().union(*(g for _, g in users)))
            program = union_subset(fonts[name], glyphs)
            stream = pikepdf.Stream(out, program)
            if key == "/FontFile3":
                stream.Subtype = Name.OpenType
            else:
                stream.Length1 = len(program)
            stream = out.make_indirect(stream)
            for descriptor, _ in users:
                descriptor[key] = stream
            continue
        for descriptor, _ in users:  # no original: identical subsets shared, at least
            digest = hashlib.sha256(descriptor[key].read_bytes()).digest()
            descriptor[key] = streams.setdefault(digest, descriptor[key])


def _share_streams(out) -> None:
    """Colour profiles and images that several units embed, once: each unit's PDF/X-4 carries
    the output intent's ICC profile (140 KB) in its intent and its device-cmyk colour space,
    and an image shown in two chapters is in both. Identical streams (same dictionary, same
    bytes) are shared; references to them are found from the pages' resources and the intents."""
    seen: dict[bytes, pikepdf.Object] = {}
    visited: set[tuple[int, int]] = set()

    def shared(stream):
        key = hashlib.sha256(repr(sorted((k, repr(v)) for k, v in stream.items() if k != "/Length"))
                             .encode() + stream.read_raw_bytes()).digest()
        return seen.setdefault(key, stream)

    def walk(resources) -> None:
        if not isinstance(resources, pikepdf.Dictionary) or resources.objgen in visited:
            return
        if resources.is_indirect:
            visited.add(resources.objgen)
        for space in resources.get("/ColorSpace", Dictionary()).values():
            if isinstance(space, pikepdf.Array) and len(space) > 1 and space[0] == Name.ICCBased:
                space[1] = shared(space[1])
        xobjects = resources.get("/XObject", Dictionary())
        for name in list(xobjects.keys()):
            xobject = xobjects[name]
            if xobject.get("/Subtype") == "/Image":
                xobjects[name] = shared(xobject)
            elif "/Resources" in xobject:
                walk(xobject.Resources)
        for pattern in resources.get("/Pattern", Dictionary()).values():
            if isinstance(pattern, pikepdf.Dictionary) and "/Resources" in pattern:
                walk(pattern.Resources)

    for intent in out.Root.get("/OutputIntents", ()):
        if "/DestOutputProfile" in intent:
            intent.DestOutputProfile = shared(intent.DestOutputProfile)
    for page in out.pages:
        walk(page.obj.get("/Resources"))


def _postscript_name(program: bytes) -> str:
    """The PostScript name in an embedded font program ("" if it has none)."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        return TTFont(io.BytesIO(program), lazy=True)["name"].getDebugName(6) or ""
    except (TTLibError, KeyError, AssertionError):
        return ""


def _glyphs(widths) -> set[int]:
    """The glyph ids a CIDFont's /W array lists (``c [w ...]`` and ``c1 c2 w`` forms)."""
    out: set[int] = set()
    items = list(widths)
    i = 0
    while i < len(items):
        start = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            out.update(range(start, start + len(items[i + 1])))
            i += 2
        else:
            out.update(range(start, int(items[i + 1]) + 1))
            i += 3
    return out


#: The tables WeasyPrint drops from the fonts it embeds (``weasyprint.pdf.fonts``).
_DROPPED = [b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH",
            b"PCLT", b"SVG "]


def union_subset(font: bytes, glyphs: Sequence[int]) -> bytes:
    """The subset of ``font`` with ``glyphs`` at their own ids, cut as WeasyPrint cuts the
    fonts it embeds (``Font._harfbuzz_subset``): HarfBuzz's subsetter, ids kept,
    desubroutinized, the same tables dropped, then the empty glyphs after the last one used
    cut off, with no hinting. HarfBuzz copies the font's own ``head`` dates: the same glyphs
    always give the same bytes. (fontTools' subsetter, used before, took 0.2 to 0.6 CPU-s a
    face where HarfBuzz takes milliseconds.)"""
    import uharfbuzz as hb

    used = sorted({0, *glyphs})  # .notdef: HarfBuzz keeps it whatever it is told
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    first = hb.SubsetInput()
    first.glyph_set.update(used)
    first.flags = flags | hb.SubsetFlags.RETAIN_GIDS
    dropped = first.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    dropped.update(int.from_bytes(tag, "big") for tag in _DROPPED)
    kept = hb.subset(hb.Face(hb.Blob(font)), first)
    second = hb.SubsetInput()
    second.glyph_set.update(range(used[-1] + 1))
    second.flags = flags | hb.SubsetFlags.NO_HINTING
    cut = None if kept is None else hb.subset(kept, second)
    if cut is None:
        raise ValueError("HarfBuzz could not subset the font")
    return bytes(cut.blob.data)


def project_fonts(root, fallbacks: str = "") -> dict[str, bytes]:
    """The fonts WeasyPrint subset the embedded ones from, by PostScript name: the bundle's
    files (``templates/fonts``, the project's or the theme's), and the fallback fonts the
    documents carry in ``data:`` URLs (``fallbacks``, their ``<style>``)."""
    import base64
    import re

    from fontTools.ttLib import TTFont

    from folio.theme import resolve

    datas = []
    for path in sorted(resolve(root, "fonts/fonts.css").parent.rglob("*")):
        if path.suffix.lower() in (".otf", ".ttf") and path.is_file():
            datas.append(path.read_bytes())
    for encoded in re.findall(r'url\("data:font/[a-z]+;base64,([A-Za-z0-9+/=]+)"\)', fallbacks):
        datas.append(base64.b64decode(encoded))
    found: dict[str, bytes] = {}
    for data in datas:
        name = TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(6)
        if name:
            found.setdefault(name, data)
    return found
