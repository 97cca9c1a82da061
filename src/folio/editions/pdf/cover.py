"""The cover: one template (``templates/pdf/cover.html``), page 1 of the PDF, and a PNG of it.

The EPUB's cover image is page 1 of the screen PDF the build has just laid
out (no second WeasyPrint run), rasterised by pdfium at a scale fixed by the
page size, and written by Pillow with no time stamp or other metadata, so two
builds give the same bytes.
"""

from __future__ import annotations

import io

import pypdfium2
from PIL import Image

#: Pixels on the long side of the EPUB cover image (stores ask for at least 1600).
COVER_LONG_SIDE = 1800


def cover_png(pdf: bytes) -> bytes:
    """The cover (page 1 of the screen PDF ``pdf``) as a PNG, COVER_LONG_SIDE pixels on its long side."""
    return page_png(pdf, 0, long_side=COVER_LONG_SIDE)


def page_png(pdf: bytes, index: int, long_side: int | None = None, dpi: float = 100) -> bytes:
    """One page of a PDF rendered to PNG bytes: at ``long_side`` pixels if given, else at ``dpi``.

    The PNG carries pixels only (no time, no text chunks), so equal pages give equal bytes.
    """
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[index]
        width, height = page.get_size()  # in points
        scale = long_side / max(width, height) if long_side else dpi / 72
        bitmap = page.render(scale=scale, draw_annots=False, may_draw_forms=False)
        image = bitmap.to_pil().convert("RGB")
        page.close()
    finally:
        document.close()
    return png_bytes(image)


def png_bytes(image: Image.Image) -> bytes:
    """An image as PNG bytes with no metadata chunks."""
    out = io.BytesIO()
    image.info.clear()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()
