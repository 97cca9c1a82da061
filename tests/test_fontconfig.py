"""WeasyPrint finds fonts by name only among the theme's (theme/fontconfig/fonts.conf): an
SVG's text is drawn the same on every machine, by a font we ship."""

from __future__ import annotations

import io
import os
from urllib.parse import quote

import pikepdf

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60">'
       '<text x="10" y="40" font-size="20" font-family="DejaVu Sans, sans-serif">Bar heights</text></svg>')


def _fonts(pdf: bytes) -> set[str]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return {str(font.BaseFont).split("+")[-1] for page in doc.pages
                for font in page.Resources.get("/Font", {}).values()}


def test_an_svgs_text_is_drawn_by_the_themes_font_not_the_machines():
    from folio.editions.pdf import layout  # noqa: F401 - sets FONTCONFIG_FILE, as in a build
    from folio.theme import THEME

    assert os.environ["FONTCONFIG_FILE"] == str(THEME / "fontconfig" / "fonts.conf")
    import weasyprint

    html = f'<img src="data:image/svg+xml,{quote(SVG)}">'
    fonts = _fonts(weasyprint.HTML(string=html).write_pdf())
    assert fonts == {"Linux-Libertine-O"}, fonts


def test_the_machines_fonts_would_draw_it_otherwise(monkeypatch):
    """Control: with the machine's fontconfig, the same SVG is drawn in a system font."""
    import weasyprint

    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    html = f'<img src="data:image/svg+xml,{quote(SVG)}">'
    fonts = _fonts(weasyprint.HTML(string=html).write_pdf())
    assert fonts and "Linux-Libertine-O" not in fonts, fonts
