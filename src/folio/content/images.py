"""Image files checked by their content, before any edition uses them.

A file's name says little: a JPEG named ``.png`` makes the EPUB invalid, a
WebP or BMP has no EPUB fallback, an empty, corrupt or decompression-bomb PNG
fails deep inside WeasyPrint with a message naming a template, and an SVG is a
document that may carry a script, event handlers or references to other files.
:func:`image_problem` reads the file once and says what is wrong, for the
gather stage to locate at the chapter line that uses the image.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from lxml import etree

#: The raster formats every edition carries (EPUB core media types), by the suffixes they use.
RASTER = {"PNG": (".png",), "JPEG": (".jpg", ".jpeg"), "GIF": (".gif",)}
#: The most pixels an image may have (a 6,000 x 6,000 photograph has 36 million): beyond it
#: decoding one takes hundreds of MB, as a decompression bomb intends.
MAX_PIXELS = 40_000_000
#: SVG elements that run code or embed another document.
_SVG_CODE = frozenset({"script", "foreignobject", "iframe", "object", "embed", "handler",
                       "listener"})
_CSS_URL = re.compile(r"url\s*\(\s*['\"]?(?!#)|@import|expression\s*\(|\\", re.IGNORECASE)
_ATTR_URL = re.compile(r"url\s*\(\s*['\"]?(?!#)", re.IGNORECASE)
SVG_RULE = "an SVG image may hold no script, event handler or reference to another file"


def image_problem(path: Path) -> str | None:
    """Why the image file ``path`` cannot go into the editions, or None."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if suffix == ".svg":
        return svg_problem(data)
    return raster_problem(data, suffix)


def raster_problem(data: bytes, suffix: str) -> str | None:
    """Why a PNG, JPEG or GIF file's bytes cannot be used, or None."""
    from PIL import Image  # Pillow comes with WeasyPrint

    if not data:
        return "is an empty file"
    known = ", ".join(s for suffixes in RASTER.values() for s in suffixes)
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our limit, our message
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if width * height > MAX_PIXELS:
                return (f"has {width:,} x {height:,} pixels; an image may have at most"
                        f" {MAX_PIXELS:,}: scale it down")
            image.verify()
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a broken file
        return f"is not a readable image (use {known} files)"
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    if kind not in RASTER:
        return (f"is a {kind} image, which an EPUB cannot carry: convert it to PNG or JPEG")
    if suffix not in RASTER[kind]:
        return f"is a {kind} image named '{suffix}': rename it to '{RASTER[kind][0]}'"
    return None


def svg_problem(data: bytes) -> str | None:
    """Why an SVG file cannot be used (a script, a handler, a reference outside it), or None."""
    if b"<!ENTITY" in data or b"<!entity" in data:
        return f"declares XML entities: {SVG_RULE}"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"is not a readable SVG file: {exc.msg}"
    if etree.QName(root).localname != "svg":
        return "is not an SVG image: its root element is not <svg>"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el).localname.lower()
        if tag in _SVG_CODE:
            return f"holds <{tag}>: {SVG_RULE}"
        if tag == "style" and _CSS_URL.search(el.text or ""):
            return f"has a style that loads a URL: {SVG_RULE}"
        for name, value in el.attrib.items():
            local = etree.QName(name).localname.lower()
            if local.startswith("on"):
                return f"has an event handler '{local}': {SVG_RULE}"
            if local in ("href", "src") and not value.strip().startswith("#"):
                return f"refers to '{value[:60]}': {SVG_RULE}"
            if local == "style" and _CSS_URL.search(value):
                return f"has a style that loads a URL: {SVG_RULE}"
            if _ATTR_URL.search(value):
                return f"refers to another file in '{local}': {SVG_RULE}"
    return None
