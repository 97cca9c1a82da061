"""RGB to the press's CMYK, in the print edition's finished PDF.

A book's figures (a PNG, an SVG chart) and its highlighted code come out of WeasyPrint in RGB,
which a CMYK press's preflight refuses. :func:`to_press_cmyk` converts, in place and
deterministically, what the pages and their forms draw: ``rg``/``RG`` colours and colours set
in an RGB colour space (``cs``/``sc``), and RGB images (device or ICC-based, indexed too),
through the output intent's own profile (littleCMS, by Pillow's ``ImageCms``). Greys, black
included, go to black ink alone, as the print profile asks of text. What it does not convert
(shadings, inline images) stays for the preflight to report. A PDF with no RGB is not touched,
so an all-CMYK design keeps its bytes.
"""

from __future__ import annotations

import io
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pikepdf

_RGB_NAMES = ("/DeviceRGB", "/CalRGB")
#: Deflate level for converted images: fixed, so the same image gives the same bytes.
_LEVEL = 9


class _Converter:
    """One PDF's conversion: the transforms, and what was converted already."""

    def __init__(self, pdf: pikepdf.Pdf, profile: bytes) -> None:
        from PIL import ImageCms

        self.pdf = pdf
        self.cmyk = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        self.srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        self.vector = ImageCms.buildTransform(self.srgb, self.cmyk, "RGB", "CMYK",
                                              ImageCms.Intent.RELATIVE_COLORIMETRIC)
        self.colours: dict[tuple[float, ...], list[float]] = {}
        self.done: set[tuple[int, int]] = set()

    def colour(self, rgb: tuple[float, ...]) -> list[float]:
        """The CMYK of one RGB colour (0..1); a grey is black ink alone."""
        if rgb not in self.colours:
            r, g, b = rgb
            if r == g == b:
                self.colours[rgb] = [0.0, 0.0, 0.0, round(1.0 - r, 4)]
            else:
                from PIL import Image, ImageCms

                pixel = Image.new("RGB", (1, 1), tuple(round(255 * v) for v in rgb))
                converted = ImageCms.applyTransform(pixel, self.vector)
                assert converted is not None  # applyTransform returns None only in place
                cmyk = converted.getpixel((0, 0))
                assert isinstance(cmyk, tuple)
                self.colours[rgb] = [round(v / 255, 4) for v in cmyk]
        return self.colours[rgb]

    def stream(self, owner, resources) -> None:
        """Convert the colours ``owner`` (a page or a form) sets, and what it draws."""
        import pikepdf

        key = owner.obj.objgen if isinstance(owner, pikepdf.Page) else owner.objgen
        if key != (0, 0) and key in self.done:
            return
        self.done.add(key)
        xobjects = resources.get("/XObject") or {}
        spaces = resources.get("/ColorSpace") or {}
        rgb_space = {"fill": False, "stroke": False}
        changed = False
        out: list[Any] = []
        for instruction in pikepdf.parse_content_stream(owner):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                out.append(instruction)  # inline images stay (the preflight reports RGB ones)
                continue
            operands, operator = instruction.operands, instruction.operator
            op = str(operator)
            if op in ("rg", "RG"):
                values = self.colour(tuple(float(v) for v in operands))
                out.append((values, pikepdf.Operator("k" if op == "rg" else "K")))
                changed = True
                continue
            if op in ("cs", "CS"):
                side = "fill" if op == "cs" else "stroke"
                name = str(operands[0])
                rgb_space[side] = name in _RGB_NAMES or (name in spaces and _is_rgb(spaces[name]))
                if rgb_space[side]:
                    out.append(([pikepdf.Name.DeviceCMYK], operator))
                    changed = True
                    continue
            elif op in ("sc", "scn", "SC", "SCN"):
                side = "fill" if op in ("sc", "scn") else "stroke"
                if rgb_space[side] and len(operands) == 3:
                    out.append((self.colour(tuple(float(v) for v in operands)), operator))
                    changed = True
                    continue
            elif op == "Do" and str(operands[0]) in xobjects:
                xobject = xobjects[str(operands[0])]
                if xobject.get("/Subtype") == "/Image":
                    self.image(xobject)
                elif xobject.get("/Subtype") == "/Form":
                    self.stream(xobject, xobject.get("/Resources") or resources)
            out.append((operands, operator))
        if changed:
            data = pikepdf.unparse_content_stream(out)
            if isinstance(owner, pikepdf.Page):
                owner.obj.Contents = self.pdf.make_stream(data)
            else:
                owner.write(data)

    def image(self, xobject) -> None:
        """An RGB image redrawn in CMYK (its soft mask, if any, kept as it is)."""
        import pikepdf
        from PIL import ImageCms

        if xobject.objgen in self.done or not _is_rgb(xobject.get("/ColorSpace")):
            return
        self.done.add(xobject.objgen)
        space = xobject.get("/ColorSpace")
        source = self.srgb
        if isinstance(space, pikepdf.Array) and str(space[0]) == "/ICCBased":
            source = ImageCms.ImageCmsProfile(io.BytesIO(space[1].read_bytes()))
        picture = pikepdf.PdfImage(xobject).as_pil_image().convert("RGB")
        transform = ImageCms.buildTransform(source, self.cmyk, "RGB", "CMYK",
                                            ImageCms.Intent.PERCEPTUAL)
        cmyk = ImageCms.applyTransform(picture, transform)
        assert cmyk is not None
        xobject.write(zlib.compress(cmyk.tobytes(), _LEVEL), filter=pikepdf.Name.FlateDecode)
        xobject.ColorSpace = pikepdf.Name.DeviceCMYK
        xobject.BitsPerComponent = 8
        for key in ("/DecodeParms", "/Decode"):
            if key in xobject:
                del xobject[key]


def _is_rgb(space) -> bool:
    """Whether a colour space (a name or an array) is RGB, directly or under an index."""
    import pikepdf

    if isinstance(space, pikepdf.Name):
        return str(space) in _RGB_NAMES
    if isinstance(space, pikepdf.Array) and len(space):
        kind = str(space[0])
        if kind == "/ICCBased":
            return int(space[1].get("/N", 0)) == 3
        if kind == "/Indexed":
            return _is_rgb(space[1])
        return kind in _RGB_NAMES
    return False


def to_press_cmyk(pdf: pikepdf.Pdf) -> None:
    """Convert what the pages draw in RGB to the output intent's CMYK, in place."""
    intents: Any = pdf.Root.get("/OutputIntents") or []
    profile = intents[0].get("/DestOutputProfile") if len(intents) else None
    if profile is None:
        return
    converter = _Converter(pdf, profile.read_bytes())
    for page in pdf.pages:
        converter.stream(page, page.obj.get("/Resources") or {})
