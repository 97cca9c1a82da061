"""Media types of file names, the same on every machine (a module of its own: the WeasyPrint
worker needs it, and nothing heavier)."""

from __future__ import annotations

import mimetypes

#: Built-in table only: mimetypes.guess_type() would also read the machine's /etc/mime.types.
_TYPES = mimetypes.MimeTypes(filenames=())
_FONTS = {".otf": "font/otf", ".ttf": "font/ttf"}


def media_type(name: str) -> str:
    """The media type of a file name, the same on every machine."""
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    return _FONTS.get(suffix) or _TYPES.guess_type(name)[0] or "application/octet-stream"
