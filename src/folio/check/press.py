"""A printer's preflight of the print edition (interior and cover spread), read with pikepdf
and pdfium: not veraPDF (which is on none of the registries this project may use), but the
rules a print-on-demand service's preflight applies, each checked on every page.

Rules: TrimBox and BleedBox as the print profile says; marks outside the BleedBox, or none;
the PDF/X identification and a CMYK output intent; every font embedded; no RGB (operators,
colour spaces, images) where the profile says CMYK; images at 300 ppi or more at their
printed size; the interior's page count a multiple of the profile's; the cover spread's
width 2 x trim + spine + 2 x bleed, the spine from the interior's page count and the paper.
"""

from __future__ import annotations

from pathlib import Path

from folio.editions.pdf.press import Press

from .model import Editions, Finding, Result, Tools

NAME = "Printer's preflight (pikepdf, not veraPDF)"
#: The least resolution of an image at its printed size.
MIN_PPI = 300
#: How far a box may be from the profile's and still match (PDF coordinates are rounded).
TOLERANCE = 0.1
_RGB_OPERATORS = {"rg", "RG"}


def run(editions: Editions, tools: Tools) -> Result:
    """Preflight the print interior and its cover spread against the print profile."""
    if failure := editions.missing(editions.print_pdf, editions.cover_pdf):
        return Result(NAME, failure=failure)
    import pikepdf

    from folio.inputs.load import load_project

    press = Press.of(load_project(editions.root).publication.press)
    findings = []
    interior = preflight(editions.print_pdf, press)
    findings += [Finding(editions.rel(editions.print_pdf), where, rule, message)
                 for where, rule, message in interior]
    with pikepdf.open(editions.print_pdf) as pdf:
        pages = len(pdf.pages)
    cover = preflight(editions.cover_pdf, press, interior_pages=pages)
    findings += [Finding(editions.rel(editions.cover_pdf), where, rule, message)
                 for where, rule, message in cover]
    return Result(NAME, f"pikepdf {pikepdf.__version__}", tuple(findings), checked=pages + 1)


