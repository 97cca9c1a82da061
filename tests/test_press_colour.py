"""The print edition's RGB converted to the press's CMYK (editions/pdf/colour.py).

On small PDFs made with pikepdf, with the theme's CMYK output intent: the printer's preflight
(check/press.colour) sees the RGB before and none after; greys become black ink alone; an RGB
image becomes a CMYK one of the same size; a PDF with no RGB keeps its bytes.
"""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest

from folio.check.press import colour
from folio.editions.pdf.colour import to_press_cmyk
from helpers import REPO

PROFILE = REPO / "src/folio/theme/icc/default_cmyk.icc"


def _pdf(content: bytes, image: bytes | None = None) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    page = pdf.pages[0]
    if image is not None:
        xobject = pdf.make_stream(zlib.compress(image), Type=pikepdf.Name.XObject,
                                  Subtype=pikepdf.Name.Image, Width=2, Height=1,
                                  ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                                  Filter=pikepdf.Name.FlateDecode)
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=xobject))
    page.obj.Contents = pdf.make_stream(content)
    profile = pdf.make_stream(PROFILE.read_bytes(), N=4)
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX, DestOutputProfile=profile)])
    return pdf


def _reopened(pdf: pikepdf.Pdf) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(_saved(pdf)))


def _saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def test_vector_colours_go_to_cmyk_and_greys_to_black_ink():
    pdf = _pdf(b"0.8 0.1 0.1 rg 0 0 10 10 re f 0.5 0.5 0.5 RG 0 0 m 10 10 l S "
               b"/DeviceRGB cs 0.1 0.2 0.9 sc 0 0 5 5 re f")
    assert len(colour(pdf.pages[0], 1)) == 3  # the control: the preflight sees all three
    to_press_cmyk(pdf)
    saved = _reopened(pdf)
    page = saved.pages[0]
    assert colour(page, 1) == []
    ops = [(str(op), [float(v) for v in operands if not isinstance(v, pikepdf.Name)])
           for operands, op in pikepdf.parse_content_stream(page)]
    fill = next(values for op, values in ops if op == "k")
    assert fill[0] < 0.3 and fill[1] > 0.7 and fill[2] > 0.6  # a red: little cyan
    assert ("K", [0.0, 0.0, 0.0, 0.5]) in ops  # mid grey: black ink alone
    assert ("cs", []) in ops and next(values for op, values in ops if op == "sc")[0] > 0.7


def test_an_rgb_image_becomes_cmyk():
    pdf = _pdf(b"q 10 0 0 10 0 0 cm /Im0 Do Q", image=bytes([255, 0, 0, 0, 0, 255]))
    assert colour(pdf.pages[0], 1)
    to_press_cmyk(pdf)
    saved = _reopened(pdf)
    page = saved.pages[0]
    assert colour(page, 1) == []
    picture = pikepdf.PdfImage(page.Resources.XObject.Im0).as_pil_image()
    assert picture.mode == "CMYK" and picture.size == (2, 1)
    red, blue = picture.getpixel((0, 0)), picture.getpixel((1, 0))
    assert red[0] < 60 < red[1] and red[2] > 150  # red: magenta and yellow, little cyan
    assert blue[0] > 150 > blue[2]  # blue: cyan, little yellow


@pytest.mark.parametrize("content", [b"0 0 0 1 k 0 0 10 10 re f", b"0.5 g 0 0 1 1 re f"])
def test_a_pdf_with_no_rgb_keeps_its_bytes(content):
    pdf = _pdf(content)
    before = _saved(pdf)
    to_press_cmyk(pdf)
    assert _saved(pdf) == before


def test_the_same_pdf_converts_to_the_same_bytes():
    made = []
    for _ in range(2):
        pdf = _pdf(b"0.2 0.4 0.6 rg q 10 0 0 10 0 0 cm /Im0 Do Q", image=bytes(range(6)))
        to_press_cmyk(pdf)
        made.append(_saved(pdf))
    assert made[0] == made[1]


def test_an_inline_image_is_left_and_the_rest_converted():
    pdf = _pdf(b"0.8 0.1 0.1 rg q BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI Q")
    to_press_cmyk(pdf)
    saved = _reopened(pdf)
    ops = [str(i.operator) for i in pikepdf.parse_content_stream(saved.pages[0])]
    assert "k" in ops and "rg" not in ops and "INLINE IMAGE" in ops
