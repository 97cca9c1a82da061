"""Names on disk: the one place where a name from the report becomes a file name.

A section's id names its file in the HTML site and the EPUB (``<id>.html``,
``EPUB/<id>.xhtml``), and an image's project-relative path names its copy. An
id comes from the manuscript (``{#id}``, ``<h1 id=...>``, a heading's text), so
it is checked here before anything is written: a letter or digit first, then
letters, digits, ``-``, ``_`` and ``.``, at most :data:`MAX_ID` characters, and
no two ids that differ only in case (a case-insensitive disk, and OCF, would
make them one file). The writers check every path they are given again
(:func:`output_name`), so that no name from the manuscript, whatever route it
takes, ever reaches a path outside the build folder or the EPUB.
"""

from __future__ import annotations

import re
import unicodedata

#: A section id that may name a file: the characters pandoc's automatic ids use.
SAFE_ID = re.compile(r"[^\W_][\w.-]*")
#: The longest section id: its file name must stay well under a file system's 255 bytes.
MAX_ID = 100
#: Names Windows reserves whatever their extension (an EPUB is unpacked there too).
_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                      *(f"lpt{i}" for i in range(1, 10))})


def id_problem(ident: str) -> str | None:
    """Why ``ident`` cannot be a section id (it names the section's file), or None."""
    if len(ident) > MAX_ID:
        return (f"the id '{ident[:40]}...' is {len(ident)} characters long; a section's id"
                f" names its file and may have at most {MAX_ID}")
    if not SAFE_ID.fullmatch(ident) or ident.lower().split(".")[0] in _DEVICES:
        return (f"the id '{ident}' cannot name a file: a section's id starts with a letter"
                " or digit and holds only letters, digits, '-', '_' and '.'")
    return None


def section_file(ident: str, suffix: str) -> str:
    """The file name of the section ``ident`` in an edition (``.html``, ``.xhtml``)."""
    return output_name(f"{ident}{suffix}")


def fold(name: str) -> str:
    """The key under which two names are the same file on a case-insensitive disk."""
    return unicodedata.normalize("NFC", name).casefold()


def output_name(rel: str) -> str:
    """``rel`` itself, once it is known to be a plain relative path of an output: no
    absolute path, no ``..``, no backslash, drive or control character, no empty part.

    Every edition's file names go through here (the HTML site's files, the EPUB's zip
    entries); a name that fails is a bug, since the ids were checked when gathered.
    """
    parts = rel.split("/")
    if not rel or rel.startswith("/") or "\\" in rel or ":" in parts[0] \
            or any(part in ("", ".", "..") for part in parts) \
            or any(unicodedata.category(c)[0] == "C" for c in rel):
        raise ValueError(f"unsafe output path {rel!r}")
    return rel