def preflight(path: Path | str, press: Press, interior_pages: int | None = None) -> list[tuple[str, str, str]]:
    """(where, rule, message) for every rule a print file breaks. ``interior_pages`` given:
    the file is the cover spread of an interior of that many pages; else it is the interior."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        out = identification(pdf)
        if interior_pages is None:
            if len(pdf.pages) % press.page_multiple:
                out.append((f"page {len(pdf.pages)}", "page-count",
                            (f"{len(pdf.pages)} pages: not a multiple of {press.page_multiple}"
                             " (print.page_multiple); pad with blank pages")))
            width = press.width
        else:
            width = 2 * press.width + press.spine(interior_pages)
            if len(pdf.pages) != 1:
                out.append(("page 1", "spread", f"the cover spread has {len(pdf.pages)} pages, not 1"))
        for number, page in enumerate(pdf.pages, 1):
            out += boxes(page, number, press, width, spread=interior_pages is not None)
            out += colour(page, number)
            out += fonts(page, number)
    out += drawn(path, press)
    return out


def identification(pdf) -> list[tuple[str, str, str]]:
    """The PDF/X-4 identification (XMP and Info) and a CMYK PDF/X output intent."""
    out = []
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace") if "/Metadata" in pdf.Root else ""
    if "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" not in xmp:
        out.append(("catalog", "pdfx-id", "no PDF/X-4 identification (pdfxid:GTS_PDFXVersion) in the XMP"))
    if str(pdf.docinfo.get("/GTS_PDFXVersion", "")) != "PDF/X-4":
        out.append(("info", "pdfx-id", "no /GTS_PDFXVersion (PDF/X-4) in the document information"))
    if str(pdf.docinfo.get("/Trapped", "")) not in ("/False", "/True"):
        out.append(("info", "trapped", "/Trapped is neither /True nor /False"))
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFX"]
    if not intents:
        out.append(("catalog", "output-intent", "no PDF/X output intent (/OutputIntents /GTS_PDFX)"))
    for intent in intents:
        profile = intent.get("/DestOutputProfile")
        if profile is None or int(profile.get("/N", 0)) != 4:
            out.append(("catalog", "output-intent", "the output intent has no CMYK ICC profile (/N 4)"))
        if not str(intent.get("/OutputConditionIdentifier", "")).strip():
            out.append(("catalog", "output-intent", "the output intent names no condition"))
    return out


def boxes(page, number: int, press: Press, width: float, spread: bool) -> list[tuple[str, str, str]]:
    """TrimBox the profile's trim (the spread's full width), BleedBox the trim plus the bleed,
    MediaBox the BleedBox (no marks) or the BleedBox plus the slug (crop marks)."""
    where = f"page {number}"
    out = []
    if "/TrimBox" not in page.obj or "/BleedBox" not in page.obj:
        return [(where, "boxes", "no TrimBox or BleedBox")]
    trim = [float(v) for v in page.obj.TrimBox]
    bleed = [float(v) for v in page.obj.BleedBox]
    media = [float(v) for v in page.obj.MediaBox]
    size = (trim[2] - trim[0], trim[3] - trim[1])
    if not _near(size, (width, press.height)):
        what = "the spread's width 2 x trim + spine" if spread else "the trim"
        out.append((where, "spread-width" if spread else "trim",
                    (f"TrimBox {size[0]:.2f} x {size[1]:.2f} pt, not {what}"
                     f" {width:.2f} x {press.height:.2f} pt")))
    b = press.bleed
    if not _near(bleed, (trim[0] - b, trim[1] - b, trim[2] + b, trim[3] + b)):
        out.append((where, "bleed", f"BleedBox is not the TrimBox plus {b:.2f} pt of bleed"))
    s = b + press.slug
    if not _near(media, (trim[0] - s, trim[1] - s, trim[2] + s, trim[3] + s)):
        out.append((where, "media", "MediaBox is not the BleedBox" + (" plus the slug" if press.slug else "")))
    return out


def _near(a, b) -> bool:
    return all(abs(x - y) <= TOLERANCE for x, y in zip(a, b, strict=True))


def colour(page, number: int) -> list[tuple[str, str, str]]:
    """No RGB: no rg/RG operator, no RGB colour space or image, in the page and its forms."""
    import pikepdf

    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def report(what: str) -> None:
        if what not in seen:
            seen.add(what)
            out.append((f"page {number}", "no-rgb", f"RGB colour: {what} (the profile is CMYK)"))

    def walk(stream, resources, depth=0):
        xobjects = resources.get("/XObject") or {}
        for instruction in pikepdf.parse_content_stream(stream):
            op = str(instruction.operator)
            if op in _RGB_OPERATORS:
                values = " ".join(f"{float(v):.3g}" for v in instruction.operands)
                report(f"'{values} {op}'")
            elif op in ("cs", "CS") and _is_rgb(resources, instruction.operands[0]):
                report(f"colour space {instruction.operands[0]}")
            elif op == "Do" and str(instruction.operands[0]) in xobjects:
                # Only what the page draws: WeasyPrint shares one resource dictionary.
                xobject = xobjects[str(instruction.operands[0])]
                if xobject.get("/Subtype") == "/Image" and _space_is_rgb(xobject.get("/ColorSpace")):
                    report(f"image {instruction.operands[0]}")
                elif xobject.get("/Subtype") == "/Form" and depth < 8:
                    walk(xobject, xobject.get("/Resources") or resources, depth + 1)

    walk(page, page.obj.get("/Resources") or pikepdf.Dictionary())
    return out


def _is_rgb(resources, name) -> bool:
    if str(name) in ("/DeviceRGB", "/CalRGB"):
        return True
    spaces = resources.get("/ColorSpace") or {}
    return str(name) in spaces and _space_is_rgb(spaces[str(name)])


def _space_is_rgb(space) -> bool:
    import pikepdf

    if space is None:
        return False
    if isinstance(space, pikepdf.Name):
        return str(space) in ("/DeviceRGB", "/CalRGB")
    if isinstance(space, pikepdf.Array) and len(space):
        kind = str(space[0])
        if kind == "/ICCBased":
            return int(space[1].get("/N", 0)) == 3
        if kind in ("/Indexed", "/Separation", "/DeviceN"):
            return _space_is_rgb(space[1] if kind == "/Indexed" else space[2])
        return kind in ("/DeviceRGB", "/CalRGB")
    return False


def fonts(page, number: int) -> list[tuple[str, str, str]]:
    """Every font of the page embedded (the screen PDF's rule, on pikepdf's objects)."""
    out = []
    for name, font in (page.obj.get("/Resources", {}).get("/Font") or {}).items():
        if font.get("/Subtype") == "/Type3":
            continue
        target = font.DescendantFonts[0] if "/DescendantFonts" in font else font
        descriptor = target.get("/FontDescriptor") or {}
        if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
            out.append((f"page {number}", "font-embedded",
                        f"font {font.get('/BaseFont', name)} is not embedded"))
    return out


def drawn(path: Path | str, press: Press) -> list[tuple[str, str, str]]:
    """What pdfium sees drawn: a mark (anything wholly outside the TrimBox) must lie wholly
    outside the BleedBox; an image must have MIN_PPI at its printed size."""
    import pypdfium2
    from pypdfium2 import raw

    out = []
    document = pypdfium2.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            trim, bleed = page.get_trimbox(), page.get_bleedbox()  # (left, bottom, right, top)
            for obj in page.get_objects(max_depth=8):
                left, bottom, right, top = obj.get_bounds()
                if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
                    meta = obj.get_metadata()
                    ppi = min(meta.horizontal_dpi, meta.vertical_dpi)
                    if ppi < MIN_PPI:
                        out.append((f"page {index + 1}", "image-resolution",
                                    f"an image at {ppi:.0f} ppi at its printed size (needs {MIN_PPI})"))
                outside_trim = right <= trim[0] or left >= trim[2] or top <= trim[1] or bottom >= trim[3]
                in_bleed = not (right <= bleed[0] or left >= bleed[2] or top <= bleed[1] or bottom >= bleed[3])
                if outside_trim and in_bleed:
                    out.append((f"page {index + 1}", "marks-outside-bleed",
                                (f"a mark inside the bleed at ({left:.1f}, {bottom:.1f})-({right:.1f},"
                                 f" {top:.1f}) pt: marks belong outside the BleedBox, or none")))
            page.close()
    finally:
        document.close()
    return out
