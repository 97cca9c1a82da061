"""Manuscript lint, run while the report is gathered, before any edition is made.

What an accessible edition needs of the sources: every image has alt text
(``![what it shows](img.png)``; an image marked ``{.decorative}`` needs none),
and headings do not skip a level (an h2 then an h4). A link to a missing id
is checked with the other links, in :mod:`folio.content.gather`. Each problem reads
``manuscript/<file>.md:<line>: <message>``.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from folio.errors import Problems

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{[^}]*\})?\s*#*\s*$")
_NO_ALT = re.compile(r"!\[\s*\]\(\s*<?([^)\s>]+)")


def lint(sections, problems: Problems) -> None:
    """Record every image without alt text and every skipped heading level of ``sections``."""
    for section in sections:
        text = section.spec.text or ""
        written = [(m.group(1), text.count("\n", 0, m.start()) + 1) for m in _NO_ALT.finditer(text)]
        for img in section.body.iter("img"):
            if not (img.get("alt") or "").strip() and "decorative" not in (img.get("class") or ""):
                name = PurePosixPath(img.get("src", "")).name
                # The Markdown's own spelling and line of the image, when it has one.
                src, line = next(((s, n) for s, n in written if PurePosixPath(s).name == name),
                                 (img.get("src", ""), _mention(text, name)))
                if (src, line) in written:
                    written.remove((src, line))
                problems.add(f"image '{src}' has no alt text: describe it, as in"
                             f" ![what it shows]({src})", section.origin, line)
        level = 0
        for heading in section.body.iter("h1", "h2", "h3", "h4", "h5", "h6"):
            new = int(heading.tag[1])
            title = " ".join("".join(heading.itertext()).split())
            if level and new > level + 1:
                problems.add(f"heading level skipped: '{title}' is an h{new} after an h{level}"
                             f" (use h{level + 1})", section.origin, _heading_line(text, new, title))
            level = new


def _heading_line(text: str, level: int, title: str) -> int | None:
    """The line of the Markdown heading of that level and title (else of any mention)."""
    for number, line in enumerate(text.splitlines(), 1):
        match = _ATX.match(line)
        if match and len(match.group(1)) == level and title in match.group(2):
            return number
    return _mention(text, title)


def _mention(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if needle and index >= 0 else None
