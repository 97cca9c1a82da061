"""The interior as spreads: facing pages side by side, as a reader of the bound book sees them."""

from __future__ import annotations

import pypdfium2
from PIL import Image

from folio.editions.pdf.cover import png_bytes

#: Pixels between two spreads, and the colour around the pages.
GAP = 16
TABLE = (128, 128, 128)


def contact_sheet(pdf: bytes, dpi: float = 40, per_row: int = 3) -> bytes:
    """Every page of ``pdf`` at ``dpi``, trimmed to its TrimBox, in spreads: page 1 alone on the
    right (a recto), then 2-3, 4-5...; ``per_row`` spreads a row, as one PNG."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            left, bottom, right, top = page.get_trimbox()
            crop = tuple(v - m for v, m in zip((left, bottom), page.get_mediabox()[:2], strict=True)) + \
                tuple(m - v for v, m in zip((right, top), page.get_mediabox()[2:], strict=True))
            bitmap = page.render(scale=dpi / 72, crop=crop, draw_annots=False)
            pages.append(bitmap.to_pil().convert("RGB"))
            page.close()
    finally:
        document.close()
    width, height = pages[0].size
    spreads = [[None, pages[0]]] + [pages[i:i + 2] for i in range(1, len(pages), 2)]
    rows = -(-len(spreads) // per_row)
    sheet = Image.new("RGB", (per_row * (2 * width + GAP) + GAP, rows * (height + GAP) + GAP), TABLE)
    for n, spread in enumerate(spreads):
        x = GAP + (n % per_row) * (2 * width + GAP)
        y = GAP + (n // per_row) * (height + GAP)
        for side, page in enumerate(spread):
            if page is not None:
                sheet.paste(page, (x + side * width, y))
    return png_bytes(sheet)
