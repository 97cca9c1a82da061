"""The printer's files: what the print profile asks of the interior and of the cover spread.

:class:`Press` holds the profile (``data/publication.yaml``, ``print:``) in PDF points, as
plain values the WeasyPrint worker receives without loading the data schemas.
:func:`finish_print` makes WeasyPrint's PDF/X-4 what a printer takes: pages padded to the
profile's multiple, what the pages draw in RGB converted to the output intent's CMYK
(:mod:`folio.editions.pdf.colour`), the output intent named as the profile says, a fixed XMP DocumentID
(WeasyPrint writes a random one), and crop marks outside the bleed when asked for.
:func:`spread_stylesheet` sizes the cover spread from the interior's page count.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pikepdf

    from folio.inputs.printing import Print

#: Marks start this far beyond the bleed, so that none touches the BleedBox.
MARK_GAP = 3.0
#: Crop marks' line width, in points (0.25 pt is the usual hairline).
MARK_WIDTH = 0.25


@dataclass(frozen=True)
class Press:
    """The print profile in points: everything the worker needs to lay out and finish."""

    width: float
    height: float
    bleed: float
    marks: str
    slug: float
    page_multiple: int
    pages_per_inch: float | None
    caliper: float | None
    spine_text_min: float
    condition: str
    info: str
    registry: str

    @classmethod
    def of(cls, profile: Print) -> Press:
        """The plain values of a validated print profile."""
        from folio.inputs.printing import points

        return cls(points(profile.trim.width), points(profile.trim.height), points(profile.bleed),
                   profile.marks, points(profile.slug) if profile.marks == "crop" else 0.0,
                   profile.page_multiple, profile.paper.pages_per_inch,
                   points(profile.paper.caliper) if profile.paper.caliper else None,
                   points(profile.spine_text_min), profile.colour.condition, profile.colour.info,
                   profile.colour.registry)

    def spine(self, pages: int) -> float:
        """The spine's width in points for an interior of ``pages`` pages."""
        if self.caliper is not None:
            return self.caliper * pages / 2
        return 72.0 * pages / (self.pages_per_inch or 444.0)

    def spread_width(self, pages: int) -> float:
        """The cover spread's MediaBox width (no marks): 2 x trim + spine + 2 x bleed."""
        return 2 * self.width + self.spine(pages) + 2 * self.bleed

    def padded(self, pages: int) -> int:
        """``pages`` rounded up to the profile's page multiple."""
        return -(-pages // self.page_multiple) * self.page_multiple


def spread_stylesheet(press: Press, pages: int) -> str:
    """The CSS that sizes the cover spread (templates/pdf/spread.html) for ``pages`` interior
    pages: the page is back + spine + front, the bleed all round, the spine's text hidden
    when the spine is narrower than the profile's minimum."""
    spine = press.spine(pages)
    text = "block" if spine >= press.spine_text_min else "none"
    return (f"@page {{ size: {2 * press.width + spine:.3f}pt {press.height:.3f}pt;"
            f" bleed: {press.bleed:.3f}pt; marks: none; margin: 0; }}\n"
            f":root {{ --trim: {press.width:.3f}pt; --spine: {spine:.3f}pt; }}\n"
            f".panel {{ width: {press.width:.3f}pt; height: {press.height:.3f}pt; }}\n"
            f".spine {{ left: {press.width:.3f}pt; width: {spine:.3f}pt; height: {press.height:.3f}pt; }}\n"
            f".spine-text {{ display: {text}; width: {press.height:.3f}pt; height: {spine:.3f}pt; }}\n"
            f".front {{ left: {press.width + spine:.3f}pt; }}\n")


def finish_print(pdf: pikepdf.Pdf, press: Press, identifier: str, pad: bool = True,
                 convert: bool = True) -> None:
    """Make WeasyPrint's PDF/X-4 ready for the press, in place (deterministically).

    ``pad``: add blank pages up to the profile's multiple (the interior; not the cover).
    ``convert``: convert RGB to CMYK (False: done already, unit by unit, in a book).
    """
    import pikepdf

    from folio.editions.pdf.colour import to_press_cmyk

    if convert:
        to_press_cmyk(pdf)
    if pad:
        last = pdf.pages[-1]
        boxes = {key: last.obj[key] for key in ("/MediaBox", "/TrimBox", "/BleedBox") if key in last.obj}
        while len(pdf.pages) % press.page_multiple:
            page = pdf.add_blank_page(page_size=(72, 72))
            for key, box in boxes.items():
                page.obj[key] = pikepdf.Array(list(box))
    for intent in pdf.Root.get("/OutputIntents", []):
        intent.OutputConditionIdentifier = pikepdf.String(press.condition)
        intent.Info = pikepdf.String(press.info)
        intent.RegistryName = pikepdf.String(press.registry)
    # PDF/X-4 requires the XMP identification, which WeasyPrint writes; the same key in the
    # Info dictionary is what pdfinfo and many preflights read.
    pdf.docinfo[pikepdf.Name.GTS_PDFXVersion] = pikepdf.String("PDF/X-4")
    fix_document_id(pdf, identifier)
    if press.marks == "crop":
        for page in pdf.pages:
            crop_marks(pdf, page, press)


def fix_document_id(pdf: pikepdf.Pdf, identifier: str) -> None:
    """Replace WeasyPrint's random XMP DocumentID with one derived from ``identifier``, and
    give the XMP the InstanceID PDF/X-4 asks for, the same."""
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return
    fixed = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, identifier)}"
    xml = metadata.read_bytes().decode("utf-8")
    xml = re.sub(r"xmp\.did:[0-9a-f-]{36}", fixed, xml)
    if "InstanceID" not in xml:
        xml = xml.replace("</xmpMM:DocumentID>",
                          f"</xmpMM:DocumentID><xmpMM:InstanceID>{fixed.replace('did', 'iid')}"
                          "</xmpMM:InstanceID>", 1)
    metadata.write(xml.encode("utf-8"))


def crop_marks(pdf: pikepdf.Pdf, page: pikepdf.Page, press: Press) -> None:
    """Grow the page's MediaBox by the slug and draw the eight crop marks there, outside the
    BleedBox, in Registration colour (every separation), as a form of their own."""
    import pikepdf

    x0, y0, x1, y1 = (float(v) for v in page.obj.TrimBox)
    bleed, slug = press.bleed, press.slug
    media = [x0 - bleed - slug, y0 - bleed - slug, x1 + bleed + slug, y1 + bleed + slug]
    near, far = bleed + MARK_GAP, bleed + slug - MARK_GAP
    lines = []
    for x in (x0, x1):
        for y, sign in ((y0, -1), (y1, 1)):
            lines.append(((x, y + sign * near), (x, y + sign * far)))
    for y in (y0, y1):
        for x, sign in ((x0, -1), (x1, 1)):
            lines.append(((x + sign * near, y), (x + sign * far, y)))
    ops = [f"{MARK_WIDTH} w /Reg CS 1 SCN"]
    ops += [f"{a[0]:.3f} {a[1]:.3f} m {b[0]:.3f} {b[1]:.3f} l S" for a, b in lines]
    registration = pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK,
                                  pdf.make_stream(b"{dup dup dup}", FunctionType=4,
                                                  Domain=[0, 1], Range=[0, 1, 0, 1, 0, 1, 0, 1])])
    form = pdf.make_stream(" ".join(ops).encode("ascii"), Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Form, BBox=media,
                           Resources=pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(Reg=registration)))
    page.obj.MediaBox = pikepdf.Array(media)
    if "/CropBox" in page.obj:
        page.obj.CropBox = pikepdf.Array(media)
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="FolioMarks")
    # WeasyPrint leaves its transformation in force at the end of the page: enclose it.
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(f"\nQ q {name} Do Q".encode("ascii")), prepend=False)
